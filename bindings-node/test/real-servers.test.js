'use strict'
// The client against the reference server made to paginate and filter the way real servers do.

const test = require('node:test')
const assert = require('node:assert/strict')

const { Client, InvalidQueryError, ServerContractError, CallLogsError } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

const RECORDS = 523
const SEED = 9

async function collect (iterable) {
  const out = []
  for await (const item of iterable) out.push(item)
  return out
}

function clientOf (server, options = {}) {
  return new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url, ...options })
}

async function withServer (options, body) {
  const server = await ReferenceServer.start({ records: RECORDS, seed: SEED, ...options })
  try {
    return await body(server)
  } finally {
    await server.stop()
  }
}

let expected

test.before(async () => {
  expected = await withServer({}, (server) => clientOf(server).callLogs.all({ page_size: 1000 }))
  assert.equal(expected.length, RECORDS)
})

for (const [cap, asked] of [[100, 1000], [50, 200]]) {
  test(`a silent page_size cap of ${cap} is learned when ${asked} is asked for`, () => withServer({ pageSizeCap: cap }, async (server) => {
    const client = clientOf(server)
    assert.deepEqual(await collect(client.callLogs.iterate({ page_size: asked })), expected)
    assert.deepEqual(await collect(client.callLogs.iterate({ page_size: asked }, { limit: 170 })), expected.slice(0, 170))
    assert.deepEqual(await client.callLogs.all({ page_size: asked }), expected)
    assert.deepEqual(await client.callLogs.all({ page_size: asked }, { concurrency: 1 }), expected)
    const page = await client.callLogs.list({ page_size: asked })
    assert.deepEqual([page.page_size, page.data.length, page.hasNextPage()], [cap, cap, true])
    assert.deepEqual((await page.nextPage()).data, expected.slice(cap, 2 * cap))
    assert.deepEqual(await collect(page), expected)
  }))
}

test('a default page size other than 20', () => withServer({ defaultPageSize: 10 }, async (server) => {
  const page = await clientOf(server).callLogs.list()
  assert.deepEqual([page.page_size, page.data.length, page.count], [10, 10, RECORDS])
  assert.deepEqual(await collect(page), expected)
}))

for (const pastLast of ['empty', '400', '404']) {
  test(`a page past the last answered ${pastLast} leaves walks whole`, () => withServer({ pastLast, pageSizeCap: 100 }, async (server) => {
    const client = clientOf(server)
    for (const pageSize of [100, 523, 1000]) {
      assert.deepEqual(await collect(client.callLogs.iterate({ page_size: pageSize })), expected)
      assert.deepEqual(await client.callLogs.all({ page_size: pageSize }), expected)
    }
  }))
}

const IGNORED = [
  ['call_type', { call_type: 'inbound' }, 'inbound'],
  ['call_status', { call_status: 'missed' }, 'missed'],
  ['start_date', { start_date: '2026-02-20' }, '2026-02-20'],
  ['end_date', { end_date: new Date('2026-02-20T00:00:00Z') }, '2026-02-20T00:00:00Z']
]

for (const [parameter, filters, value] of IGNORED) {
  test(`a server ignoring ${parameter} is caught by ServerContractError`, () => withServer({ ignoredFilters: [parameter] }, async (server) => {
    const client = clientOf(server)
    const check = (error) => {
      assert.ok(error instanceof ServerContractError && error instanceof CallLogsError)
      assert.deepEqual([error.code, error.violation, error.parameter, error.value], ['server_contract', 'filter_not_applied', parameter, value])
      assert.ok(error.message.includes(`\`${parameter}=${value}\``), error.message)
      assert.equal(typeof error.record.creation_time, 'string')
      assert.ok(!error.message.includes(server.token))
      return true
    }
    await assert.rejects(collect(client.callLogs.iterate({ ...filters, page_size: 50 })), check)
    await assert.rejects(client.callLogs.all({ ...filters, page_size: 1000 }), check)
    await assert.rejects(client.callLogs.list({ ...filters, page_size: 1000 }), check)
    const trusting = clientOf(server, { verifyFilters: false })
    assert.equal((await trusting.callLogs.all({ ...filters, page_size: 1000 })).length, RECORDS)
  }))
}

test('extraQuery and extraHeaders', () => withServer({}, async (server) => {
  const client = clientOf(server)
  const page = await client.callLogs.list({}, { extraQuery: { start_time: '03-02-2026 00:00:00' }, extraHeaders: { 'X-Trace': '1' } })
  assert.equal(page.count, RECORDS)
  assert.equal((await collect(client.callLogs.iterate({ page_size: 200 }, { extraQuery: { sort: 'x' } }))).length, RECORDS)
  await assert.rejects(client.callLogs.list({}, { extraQuery: { call_type: 'inbound' } }),
    (error) => error instanceof InvalidQueryError && error.parameter === 'extra_query')
  await assert.rejects(client.callLogs.all({}, { extraHeaders: { Authorization: 'Token other' } }),
    (error) => error instanceof InvalidQueryError && error.parameter === 'extra_headers')
}))

test('history can end now', async () => {
  const weekAgo = new Date(Date.now() - 7 * 86400 * 1000)
  await withServer({ endAt: 'now' }, async (server) => {
    assert.ok((await clientOf(server).callLogs.list({ start_date: weekAgo })).count > 20)
  })
  await withServer({ endAt: new Date() }, async (server) => {
    assert.ok((await clientOf(server).callLogs.list({ start_date: weekAgo })).count > 20)
  })
  await assert.rejects(ReferenceServer.start({ endAt: 'yesterday' }), /neither `now`/)
})
