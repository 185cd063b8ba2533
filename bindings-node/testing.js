'use strict'
// The reference server of the call-logs API, in process, for your own tests.

const native = require('./native.js')

/** A faithful in-memory server of the call-logs API on 127.0.0.1, with seeded data. */
class ReferenceServer {
  constructor (server) {
    Object.defineProperty(this, '_native', { value: server })
    this.url = server.url
    this.token = server.token
    this.orgHandle = server.orgHandle
  }

  /**
   * Starts a server: `{ records, seed, latencyMs, errorRate, throttleRate, retryAfter, script, liveInserts, fault }`,
   * the ways real servers paginate and filter: `{ pageSizeCap, defaultPageSize, pastLast, ignoreFilters }`,
   * and a real link: `{ compression, bandwidth }`.
   */
  static async start (options = {}) {
    const endAt = options.endAt instanceof Date ? options.endAt.toISOString() : options.endAt
    return new ReferenceServer(await native.NativeReferenceServer.start({ ...options, endAt }))
  }

  /** How many requests the server has answered. */
  get requests () {
    return this._native.requests
  }

  /** The most requests the server was answering at one time. */
  get peakConcurrency () {
    return this._native.peakConcurrency
  }

  /** Stops the server. */
  async stop () {
    await this._native.stop()
  }
}

module.exports = { ReferenceServer }
