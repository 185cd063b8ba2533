'use strict'
// unpod-calllogs: read Unpod platform call logs from Node.js, on a Rust core.

const util = require('node:util')
const native = require('./native.js')
const errors = require('./errors.js')

const { fromNative, mapped, ConfigError } = errors

/** What a value is, for messages: `array` or its `typeof`. */
function kindOf (value) {
  return Array.isArray(value) ? 'array' : typeof value
}

/** `value` when it is undefined or of `type`; otherwise a ConfigError naming `setting`. */
function typed (setting, value, type) {
  if (value !== undefined && value !== null && kindOf(value) !== type) {
    throw new ConfigError(`${setting} must be a ${type} (got ${kindOf(value)})`)
  }
  return value ?? undefined
}

/** A plain object of names to values (headers, extraQuery, extraHeaders), or a ConfigError. */
function record (setting, value) {
  if (value === undefined || value === null) return undefined
  if (kindOf(value) !== 'object') {
    throw new ConfigError(`${setting} must be an object of names to values (got ${kindOf(value)})`)
  }
  return value
}

/** The defaults and lists the Rust core owns (page size and concurrency of walks, enum values, error kinds). */
const CORE = native.constants()
const FILTERS = ['page', 'page_size', 'start_date', 'end_date', 'call_type', 'call_status']

function text (value) {
  return value instanceof Date ? value.toISOString() : String(value)
}

function entries (object) {
  return Object.entries(object ?? {}).map(([name, value]) => [name, String(value)])
}

/** A query for the addon: the API's parameters, `extraQuery` and `extraHeaders` as `[name, value]` pairs. */
function query (params = {}, { extraQuery, extraHeaders } = {}) {
  return {
    params: FILTERS.filter((name) => params[name] !== undefined && params[name] !== null)
      .map((name) => [name, text(params[name])]),
    extraQuery: entries(record('extraQuery', extraQuery)),
    extraHeaders: entries(record('extraHeaders', extraHeaders))
  }
}

const NO_QUERY = query()

function abortError (signal) {
  const reason = signal.reason
  if (reason instanceof Error) return reason
  const error = new Error('This operation was aborted')
  error.name = 'AbortError'
  error.code = 'ABORT_ERR'
  return error
}

/**
 * Starts a native call with a cancellation that `signal` trips, and awaits it. On abort the promise
 * rejects at once with the signal's reason, and the native side drops the request in flight, its
 * retries and any read-ahead: nothing more reaches the server. `start(cancel)` makes the call.
 */
function call (signal, start, cancel = signal ? new native.NativeCancel() : null) {
  const site = new Error()
  Error.captureStackTrace(site, call)
  if (signal?.aborted) return Promise.reject(abortError(signal))
  const promise = mapped(() => start(cancel)).catch((error) => { throw fromNative(error, site) })
  if (!signal) return promise
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {})
      cancel.cancel()
      reject(abortError(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
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

/** The records of a walk. Ending it early (an abort, a `break`) closes the pager: no read-ahead lingers. */
async function * walk (pager, signal) {
  const cancel = signal ? new native.NativeCancel() : null
  try {
    while (true) {
      const json = await call(signal, (c) => pager.nextPage(c), cancel)
      if (json === null) return
      yield * toRecords(json)
    }
  } finally {
    pager.close().catch(() => {})
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
    const next = await call(signal, (cancel) => this._client.nextPage(this._native, cancel))
    return next === null ? null : new CallLogPage(this._client, next)
  }

  /** Every record from this page to the last one, fetched as needed. */
  async * [Symbol.asyncIterator] () {
    yield * this.data
    yield * walk(mapped(() => this._client.pager(NO_QUERY, null, this._native)))
  }
}

/** `client.callLogs`: one page, an async iterator over all pages, or everything at once. */
class CallLogs {
  constructor (client) {
    Object.defineProperty(this, '_client', { value: client })
  }

  /** One request: the page the filters ask for. */
  async list (params = {}, options = {}) {
    const request = query(params, options)
    const page = await call(options.signal, (cancel) => this._client.list(request, cancel))
    return new CallLogPage(this._client, page)
  }

  /** Every matching record, page after page, in constant memory; at most `limit`. */
  iterate (filters = {}, options = {}) {
    const { pageSize = CORE.defaultWalkPageSize, limit, signal } = options
    typed('limit', limit, 'number')
    const pager = mapped(() => this._client.pager(query({ ...filters, page: undefined, page_size: typed('pageSize', pageSize, 'number') }, options), limit ?? null))
    return walk(pager, signal)
  }

  /** Every matching record in server order; pages after the first are fetched concurrently. */
  async all (filters = {}, options = {}) {
    const { concurrency = CORE.defaultConcurrency, pageSize = CORE.defaultWalkPageSize, signal } = options
    typed('concurrency', concurrency, 'number')
    const request = query({ ...filters, page: undefined, page_size: typed('pageSize', pageSize, 'number') }, options)
    return toRecords(await call(signal, (cancel) => this._client.all(request, concurrency, cancel)))
  }
}

/**
 * A client of the call-logs endpoint. Options fall back to `UNPOD_PLATFORM_TOKEN`,
 * `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`; the token never shows in `util.inspect` or `JSON.stringify`.
 */
class Client {
  constructor (options = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new ConfigError('the options of Client must be an object')
    }
    const settings = {
      token: typed('token', options.token, 'string'),
      orgHandle: typed('orgHandle', options.orgHandle, 'string'),
      baseUrl: typed('baseUrl', options.baseUrl, 'string'),
      timeoutMs: typed('timeoutMs', options.timeoutMs, 'number'),
      maxRetries: typed('maxRetries', options.maxRetries, 'number'),
      headers: record('headers', options.headers),
      verifyFilters: typed('verifyFilters', options.verifyFilters, 'boolean')
    }
    const client = mapped(() => new native.NativeClient(settings))
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
  ConfigError: errors.ConfigError,
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
  InvalidQueryError: errors.InvalidQueryError,
  ServerContractError: errors.ServerContractError
}
