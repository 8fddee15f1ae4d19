// Where the broker's sockets live: a private runtime directory of this user, one per vault.
import { lstatSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { configDir, namespaceOf } from '../paths'

/** The broker's directory and its two sockets. */
export interface BrokerPaths {
  /** The runtime directory it is in (checked too: in /tmp another user could have made it first). */
  root: string
  dir: string
  /** For requesters; the only one bound into the sandbox. */
  agent: string
  /** For the person's own tools; never reachable from the sandbox. */
  control: string
}

function uid(): number {
  try {
    return userInfo().uid
  } catch {
    return process.getuid?.() ?? 0
  }
}

/**
 * `$XDG_RUNTIME_DIR/cfwrap` (a directory only this user can enter, cleared at logout), else
 * `/tmp/cfwrap-<uid>` as ssh-agent does; a vault other than the default one (`$CFWRAP_HOME`) gets a
 * broker of its own, so two vaults never answer for each other. Inside the sandbox `CFWRAP_BROKER` names the
 * agent socket instead.
 */
export function brokerPaths(env: NodeJS.ProcessEnv = process.env, vaultDir: string = configDir(env)): BrokerPaths {
  const base = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.startsWith('/') ? env.XDG_RUNTIME_DIR : join(tmpdir(), `cfwrap-${uid()}`)
  const vault = resolve(vaultDir)
  const dir = join(base, vault === configDir({ ...env, CFWRAP_HOME: '' }) ? 'cfwrap' : `cfwrap-${namespaceOf(vault)}`)
  return { root: base, dir, agent: join(dir, 'agent.sock'), control: join(dir, 'control.sock') }
}

/** The agent socket a requester talks to: `CFWRAP_BROKER` (set inside the sandbox), else this vault's, when it exists. */
export function agentSocket(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CFWRAP_BROKER) return env.CFWRAP_BROKER
  const { agent } = brokerPaths(env)
  try {
    return lstatSync(agent).isSocket() ? agent : null
  } catch {
    return null
  }
}
