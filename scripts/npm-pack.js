#!/usr/bin/env node
'use strict'
// Packs the npm packages as they are published, the napi-rs way: the main package, whose
// optionalDependencies name one package per platform (bindings-node/npm/*), and the platform
// package of each addon given, with the addon, the README and the licence files.
//
//   node scripts/npm-pack.js OUT_DIR [path/to/unpod-calllogs.<platform>.node ...]
//
// Prints the path of each tarball, the main package's first. Packs from copies under OUT_DIR/stage,
// so bindings-node/package.json stays as npm ci needs it (optionalDependencies that are not
// published yet would make every install of the build tools look for them).
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const node = path.join(root, 'bindings-node')
const [out, ...addons] = process.argv.slice(2)
if (!out) {
  console.error('usage: npm-pack.js OUT_DIR [ADDON.node ...]')
  process.exit(2)
}
const main = JSON.parse(fs.readFileSync(path.join(node, 'package.json'), 'utf8'))
const platforms = fs.readdirSync(path.join(node, 'npm')).sort()
const licences = ['LICENSE-MIT', 'LICENSE-APACHE']

function pack (dir) {
  const name = execFileSync('npm', ['pack', '--pack-destination', path.resolve(out), '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8'
  }).trim().split('\n').pop()
  return path.resolve(out, name)
}

function stage (name, files, manifest) {
  const dir = path.join(out, 'stage', name)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  for (const [from, to] of files) fs.copyFileSync(from, path.join(dir, to))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
  return dir
}

const tarballs = []
const optionalDependencies = {}
for (const platform of platforms) {
  const manifest = JSON.parse(fs.readFileSync(path.join(node, 'npm', platform, 'package.json'), 'utf8'))
  if (manifest.version !== main.version) {
    throw new Error(`bindings-node/npm/${platform}: version ${manifest.version}, not ${main.version}`)
  }
  optionalDependencies[manifest.name] = main.version
}
const mainFiles = main.files.map((file) => [path.join(node, file), file])
tarballs.push(pack(stage(main.name, mainFiles, { ...main, optionalDependencies })))

for (const addon of addons) {
  const platform = path.basename(addon).slice(main.name.length + 1, -'.node'.length)
  if (!platforms.includes(platform)) throw new Error(`${addon}: no package in bindings-node/npm/ for ${platform}`)
  const dir = path.join(node, 'npm', platform)
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const files = [
    [addon, manifest.main],
    [path.join(dir, 'README.md'), 'README.md'],
    ...licences.map((licence) => [path.join(root, licence), licence])
  ]
  tarballs.push(pack(stage(manifest.name, files, manifest)))
}
console.log(tarballs.join('\n'))
