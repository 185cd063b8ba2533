'use strict'
// What a walk checks, through every door, against reference servers that break each assumption;
// the unpod-v2 dialect against a server that ignores date filters; events and invalid dates.

const test = require('node:test')
const assert = require('node:assert/strict')

const { Client, ServerContractError, ConfigError, InvalidQueryError } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

const RECORDS = 523

function clientOf (server, options = {}) {
  return new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url, ...options })
}

async function collect (iterable) {
  const out = []
  for await (const item of iterable) out.push(item)
  return out
}

for (const [fault, violation] of [['oldest-first', 'order'], ['last-page-repeat', 'repeated_record'], ['count-drifts', 'count_changed']]) {
  test(`${fault} is a ServerContractError (${violation}) through every door`, async () => {
    const server = await ReferenceServer.start({ records: RECORDS, seed: 4, fault })
    try {
      const client = clientOf(server)
      const doors = {
        all: () => client.callLogs.all({ page_size: 100 }),
        'all, one at a time': () => client.callLogs.all({ page_size: 100 }, { concurrency: 1 }),
        iterate: () => collect(client.callLogs.iterate({ page_size: 50 })),
        'a page walked onward': async () => collect(await client.callLogs.list({ page_size: 50 })),
        stream: () => collect(client.callLogs.stream({ page_size: 50 }))
      }
      for (const [door, read] of Object.entries(doors)) {
        await assert.rejects(read(), (error) => {
          assert.ok(error instanceof ServerContractError, `${door}: ${error}`)
          assert.equal(error.violation, violation, door)
          assert.equal(typeof error.page, 'number', door)
          if (violation === 'order') assert.ok(error.record.creation_time > error.previousRecord.creation_time, door)
          return true
        })
      }
    } finally {
      await server.stop()
    }
  })
}

test('the unpod-v2 dialect reads date windows exactly, and without it the error names it', async () => {
  const faithful = await ReferenceServer.start({ records: RECORDS, seed: 9, realWorldRecords: true })
  const real = await ReferenceServer.start({ records: RECORDS, seed: 9, emulate: 'unpod-v2' })
  try {
    const everything = await clientOf(faithful).callLogs.all({ page_size: 1000 })
    const start = everything[everything.length - 200].creation_time
    const end = everything[30].creation_time
    const truth = await clientOf(faithful).callLogs.all({ start_date: start, end_date: end })
    const key = (r) => `${r.creation_time.toISOString()} ${JSON.stringify(r)}`
    const sorted = (records) => records.map(key).sort()
    const client = clientOf(real, { dialect: 'unpod-v2' })
    assert.deepEqual(sorted(await client.callLogs.all({ start_date: start, end_date: end, page_size: 20 })), sorted(truth))
    assert.deepEqual(sorted(await collect(client.callLogs.iterate({ start_date: start, end_date: end, page_size: 33 }))), sorted(truth))
    await assert.rejects(client.callLogs.list({ start_date: start }), (error) => error instanceof ConfigError && /unpod-v2 dialect/.test(error.message))

    const plain = clientOf(real, { headers: { 'Product-Id': 'unpod.ai' } })
    await assert.rejects(plain.callLogs.all({ end_date: '2026-01-01' }), (error) => {
      assert.equal(error.violation, 'filter_not_applied')
      assert.match(error.message, /dialect: 'unpod-v2'/)
      assert.match(error.message, /UNPOD_DIALECT=unpod-v2/)
      return true
    })
    assert.throws(() => clientOf(real, { dialect: 'unpod-v3' }), (error) => error instanceof ConfigError && /unknown dialect "unpod-v3"/.test(error.message))
  } finally {
    await faithful.stop()
    await real.stop()
  }
})

test('a learned page-size cap is a warning event; events keep their JavaScript names', async () => {
  const server = await ReferenceServer.start({ records: 60, seed: 2, pageSizeCap: 25, script: [503] })
  try {
    const client = clientOf(server)
    const heard = []
    for (const name of ['request', 'response', 'retry', 'warning']) client.on(name, (detail) => heard.push([name, detail]))
    assert.equal((await client.withOptions({ timeoutMs: 30_000 }).callLogs.all({ page_size: 100 })).length, 60)
    const byName = Object.fromEntries(heard)
    assert.match(byName.warning.message, /serves 25 records a page/)
    assert.ok(byName.retry.delayMs > 0 && byName.retry.attempt === 1)
    assert.ok(byName.response.elapsedMs >= 0 && byName.response.status === 200 && 'requestId' in byName.response)
  } finally {
    await server.stop()
  }
})

test('an invalid Date is an InvalidQueryError naming the parameter', async () => {
  const server = await ReferenceServer.start({ records: 10 })
  try {
    for (const call of [
      (client) => client.callLogs.list({ start_date: new Date('garbage') }),
      (client) => client.callLogs.all({ end_date: new Date(NaN) })
    ]) {
      await assert.rejects(call(clientOf(server)), (error) => error instanceof InvalidQueryError && ['start_date', 'end_date'].includes(error.parameter))
    }
  } finally {
    await server.stop()
  }
})

test('an emulated server keeps the fault it is given', async () => {
  const real = await ReferenceServer.start({ records: RECORDS, seed: 9, emulate: 'unpod-v2', fault: 'oldest-first' })
  try {
    await assert.rejects(clientOf(real, { dialect: 'unpod-v2' }).callLogs.all({ page_size: 100 }), (error) => {
      assert.equal(error.violation, 'order')
      return true
    })
  } finally {
    await real.stop()
  }
})
