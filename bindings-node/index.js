'use strict'
// unpod-calllogs: read Unpod platform call logs from Node.js, on a Rust core.

const { EventEmitter, once } = require('node:events')
const { Readable } = require('node:stream')
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
const CORE = JSON.parse(native.constants())

// One naming rule: the API's parameters (the first argument) keep the API's wire names, as the
// server spells them (`page_size`, `call_status`); the library's own options (the second argument)
// are camelCase, as JavaScript spells them (`timeoutMs`, `maxRetries`, `signal`).
const LIST_PARAMS = CORE.PARAMETERS
const WALK_PARAMS = LIST_PARAMS.filter((name) => name !== 'page')
const REQUEST_OPTIONS = ['signal', 'timeoutMs', 'maxRetries', 'extraQuery', 'extraHeaders']
const WALK_OPTIONS = [...REQUEST_OPTIONS, 'limit', 'prefetch']
const ALL_OPTIONS = [...REQUEST_OPTIONS, 'concurrency', 'limit', 'onProgress']
const STREAM_OPTIONS = [...WALK_OPTIONS, 'format']
const EXPORT_OPTIONS = [...STREAM_OPTIONS, 'resume', 'onProgress']
const EVENTS = CORE.EVENTS

/** A sync setting of the core (`max_records`, `settle`) as Node spells it (`maxRecords`, `settleMs`). */
function syncOption (name) {
  const camel = name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
  return CORE.SYNC_DURATIONS.includes(name) ? `${camel}Ms` : camel
}
const SYNC_OPTIONS = [...REQUEST_OPTIONS, 'onProgress', ...CORE.SYNC_SETTINGS.map(syncOption)]

/** The sync settings given in `options`, as the core reads them: its names, seconds, ISO instants. */
function syncSettings (options) {
  const settings = {}
  for (const name of CORE.SYNC_SETTINGS) {
    let value = options[syncOption(name)]
    if (value === undefined || value === null) continue
    if (CORE.SYNC_DURATIONS.includes(name) && typeof value === 'number') value = value / 1000
    if (value instanceof Date) value = text(value)
    settings[name] = value
  }
  return JSON.stringify(settings)
}

/** A summary or progress of a sync from the core's JSON: camelCase, instants as Dates, `elapsedMs`. */
/** A sync's or an export's summary or progress, as the core writes it in JSON, in JavaScript's spelling. */
function fromSync (json) {
  const fields = {}
  for (const [key, value] of Object.entries(JSON.parse(json))) {
    const name = key.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
    if (name === 'elapsed') fields.elapsedMs = value * 1000
    else if (['start', 'until', 'downTo'].includes(name)) fields[name] = value === null ? null : new Date(value)
    else fields[name] = value
  }
  return fields
}

function text (value) {
  // An invalid Date has no ISO form: its text ('Invalid Date') goes to the core, whose rule for
  // dates refuses it with an InvalidQueryError naming the parameter.
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : String(value)
}

function entries (object) {
  return Object.entries(object ?? {}).map(([name, value]) => [name, String(value)])
}

/** `object` (params or options of `method`) with only the `known` names, or a ConfigError naming the stranger. */
function only (method, what, object, known) {
  const given = record(`the ${what} of ${method}`, object) ?? {}
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue
    const hint = name === 'pageSize'
      ? ': pass page_size with the parameters (the first argument), as the API names it'
      : ` (known: ${known.join(', ')})`
    throw new ConfigError(`${method} has no ${what.replace(/s$/, '')} named ${name}${hint}`)
  }
  return given
}

/** A query for the addon: the API's parameters, then this call's settings. */
function query (method, params, options, knownParams) {
  const given = only(method, 'parameters', params, knownParams)
  return {
    params: LIST_PARAMS.filter((name) => given[name] !== undefined && given[name] !== null)
      .map((name) => [name, text(given[name])]),
    extraQuery: entries(record('extraQuery', options.extraQuery)),
    extraHeaders: entries(record('extraHeaders', options.extraHeaders)),
    timeoutMs: typed('timeoutMs', options.timeoutMs, 'number'),
    maxRetries: typed('maxRetries', options.maxRetries, 'number')
  }
}

/** The query of a walk: its page size is the walk default unless the parameters name one. */
function walkQuery (method, params = {}, options = {}) {
  const given = only(method, 'parameters', params, WALK_PARAMS)
  return query(method, { ...given, page_size: given.page_size ?? CORE.DEFAULT_WALK_PAGE_SIZE }, options, WALK_PARAMS)
}

const NO_QUERY = query('nextPage', {}, {}, [])

function abortError (signal) {
  const reason = signal.reason
  if (reason instanceof Error) return reason
  const error = new Error('This operation was aborted')
  error.name = 'AbortError'
  error.code = 'ABORT_ERR'
  return error
}

/** Where the caller of `fn` stands: the stack a native error is reported with. */
function callSite (fn) {
  const site = new Error()
  Error.captureStackTrace(site, fn)
  return site
}

/**
 * Starts a native call with a cancellation that `signal` trips, and awaits it. On abort the promise
 * rejects at once with the signal's reason, and the native side drops the request in flight, its
 * retries and any read-ahead: nothing more reaches the server. `start(cancel)` makes the call.
 */
function call (signal, start, cancel = signal ? new native.NativeCancel() : null, site = callSite(call)) {
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

/**
 * The records of the core's JSON columns (its fields in their order, then each record's unknown
 * fields or null): one object literal per record, of the core's field names, generated once from
 * its list, so that every record has one shape and each time is a Date from the start.
 */
const fromColumns = (() => {
  const INSTANTS = ['instant', 'optional_instant']
  const values = CORE.RECORD_FIELDS.map((name, k) => {
    const value = `c${k}[i]`
    const kind = CORE.RECORD_FIELD_KINDS[name]
    const converted = INSTANTS.includes(kind) ? `(${value} === null ? null : new Date(${value}))` : value
    return `${JSON.stringify(name)}: ${converted}`
  })
  const columns = CORE.RECORD_FIELDS.map((_, k) => `c${k}`).join(', ')
  return new Function('columns', `
    const [${columns}, extra] = columns
    const records = new Array(extra.length)
    for (let i = 0; i < records.length; i++) {
      records[i] = { ${values.join(', ')}, extra: extra[i] ?? {} }
    }
    return records`)
})()

function toRecords (json) {
  return fromColumns(JSON.parse(json.toString()))
}

/**
 * The records of a walk, page by page: the next page is asked for before this one is parsed, so
 * that the addon checks and lays it out while JavaScript reads. Errors are reported where the walk
 * started; `tell(progress)` hears the walk's progress as JSON after each page. Ending early (an
 * abort, a `break`) drops the page asked for and closes the pager: no read-ahead lingers.
 */
async function * pages (pager, signal, tell = null) {
  const cancel = new native.NativeCancel()
  const site = callSite(pages)
  const next = () => {
    const page = call(signal, (c) => pager.nextPage(c), cancel, site)
    // Awaited on the next turn; until then its failure is not unhandled.
    page.catch(() => {})
    return page
  }
  try {
    let ahead = next()
    while (true) {
      const json = await ahead
      if (json === null) return
      // Read before the next page is asked for, which moves it on.
      const progress = tell && pager.progress()
      ahead = next()
      if (progress) tell(progress)
      yield toRecords(json)
    }
  } finally {
    cancel.cancel()
    pager.close().catch(() => {})
  }
}

/** The records of a walk, one by one. */
async function * walk (pager, signal) {
  for await (const records of pages(pager, signal)) {
    // A loop, not `yield*`: delegating to the array's iterator costs twice as much per record.
    for (let i = 0; i < records.length; i++) yield records[i]
  }
}

/** The HTTP answer that carried a page: status, headers (a `Headers`), request id, retries, time. */
function toResponse (nativeResponse) {
  const { status, headers, requestId, retries, elapsedMs } = nativeResponse
  return Object.freeze({ status, headers: new Headers(headers), requestId: requestId ?? null, retries, elapsedMs })
}

/** One page: `count` (all matching records), `data`, `page`, `page_size`, `response`; `for await` walks on. */
class CallLogPage {
  constructor (client, nativePage) {
    Object.defineProperty(this, '_client', { value: client })
    Object.defineProperty(this, '_native', { value: nativePage })
    this.count = nativePage.count
    this.page = nativePage.page
    this.page_size = nativePage.pageSize
    this.data = toRecords(nativePage.records())
    this.response = toResponse(nativePage.response())
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
    yield * walk(mapped(() => this._client.pager(NO_QUERY, null, null, this._native)))
  }
}

/** The pieces of an export: `{ records, text }` in order. Ending early closes the export. */
async function * chunks (exporter, signal) {
  const cancel = signal ? new native.NativeCancel() : null
  try {
    while (true) {
      const chunk = await call(signal, (c) => exporter.nextChunk(c), cancel)
      if (chunk === null) return
      yield chunk
    }
  } finally {
    exporter.close().catch(() => {})
  }
}

/**
 * Writes every chunk to `sink`, waiting when it asks to, and calls `tell` after each; the number
 * of records written. An error that stops it says how many in `rowsWritten`.
 */
async function writeAll (pieces, sink, tell = null) {
  let written = 0
  try {
    for await (const { records, text } of pieces) {
      if (sink.destroyed) throw sink.errored ?? new Error('the destination stream was destroyed')
      if (!sink.write(text)) await Promise.race([once(sink, 'drain'), once(sink, 'error')])
      written += records
      if (tell) await tell()
    }
  } catch (error) {
    if (error instanceof errors.CallLogsError) error.rowsWritten = written
    throw error
  }
  return written
}

/** The addon's callback for `onProgress` (`null` without one), its JSON read as `fromSync` reads it. */
function progressListener (onProgress) {
  if (onProgress === undefined) return null
  if (typeof onProgress !== 'function') {
    throw new ConfigError(`onProgress must be a function (got ${kindOf(onProgress)})`)
  }
  return (json) => onProgress(typeof json === 'string' ? fromSync(json) : json)
}

/** A walk's `limit` and `prefetch` for the addon (`null`: its default), checked for their types. */
function walkSettings ({ limit, prefetch }) {
  return [typed('limit', limit, 'number') ?? null, typed('prefetch', prefetch, 'number') ?? null]
}

/** `client.callLogs`: one page, an async iterator over all pages, everything at once, a file or a stream. */
class CallLogs {
  constructor (client) {
    Object.defineProperty(this, '_client', { value: client })
  }

  /** One request: the page the parameters ask for. */
  async list (params = {}, options = {}) {
    only('list', 'options', options, REQUEST_OPTIONS)
    const request = query('list', params, options, LIST_PARAMS)
    const page = await call(options.signal, (cancel) => this._client.list(request, cancel))
    return new CallLogPage(this._client, page)
  }

  /**
   * Every matching record in server order, in memory bounded by the window; at most `limit`.
   * `prefetch` pages (default 4, the concurrency of `all`) are requested while one is read; 0
   * fetches one page at a time. Leaving the loop early or aborting stops every request in flight.
   */
  iterate (params = {}, options = {}) {
    const { signal } = only('iterate', 'options', options, WALK_OPTIONS)
    const request = walkQuery('iterate', params, options)
    const pager = mapped(() => this._client.pager(request, ...walkSettings(options)))
    return walk(pager, signal)
  }

  /**
   * Every matching record in server order, at most `limit`; pages after the first are fetched
   * `concurrency` at a time, each checked as `iterate` checks it. `onProgress(progress)` hears
   * each page read.
   */
  async all (params = {}, options = {}) {
    const { concurrency = CORE.DEFAULT_CONCURRENCY, signal, onProgress } = only('all', 'options', options, ALL_OPTIONS)
    typed('concurrency', concurrency, 'number')
    const [limit] = walkSettings(options)
    const request = walkQuery('all', params, options)
    const listener = progressListener(onProgress)
    const pager = mapped(() => this._client.allPager(request, concurrency, limit))
    // Each page is read here while the next ones are fetched.
    const all = []
    for await (const records of pages(pager, signal, listener)) {
      for (let i = 0; i < records.length; i++) all.push(records[i])
    }
    return all
  }

  /**
   * Writes every matching record to a path or a writable stream, page by page in constant memory,
   * as CSV or NDJSON (`format`, else from the path's suffix). Resolves to the number of records
   * written. A stream given is not ended. A path is written complete or not at all (the records go
   * to `PATH.partial`, renamed into place once whole); an error that stops the export carries
   * `rowsWritten` and `partial`, and `resume: true` continues it exactly. `onProgress(progress)`
   * hears each page.
   */
  async export (destination, params = {}, options = {}) {
    const { signal, resume = false, onProgress } = only('export', 'options', options, EXPORT_OPTIONS)
    if (typeof destination !== 'string' && typeof destination?.write !== 'function') {
      throw new ConfigError(`export writes to a path or a writable stream (got ${kindOf(destination)})`)
    }
    typed('resume', resume, 'boolean')
    const listener = progressListener(onProgress)
    if (typeof destination === 'string') {
      const request = walkQuery('export', params, options)
      const format = typed('format', options.format, 'string') ?? null
      return call(signal, (cancel) => this._client.exportFile(
        request, ...walkSettings(options), format, destination, resume, listener, cancel))
    }
    if (resume) throw new ConfigError('resume continues an export into a file: give a path, not a stream')
    const exporter = this._exporter('export', params, options, null)
    return writeAll(chunks(exporter, signal), destination, listener && (async () => {
      const progress = await exporter.progress()
      if (progress !== null) listener(progress)
    }))
  }

  /**
   * Keeps a table of the matching records in step in `destination` (a file path: an embedded
   * SQLite database; `postgresql://...`; `parquet:DIR`: day-partitioned Parquet) and resolves to
   * what the run did. Resumable and exactly once: each window of `creation_time` is written with
   * the state that lets the next run go on.
   * `onProgress(progress)` hears each window written; aborting stops the run after the window
   * being written, which the next run goes on from.
   */
  async sync (destination, params = {}, options = {}) {
    const { signal, onProgress } = only('sync', 'options', options, SYNC_OPTIONS)
    if (typeof destination !== 'string') {
      throw new ConfigError(`sync keeps its table at a destination named by a string, a file path (got ${kindOf(destination)})`)
    }
    const listener = progressListener(onProgress)
    const request = query('sync', params, options, LIST_PARAMS)
    const settings = syncSettings(options)
    const summary = await call(signal, (cancel) => this._client.sync(destination, request, settings, listener, cancel))
    return fromSync(summary)
  }

  /** The addon's export of a walk; `path`'s suffix names the format when `options.format` does not. */
  _exporter (method, params, options, path) {
    const request = walkQuery(method, params, options)
    const format = typed('format', options.format, 'string') ?? null
    return mapped(() => this._client.exporter(request, ...walkSettings(options), format, path))
  }

  /**
   * The walk as a Node `Readable`: records (object mode) without `format`, or the bytes of CSV or
   * NDJSON with it. Destroying the stream stops every request.
   */
  stream (params = {}, options = {}) {
    const { signal, format } = only('stream', 'options', options, STREAM_OPTIONS)
    if (format === undefined) {
      const { format: _, ...walkOptions } = options
      return Readable.from(this.iterate(params, walkOptions))
    }
    const exporter = this._exporter('stream', params, options, null)
    return Readable.from((async function * () {
      for await (const { text } of chunks(exporter, signal)) yield text
    })(), { objectMode: false })
  }
}

/** Hands an event from the addon to the client's listeners; a listener that throws is reported as uncaught. */
function deliver (events, json) {
  if (events.eventNames().length === 0) return
  const { name, ...fields } = JSON.parse(json)
  // The core's details in JavaScript's spelling: camelCase, durations in milliseconds as `...Ms`.
  const detail = {}
  for (const [key, value] of Object.entries(fields)) {
    if (CORE.EVENT_DURATION_KEYS.includes(key)) detail[`${errors.camelCase(key)}Ms`] = value * 1000
    else detail[errors.camelCase(key)] = value
  }
  try {
    events.emit(name, detail)
  } catch (error) {
    queueMicrotask(() => { throw error })
  }
}

/** The client settings of `options`, checked for their types (the core checks their ranges). */
function clientSettings (options, names) {
  const types = { token: 'string', orgHandle: 'string', baseUrl: 'string', timeoutMs: 'number', maxRetries: 'number', verifyFilters: 'boolean', caFile: 'string', dialect: 'string' }
  const settings = {}
  for (const name of names) {
    settings[name] = name === 'headers' ? record('headers', options.headers) : typed(name, options[name], types[name])
  }
  return settings
}

/**
 * A client of the call-logs endpoint. Options fall back to `UNPOD_PLATFORM_TOKEN`,
 * `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`; the token never shows in `util.inspect` or `JSON.stringify`.
 */
class Client {
  constructor (options = {}) {
    const names = ['token', 'orgHandle', 'baseUrl', 'timeoutMs', 'maxRetries', 'headers', 'verifyFilters', 'caFile', 'dialect']
    const settings = clientSettings(only('Client', 'options', options, names), names)
    const events = new EventEmitter()
    this._adopt(mapped(() => new native.NativeClient(settings, (json) => deliver(events, json))), events)
  }

  _adopt (client, events) {
    Object.defineProperty(this, '_native', { value: client })
    Object.defineProperty(this, '_events', { value: events })
    this.callLogs = new CallLogs(client)
  }

  /** The endpoint's URL. */
  get endpoint () {
    return this._native.endpoint
  }

  /**
   * Closes the connections of this client and of its `withOptions` copies (idle ones now, those
   * of a walk in progress when it ends); later calls reject with a `ConfigError`.
   */
  close () {
    this._native.close()
  }

  /**
   * A copy with the settings given changed (`headers` are added); it shares this client's
   * connections and its event listeners.
   */
  withOptions (options = {}) {
    const names = ['timeoutMs', 'maxRetries', 'headers', 'verifyFilters']
    const settings = clientSettings(only('withOptions', 'options', options, names), names)
    const copy = Object.create(Client.prototype)
    copy._adopt(mapped(() => this._native.withOptions(settings)), this._events)
    return copy
  }

  /** Calls `listener(detail)` on each `request`, `response` or `retry` of this client and its copies. */
  on (event, listener) {
    this._events.on(eventName(event), listener)
    return this
  }

  /** `on`, for the next event only. */
  once (event, listener) {
    this._events.once(eventName(event), listener)
    return this
  }

  /** Removes a listener added with `on` or `once`. */
  off (event, listener) {
    this._events.off(eventName(event), listener)
    return this
  }

  toJSON () {
    return { endpoint: this.endpoint, token: '***' }
  }

  [util.inspect.custom] () {
    return `Client { endpoint: '${this.endpoint}', token: '***' }`
  }
}

function eventName (event) {
  if (!EVENTS.includes(event)) {
    throw new ConfigError(`a client has no event named ${util.inspect(event)} (it has ${EVENTS.join(', ')})`)
  }
  return event
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
  ServerContractError: errors.ServerContractError,
  DestinationError: errors.DestinationError
}
