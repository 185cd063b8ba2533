// Compiled with `tsc --noEmit` against the installed package: the typings describe real usage.
import { Writable } from 'node:stream'
import { Client, CallLog, CallLogPage, CallStatus, CallType, InvalidQueryError, APIStatusError, ServerContractError, DestinationError, Response, WalkParams, SyncSummary, SyncProgress, WalkProgress } from 'unpod-calllogs'
import { ReferenceServer } from 'unpod-calllogs/testing'

async function main (): Promise<void> {
  const server = await ReferenceServer.start({ records: 10, latencyMs: 0 })
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url, timeoutMs: 5000 })
  client.on('retry', ({ attempt, delayMs, error }) => console.log(attempt, delayMs, error))
  client.on('response', (detail) => console.log(detail.status, detail.requestId))
  const page: CallLogPage = await client.callLogs.list({ page_size: 5, start_date: new Date(), call_status: CallStatus.COMPLETED }, { timeoutMs: 1000, maxRetries: 0 })
  const response: Response = page.response
  const requestId: string | null = response.requestId ?? response.headers.get('x-request-id')
  const first: CallLog | undefined = page.data[0]
  const when: Date | undefined = first?.creation_time
  const extra: Record<string, unknown> | undefined = first?.extra
  const next: CallLogPage | null = await page.nextPage()
  const params: WalkParams = { call_type: CallType.INBOUND, page_size: 50 }
  for await (const log of client.callLogs.iterate(params, { limit: 10 })) {
    const duration: number = log.call_duration
    void duration
  }
  const all: CallLog[] = await client.callLogs.all({}, {
    concurrency: 4, signal: AbortSignal.timeout(1000), onProgress: (p: WalkProgress) => console.log(p.records, p.total, p.downTo?.toISOString())
  })
  const written: number = await client.callLogs.export('calls.csv', { call_status: 'missed' })
  await client.callLogs.export(new Writable(), {}, { format: 'ndjson', extraHeaders: { 'X-Trace': '1' } })
  client.callLogs.stream({}, { format: 'csv' }).pipe(process.stdout)
  const patient: Client = client.withOptions({ timeoutMs: 300_000, maxRetries: 5 })
  const synced: SyncSummary = await client.callLogs.sync(`${require('node:os').tmpdir()}/types-${process.pid}.db`, { call_type: 'inbound' }, {
    maxRecords: 100, lookbackMs: 3_600_000, until: new Date(), onProgress: (p: SyncProgress) => console.log(p.records, p.downTo.toISOString())
  })
  const range: [Date | null, Date, number] = [synced.start, synced.until, synced.new + synced.elapsedMs]
  void range
  if (patient === client) throw new DestinationError('unreachable')
  try {
    await client.callLogs.list({ page_size: 0 })
  } catch (error) {
    if (error instanceof InvalidQueryError) console.log(error.parameter)
    if (error instanceof APIStatusError) console.log(error.status, error.requestId)
    if (error instanceof ServerContractError) console.log(error.violation, error.parameter)
  }
  void when; void next; void all; void requestId; void extra; void written; void patient
  await server.stop()
}

void main()
