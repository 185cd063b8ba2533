'use strict'
// `callLogs.sync()` into the embedded SQLite destination and into a Parquet lake against the
// reference server over real sockets, and the `unpod-calllogs` bin of the installed package.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Client, ConfigError, DestinationError, InvalidQueryError } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

const installed = path.dirname(require.resolve('unpod-calllogs/package.json'))
const BIN = path.join(installed, '..', '.bin', 'unpod-calllogs')
const core = JSON.parse(require(`${installed}/native.js`).constants())

function tempDb (name) {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sync-')), name)
}

async function withServer (options, body) {
  const server = await ReferenceServer.start(options)
  try {
    const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })
    return await body(client, server)
  } finally {
    await server.stop()
  }
}

test('a sync holds every record, tells its progress, and a run with a long lookback finds them unchanged', async () => {
  await withServer({ records: 500, seed: 3 }, async (client) => {
    const db = tempDb('calls.db')
    const progress = []
    const summary = await client.callLogs.sync(db, {}, { maxRecords: 120, onProgress: (p) => progress.push(p) })
    assert.deepEqual([summary.new, summary.updated, summary.deleted, summary.resumed], [500, 0, 0, false])
    assert.ok(summary.windows >= 5, JSON.stringify(summary))
    assert.equal(summary.start, null)
    assert.ok(summary.until instanceof Date && typeof summary.elapsedMs === 'number')
    assert.ok(progress.length === summary.windows, `${progress.length} events for ${summary.windows} windows`)
    assert.ok(progress.every((p) => p.downTo instanceof Date && p.total === 500))
    assert.equal(progress.at(-1).records, 500)

    const again = await client.callLogs.sync(db, {}, { lookbackMs: 20 * 365 * 86_400_000 })
    assert.deepEqual([again.new, again.updated, again.unchanged, again.deleted], [0, 0, 500, 0])
  })
})

test('a sync into parquet:DIR writes a folder per day, each with one file, and a second run finds them unchanged', async () => {
  await withServer({ records: 400, seed: 4 }, async (client) => {
    const lake = tempDb('lake')
    const summary = await client.callLogs.sync(`parquet:${lake}`, {}, { maxRecords: 100 })
    assert.deepEqual([summary.new, summary.updated, summary.deleted], [400, 0, 0])
    const all = await client.callLogs.all({ page_size: 1000 })
    const days = new Set(all.map((log) => new Date(log.creation_time).toISOString().slice(0, 10)))
    const folders = fs.readdirSync(path.join(lake, 'call_logs')).filter((name) => name.startsWith('creation_date='))
    assert.deepEqual(new Set(folders.map((name) => name.slice('creation_date='.length))), days)
    for (const folder of folders) {
      const file = fs.readFileSync(path.join(lake, 'call_logs', folder, 'part-0.parquet'))
      assert.equal(file.subarray(0, 4).toString(), 'PAR1')
      assert.equal(file.subarray(-4).toString(), 'PAR1')
    }
    const again = await client.callLogs.sync(`parquet:${lake}`, {}, { lookbackMs: 20 * 365 * 86_400_000 })
    assert.deepEqual([again.new, again.updated, again.unchanged, again.deleted], [0, 0, 400, 0])
  })
})

test('bad settings and filters are refused by name; a table kept for other filters refuses the run', async () => {
  await withServer({ records: 50 }, async (client) => {
    const db = tempDb('rules.db')
    await assert.rejects(client.callLogs.sync(db, {}, { maxRecords: 0 }), (e) => e instanceof ConfigError && /maxRecords/.test(e.message))
    await assert.rejects(client.callLogs.sync(db, {}, { settleMs: -1 }), (e) => e instanceof ConfigError && /settleMs/.test(e.message))
    await assert.rejects(client.callLogs.sync(db, {}, { maxRecord: 5 }), (e) => e instanceof ConfigError && /maxRecord/.test(e.message))
    await assert.rejects(client.callLogs.sync(db, {}, { onProgress: 'yes' }), ConfigError)
    await assert.rejects(client.callLogs.sync(db, { end_date: '2026-02-01' }), (e) => e instanceof InvalidQueryError && e.parameter === 'end_date')
    await assert.rejects(client.callLogs.sync('mongodb://nowhere'), DestinationError)
    await client.callLogs.sync(db, { call_type: 'inbound' })
    await assert.rejects(client.callLogs.sync(db), (e) => e instanceof DestinationError && /call_type=inbound/.test(e.message))
  })
})

test('an aborted sync rejects at once, and the next run finishes it', async () => {
  await withServer({ records: 3000, latencyMs: 5 }, async (client) => {
    const db = tempDb('aborted.db')
    const controller = new AbortController()
    const options = { maxRecords: 100, pageSize: 50, signal: controller.signal, onProgress: () => controller.abort() }
    await assert.rejects(client.callLogs.sync(db, {}, options), { name: 'AbortError' })
    const summary = await client.callLogs.sync(db, {}, { maxRecords: 100, pageSize: 50 })
    assert.equal(summary.resumed, true)
    const again = await client.callLogs.sync(db, {}, { lookbackMs: 20 * 365 * 86_400_000 })
    assert.deepEqual([again.new, again.unchanged, again.deleted], [0, 3000, 0])
  })
})

test('the typings declare exactly the core\'s sync settings', () => {
  const typings = fs.readFileSync(`${installed}/index.d.ts`, 'utf8')
  const body = typings.slice(typings.indexOf('export interface SyncOptions'))
  const declared = body.slice(0, body.indexOf('\n}')).match(/^ {2}(\w+)\?:/gm).map((line) => line.trim().slice(0, -2))
  const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
  const expected = core.SYNC_SETTINGS.map((name) => (core.SYNC_DURATIONS.includes(name) ? `${camel(name)}Ms` : camel(name)))
  assert.deepEqual(declared.sort(), [...expected, 'onProgress'].sort())
})

test('the unpod-calllogs bin syncs with a line per window and keeps the token out', async () => {
  await withServer({ records: 400 }, async (_, server) => {
    const db = tempDb('bin.db')
    const env = { ...process.env, UNPOD_BASE_URL: server.url, UNPOD_PLATFORM_TOKEN: server.token, UNPOD_ORG_HANDLE: server.orgHandle }
    // Asynchronous: the server runs in this process and must keep answering.
    const child = spawn(BIN, ['sync', db, '--max-records', '150', '--json'], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const status = await new Promise((resolve) => child.on('close', resolve))
    assert.equal(status, 0, stderr)
    assert.equal(JSON.parse(stdout).new, 400)
    assert.ok((stderr.match(/window /g) ?? []).length >= 3, stderr)
    assert.ok(!(stdout + stderr).includes(server.token))
  })
})
