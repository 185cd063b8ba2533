'use strict'
// The transport floor (core/examples/transport_floor): a Rust loop on the client's own HTTP stack
// that fetches the pages a walk would and drops their bodies, in a process of its own. What no
// client can go below: the benchmarks show each path's time as a multiple of it. Its binary is
// TRANSPORT_FLOOR, else the checkout's release build of it.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const BINARY = process.env.TRANSPORT_FLOOR ||
  path.join(__dirname, '..', '..', 'target', 'release', 'examples', 'transport_floor')

/** The median over `rounds` of the floor's walk of `server`, in ms (each round timed inside the floor's process). */
function floorMs (server, { pageSize, rounds, expected, inFlight }) {
  const run = spawnSync(BINARY, [`${server.url}/api/v2/platform/call-logs/`, String(pageSize), String(rounds), String(inFlight)], {
    env: { ...process.env, UNPOD_TOKEN: server.token, UNPOD_ORG_HANDLE: server.orgHandle },
    encoding: 'utf8'
  })
  if (run.status !== 0) {
    throw new Error(`the transport floor (${BINARY}) failed: ${run.error ?? run.stderr}; ` +
      'build it with cargo build --release -p unpod-calllogs --example transport_floor, or set TRANSPORT_FLOOR')
  }
  const times = run.stdout.trim().split('\n').map((line) => {
    const [count, seconds] = line.split(' ').map(Number)
    if (count !== expected) throw new Error(`the floor counted ${count}, expected ${expected}`)
    return seconds * 1e3
  })
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

module.exports = { floorMs }
