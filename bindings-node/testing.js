'use strict'
// The reference server of the call-logs API, in process, for your own tests.

const native = require('./native.js')

/** The options as the core names them: `pageSizeCap` is `page_size_cap`, `latencyMs` is `latency` in seconds. */
function serverOptions (options) {
  const named = {}
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue
    const snake = key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
    if (snake.endsWith('_ms') && typeof value === 'number') named[snake.slice(0, -3)] = value / 1000
    else named[snake] = value instanceof Date ? value.toISOString() : value
  }
  return named
}

/** A faithful in-memory server of the call-logs API on 127.0.0.1, with seeded data. */
class ReferenceServer {
  constructor (server) {
    Object.defineProperty(this, '_native', { value: server })
    this.url = server.url
    this.token = server.token
    this.orgHandle = server.orgHandle
  }

  /**
   * Starts a server. Every option is a knob of the Rust reference server under its name in
   * camelCase (`native.constants().REFERENCE_OPTIONS` lists them in snake_case; `testing.d.ts`
   * is checked against that list), a duration in milliseconds with the suffix `Ms`.
   */
  static async start (options = {}) {
    return new ReferenceServer(await native.NativeReferenceServer.start(JSON.stringify(serverOptions(options))))
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
