#!/usr/bin/env node
'use strict'
// The `calllogs-contract` command: the contract suite, the schemas and the reference server, run by
// the same native code as the Rust binary (see `calllogs-contract --help`).
let native
try {
  native = require('./native.js')
} catch (error) {
  console.error(`calllogs-contract: ${error.message}`)
  process.exit(2)
}
// Node's own SIGINT handler re-raises the signal, and a Rust handler that chains to it (the one
// `serve` installs to stop cleanly) would loop on it. A listener added and removed leaves SIGINT at
// its default action, as in the Rust binary: Ctrl-C ends a run, and `serve` stops on its handler.
const ignore = () => {}
process.on('SIGINT', ignore).off('SIGINT', ignore)
process.exitCode = native.runCli(['calllogs-contract', ...process.argv.slice(2)])
