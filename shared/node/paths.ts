import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The directory holding cfwrap's state file and audit log: `$CFWRAP_HOME` when set, else the
 * platform's own config directory (XDG on Linux and the BSDs).
 */
export function configDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = env.HOME || homedir(),
): string {
  if (env.CFWRAP_HOME) return resolve(env.CFWRAP_HOME)
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'cfwrap')
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'cfwrap')
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'cfwrap')
}

/** Files inside a cfwrap config directory. */
export function storePaths(dir: string): { dir: string; state: string; audit: string; lock: string } {
  return { dir, state: join(dir, 'state.json'), audit: join(dir, 'audit.jsonl'), lock: join(dir, 'state.json.lock') }
}

/**
 * A short, stable key for a config directory (FNV-1a, 64 bit): keychain items of different homes
 * (every test, every `$CFWRAP_HOME`) never collide. Not a security boundary, so no SHA-256 here.
 */
export function namespaceOf(dir: string): string {
  let hash = 0xcbf29ce484222325n
  for (let i = 0; i < dir.length; i++) {
    hash ^= BigInt(dir.charCodeAt(i))
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).padStart(16, '0')
}

/** The keychain namespace of the vault `env` selects: `default`, or one derived from `$CFWRAP_HOME`. */
export function keychainNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.CFWRAP_HOME ? namespaceOf(configDir(env)) : 'default'
}

/** The keychain account that holds the secret of token `name` in vault `namespace`. */
export function keychainAccount(namespace: string, name: string): string {
  return `${namespace}/${name}`
}
