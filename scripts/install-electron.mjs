#!/usr/bin/env node
// `npm start`'s first step: fetch Electron's binary if it is missing, with Electron's own installer
// (node_modules/electron/install.js, which @electron/get drives). That installer prints a bare stack
// ("TypeError: fetch failed") when the download server cannot be reached; this wrapper runs it,
// keeps its output for the case it succeeds, and otherwise says in plain words what failed, from
// where, how to point it elsewhere, and that the `cfwrap` command needs none of it.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: node scripts/install-electron.mjs\n\nDownloads the Electron binary `npm start` needs, if missing (Electron\'s own installer).\n' +
      'ELECTRON_MIRROR points it at another download server; electron_config_cache at a local cache.\n',
  )
  process.exit(0)
}

const require = createRequire(import.meta.url)
const installer = require.resolve('electron/install.js')
const { version } = require('electron/package.json')
const result = spawnSync(process.execPath, [installer], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] })
if (result.status === 0) process.exit(0)

const from = process.env.ELECTRON_MIRROR || process.env.npm_config_electron_mirror || 'https://github.com/electron/electron/releases/download/'
const cause = /fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|getaddrinfo|socket hang up/i.test(result.stderr ?? '')
  ? 'the download server could not be reached'
  : (result.stderr ?? '').trim().split('\n')[0] || `the installer exited with status ${result.status}`
process.stderr.write(
  `cfwrap: could not download Electron ${version}'s binary from ${from} (${cause}), so the tray app cannot start.\n` +
    '  Set ELECTRON_MIRROR to a mirror you can reach (or electron_config_cache to a folder holding the zip) and run `npm start` again.\n' +
    '  The `cfwrap` command does not need Electron: `npm run build && npm link`, then `cfwrap --help`.\n',
)
process.exit(1)
