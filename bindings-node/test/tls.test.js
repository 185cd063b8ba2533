'use strict'
// HTTPS with a certificate made by the openssl command, as users make one: trusted through
// `caFile` or NODE_EXTRA_CA_CERTS, refused at once (unretried) otherwise. The TLS server runs in
// this process, in front of the reference server.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const https = require('node:https')
const http = require('node:http')
const { execFile, execFileSync } = require('node:child_process')
const { promisify } = require('node:util')

const { Client, APIConnectionError, ConfigError } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')

let server
let front
let url
let certFile
let connections = 0

test.before(async () => {
  server = await ReferenceServer.start({ records: 120, seed: 5 })
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'calllogs-tls-'))
  certFile = path.join(folder, 'cert.pem')
  const keyFile = path.join(folder, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' })
  const backend = new URL(server.url)
  front = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (request, response) => {
    const forward = http.request({ host: backend.hostname, port: backend.port, path: request.url, headers: request.headers },
      (answer) => { response.writeHead(answer.statusCode, answer.headers); answer.pipe(response) })
    forward.end()
  })
  front.on('connection', () => { connections += 1 })
  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve))
  url = `https://localhost:${front.address().port}`
})

test.after(async () => {
  front.close()
  await server.stop()
})

test('a self-signed certificate named by caFile is trusted', async () => {
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: url, caFile: certFile })
  assert.equal((await client.callLogs.all({ page_size: 50 })).length, 120)
})

test('an untrusted certificate rejects at once, unretried', async () => {
  const before = connections
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: url, maxRetries: 3 })
  await assert.rejects(client.callLogs.list(), (error) => error instanceof APIConnectionError && /not trusted/.test(error.message))
  assert.equal(connections - before, 1)
})

test('NODE_EXTRA_CA_CERTS is read', async () => {
  const code = `const { Client } = require('unpod-calllogs');
    new Client().callLogs.list().then((page) => console.log(page.count), (e) => { console.error(e.message); process.exit(1) })`
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: certFile, UNPOD_PLATFORM_TOKEN: server.token, UNPOD_ORG_HANDLE: server.orgHandle, UNPOD_BASE_URL: url }
  // Asynchronously: the TLS server runs on this process's event loop.
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 60_000 })
  assert.equal(Number(stdout), 120)
})

test('a caFile with no certificate is a ConfigError naming it', () => {
  const empty = path.join(os.tmpdir(), `calllogs-empty-${process.pid}.pem`)
  fs.writeFileSync(empty, 'nothing\n')
  assert.throws(() => new Client({ token: 't', orgHandle: 'o', caFile: empty }), (error) => error instanceof ConfigError && /caFile|ca_file/.test(error.message))
  fs.rmSync(empty)
})

test('close() makes the client and its copies refuse to send; all() takes a limit', async () => {
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })
  const copy = client.withOptions({ timeoutMs: 5000 })
  assert.equal((await client.callLogs.all({ page_size: 25 }, { limit: 60 })).length, 60)
  client.close()
  for (const closed of [client, copy]) {
    await assert.rejects(closed.callLogs.list(), (error) => error instanceof ConfigError && /closed/.test(error.message))
  }
})
