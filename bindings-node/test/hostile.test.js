'use strict'
// The package against servers that misbehave on purpose, and callers that give up.

const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { spawnSync } = require('node:child_process')

const { Client, CallLogsError, InternalServerError, ServerContractError } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

const SECRET = 's3cret-token-that-must-never-show'

/** A server on 127.0.0.1 answering every request with `answer(request, index)`; counts requests. */
async function hostile (answer) {
  const seen = []
  const server = http.createServer((request, response) => {
    seen.push(request)
    answer(request, seen.length - 1, response)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) })
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

test('an abort stops the request in flight and every retry', async () => {
  const slow = await ReferenceServer.start({ records: 50, latencyMs: 400, script: [503, 503, 503, 503] })
  try {
    const c = new Client({ token: slow.token, orgHandle: slow.orgHandle, baseUrl: slow.url, maxRetries: 4 })
    const started = Date.now()
    await assert.rejects(c.callLogs.list({}, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' })
    assert.ok(Date.now() - started < 400, 'rejects at once')
    await sleep(1500)
    assert.equal(slow.requests, 1, 'no retry after the abort')

    const before = slow.requests
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await assert.rejects(c.callLogs.all({ page_size: 5 }, { concurrency: 4, signal: controller.signal }), { name: 'AbortError' })
    await sleep(1200)
    assert.ok(slow.requests - before <= 1, `${slow.requests - before} requests after an abort of all()`)
  } finally {
    await slow.stop()
  }
})

test('ending a walk early stops every page it prefetches', async () => {
  const slow = await ReferenceServer.start({ records: 100, latencyMs: 200 })
  try {
    const c = new Client({ token: slow.token, orgHandle: slow.orgHandle, baseUrl: slow.url })
    for (const prefetch of [1, 4]) {
      const before = slow.requests
      for await (const record of c.callLogs.iterate({ page_size: 10 }, { prefetch })) {
        assert.ok(record)
        break
      }
      // The pages of the window may already be on their way at the break; let them land, then
      // nothing more may follow.
      await sleep(150)
      const after = slow.requests - before
      await sleep(700)
      assert.equal(slow.requests - before, after, 'nothing more after the break')
      assert.ok(after <= 1 + prefetch, `${after} requests for one page and a window of ${prefetch}`)
    }
    assert.ok(slow.peakConcurrency <= 5, `${slow.peakConcurrency} at once`)

    const controller = new AbortController()
    const walk = c.callLogs.iterate({ page_size: 10 }, { signal: controller.signal })
    await walk.next()
    controller.abort()
    await assert.rejects(async () => { for await (const _ of walk) assert.ok(_) }, { name: 'AbortError' })
    await sleep(150)
    const aborted = slow.requests
    await sleep(700)
    assert.equal(slow.requests, aborted, 'nothing more after the abort')
  } finally {
    await slow.stop()
  }
})

test('a process whose call was aborted exits promptly', async () => {
  const slow = await ReferenceServer.start({ records: 5, latencyMs: 20000 })
  try {
    const script = `
      const { Client } = require('unpod-calllogs')
      const c = new Client({ token: ${JSON.stringify(slow.token)}, orgHandle: 'acme', baseUrl: ${JSON.stringify(slow.url)} })
      c.callLogs.list({}, { signal: AbortSignal.timeout(100) }).catch((e) => console.log(e.name))
    `
    const started = Date.now()
    const child = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8', timeout: 15000 })
    assert.equal(child.stdout.trim(), 'TimeoutError', child.stderr)
    assert.ok(Date.now() - started < 5000, `exited after ${Date.now() - started} ms`)
  } finally {
    await slow.stop()
  }
})

test('a token the server echoes never reaches an error', async () => {
  const echo = await hostile((request, _, response) => {
    response.writeHead(500, { 'content-type': 'application/json', 'x-request-id': `req-${SECRET}` })
    response.end(JSON.stringify({ status_code: 500, message: `bad ${request.headers.authorization}`, token: SECRET }))
  })
  try {
    const c = new Client({ token: SECRET, orgHandle: 'acme', baseUrl: echo.url, maxRetries: 0 })
    const error = await c.callLogs.list().catch((e) => e)
    assert.ok(error instanceof InternalServerError)
    const shown = JSON.stringify({ message: error.message, body: error.body, requestId: error.requestId, stack: error.stack })
    assert.ok(!shown.includes(SECRET), shown)
    assert.equal(error.requestId, 'req-***')
    assert.equal(error.message, 'HTTP 500: bad Token *** (request id req-***)')
  } finally {
    await echo.close()
  }
})

test('a record echoing the token is scrubbed from the contract error', async () => {
  const echo = await hostile((request, _, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    const record = { call_type: SECRET, call_status: 'missed', creation_time: '2026-02-07T05:57:00Z', start_time: null, end_time: null, call_duration: 0, end_reason: 'x' }
    response.end(JSON.stringify({ count: 1, status_code: 200, message: 'ok', data: [record] }))
  })
  try {
    const c = new Client({ token: SECRET, orgHandle: 'acme', baseUrl: echo.url, maxRetries: 0 })
    const error = await c.callLogs.list({ call_type: 'inbound' }).catch((e) => e)
    assert.ok(error instanceof ServerContractError, String(error))
    assert.equal(error.record.call_type, '***')
    assert.ok(!error.message.includes(SECRET))
  } finally {
    await echo.close()
  }
})

test('a base URL with credentials is a configuration error that shows none of them', () => {
  assert.throws(() => new Client({ token: SECRET, orgHandle: 'acme', baseUrl: 'http://alice:pw-1234@127.0.0.1:9/' }), (error) => {
    assert.ok(error instanceof CallLogsError)
    assert.equal(error.code, 'config')
    assert.ok(error.message.includes('user name or password'), error.message)
    assert.ok(!error.message.includes('pw-1234') && !error.message.includes('alice'), error.message)
    return true
  })
})

test('enum values, error kinds and walk defaults come from the core', () => {
  // Internal files of the installed package, by path (its exports map hides them).
  const installed = require('node:path').dirname(require.resolve('unpod-calllogs'))
  const native = require(`${installed}/native.js`)
  const { BY_KIND, CallLogsError } = require(`${installed}/errors.js`)
  const { CallType, CallStatus } = require('unpod-calllogs')
  const core = JSON.parse(native.constants())
  assert.deepEqual(Object.values(CallType), core.CALL_TYPES)
  assert.deepEqual(Object.values(CallStatus), core.CALL_STATUSES)
  assert.deepEqual(Object.keys(BY_KIND).sort(), [...core.ERROR_KINDS].sort())
  assert.ok(Object.values(BY_KIND).every((Class) => Class === CallLogsError || Class.prototype instanceof CallLogsError))
  assert.deepEqual(core.PARAMETERS, ['page', 'page_size', 'start_date', 'end_date', 'call_type', 'call_status'])
  assert.deepEqual([core.DEFAULT_WALK_PAGE_SIZE, core.DEFAULT_CONCURRENCY, core.DEFAULT_MAX_RETRIES, core.DEFAULT_TIMEOUT], [100, 4, 2, 60])
  // A record has the core's fields and `extra`; exactly the instant fields are Dates; index.d.ts says the same.
  const [record] = require('unpod-calllogs').recordsFromJson(JSON.stringify({ count: 1, status_code: 200, message: '', data: [{ source_number: null, destination_number: null, call_type: 'inbound', call_status: 'completed', creation_time: '2026-02-01T00:00:00Z', start_time: '2026-02-01T00:00:00Z', end_time: '2026-02-01T00:01:00Z', call_duration: 60, end_reason: null }] }))
  assert.deepEqual(Object.keys(record), [...core.RECORD_FIELDS, 'extra'])
  for (const [name, kind] of Object.entries(core.RECORD_FIELD_KINDS)) {
    assert.equal(record[name] instanceof Date, kind.endsWith('instant'), name)
  }
  const index = require('node:fs').readFileSync(`${installed}/index.d.ts`, 'utf8')
  const callLog = index.slice(index.indexOf('export interface CallLog {'), index.indexOf('}', index.indexOf('export interface CallLog {')))
  assert.deepEqual(callLog.match(/^ {2}(\w+):/gm).map((line) => line.trim().slice(0, -1)), [...core.RECORD_FIELDS, 'extra'])
  // Every reference-server knob of the core is in testing.d.ts under its camelCase name, and no other.
  const typings = require('node:fs').readFileSync(`${installed}/testing.d.ts`, 'utf8')
  const declared = typings.slice(0, typings.indexOf('}')).match(/^ {2}(\w+)\?:/gm).map((line) => line.trim().slice(0, -2))
  const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
  const durations = ['latency', 'late_by']
  const expected = core.REFERENCE_OPTIONS.map((name) => (durations.includes(name) ? `${camel(name)}Ms` : camel(name)))
  assert.deepEqual([...declared].sort(), [...expected].sort())
})

test('every bad configuration is a ConfigError naming the setting, before any request', async () => {
  const { ConfigError } = require('unpod-calllogs')
  const server = await ReferenceServer.start({ records: 20 })
  try {
    const base = { token: server.token, orgHandle: server.orgHandle, baseUrl: server.url }
    const badClients = [
      [{ maxRetries: -1 }, 'max_retries'],
      [{ maxRetries: 1.5 }, 'max_retries'],
      [{ maxRetries: 1e9 }, 'max_retries'],
      [{ timeoutMs: '5000' }, 'timeoutMs'],
      [{ timeoutMs: 0 }, 'timeout'],
      [{ timeoutMs: NaN }, 'timeout'],
      [{ timeoutMs: Infinity }, 'timeout'],
      [{ headers: ['a', 'b'] }, 'headers'],
      [{ headers: { 'X-Bad': 'a\nb' } }, 'X-Bad'],
      [{ baseUrl: 'unpod.dev' }, 'give the scheme'],
      [{ verifyFilters: 'no' }, 'verifyFilters']
    ]
    for (const [options, named] of badClients) {
      assert.throws(() => new Client({ ...base, ...options }), (error) => {
        assert.ok(error instanceof ConfigError, `${JSON.stringify(options)}: ${error}`)
        assert.ok(error.message.includes(named), `${JSON.stringify(options)}: ${error.message}`)
        return true
      })
    }
    assert.throws(() => new Client('token'), ConfigError)
    const client = new Client(base)
    const before = server.requests
    const badWalks = [
      [() => client.callLogs.iterate({}, { limit: -1 }), 'limit'],
      [() => client.callLogs.iterate({}, { limit: '5' }), 'limit'],
      [() => client.callLogs.all({}, { concurrency: NaN }), 'concurrency'],
      [() => client.callLogs.all({}, { concurrency: 0 }), 'concurrency'],
      [() => client.callLogs.all({}, { concurrency: '4' }), 'concurrency'],
      [() => client.callLogs.list({}, { extraHeaders: ['a'] }), 'extraHeaders']
    ]
    for (const [walk, named] of badWalks) {
      await assert.rejects(async () => { for await (const _ of await walk()) assert.ok(_) }, (error) => {
        assert.ok(error instanceof ConfigError, `${walk}: ${error}`)
        assert.ok(error.message.includes(named), error.message)
        return true
      })
    }
    assert.equal(server.requests, before, 'nothing was sent')
  } finally {
    await server.stop()
  }
})
