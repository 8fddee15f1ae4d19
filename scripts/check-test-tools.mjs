#!/usr/bin/env node
// `npm test`'s first step: the tools the tests drive for real, checked up front so a missing one is
// one clear line (and a failed run) instead of a suite that errors half-way with "0 failed".
import { accessSync, constants } from 'node:fs'
import { spawnSync } from 'node:child_process'

if (process.argv.includes('--help')) {
  process.stdout.write('Usage: node scripts/check-test-tools.mjs\n\nChecks that the programs the tests run (git, Chromium, bubblewrap, the keyring tools) are installed; exits 1 naming what is missing.\n')
  process.exit(0)
}

const onPath = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
const executable = (path) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const chromium = process.env.CFWRAP_CHROMIUM ?? '/usr/bin/chromium'
const missing = []
if (!onPath('git')) missing.push('git (Debian package git)')
if (!executable(chromium)) missing.push(`Chromium at ${chromium} (Debian package chromium, or set CFWRAP_CHROMIUM)`)
// bwrap: the sandbox's tests run it for real; script: a terminal for the typed confirmation of a mint.
if (process.platform === 'linux') for (const tool of ['dbus-run-session', 'gnome-keyring-daemon', 'gdbus', 'secret-tool', 'bwrap', 'script']) if (!onPath(tool)) missing.push(tool)
if (missing.length > 0) {
  process.stderr.write(
    `check-test-tools: missing ${missing.join('; ')}. Install them with: apt-get install -y --no-install-recommends gnome-keyring dbus libsecret-tools libglib2.0-bin chromium git bubblewrap bsdutils\n`,
  )
  process.exit(1)
}
