'use strict'
// What both commands of the package (`calllogs-contract`, `unpod-calllogs`) do: run the same native
// code as the Rust binaries, with this process's arguments, and exit with its status.

/** Runs the addon's command line `method` (`runCli`, `runUserCli`) as the command `name`. */
module.exports = function runCommand (name, method) {
  let native
  try {
    native = require('./native.js')
  } catch (error) {
    console.error(`${name}: ${error.message}`)
    process.exit(2)
  }
  // Node's own SIGINT handler re-raises the signal, and a Rust handler that chains to it (the one
  // `serve` installs to stop cleanly) would loop on it. A listener added and removed leaves SIGINT
  // at its default action, as in the Rust binary: Ctrl-C ends a run, and `serve` stops on its handler.
  const ignore = () => {}
  process.on('SIGINT', ignore).off('SIGINT', ignore)
  process.exitCode = native[method]([name, ...process.argv.slice(2)])
}
