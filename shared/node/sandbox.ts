/**
 * `cfwrap --sandbox`: a command (a coding agent) under bubblewrap, where the broker is the only
 * way to a token. The agent runs as the same user, so without a sandbox it can read whatever the
 * user can: the keyring files, the Secret Service over the session bus, cfwrap's state, shell
 * profiles and `.env` files. Inside:
 * - the file system is the host's, read-only, with an empty home and an empty /tmp; the project
 *   and each allowed path are bound back (read-write), cfwrap and Node read-only;
 * - the runtime directory (the session bus, the keyring's control socket, the broker's control
 *   socket), cfwrap's state directory and the keyring directory are empty mounts;
 * - only `agent.sock` is bound in, and `CFWRAP_BROKER` names it; the environment has no Cloudflare
 *   credential and no session bus address;
 * - the network stays (agents need it).
 * The plan is built by a pure function, so each of these is unit-tested; the tests also run it.
 */
import { existsSync, realpathSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { UserError } from '../common/errors'
import { CLOUDFLARE_CREDENTIAL_VARS } from '../common/credentials'

/** Where the agent socket appears inside the sandbox (on its own empty /tmp). */
export const SANDBOX_BROKER_SOCKET = '/tmp/cfwrap-broker/agent.sock'

/** Variables that lead to a keychain or an agent of the host, or to cfwrap's own state: never passed in. */
const HOST_ONLY_VARS = [
  ...CLOUDFLARE_CREDENTIAL_VARS,
  'DBUS_SESSION_BUS_ADDRESS',
  'GNOME_KEYRING_CONTROL',
  'SSH_AUTH_SOCK',
  'GPG_AGENT_INFO',
  'CFWRAP_HOME',
  'CFWRAP_PRIVATE_KEYRING',
  'XDG_RUNTIME_DIR',
  'ELECTRON_RUN_AS_NODE',
]

/** What {@link sandboxPlan} needs to know about the host. */
export interface SandboxInputs {
  command: readonly string[]
  /** The project directory (read-write inside). */
  project: string
  /** More paths to bind back (read-write), e.g. the agent's own config directory. */
  allow: readonly string[]
  /** Read-only paths the sandbox needs to run at all: cfwrap itself, Node, the command's own directory. */
  tools: readonly string[]
  /** The host's agent socket of the broker. */
  agentSocket: string
  /** Directories to hide behind empty mounts: the state directory, the runtime directory, the keyring directory. */
  hidden: readonly string[]
  env: NodeJS.ProcessEnv
  cwd: string
}

/** The bubblewrap command line and the environment it starts with. */
export interface SandboxPlan {
  args: string[]
  env: NodeJS.ProcessEnv
}

/** True when `path` is `dir` or inside it. */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep)
}

/** The bubblewrap arguments and environment for running `command` as described in the file comment. */
export function sandboxPlan(inputs: SandboxInputs): SandboxPlan {
  const home = inputs.env.HOME || '/root'
  const args: string[] = ['--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', home]
  for (const dir of inputs.hidden) {
    // Inside the home or /tmp it is empty already; elsewhere it gets an empty mount of its own.
    if (!within(dir, home) && !within(dir, '/tmp')) args.push('--tmpfs', dir)
  }
  for (const tool of inputs.tools) args.push('--ro-bind', tool, tool)
  for (const path of [inputs.project, ...inputs.allow]) args.push('--bind', path, path)
  args.push('--ro-bind', inputs.agentSocket, SANDBOX_BROKER_SOCKET)
  const cwd = within(inputs.cwd, inputs.project) || inputs.allow.some((path) => within(inputs.cwd, path)) ? inputs.cwd : inputs.project
  args.push('--chdir', cwd, '--', ...inputs.command)
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(inputs.env)) if (value !== undefined && !HOST_ONLY_VARS.includes(key)) env[key] = value
  env.CFWRAP_BROKER = SANDBOX_BROKER_SOCKET
  env.HOME = home
  return { args, env }
}

/**
 * The session bus address when it is an abstract socket: the one kind of bus a sandbox that keeps
 * the network cannot hide (abstract sockets live in the network namespace, not the file system).
 */
export function abstractBus(env: NodeJS.ProcessEnv): string | null {
  const address = env.DBUS_SESSION_BUS_ADDRESS ?? ''
  return /(^|;)unix:[^;]*abstract=/.test(address) ? address : null
}

/** Finds `command` on PATH (or as given, with a slash); its real path, or null. */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = command.includes('/') ? [resolve(command)] : (env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, command))
  for (const candidate of candidates) {
    try {
      if (statSync(candidate).isFile()) return realpathSync(candidate)
    } catch {
      // Not here.
    }
  }
  return null
}

/** Checks a path given to `--project` or `--allow`: absolute after resolving, and existing. */
export function boundPath(flag: string, path: string, cwd: string): string {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path)
  if (!existsSync(absolute)) throw new UserError(`${flag} ${path}: no such file or directory.`, 2, 'usage')
  return realpathSync(absolute)
}

/**
 * The read-only tools a sandbox needs that its empty mounts would hide (in the home, in /tmp):
 * Node, cfwrap's own files, the command's directory. Elsewhere the read-only root shows them.
 */
export function sandboxTools(paths: readonly (string | null)[], home: string): string[] {
  const tools = new Set<string>()
  for (const path of paths) if (path && (within(path, home) || within(path, '/tmp'))) tools.add(path)
  return [...tools]
}

/** The package root of a file: the nearest directory above it with a package.json, or its directory. */
export function packageRoot(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir
  return dirname(file)
}
