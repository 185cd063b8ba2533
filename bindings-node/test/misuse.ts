// Mistakes the typings must catch: `tsc` fails if any `@ts-expect-error` below has no error to expect.
import { Client } from 'unpod-calllogs'

async function mistakes (client: Client): Promise<void> {
  // @ts-expect-error: not a documented status
  await client.callLogs.list({ call_status: 'busyy' })
  // @ts-expect-error: options use camelCase; page_size is a parameter
  await client.callLogs.all({}, { pageSize: 50 })
  // @ts-expect-error: page_size is the API's name
  await client.callLogs.iterate({ pageSize: 50 }).next()
  // @ts-expect-error: a walk has no page parameter
  await client.callLogs.all({ page: 2 })
  // @ts-expect-error: milliseconds, as a number
  await client.callLogs.list({}, { timeoutMs: '5000' })
  // @ts-expect-error: no such field
  const typo = (await client.callLogs.list()).data[0]?.call_duraton
  // @ts-expect-error: no such format
  await client.callLogs.export('calls.xml', {}, { format: 'xml' })
  // @ts-expect-error: no such event
  client.on('answer', () => {})
  // @ts-expect-error: a sync has no end_date
  await client.callLogs.sync('calls.db', { end_date: '2026-02-01' })
  // @ts-expect-error: durations of a sync are in milliseconds, named so
  await client.callLogs.sync('calls.db', {}, { settle: 60 })
  // @ts-expect-error: the listener of `retry` gets a retry's detail
  client.on('retry', (detail: { status: number }) => detail)
  void typo
}

void mistakes
