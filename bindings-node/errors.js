'use strict'
// The error classes of unpod-calllogs, and the one mapping from the native addon's errors to them.

const ERROR_MARK = 'unpod-calllogs-error:'

/** Base of every error thrown by unpod-calllogs. */
class CallLogsError extends Error {
  constructor (message, details = {}) {
    super(message)
    this.name = new.target.name
    this.code = details.code ?? 'calllogs_error'
    this.status = details.status
    this.body = details.body
    // An error that stopped an export: the records written (for a path, those in its partial
    // file, which `resume: true` continues) and that file's path; null elsewhere.
    this.rowsWritten = details.rowsWritten ?? null
    this.partial = details.partial ?? null
  }
}

/** A client setting or walk option is missing, of the wrong type, or out of range; thrown before any request. */
class ConfigError extends CallLogsError {
  constructor (message, details = {}) {
    super(message, { code: 'config', ...details })
  }
}

/** A request went wrong. */
class APIError extends CallLogsError {}

/** The server answered with a status other than 2xx. */
class APIStatusError extends APIError {
  constructor (message, details = {}) {
    super(message, { code: 'api_status', ...details })
    this.requestId = details.requestId ?? null
    this.retryAfter = details.retryAfter ?? null
  }
}
class BadRequestError extends APIStatusError {}
class AuthenticationError extends APIStatusError {}
class PermissionDeniedError extends APIStatusError {}
class NotFoundError extends APIStatusError {}
class RateLimitError extends APIStatusError {}
class InternalServerError extends APIStatusError {}

/** The server could not be reached, or the connection broke off. */
class APIConnectionError extends APIError {
  constructor (message, details = {}) {
    super(message, { code: 'connection', ...details })
  }
}

/** No complete answer within the timeout. */
class APITimeoutError extends APIConnectionError {
  constructor (message, details = {}) {
    super(message, { code: 'timeout', ...details })
  }
}

/** A 2xx answer whose body is not a page of call logs. */
class DecodeError extends APIError {
  constructor (message, details = {}) {
    super(message, { code: 'decode', ...details })
  }
}

/** A filter breaks a rule of the API; thrown before any request is sent. */
class InvalidQueryError extends CallLogsError {
  constructor (message, details = {}) {
    super(message, { code: 'invalid_query', ...details })
    this.parameter = details.parameter
    this.rule = details.rule
    this.value = details.value ?? null
  }
}

/**
 * The server answered in a way the API rules out, so the records cannot be trusted. `violation` says
 * how: `filter_not_applied` (`parameter`, `value` and the offending `record`), `page_mismatch`,
 * `repeated_page` or `unbounded`. Nothing after the offending page is returned.
 */
class ServerContractError extends CallLogsError {
  constructor (message, details = {}) {
    super(message, { code: 'server_contract', ...details })
    this.violation = details.violation
    this.parameter = details.parameter ?? null
    this.value = details.value ?? null
    this.record = details.record == null ? null : JSON.parse(details.record)
    this.previousRecord = details.previousRecord == null ? null : JSON.parse(details.previousRecord)
    this.page = details.page ?? null
  }
}

/** A sync's destination failed: it cannot be opened or written, or its table is kept in step with other filters. */
class DestinationError extends CallLogsError {
  constructor (message, details = {}) {
    super(message, { code: 'destination', ...details })
  }
}

/** The class of each kind of error the core names (`native.constants()`'s `ERROR_KINDS`). */
const BY_KIND = {
  bad_request: BadRequestError,
  authentication: AuthenticationError,
  permission_denied: PermissionDeniedError,
  not_found: NotFoundError,
  rate_limit: RateLimitError,
  internal_server: InternalServerError,
  api_status: APIStatusError,
  timeout: APITimeoutError,
  connection: APIConnectionError,
  decode: DecodeError,
  invalid_query: InvalidQueryError,
  config: ConfigError,
  server_contract: ServerContractError,
  destination: DestinationError
}

/** A name of the core (snake_case) as JavaScript spells it: `request_id` is `requestId`. */
function camelCase (name) {
  return name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
}

/**
 * The package's error for an error of the native addon (others pass through unchanged). `site`, an
 * Error made where the caller called the library, lends its stack so that it points at their code.
 */
function fromNative (error, site) {
  const text = error && typeof error.message === 'string' ? error.message : ''
  if (!text.startsWith(ERROR_MARK)) return error
  // The core's details, keys in camelCase (`request_id` is `requestId`).
  const detail = {}
  for (const [key, value] of Object.entries(JSON.parse(text.slice(ERROR_MARK.length)))) {
    detail[camelCase(key)] = value
  }
  const { message, kind } = detail
  const Class = BY_KIND[kind] ?? CallLogsError
  const made = new Class(message, detail)
  const frames = (site ?? error).stack
  if (frames) made.stack = `${made.name}: ${message}\n${frames.split('\n').slice(1).join('\n')}`
  return made
}

/** Runs `fn`, rethrowing native errors as the package's. */
function mapped (fn) {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

module.exports = {
  camelCase,
  CallLogsError,
  ConfigError,
  APIError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  DecodeError,
  InvalidQueryError,
  ServerContractError,
  DestinationError,
  BY_KIND,
  fromNative,
  mapped
}
