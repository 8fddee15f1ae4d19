#!/usr/bin/env node
// Runs a command with a working, unlocked OS keychain that belongs to nobody's real login.
// On Linux the tests and benchmarks must never touch the developer's own keyring, and CI machines
// have no desktop session: so we start a private D-Bus session with a throwaway gnome-keyring,
// unlocked with a fixed password, in a fresh HOME. On macOS and Windows the login keychain is used
// as it is (entries are namespaced per test home and removed by the tests).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir, homedir } from 'node:os'
import { join } from 'node:path'

const argv = process.argv.slice(2)
if (argv.length === 0 || argv[0] === '--help') {
  console.log('usage: node scripts/with-keyring.mjs <command> [args...]\nRuns the command inside a private D-Bus session with an unlocked throwaway gnome-keyring (Linux).')
  process.exit(argv.length === 0 ? 2 : 0)
}

function run(cmd, args, env) {
  const child = spawn(cmd, args, { stdio: 'inherit', env })
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => {
    if (cleanup) cleanup()
    process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15))
  })
}

let cleanup = null
if (process.platform !== 'linux' || process.env.CFWRAP_PRIVATE_KEYRING === '1') {
  run(argv[0], argv.slice(1), process.env)
} else {
  const missing = ['dbus-run-session', 'gnome-keyring-daemon', 'gdbus'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  )
  if (missing.length > 0) {
    console.error(`with-keyring: ${missing.join(', ')} not found. Install them: apt-get install -y --no-install-recommends gnome-keyring dbus libsecret-tools libglib2.0-bin`)
    process.exit(1)
  }
  const home = mkdtempSync(join(tmpdir(), 'cfwrap-keyring-home-'))
  mkdirSync(join(home, '.local', 'share'), { recursive: true })
  cleanup = () => rmSync(home, { recursive: true, force: true })
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    // npm would otherwise start a new cache under the throwaway HOME.
    npm_config_cache: process.env.npm_config_cache || join(homedir(), '.npm'),
    CFWRAP_PRIVATE_KEYRING: '1',
  }
  const script =
    'printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ' +
    'gdbus wait --session --timeout 5 org.freedesktop.secrets || { echo "with-keyring: the keyring did not start" >&2; exit 1; }; ' +
    'exec "$@"'
  run('dbus-run-session', ['--', 'sh', '-c', script, 'sh', ...argv], env)
}
