'use strict'
// napi-rs's names of platforms, which name the addon files and the per-platform packages: read by
// the loader (native.js) and by the build scripts.

/** `gnu` or `musl` on Linux, from the C library the running Node was built against. */
function linuxLibc () {
  const report = process.report
  const excludeNetwork = report.excludeNetwork
  report.excludeNetwork = true
  try {
    return report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'
  } finally {
    report.excludeNetwork = excludeNetwork
  }
}

/** napi-rs's name of this platform: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, ... */
function platformKey () {
  const { platform, arch } = process
  if (platform === 'linux') return `${platform}-${arch}-${linuxLibc()}`
  if (platform === 'win32') return `${platform}-${arch}-msvc`
  return `${platform}-${arch}`
}

function describe (key) {
  const [os, arch, libc] = key.split('-')
  const system = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' }[os] ?? os
  return `${system} ${arch}${libc === 'gnu' ? ' (glibc)' : libc === 'musl' ? ' (musl)' : ''}`
}

module.exports = { describe, platformKey }
