'use strict'
// How long until every record is processed: walks against a reference server in another process,
// at several added latencies (and optionally over a slow, compressing link), in one run.
//   cargo build --release -p calllogs-contract
//   node walks.js [--records 20000] [--latency-ms 0,5,50] [--rounds 3] [--bandwidth B --compress]
//                 [--memory-records 1000000] [--server target/release/calllogs-contract]
// Every variant reads creation_time (as a Date), call_status and call_duration of every record.
// Prints, per latency, the median of each, its ratio to the sequential fetch loop, to all() and to
// the transport floor with as many pages in flight (floor.js: one for the sequential walks, four for
// the others), and the floors themselves; rounds rotate the order. Run from a folder where
// 'unpod-calllogs' resolves.

const { spawn } = require('node:child_process')
const path = require('node:path')
const { once } = require('node:events')
const readline = require('node:readline')
const { parseArgs } = require('node:util')

const { Client } = require('unpod-calllogs')
const { floorMs } = require('./floor.js')

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    'latency-ms': { type: 'string', default: '0,5,50' },
    rounds: { type: 'string', default: '3' },
    bandwidth: { type: 'string' },
    compress: { type: 'boolean', default: false },
    'memory-records': { type: 'string', default: '0' },
    server: { type: 'string', default: path.join(__dirname, '..', '..', 'target', 'release', 'calllogs-contract') }
  }
})
const RECORDS = Number(args.records)
const ROUNDS = Number(args.rounds)
const PAGE_SIZE = 100
const CONCURRENCY = 4

/** `calllogs-contract serve` in its own process, on a free port. */
async function startServer (records, extra) {
  const child = spawn(args.server, ['serve', '--port', '0', '--records', String(records), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: child.stdout })
  const [banner] = await once(lines, 'line')
  const url = banner.split(' ').pop()
  if (!url.startsWith('http://')) throw new Error(`unexpected banner: ${banner}`)
  return {
    url,
    token: 'test-token',
    orgHandle: 'acme',
    stop: async () => { child.kill(); await once(child, 'exit') }
  }
}

function touchRecord (record) {
  return record.creation_time.getTime() + record.call_duration + record.call_status.length
}

function touchWire (records) {
  let sum = 0
  for (const r of records) sum += new Date(r.creation_time).getTime() + r.call_duration + r.call_status.length
  return sum
}

function variants (server) {
  const endpoint = `${server.url}/api/v2/platform/call-logs/`
  const headers = { Authorization: `Token ${server.token}`, 'Org-Handle': server.orgHandle }
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })
  const get = async (page) => JSON.parse(await (await fetch(`${endpoint}?page=${page}&page_size=${PAGE_SIZE}`, { headers })).text())

  async function fetchSequential () {
    let count = 0
    for (let page = 1; ; page++) {
      const { data } = await get(page)
      touchWire(data)
      count += data.length
      if (data.length < PAGE_SIZE) return count
    }
  }

  async function fetchConcurrent () {
    const first = await get(1)
    touchWire(first.data)
    let count = first.data.length
    const pages = Math.ceil(first.count / PAGE_SIZE)
    for (let start = 2; start <= pages; start += CONCURRENCY) {
      const batch = []
      for (let page = start; page < Math.min(start + CONCURRENCY, pages + 1); page++) batch.push(get(page))
      for (const { data } of await Promise.all(batch)) {
        touchWire(data)
        count += data.length
      }
    }
    return count
  }

  const iterate = (prefetch) => async () => {
    let count = 0
    for await (const record of client.callLogs.iterate({ page_size: PAGE_SIZE }, { prefetch })) {
      touchRecord(record)
      count++
    }
    return count
  }

  async function all () {
    const records = await client.callLogs.all({ page_size: PAGE_SIZE }, { concurrency: CONCURRENCY })
    for (const record of records) touchRecord(record)
    return records.length
  }

  // Each with the pages it has in flight, the floor's for its row.
  return {
    'fetch + JSON.parse + Date': [fetchSequential, 1],
    'fetch, 4 pages at once': [fetchConcurrent, CONCURRENCY],
    'iterate, prefetch 0': [iterate(0), 1],
    'iterate, prefetch 1': [iterate(1), 1],
    'iterate, prefetch 4': [iterate(4), CONCURRENCY],
    'all({ concurrency: 4 })': [all, CONCURRENCY]
  }
}

async function measure (server) {
  const runs = Object.fromEntries(Object.entries(variants(server)).map(([name, [run]]) => [name, run]))
  const names = Object.keys(runs)
  const times = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const shift = round % names.length
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const started = process.hrtime.bigint()
      const count = await runs[name]()
      times[name].push(Number(process.hrtime.bigint() - started) / 1e6)
      if (count !== RECORDS) throw new Error(`${name} counted ${count}, expected ${RECORDS}`)
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return Object.fromEntries(names.map((name) => [name, median(times[name])]))
}

async function main () {
  const link = [...(args.compress ? ['--compress'] : []), ...(args.bandwidth ? ['--bandwidth', args.bandwidth] : [])]
  for (const latency of args['latency-ms'].split(',').map(Number)) {
    const server = await startServer(RECORDS, ['--latency-ms', String(latency), ...link])
    let medians, floors
    try {
      medians = await measure(server)
      floors = new Map([1, CONCURRENCY].map((inFlight) =>
        [inFlight, floorMs(server, { pageSize: PAGE_SIZE, rounds: ROUNDS, expected: RECORDS, inFlight })]))
    } finally {
      await server.stop()
    }
    const inFlight = Object.fromEntries(Object.entries(variants(server)).map(([name, [, pages]]) => [name, pages]))
    const peer = medians['fetch + JSON.parse + Date']
    const everything = medians['all({ concurrency: 4 })']
    const shape = (args.bandwidth ? `, ${args.bandwidth} B/s` : '') + (args.compress ? ', gzip' : '')
    console.log(`${RECORDS} records, page_size ${PAGE_SIZE}, ${latency} ms per request${shape}; median of ${ROUNDS}`)
    for (const [name, ms] of Object.entries(medians)) {
      const floor = floors.get(inFlight[name])
      console.log(`  ${name.padEnd(28)} ${ms.toFixed(1).padStart(9)} ms ${(peer / ms).toFixed(2).padStart(6)}x faster than the fetch loop ${(ms / everything).toFixed(2).padStart(5)}x the time of all() ${(ms / floor).toFixed(2).padStart(5)}x the floor (${inFlight[name]} in flight)`)
    }
    for (const [pages, ms] of floors) {
      console.log(`  ${`transport floor, ${pages} in flight`.padEnd(28)} ${ms.toFixed(1).padStart(9)} ms`)
    }
  }

  const memoryRecords = Number(args['memory-records'])
  if (memoryRecords > 0) {
    const server = await startServer(memoryRecords, [])
    const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })
    const marks = []
    let index = 0
    let peak = 0
    for await (const record of client.callLogs.iterate({ page_size: 1000 }, { prefetch: 4 })) {
      touchRecord(record)
      if (index++ % (memoryRecords / 100) === 0) peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20)
      if (index % (memoryRecords / 10) === 1) marks.push(peak)
    }
    await server.stop()
    console.log(`peak RSS of this process while iterating ${memoryRecords} records, prefetch 4 (server in another process):`)
    console.log(`  ${marks.map((m) => m.toFixed(0)).join(', ')} MiB at each tenth; growth after the first tenth: ${(peak - marks[1]).toFixed(1)} MiB`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
