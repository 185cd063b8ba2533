'use strict'
// Reads call logs with the settings in the environment and prints them (the same lines as the Rust
// example `read_calls`):
//   UNPOD_PLATFORM_TOKEN=... UNPOD_ORG_HANDLE=... [UNPOD_BASE_URL=...] node read_calls.js [PAGE_SIZE] [LIMIT]

const { Client } = require('unpod-calllogs')

const [pageSize = 20, limit = 10] = process.argv.slice(2).map(Number)

function stamp (date) {
  return date.toISOString().slice(0, 19).replace('T', ' ')
}

async function main () {
  const client = new Client()
  const first = await client.callLogs.list({ page_size: pageSize })
  console.log(`${first.count} call logs in total; the newest ${limit}:`)
  for await (const call of client.callLogs.iterate({ page_size: pageSize }, { limit })) {
    console.log(
      `${stamp(call.creation_time)}  ${call.call_type.padEnd(8)} ${call.call_status.padEnd(9)} ` +
      `${String(call.call_duration).padStart(5)}s  ${call.source_number ?? '-'} -> ${call.destination_number ?? '-'}`
    )
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
