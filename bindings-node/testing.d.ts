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
