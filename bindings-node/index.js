'use strict'
// unpod-calllogs: read Unpod platform call logs from Node.js, on a Rust core.

const util = require('node:util')
const native = require('./native.js')
const errors = require('./errors.js')

const { fromNative, mapped } = errors
const FILTERS = ['page', 'page_size', 'start_date', 'end_date', 'call_type', 'call_status']

function text (value) {
  return value instanceof Date ? value.toISOString() : String(value)
}

function pairs (params = {}) {
  return FILTERS.filter((name) => params[name] !== undefined && params[name] !== null)
    .map((name) => [name, text(params[name])])
}

function abortError (signal) {
  const reason = signal.reason
  if (reason instanceof Error) return reason
  const error = new Error('This operation was aborted')
  error.name = 'AbortError'
  error.code = 'ABORT_ERR'
  return error
}

/** Awaits a native promise, rejecting early (and leaving no unhandled rejection) on abort. */
function settle (promise, signal) {
  const site = new Error()
  Error.captureStackTrace(site, settle)
  const native = promise.catch((error) => { throw fromNative(error, site) })
  if (!signal) return native
  if (signal.aborted) {
    native.catch(() => {})
    return Promise.reject(abortError(signal))
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      native.catch(() => {})
      reject(abortError(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    native.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function toRecord (record) {
  record.creation_time = new Date(record.creation_time)
  if (record.start_time !== null) record.start_time = new Date(record.start_time)
  if (record.end_time !== null) record.end_time = new Date(record.end_time)
  return record
}

function toRecords (json) {
  const records = JSON.parse(json.toString())
  for (let i = 0; i < records.length; i++) toRecord(records[i])
  return records
}

async function * walk (pager, signal) {
  while (true) {
    const json = await settle(pager.nextPage(), signal)
    if (json === null) return
    yield * toRecords(json)
  }
}

/** One page: `count` (all matching records), `data`, `page`, `page_size`; `for await` walks on. */
class CallLogPage {
  constructor (client, nativePage) {
    Object.defineProperty(this, '_client', { value: client })
    Object.defineProperty(this, '_native', { value: nativePage })
    this.count = nativePage.count
    this.page = nativePage.page
    this.page_size = nativePage.pageSize
    this.data = toRecords(nativePage.records())
  }

  /** Whether a page follows this one. */
  hasNextPage () {
    return this._native.hasNextPage()
  }

  /** The next page, or `null` after the last. */
  async nextPage ({ signal } = {}) {
    const next = await settle(this._client.nextPage(this._native), signal)
    return next === null ? null : new CallLogPage(this._client, next)
  }

  /** Every record from this page to the last one, fetched as needed. */
  async * [Symbol.asyncIterator] () {
    yield * this.data
    yield * walk(this._client.pager([], null, this._native))
  }
}

/** `client.callLogs`: one page, an async iterator over all pages, or everything at once. */
class CallLogs {
  constructor (client) {
    Object.defineProperty(this, '_client', { value: client })
  }

  /** One request: the page the filters ask for. */
  async list (params = {}, { signal } = {}) {
    const page = await settle(mapped(() => this._client.list(pairs(params))), signal)
    return new CallLogPage(this._client, page)
  }

  /** Every matching record, page after page, in constant memory; at most `limit`. */
  iterate (filters = {}, { pageSize = 100, limit, signal } = {}) {
    const pager = mapped(() => this._client.pager(pairs({ ...filters, page: undefined, page_size: pageSize }), limit ?? null))
    return walk(pager, signal)
  }

  /** Every matching record in server order; pages after the first are fetched concurrently. */
  async all (filters = {}, { concurrency = 4, pageSize = 100, signal } = {}) {
    const query = pairs({ ...filters, page: undefined, page_size: pageSize })
    return toRecords(await settle(mapped(() => this._client.all(query, concurrency)), signal))
  }
}

/**
 * A client of the call-logs endpoint. Options fall back to `UNPOD_PLATFORM_TOKEN`,
 * `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`; the token never shows in `util.inspect` or `JSON.stringify`.
 */
class Client {
  constructor ({ token, orgHandle, baseUrl, timeoutMs, maxRetries, headers } = {}) {
    const client = mapped(() => new native.NativeClient({ token, orgHandle, baseUrl, timeoutMs, maxRetries, headers }))
    Object.defineProperty(this, '_native', { value: client })
    this.callLogs = new CallLogs(client)
  }

  /** The endpoint's URL. */
  get endpoint () {
    return this._native.endpoint
  }

  toJSON () {
    return { endpoint: this.endpoint, token: '***' }
  }

  [util.inspect.custom] () {
    return `Client { endpoint: '${this.endpoint}', token: '***' }`
  }
}

/** The records of a page body as the endpoint sends it (a saved response, a cache). */
function recordsFromJson (body) {
  return toRecords(mapped(() => native.recordsFromJson(Buffer.from(body))))
}

const CallType = Object.freeze({ INBOUND: 'inbound', OUTBOUND: 'outbound' })
const CallStatus = Object.freeze({ COMPLETED: 'completed', MISSED: 'missed', FAILED: 'failed', NO_ANSWER: 'no-answer' })

module.exports = {
  Client,
  CallLogs,
  CallLogPage,
  CallType,
  CallStatus,
  recordsFromJson,
  CallLogsError: errors.CallLogsError,
  APIError: errors.APIError,
  APIStatusError: errors.APIStatusError,
  BadRequestError: errors.BadRequestError,
  AuthenticationError: errors.AuthenticationError,
  PermissionDeniedError: errors.PermissionDeniedError,
  NotFoundError: errors.NotFoundError,
  RateLimitError: errors.RateLimitError,
  InternalServerError: errors.InternalServerError,
  APIConnectionError: errors.APIConnectionError,
  APITimeoutError: errors.APITimeoutError,
  DecodeError: errors.DecodeError,
  InvalidQueryError: errors.InvalidQueryError
}
