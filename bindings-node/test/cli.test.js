'use strict'
// The `calllogs-contract` bin of the installed package: the same command as the Rust binary.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')

const { ReferenceServer } = require('unpod-calllogs/testing')

// The link npm made in node_modules/.bin, as `npx calllogs-contract` runs it.
const BIN = path.join(path.dirname(require.resolve('unpod-calllogs/package.json')), '..', '.bin', 'calllogs-contract')

function cli (args, env = process.env) {
  return spawnSync(BIN, args, { encoding: 'utf8', env, timeout: 120_000 })
}

test('the package installs the calllogs-contract bin', () => {
  const result = cli(['--version'])
  assert.equal(result.status, 0, result.stderr)
  assert.equal(result.stdout.trim(), `calllogs-contract ${require('unpod-calllogs/package.json').version}`)
})

test('run against the embedded server passes, with a JSON report', () => {
  const result = cli(['run', '--records', '300', '--cases', '4', '--format', 'json'])
  assert.equal(result.status, 0, result.stderr)
  const report = JSON.parse(result.stdout)
  assert.ok(report.checks.length > 0)
  assert.ok(report.checks.every((c) => ['passed', 'skipped'].includes(c.outcome.status)))
})

test('run finds a broken server and keeps the token out of the report', async () => {
  const server = await ReferenceServer.start({ records: 300, fault: 'ignore-call-status' })
  try {
    const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'report.xml')
    // Asynchronous: the server runs in this process and must keep answering.
    const child = spawn(BIN, ['run', '--base-url', server.url, '--org-handle', server.orgHandle,
      '--cases', '8', '--format', 'junit', '--output', output], {
      env: { ...process.env, UNPOD_PLATFORM_TOKEN: server.token }
    })
    let printed = ''
    child.stdout.on('data', (chunk) => { printed += chunk })
    child.stderr.on('data', (chunk) => { printed += chunk })
    const [status] = await new Promise((resolve) => child.on('close', (...args) => resolve(args)))
    assert.equal(status, 1, printed)
    const report = fs.readFileSync(output, 'utf8')
    assert.match(report, /<failure/)
    assert.ok(!(report + printed).includes(server.token))
  } finally {
    await server.stop()
  }
})

test('a usage error is status 2 and names the argument', () => {
  const result = cli(['run', '--cases', '0'])
  assert.equal(result.status, 2)
  assert.match(result.stderr, /--cases/)
})

test('serve answers, and stops on Ctrl-C', async () => {
  const child = spawn(BIN, ['serve', '--port', '0', '--records', '30'])
  const fields = {}
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const match = /^ {2}([a-z ]+):\s+(.*)$/.exec(line)
    if (match) fields[match[1]] = match[2]
    if (line.startsWith('try:')) break
  }
  const answer = await fetch(`${fields.endpoint}?page_size=1`, {
    headers: { Authorization: `Token ${fields.token}`, 'Org-Handle': fields['org handle'] }
  })
  assert.equal((await answer.json()).count, 30)
  const closed = new Promise((resolve) => child.on('close', (status) => resolve(status)))
  child.kill('SIGINT')
  assert.equal(await closed, 0)
})
