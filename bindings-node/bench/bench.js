'use strict'
// Speed of unpod-calllogs against what a Node user would otherwise write, in one run:
//   node bench/bench.js [records=100000] [rounds=3] [memoryRecords=1000000] [latencyMs=0]
// Iterates `records` records (page_size 100) with `for await`, with all({ concurrency: 4 }), and with
// fetch + JSON.parse page loops (with and without Date conversion of the three time fields), each
// also as a multiple of the transport floor with as many pages in flight (floor.js: the same pages
// fetched and dropped by a Rust loop, one at a time for the fetch loops, IN_FLIGHT for ours); then
// the resident memory while iterating a large result. Run from a folder where 'unpod-calllogs'
// resolves (scripts/test.sh installs it; from the package folder it resolves to itself).

const { Client } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')
const { floorMs } = require('./floor.js')

const [records = 100000, rounds = 3, memoryRecords = 1000000, latencyMs = 0] = process.argv.slice(2).map(Number)
const PAGE_SIZE = 100
// The pages ours has in flight: iterate's prefetch and all's concurrency.
const IN_FLIGHT = 4

async function median (fn, expected) {
  const times = []
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint()
    const count = await fn()
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
    if (count !== expected) throw new Error(`counted ${count}, expected ${expected}`)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

async function main () {
  const server = await ReferenceServer.start({ records, seed: 42, latencyMs })
  const endpoint = `${server.url}/api/v2/platform/call-logs/`
  const headers = { Authorization: `Token ${server.token}`, 'Org-Handle': server.orgHandle }
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })

  async function fetchLoop (withDates) {
    let count = 0
    for (let page = 1; ; page++) {
      const response = await fetch(`${endpoint}?page=${page}&page_size=${PAGE_SIZE}`, { headers })
      const { data } = JSON.parse(await response.text())
      if (withDates) {
        for (const r of data) {
          r.creation_time = new Date(r.creation_time)
          r.start_time = r.start_time === null ? null : new Date(r.start_time)
          r.end_time = r.end_time === null ? null : new Date(r.end_time)
        }
      }
      count += data.length
      if (data.length < PAGE_SIZE) return count
    }
  }

  async function iterate () {
    let count = 0
    for await (const record of client.callLogs.iterate({ page_size: PAGE_SIZE }, { prefetch: IN_FLIGHT })) {
      if (record.creation_time) count++
    }
    return count
  }

  const runs = [
    ['fetch + JSON.parse + Dates (baseline)', () => fetchLoop(true), 1],
    ['fetch + JSON.parse', () => fetchLoop(false), 1],
    ['for await client.callLogs.iterate()', iterate, IN_FLIGHT],
    [`client.callLogs.all({ concurrency: ${IN_FLIGHT} })`, async () => (await client.callLogs.all({ page_size: PAGE_SIZE }, { concurrency: IN_FLIGHT })).length, IN_FLIGHT]
  ]
  console.log(`iterate ${records} records, page_size ${PAGE_SIZE}, median of ${rounds}, ${latencyMs} ms added per request (reference server in process)`)
  const floors = new Map([1, IN_FLIGHT].map((inFlight) => [inFlight, floorMs(server, { pageSize: PAGE_SIZE, rounds, expected: records, inFlight })]))
  let base
  for (const [name, fn, inFlight] of runs) {
    const ms = await median(fn, records)
    base = base ?? ms
    console.log(`  ${name.padEnd(42)} ${ms.toFixed(1).padStart(9)} ms ${(records / ms * 1000).toFixed(0).padStart(10)} rec/s ${(base / ms).toFixed(2).padStart(6)}x faster than baseline ${(ms / floors.get(inFlight)).toFixed(2).padStart(6)}x the floor (${inFlight} in flight)`)
  }
  for (const [inFlight, ms] of floors) {
    console.log(`  ${`transport floor, ${inFlight} in flight`.padEnd(42)} ${ms.toFixed(1).padStart(9)} ms ${(records / ms * 1000).toFixed(0).padStart(10)} rec/s`)
  }
  await server.stop()

  if (memoryRecords > 0) {
    const big = await ReferenceServer.start({ records: memoryRecords, seed: 1 })
    const c = new Client({ token: big.token, orgHandle: big.orgHandle, baseUrl: big.url })
    const marks = []
    let index = 0
    for await (const record of c.callLogs.iterate({ page_size: 1000 })) {
      if (index++ % (memoryRecords / 10) === 0 && record) {
        global.gc?.()
        marks.push(process.memoryUsage().rss / 2 ** 20)
      }
    }
    console.log(`memory while iterating ${memoryRecords} records (RSS MiB at each tenth, server included):`)
    console.log(`  ${marks.map((m) => m.toFixed(0)).join(' ')}  -> growth after the first tenth: ${(marks[marks.length - 1] - marks[1]).toFixed(1)} MiB`)
    await big.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
