import cjs from './index.js'

export const {
  Client, CallLogs, CallLogPage, CallType, CallStatus, recordsFromJson,
  CallLogsError, APIError, APIStatusError, BadRequestError, AuthenticationError, PermissionDeniedError,
  NotFoundError, RateLimitError, InternalServerError, APIConnectionError, APITimeoutError, DecodeError,
  InvalidQueryError
} = cjs
export default cjs
