// Compiled with `tsc --noEmit` against the installed package: the typings describe real usage.
import { Client, CallLog, CallLogPage, CallStatus, InvalidQueryError, APIStatusError } from 'unpod-calllogs'
import { ReferenceServer } from 'unpod-calllogs/testing'

async function main (): Promise<void> {
  const server = await ReferenceServer.start({ records: 10, latencyMs: 0 })
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url, timeoutMs: 5000 })
  const page: CallLogPage = await client.callLogs.list({ page_size: 5, start_date: new Date(), call_status: CallStatus.COMPLETED })
  const first: CallLog | undefined = page.data[0]
  const when: Date | undefined = first?.creation_time
  const next: CallLogPage | null = await page.nextPage()
  for await (const log of client.callLogs.iterate({ call_type: 'inbound' }, { pageSize: 50, limit: 10 })) {
    const duration: number = log.call_duration
    void duration
  }
  const all: CallLog[] = await client.callLogs.all({}, { concurrency: 4, signal: AbortSignal.timeout(1000) })
  try {
    await client.callLogs.list({ page_size: 0 })
  } catch (error) {
    if (error instanceof InvalidQueryError) console.log(error.parameter)
    if (error instanceof APIStatusError) console.log(error.status, error.requestId)
  }
  void when; void next; void all
  await server.stop()
}

void main()
