/** How the reference server behaves. */
export interface ReferenceServerOptions {
  /** How many records the organization has (default 1000). */
  records?: number
  /** The seed of the generated data and of every random decision (default 42). */
  seed?: number
  /** Milliseconds added before every answer. */
  latencyMs?: number
  /** The share (0 to 1) of requests answered 500 or 503. */
  errorRate?: number
  /** The share (0 to 1) of requests answered 429. */
  throttleRate?: number
  /** The `Retry-After` of 429 answers, in seconds (default 1). */
  retryAfterSecs?: number
  /** Statuses of the first answers, in order (e.g. `[503, 429]`), before normal service. */
  script?: number[]
  /** New calls added before each answer. */
  liveInserts?: number
  /** Calls added before each answer, each created up to `lateByMs` before the newest: logs that arrive late. */
  lateInserts?: number
  /** How far before the newest call a late call may be created, in milliseconds (default an hour). */
  lateByMs?: number
  /** A named contract violation (`calllogs-contract serve --list-faults`). */
  fault?: string
  /** A real server to behave like, over the other options: `'unpod-v2'` or `'drf-pagination'` (`calllogs-contract serve --emulate`). */
  emulate?: 'unpod-v2' | 'drf-pagination'
  /** Serve at most this many records a page, silently (Django REST framework's `max_page_size`). */
  pageSizeCap?: number
  /** The page size when none is sent (the API's is 20). */
  defaultPageSize?: number
  /** The answer to a page past the last. */
  pastLast?: 'empty' | '400' | '404'
  /** When the generated history ends (default 2026-03-01, so that runs repeat); `'now'` makes "the last week" hold calls. */
  endAt?: 'now' | Date | string
  /** Compress answers with gzip when the request allows it. */
  compression?: boolean
  /** Bytes a second each connection may send: a slow link (2,500,000 is 20 Mbit/s). */
  bandwidth?: number
  /** Filters accepted and not applied. */
  ignoredFilters?: Array<'call_type' | 'call_status' | 'start_date' | 'end_date'>
  /** Read `start_time` / `end_time` in `DD-MM-YYYY HH:MM:SS` as date bounds, as the public Unpod v2 code does. */
  legacyDateParams?: boolean
  /** Match `call_type` / `call_status` without regard to case. */
  caseInsensitiveEnums?: boolean
  /** Accept any `page_size`: above 1000 served, 0 an empty page. */
  pageSizeUnbounded?: boolean
  /** Answer 400 to requests without this header (the public Unpod code requires `Product-Id`). */
  requiredHeader?: string
  /** Records as the real server sends them: fields the API does not define, fractional durations. */
  realWorldRecords?: boolean
}

/** The reference server of the call-logs API, in process, on 127.0.0.1. */
export declare class ReferenceServer {
  /** Starts a server on 127.0.0.1, on a free port. */
  static start(options?: ReferenceServerOptions): Promise<ReferenceServer>
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** The token that reads the organization. */
  readonly token: string
  /** The organization's handle. */
  readonly orgHandle: string
  /** How many requests it has answered. */
  readonly requests: number
  /** The most requests it was answering at one time. */
  readonly peakConcurrency: number
  /** Stops the server. */
  stop(): Promise<void>
}
