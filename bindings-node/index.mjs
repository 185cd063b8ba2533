import cjs from './index.js'

export const {
  Client, CallLogs, CallLogPage, CallType, CallStatus, recordsFromJson,
  CallLogsError, APIError, APIStatusError, BadRequestError, AuthenticationError, PermissionDeniedError,
  NotFoundError, RateLimitError, InternalServerError, APIConnectionError, APITimeoutError, DecodeError,
  InvalidQueryError, ServerContractError, ConfigError, DestinationError
} = cjs
export default cjs
