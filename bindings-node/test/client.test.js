'use strict'
// Runs against the packed and installed package (scripts/test.sh copies this folder next to it).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const http = require('node:http')

const calllogs = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')
const {
  Client, CallLogPage, CallStatus, CallType, recordsFromJson,
  CallLogsError, APIError, APIStatusError, BadRequestError, AuthenticationError, PermissionDeniedError,
  NotFoundError, RateLimitError, InternalServerError, APIConnectionError, APITimeoutError, DecodeError,
  InvalidQueryError, ConfigError
} = calllogs

let server
let client
let everything

test.before(async () => {
  server = await ReferenceServer.start({ records: 500, seed: 7 })
  client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })
  everything = await client.callLogs.all({ page_size: 1000 })
})

test.after(async () => {
  await server.stop()
})

async function collect (iterable) {
  const out = []
  for await (const item of iterable) out.push(item)
  return out
}

test('the package is the installed one', () => {
  assert.match(require.resolve('unpod-calllogs'), /node_modules/)
})

test('a page has count, data and its position', async () => {
  const page = await client.callLogs.list({ page: 2, page_size: 25 })
  assert.ok(page instanceof CallLogPage)
  assert.deepEqual([page.count, page.page, page.page_size, page.data.length], [500, 2, 25, 25])
  assert.ok(page.hasNextPage())
  const next = await page.nextPage()
  assert.equal(next.page, 3)
  assert.deepEqual(next.data, everything.slice(50, 75))
  const last = await client.callLogs.list({ page: 5, page_size: 100 })
  assert.equal(last.hasNextPage(), false)
  assert.equal(await last.nextPage(), null)
})

test('records are plain objects with Dates and the wire names', async () => {
  const [record] = (await client.callLogs.list({ page_size: 1 })).data
  assert.ok(record.creation_time instanceof Date)
  assert.deepEqual(Object.keys(record), [
    'source_number', 'destination_number', 'call_type', 'call_status', 'creation_time',
    'start_time', 'end_time', 'call_duration', 'end_reason', 'extra'
  ])
  assert.deepEqual(record.extra, {})
  if (record.start_time === null) {
    assert.equal(record.end_time, null)
    assert.equal(record.call_duration, 0)
  } else {
    assert.equal((record.end_time - record.start_time) / 1000, record.call_duration)
  }
  assert.match(record.source_number, /^\+[1-9]\d+$/)
})

test('real-server shapes are kept', () => {
  const body = fs.readFileSync(path.join(__dirname, 'real-server-page.json'))
  const [first, second] = recordsFromJson(body)
  assert.equal(first.call_type, 'both')
  assert.equal(first.call_status, 'connected')
  assert.equal(first.call_duration, 90.5)
  assert.deepEqual(first.extra.bridge, { slug: 'sales-line', name: 'Sales' })
  assert.equal(first.extra.id, 91842)
  assert.equal(first.bridge, undefined, 'unknown fields live under extra only')
  assert.equal(first.creation_time.toISOString(), '2026-02-07T05:57:00.123Z')
  assert.equal(second.call_status, 'FAILED')
  assert.throws(() => recordsFromJson('<html>'), DecodeError)
})

test('every filter selects exactly the matching records', async () => {
  for (const callType of Object.values(CallType)) {
    const page = await client.callLogs.list({ call_type: callType, page_size: 1000 })
    assert.deepEqual(page.data, everything.filter((r) => r.call_type === callType))
  }
  for (const status of Object.values(CallStatus)) {
    const page = await client.callLogs.list({ call_status: status, page_size: 1000 })
    const expected = everything.filter((r) => r.call_status === status)
    assert.ok(expected.length > 0)
    assert.deepEqual(page.data, expected)
    assert.equal(page.count, expected.length)
  }
  const from = new Date('2026-02-10T00:00:00Z')
  const until = new Date('2026-02-13T00:00:00Z')
  const expected = everything.filter((r) => r.creation_time >= from && r.creation_time < until)
  for (const [start, end] of [['2026-02-10', '2026-02-12'], [from, new Date(until - 1)], ['2026-02-10T05:30:00+05:30', '2026-02-12T23:59:59.999Z']]) {
    const page = await client.callLogs.list({ start_date: start, end_date: end, page_size: 1000 })
    assert.deepEqual(page.data, expected)
  }
})

test('iterate walks every page in order, with a limit', async () => {
  for (const pageSize of [1, 7, 100, 1000]) {
    for (const prefetch of [undefined, 0, 1, 4, 64]) {
      assert.deepEqual(await collect(client.callLogs.iterate({ page_size: pageSize }, { prefetch })), everything)
    }
  }
  for (const prefetch of [-1, 65, 1.5, '4', NaN]) {
    assert.throws(() => client.callLogs.iterate({}, { prefetch }), ConfigError)
  }
  assert.deepEqual(await collect(client.callLogs.iterate({ page_size: 30 }, { limit: 45 })), everything.slice(0, 45))
  const missed = await collect(client.callLogs.iterate({ call_status: 'missed', page_size: 33 }))
  assert.deepEqual(missed, everything.filter((r) => r.call_status === 'missed'))
})

test('for await over a page walks on to the last one', async () => {
  const page = await client.callLogs.list({ page: 3, page_size: 40 })
  assert.deepEqual(await collect(page), everything.slice(80))
})

test('all fetches pages concurrently, in server order', async () => {
  const slow = await ReferenceServer.start({ records: 300, latencyMs: 50 })
  try {
    const c = new Client({ token: slow.token, orgHandle: slow.orgHandle, baseUrl: slow.url })
    const records = await c.callLogs.all({ page_size: 20 }, { concurrency: 4 })
    assert.equal(records.length, 300)
    assert.equal(slow.peakConcurrency, 4)
    assert.deepEqual(records, await collect(c.callLogs.iterate({ page_size: 300 })))
  } finally {
    await slow.stop()
  }
})

test('invalid filters throw InvalidQueryError before any request', async () => {
  const before = server.requests
  for (const [params, parameter] of [
    [{ page_size: 0 }, 'page_size'], [{ page_size: 1001 }, 'page_size'], [{ page: 0 }, 'page'],
    [{ page: 1.5 }, 'page'], [{ call_type: 'sideways' }, 'call_type'], [{ call_status: 'busy' }, 'call_status'],
    [{ start_date: 'last week' }, 'start_date'], [{ start_date: '2026-02-09', end_date: '2026-02-08' }, 'start_date']
  ]) {
    const error = await client.callLogs.list(params).then(() => null, (e) => e)
    assert.ok(error instanceof InvalidQueryError, `${JSON.stringify(params)}: ${error}`)
    assert.ok(error instanceof CallLogsError && error instanceof Error)
    assert.equal(error.parameter, parameter)
    assert.match(error.message, new RegExp(`\`${parameter}\``))
    assert.match(error.stack, /client\.test\.js/, 'the stack points at the caller')
  }
  assert.throws(() => client.callLogs.iterate({ call_type: 'sideways' }), InvalidQueryError)
  await assert.rejects(client.callLogs.all({ call_status: 'busy' }), InvalidQueryError)
  assert.equal(server.requests, before)
})

test('a walk broken in the middle hands on the pages before and throws where it was started', async () => {
  const broken = await ReferenceServer.start({ records: 50, fault: 'page-window-overlap' })
  try {
    const c = new Client({ token: broken.token, orgHandle: broken.orgHandle, baseUrl: broken.url })
    const seen = []
    const walked = async () => {
      for await (const record of c.callLogs.iterate({ page_size: 10 })) seen.push(record)
    }
    const error = await walked().then(() => null, (e) => e)
    assert.equal(error?.name, 'ServerContractError', `${error}`)
    assert.equal(seen.length, 10, 'the first page, and nothing of the page that broke the walk')
    assert.match(error.stack, /client\.test\.js/, 'the stack points at the walk\'s caller')
    const fromAll = await c.callLogs.all({ page_size: 10 }).then(() => null, (e) => e)
    assert.equal(fromAll?.name, 'ServerContractError', `${fromAll}`)
    assert.match(fromAll.stack, /client\.test\.js/)
  } finally {
    await broken.stop()
  }
})

test('each server condition throws its error class', async () => {
  for (const [status, Class] of [[400, BadRequestError], [429, RateLimitError], [500, InternalServerError], [503, InternalServerError]]) {
    const scripted = await ReferenceServer.start({ records: 5, script: [status], retryAfterSecs: 0 })
    try {
      const c = new Client({ token: scripted.token, orgHandle: scripted.orgHandle, baseUrl: scripted.url, maxRetries: 0 })
      const error = await c.callLogs.list().then(() => null, (e) => e)
      assert.ok(error instanceof Class && error instanceof APIStatusError && error instanceof APIError, `${status}: ${error}`)
      assert.equal(error.status, status)
      assert.ok(error.body.length > 0)
    } finally {
      await scripted.stop()
    }
  }
  const secret = 'not-the-token-at-all'
  const auth = await new Client({ token: secret, orgHandle: server.orgHandle, baseUrl: server.url }).callLogs.list().then(() => null, (e) => e)
  assert.ok(auth instanceof AuthenticationError)
  assert.ok(!util.inspect(auth).includes(secret) && !auth.message.includes(secret))
  await assert.rejects(new Client({ token: server.token, orgHandle: 'initech', baseUrl: server.url }).callLogs.list(), PermissionDeniedError)
  await assert.rejects(new Client({ token: server.token, orgHandle: 'nobody', baseUrl: server.url }).callLogs.list(), NotFoundError)
})

test('transport failures', async () => {
  const closed = http.createServer()
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = closed.address().port
  await new Promise((resolve) => closed.close(resolve))
  await assert.rejects(new Client({ token: 't', orgHandle: 'o', baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 }).callLogs.list(), APIConnectionError)

  const slow = await ReferenceServer.start({ records: 5, latencyMs: 2000 })
  try {
    const c = new Client({ token: slow.token, orgHandle: slow.orgHandle, baseUrl: slow.url, timeoutMs: 200, maxRetries: 0 })
    await assert.rejects(c.callLogs.list(), APITimeoutError)
  } finally {
    await slow.stop()
  }

  const html = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>maintenance</html>') })
  await new Promise((resolve) => html.listen(0, '127.0.0.1', resolve))
  try {
    const error = await new Client({ token: 't', orgHandle: 'o', baseUrl: `http://127.0.0.1:${html.address().port}` }).callLogs.list().then(() => null, (e) => e)
    assert.ok(error instanceof DecodeError)
    assert.equal(error.status, 200)
    assert.match(error.body, /^<html>/)
  } finally {
    await new Promise((resolve) => html.close(resolve))
  }
})

test('retries recover from injected failures', async () => {
  const flaky = await ReferenceServer.start({ records: 5, script: [503, 503], retryAfterSecs: 0 })
  try {
    const page = await new Client({ token: flaky.token, orgHandle: flaky.orgHandle, baseUrl: flaky.url }).callLogs.list()
    assert.equal(page.count, 5)
    assert.equal(flaky.requests, 3)
  } finally {
    await flaky.stop()
  }
})

test('an AbortSignal cancels list, iterate and all, with no unhandled rejection', async () => {
  const unhandled = []
  const onUnhandled = (reason) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  const slow = await ReferenceServer.start({ records: 50, latencyMs: 300 })
  try {
    const c = new Client({ token: slow.token, orgHandle: slow.orgHandle, baseUrl: slow.url })
    await assert.rejects(c.callLogs.list({}, { signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await assert.rejects(collect(c.callLogs.iterate({ page_size: 5 }, { signal: controller.signal })), { name: 'AbortError' })
    await assert.rejects(c.callLogs.all({}, { signal: AbortSignal.abort() }), { name: 'AbortError' })
    await new Promise((resolve) => setTimeout(resolve, 700))
  } finally {
    process.off('unhandledRejection', onUnhandled)
    await slow.stop()
  }
  assert.deepEqual(unhandled, [])
})

test('the event loop keeps running during a slow request', async () => {
  const slow = await ReferenceServer.start({ records: 5, latencyMs: 300 })
  try {
    const c = new Client({ token: slow.token, orgHandle: slow.orgHandle, baseUrl: slow.url })
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 10)
    await c.callLogs.list()
    clearInterval(timer)
    assert.ok(ticks > 10, `${ticks} ticks`)
  } finally {
    await slow.stop()
  }
})

test('configuration from the environment; the token never shows', async () => {
  const saved = { ...process.env }
  Object.assign(process.env, { UNPOD_PLATFORM_TOKEN: server.token, UNPOD_ORG_HANDLE: server.orgHandle, UNPOD_BASE_URL: server.url })
  try {
    const c = new Client()
    assert.equal((await c.callLogs.list()).count, 500)
    for (const shown of [util.inspect(c), JSON.stringify(c), util.inspect(c, { showHidden: true, depth: 5 })]) {
      assert.ok(!shown.includes(server.token), shown)
    }
    delete process.env.UNPOD_PLATFORM_TOKEN
    assert.throws(() => new Client(), (e) => e instanceof CallLogsError && /UNPOD_PLATFORM_TOKEN/.test(e.message))
    assert.throws(() => new Client({ token: 't', orgHandle: 'o', timeoutMs: 0 }), CallLogsError)
  } finally {
    process.env = saved
  }
})

test('ESM entry points', async () => {
  const esm = await import('unpod-calllogs')
  for (const name of Object.keys(calllogs)) assert.equal(esm[name], calllogs[name], `ESM exports ${name}`)
  const testing = await import('unpod-calllogs/testing')
  assert.equal(testing.ReferenceServer, ReferenceServer)
})

test('the reference server helper', async () => {
  const s = await ReferenceServer.start({ records: 12, seed: 3 })
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.deepEqual([s.token, s.orgHandle], ['test-token', 'acme'])
  const c = new Client({ token: s.token, orgHandle: s.orgHandle, baseUrl: s.url, maxRetries: 0 })
  assert.equal((await c.callLogs.list()).count, 12)
  await s.stop()
  await assert.rejects(c.callLogs.list(), APIConnectionError)
  await assert.rejects(ReferenceServer.start({ fault: 'no-such-fault' }), /unknown fault/)
  const broken = await ReferenceServer.start({ records: 50, fault: 'ignore-call-type' })
  const options = { token: broken.token, orgHandle: broken.orgHandle, baseUrl: broken.url }
  await assert.rejects(new Client(options).callLogs.list({ call_type: 'inbound', page_size: 100 }), { name: 'ServerContractError' })
  const records = (await new Client({ ...options, verifyFilters: false }).callLogs.list({ call_type: 'inbound', page_size: 100 })).data
  assert.deepEqual(new Set(records.map((r) => r.call_type)), new Set(['inbound', 'outbound']))
  await broken.stop()
})

test('the reference server takes every knob of the core by its camelCase name', async () => {
  const capped = await ReferenceServer.start({ records: 30, pageSizeCap: 7, requiredHeader: 'Product-Id', latencyMs: 1, endAt: new Date('2026-01-01T00:00:00Z') })
  try {
    const base = { token: capped.token, orgHandle: capped.orgHandle, baseUrl: capped.url }
    const page = await new Client({ ...base, headers: { 'Product-Id': 'unpod.ai' } }).callLogs.list({ page_size: 20 })
    assert.deepEqual([page.data.length, page.page_size], [7, 7])
    assert.ok(page.data.every((record) => record.creation_time < new Date('2026-01-01T00:00:00Z')))
    await assert.rejects(new Client(base).callLogs.list(), BadRequestError)
  } finally {
    await capped.stop()
  }
  await assert.rejects(ReferenceServer.start({ pastLast: '500' }), /past_last: .*known: empty, 400, 404/)
  await assert.rejects(ReferenceServer.start({ retryAfter: 1 }), /unknown field `retry_after`/)
})

test('clients work in worker threads and in a child_process.fork child', async (t) => {
  const { Worker } = require('node:worker_threads')
  const { fork } = require('node:child_process')
  const code = `
    const { Client } = require('unpod-calllogs')
    const { url, token, orgHandle } = require('node:worker_threads').workerData ?? JSON.parse(process.argv[2])
    new Client({ token, orgHandle, baseUrl: url }).callLogs.all({ page_size: 50 })
      .then((records) => {
        const port = require('node:worker_threads').parentPort
        if (port) port.postMessage(records.length); else process.send(records.length, () => process.exit(0))
      })`
  const target = { url: server.url, token: server.token, orgHandle: server.orgHandle }
  // Beside this file, so that it finds the installed package as the tests do.
  const script = path.join(__dirname, `child-${process.pid}.js`)
  fs.writeFileSync(script, code)
  t.after(() => fs.rmSync(script, { force: true }))
  const inWorkers = await Promise.all([1, 2, 3].map(() => new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: target })
    worker.once('message', resolve)
    worker.once('error', reject)
  })))
  assert.deepEqual(inWorkers, [500, 500, 500])
  const child = fork(script, [JSON.stringify(target)])
  const fromChild = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error('the child hung')) }, 30000)
    child.once('message', (n) => { clearTimeout(timer); resolve(n) })
    child.once('error', reject)
  })
  assert.equal(fromChild, 500)
  assert.equal((await client.callLogs.all({ page_size: 100 })).length, 500)
})
