'use strict'
// Per-call settings, client copies, the answer behind a page, events, and records out as files and streams.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const http = require('node:http')
const { Writable } = require('node:stream')

const { Client, ConfigError, APITimeoutError, recordsFromJson } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

const SECRET = 's3cret-token-that-must-never-show'
const PAGE = JSON.stringify({
  count: 1,
  status_code: 200,
  message: 'ok',
  data: [{
    source_number: '+4420, "quoted"',
    destination_number: null,
    call_type: 'inbound',
    call_status: 'missed',
    creation_time: '2026-02-07T05:57:00Z',
    start_time: null,
    end_time: null,
    call_duration: 0,
    end_reason: 'line\nbreak',
    agent: 'ava'
  }]
})

/** A server on 127.0.0.1 that answers PAGE after `delayMs`, with `headers`; keeps every request. */
async function recording ({ delayMs = 0, headers = {} } = {}) {
  const seen = []
  const server = http.createServer((request, response) => {
    seen.push(request)
    setTimeout(() => {
      if (response.destroyed) return
      response.writeHead(200, { 'content-type': 'application/json', ...headers })
      response.end(PAGE)
    }, delayMs)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) })
  }
}

async function collect (iterable) {
  const out = []
  for await (const item of iterable) out.push(item)
  return out
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function clientOf (server, options = {}) {
  return new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url, ...options })
}

test('per-call timeoutMs and maxRetries override the client\'s', async () => {
  const slow = await recording({ delayMs: 500 })
  try {
    const client = new Client({ token: SECRET, orgHandle: 'acme', baseUrl: slow.url, timeoutMs: 5000, maxRetries: 2 })
    const started = Date.now()
    await assert.rejects(client.callLogs.list({}, { timeoutMs: 100, maxRetries: 0 }),
      (error) => error instanceof APITimeoutError && /100ms/.test(error.message))
    assert.ok(Date.now() - started < 450)
    assert.equal(slow.seen.length, 1, 'maxRetries: 0 sends one request')
    await assert.rejects(collect(client.callLogs.iterate({}, { timeoutMs: 100, maxRetries: 0 })), APITimeoutError)
    await assert.rejects(client.callLogs.all({}, { timeoutMs: 100, maxRetries: 0 }), APITimeoutError)
    assert.equal(slow.seen.length, 3)
  } finally {
    await slow.close()
  }
})

test('bad per-call settings and misnamed parameters are ConfigErrors before any request', async () => {
  const server = await recording()
  try {
    const client = new Client({ token: SECRET, orgHandle: 'acme', baseUrl: server.url })
    const cases = [
      [{}, { timeoutMs: 0 }, /timeout/],
      [{}, { timeoutMs: '5000' }, /timeoutMs must be a number/],
      [{}, { maxRetries: -1 }, /max_retries/],
      [{}, { maxRetries: 1.5 }, /max_retries/],
      [{}, { pageSize: 50 }, /no option named pageSize: pass page_size with the parameters/],
      [{}, { retries: 1 }, /no option named retries/],
      [{ call_statuss: 'missed' }, {}, /no parameter named call_statuss/],
      [{ page: 2 }, {}, /no parameter named page/]
    ]
    for (const [params, options, message] of cases) {
      await assert.rejects(async () => collect(client.callLogs.iterate(params, options)), (e) => e instanceof ConfigError && message.test(e.message), message)
      await assert.rejects(client.callLogs.all(params, options), ConfigError)
      await assert.rejects(client.callLogs.export(new Writable({ write: (c, e, done) => done() }), params, { ...options, format: 'csv' }), ConfigError)
    }
    await assert.rejects(client.callLogs.list({}, { timeoutMs: -5 }), ConfigError)
    await assert.rejects(client.callLogs.list({ page_sise: 5 }), /list has no parameter named page_sise/)
    assert.throws(() => client.withOptions({ maxRetries: 101 }), /max_retries/)
    assert.throws(() => client.withOptions({ timeout: 5 }), /withOptions has no option named timeout/)
    assert.throws(() => client.withOptions({ headers: { Authorization: 'Token x' } }), ConfigError)
    assert.throws(() => client.on('answer', () => {}), /no event named 'answer'/)
    assert.equal(server.seen.length, 0)
  } finally {
    await server.close()
  }
})

test('withOptions changes a copy only and shares the connections', async () => {
  const server = await recording()
  try {
    const client = new Client({ token: SECRET, orgHandle: 'acme', baseUrl: server.url, headers: { 'Product-Id': 'unpod.ai' } })
    const tagged = client.withOptions({ headers: { 'X-Team': 'billing' }, timeoutMs: 3000 })
    assert.ok(tagged instanceof Client && tagged !== client)
    assert.equal(tagged.endpoint, client.endpoint)
    await tagged.callLogs.list()
    await client.callLogs.list()
    const [first, second] = server.seen.map((r) => r.headers)
    assert.equal(first['x-team'], 'billing')
    assert.equal(first['product-id'], 'unpod.ai')
    assert.equal(second['x-team'], undefined)
    assert.equal(server.seen[0].socket.remotePort, server.seen[1].socket.remotePort, 'one connection for both')
    assert.doesNotMatch(JSON.stringify(tagged), new RegExp(SECRET))
  } finally {
    await server.close()
  }
})

test('a page carries the answer behind it', async () => {
  const server = await recording({ headers: { 'x-request-id': `req-${SECRET}`, 'x-ratelimit-remaining': '99' } })
  try {
    const page = await new Client({ token: SECRET, orgHandle: 'acme', baseUrl: server.url }).callLogs.list()
    const { response } = page
    assert.equal(response.status, 200)
    assert.equal(response.requestId, 'req-***')
    assert.ok(response.headers instanceof Headers)
    assert.equal(response.headers.get('X-RateLimit-Remaining'), '99')
    assert.equal(response.headers.get('x-request-id'), 'req-***')
    assert.equal(response.retries, 0)
    assert.ok(response.elapsedMs > 0 && response.elapsedMs < 5000)
  } finally {
    await server.close()
  }
  const reference = await ReferenceServer.start({ records: 30, script: [503] })
  try {
    const page = await clientOf(reference).callLogs.list({ page_size: 10 })
    assert.equal(page.response.retries, 1)
    const next = await page.nextPage()
    assert.deepEqual([next.response.status, next.response.retries], [200, 0])
  } finally {
    await reference.stop()
  }
})

test('events tell every request, answer and retry, of a client and its copies', async () => {
  const server = await ReferenceServer.start({ records: 30, script: [503] })
  try {
    const client = clientOf(server)
    const events = []
    const listen = (name) => (detail) => events.push([name, detail])
    const onResponse = listen('response')
    client.on('request', listen('request')).on('response', onResponse).on('retry', listen('retry'))
    await client.callLogs.list({ page_size: 10 })
    await client.withOptions({ maxRetries: 0 }).callLogs.list({ page: 2, page_size: 10 })
    await sleep(50)
    assert.deepEqual(events.map(([name]) => name), ['request', 'response', 'retry', 'request', 'response', 'request', 'response'])
    const url = `${server.url}/api/v2/platform/call-logs/?page_size=10`
    assert.deepEqual(events[0][1], { url, attempt: 0 })
    assert.equal(events[1][1].status, 503)
    assert.equal(events[2][1].attempt, 1)
    assert.match(events[2][1].error, /503/)
    assert.ok(events[2][1].delayMs >= 0)
    assert.equal(events[4][1].status, 200)
    assert.match(events[5][1].url, /page=2/)
    client.off('response', onResponse)
    await client.callLogs.list()
    await sleep(50)
    assert.deepEqual(events.slice(7).map(([name]) => name), ['request'])
  } finally {
    await server.stop()
  }
})

/** A record's CSV row, written here independently of the library: RFC 4180 quoting. */
function csvRow (record) {
  const time = (t) => (t === null ? '' : t.toISOString().replace('.000Z', 'Z'))
  const extra = Object.keys(record.extra).length ? JSON.stringify(record.extra) : ''
  const cells = [record.source_number ?? '', record.destination_number ?? '', record.call_type, record.call_status,
    time(record.creation_time), time(record.start_time), time(record.end_time), String(record.call_duration),
    record.end_reason ?? '', extra]
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',') + '\r\n'
}

const HEADER = 'source_number,destination_number,call_type,call_status,creation_time,start_time,end_time,call_duration,end_reason,extra\r\n'

test('CSV and NDJSON exports read back as the records', async () => {
  const server = await ReferenceServer.start({ records: 523, seed: 3 })
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'calllogs-'))
  try {
    const client = clientOf(server)
    const expected = await client.callLogs.all({ call_status: 'completed' })
    assert.ok(expected.length > 100)

    const csvPath = path.join(folder, 'calls.csv')
    assert.equal(await client.callLogs.export(csvPath, { call_status: 'completed', page_size: 50 }), expected.length)
    assert.equal(fs.readFileSync(csvPath, 'utf8'), HEADER + expected.map(csvRow).join(''))

    const ndjsonPath = path.join(folder, 'calls.jsonl')
    assert.equal(await client.callLogs.export(ndjsonPath, { call_status: 'completed' }), expected.length)
    const lines = fs.readFileSync(ndjsonPath, 'utf8').trimEnd().split('\n')
    const body = JSON.stringify({ count: lines.length, data: lines.map((line) => JSON.parse(line)) })
    assert.deepEqual(recordsFromJson(body), expected)

    const bytes = Buffer.concat(await collect(client.callLogs.stream({ call_status: 'completed' }, { format: 'csv' })))
    assert.deepEqual(bytes, fs.readFileSync(csvPath))
    assert.deepEqual(await collect(client.callLogs.stream({ call_status: 'completed' })), expected)

    const empty = path.join(folder, 'empty.csv')
    assert.equal(await client.callLogs.export(empty, { start_date: '2099-01-01' }), 0)
    assert.equal(fs.readFileSync(empty, 'utf8'), HEADER)

    await assert.rejects(client.callLogs.export(path.join(folder, 'calls.txt')), /format is needed/)
    await assert.rejects(client.callLogs.export(csvPath, {}, { format: 'xml' }), /format must be one of csv, ndjson/)
    await assert.rejects(client.callLogs.export(42), /export writes to a path or a writable stream/)
  } finally {
    fs.rmSync(folder, { recursive: true, force: true })
    await server.stop()
  }
})

test('awkward values and unknown fields survive the CSV export', async () => {
  const server = await recording()
  try {
    const chunks = []
    const sink = new Writable({ write: (chunk, encoding, done) => { chunks.push(chunk); done() } })
    const client = new Client({ token: SECRET, orgHandle: 'acme', baseUrl: server.url })
    assert.equal(await client.callLogs.export(sink, {}, { format: 'csv' }), 1)
    assert.equal(sink.writableEnded, false, 'a stream given is not ended')
    const [record] = recordsFromJson(PAGE)
    assert.equal(Buffer.concat(chunks).toString(), HEADER + csvRow(record))
    assert.match(csvRow(record), /^"\+4420, ""quoted""",,inbound,missed,.*,"line\nbreak","\{""agent"":""ava""\}"\r\n$/)
  } finally {
    await server.close()
  }
})

test('destroying a stream stops the walk', async () => {
  const server = await ReferenceServer.start({ records: 2000, latencyMs: 20 })
  try {
    const stream = clientOf(server).callLogs.stream({ page_size: 10 }, { format: 'ndjson', prefetch: 2 })
    for await (const chunk of stream) {
      assert.ok(chunk.length > 0)
      break
    }
    await sleep(200)
    const settled = server.requests
    await sleep(300)
    assert.equal(server.requests, settled, 'nothing more is asked for')
    // Page 1, the page the Readable buffers ahead of its reader, and the window of 2 after it.
    assert.ok(settled <= 4, `${settled} requests`)
  } finally {
    await server.stop()
  }
})
