'use strict'
// Loads the native addon of this platform: the file `napi build --platform` left in this folder
// (a checkout), else the package of this platform, which npm installs from optionalDependencies.
// When neither is there, the error names the platform and the package that is missing.

const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { name, version, optionalDependencies } = require('./package.json')
const { describe, platformKey } = require('./platform.js')

function missing (message, cause) {
  const error = new Error(message, cause ? { cause } : undefined)
  error.code = 'UNPOD_CALLLOGS_NO_NATIVE'
  return error
}

function load () {
  const key = platformKey()
  const local = join(__dirname, `${name}.${key}.node`)
  if (existsSync(local)) return require(local)
  const pkg = `${name}-${key}`
  const builds = Object.keys(optionalDependencies ?? {})
  if (!builds.includes(pkg)) {
    throw missing(
      `${name} has no native build for ${describe(key)} (${key}). Builds exist for: ` +
      `${builds.map((b) => b.slice(name.length + 1)).join(', ')}.`
    )
  }
  let found
  try {
    found = require.resolve(`${pkg}/package.json`)
  } catch {
    throw missing(
      `${name} needs the package ${pkg} on ${describe(key)}, and it is not installed. npm installs ` +
      'it from optionalDependencies, unless they were left out (--omit=optional, --no-optional) or ' +
      `the lockfile was made on another platform. Install it: npm install ${pkg}@${version}`
    )
  }
  const installed = require(found).version
  if (installed !== version) {
    throw missing(
      `${name} ${version} needs ${pkg} ${version}, but ${pkg} ${installed} is installed. ` +
      `Install the same version: npm install ${pkg}@${version}`
    )
  }
  try {
    return require(pkg)
  } catch (cause) {
    throw missing(`${name}: ${pkg} is installed but its addon does not load: ${cause.message}`, cause)
  }
}

module.exports = load()
