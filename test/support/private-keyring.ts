import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { join } from 'node:path'
import { makeHome } from './cli'

/**
 * Runs `script` (sh) in a D-Bus session of its own with a throwaway gnome-keyring, unlocked, in
 * HOME and XDG directories of its own. For tests that stress or lock the keychain: a keyring
 * daemon that crashed or locked there cannot take the suite's keyring with it (and a keyring
 * daemon sharing the suite's cache directory would take over its control socket).
 */
export function runInPrivateKeyring(script: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): SpawnSyncReturns<string> {
  const keyringHome = makeHome('cfwrap-private-keyring-')
  try {
    const unlock = `printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
gdbus wait --session --timeout 5 org.freedesktop.secrets || exit 97
`
    return spawnSync('dbus-run-session', ['--', 'sh', '-c', unlock + script], {
      env: {
        ...env,
        HOME: keyringHome.dir,
        XDG_DATA_HOME: join(keyringHome.dir, '.local/share'),
        XDG_CACHE_HOME: join(keyringHome.dir, '.cache'),
        XDG_CONFIG_HOME: join(keyringHome.dir, '.config'),
        XDG_RUNTIME_DIR: '',
      },
      encoding: 'utf8',
      timeout: timeoutMs,
    })
  } finally {
    keyringHome.cleanup()
  }
}
