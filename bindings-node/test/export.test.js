'use strict'
// `callLogs.export()` into files over real sockets: a path is complete or not there, an export
// that stops says how many records it wrote and where, `resume: true` continues it exactly, and
// `onProgress` hears every page.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Writable } = require('node:stream')

const { APIConnectionError, CallLogsError, Client, ConfigError } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

const END_AT = '2026-01-02'

function folder () {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'export-'))
}

function clientOf (server) {
  return new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url, maxRetries: 0 })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

test('an export stopped midway leaves no target, names its partial file, and resumes exactly', async () => {
  const dir = folder()
  const target = path.join(dir, 'calls.csv')
  const partial = `${target}.partial`
  const first = await ReferenceServer.start({ records: 3000, seed: 3, endAt: END_AT, latencyMs: 20 })
  const running = clientOf(first).callLogs.export(target, { page_size: 50 }, { prefetch: 0 })
  const failed = assert.rejects(running, (error) => error instanceof APIConnectionError)
  const started = Date.now()
  while (!(fs.existsSync(partial) && fs.statSync(partial).size > 0)) {
    assert.ok(Date.now() - started < 30000, 'the export never began')
    await sleep(5)
  }
  await sleep(100)
  await first.stop()
  await failed
  const error = await running.catch((e) => e)
  assert.ok(error instanceof CallLogsError)
  assert.ok(!fs.existsSync(target), 'no file that looks complete')
  assert.equal(error.partial, partial)
  assert.ok(error.rowsWritten >= 50, String(error.rowsWritten))
  assert.equal(fs.readFileSync(partial, 'utf8').split('\r\n').length - 2, error.rowsWritten, 'the header and the rows')
  assert.match(error.message, new RegExp(`stopped after ${error.rowsWritten} records`))

  const second = await ReferenceServer.start({ records: 3000, seed: 3, endAt: END_AT })
  try {
    const client = clientOf(second)
    await assert.rejects(client.callLogs.export(target, { page_size: 50, call_status: 'missed' }, { resume: true }),
      (e) => e instanceof ConfigError && /other settings/.test(e.message))
    const seen = []
    const written = await client.callLogs.export(target, { page_size: 50 }, { resume: true, onProgress: (p) => seen.push(p) })
    assert.equal(written, 3000)
    assert.ok(!fs.existsSync(partial))
    assert.ok(seen[0].records > error.rowsWritten)
    assert.deepEqual([seen.at(-1).records, seen.at(-1).total], [3000, 3000])
    assert.ok(seen.at(-1).downTo instanceof Date)
    const whole = path.join(dir, 'whole.csv')
    assert.equal(await client.callLogs.export(whole), 3000)
    assert.ok(fs.readFileSync(target).equals(fs.readFileSync(whole)))
  } finally {
    await second.stop()
  }
})

test('all tells its progress page by page, the last page the whole count', async () => {
  const server = await ReferenceServer.start({ records: 700, seed: 5 })
  try {
    const seen = []
    const all = await clientOf(server).callLogs.all({ page_size: 200 }, { concurrency: 2, onProgress: (p) => seen.push(p) })
    assert.equal(all.length, 700)
    assert.deepEqual(seen.map((p) => [p.records, p.total]), [[200, 700], [400, 700], [600, 700], [700, 700]])
    // Pages are read ahead: the requests sent so far may run ahead of the pages reported.
    const requests = seen.map((p) => p.requests)
    assert.ok(requests.every((n, i) => n >= i + 1 && (i === 0 || n >= requests[i - 1])), `${requests}`)
    assert.equal(requests.at(-1), 4)
    assert.equal(seen.at(-1).downTo.getTime(), new Date(all.at(-1).creation_time).getTime())
    await assert.rejects(clientOf(server).callLogs.all({}, { onProgress: 'yes' }), /onProgress must be a function/)
  } finally {
    await server.stop()
  }
})

test('a stream export tells its progress and says how many records it wrote when it stops', async () => {
  const server = await ReferenceServer.start({ records: 500, seed: 5 })
  try {
    const client = clientOf(server)
    const seen = []
    const sink = new Writable({ write: (chunk, encoding, done) => done() })
    assert.equal(await client.callLogs.export(sink, { page_size: 250 }, { format: 'csv', onProgress: (p) => seen.push(p) }), 500)
    assert.deepEqual(seen.map((p) => [p.records, p.total]), [[250, 500], [500, 500]])
    await assert.rejects(client.callLogs.export(sink, {}, { format: 'csv', resume: true }), /give a path/)
    await assert.rejects(client.callLogs.export(sink, {}, { format: 'csv', onProgress: 5 }), /onProgress must be a function/)
  } finally {
    await server.stop()
  }
  const slow = await ReferenceServer.start({ records: 2000, seed: 5, latencyMs: 20 })
  let written = 0
  const sink = new Writable({ write: (chunk, encoding, done) => { written += chunk.toString().split('\n').length - 1; done() } })
  const running = clientOf(slow).callLogs.export(sink, { page_size: 50 }, { format: 'ndjson', prefetch: 0 })
  await sleep(300)
  await slow.stop()
  const error = await running.catch((e) => e)
  assert.ok(error instanceof CallLogsError, String(error))
  assert.ok(error.rowsWritten > 0)
  assert.equal(error.rowsWritten, written)
  assert.equal(error.partial, null)
})
