export interface ReferenceServerOptions {
  records?: number
  seed?: number
  latencyMs?: number
  errorRate?: number
  throttleRate?: number
  retryAfter?: number
  script?: number[]
  liveInserts?: number
  fault?: string
  /** Serve at most this many records a page, silently (Django REST framework's `max_page_size`). */
  pageSizeCap?: number
  /** The page size when none is sent (the API's is 20). */
  defaultPageSize?: number
  /** The answer to a page past the last. */
  pastLast?: 'empty' | '400' | '404'
  /** When the generated history ends (default 2026-03-01, so that runs repeat); `'now'` makes "the last week" hold calls. */
  endAt?: 'now' | Date | string
  /** Filters accepted and not applied. */
  ignoreFilters?: Array<'call_type' | 'call_status' | 'start_date' | 'end_date'>
}

/** The reference server of the call-logs API, in process, on 127.0.0.1. */
export declare class ReferenceServer {
  static start(options?: ReferenceServerOptions): Promise<ReferenceServer>
  readonly url: string
  readonly token: string
  readonly orgHandle: string
  readonly requests: number
  readonly peakConcurrency: number
  stop(): Promise<void>
}
