// cfwrap's dispatcher. Running a command (the hot path) is imported statically; every other
// mode's code is imported lazily when that mode is chosen.
import { UsageError, UserError } from '../../shared/common/errors'
import { parseArgs, type Invocation, type Mode } from './args'
import { printError, printWarning } from './output'
import { runCommand } from './commands/run'

type Command = (invocation: Invocation) => Promise<number>

/**
 * Each mode's code, loaded only when that mode is chosen (a chunk of its own in the bundle). Keyed by
 * the parser's table (`MODE_SPECS` in args.ts): a mode without a loader does not compile.
 */
const LOADERS: Record<Mode, () => Promise<Command>> = {
  help: async () => {
    const { HELP_TEXT } = await import('./help')
    return async () => {
      process.stdout.write(HELP_TEXT)
      return 0
    }
  },
  version: async () => {
    const { version } = await import('../../package.json')
    return async () => {
      process.stdout.write(`cfwrap ${version}\n`)
      return 0
    }
  },
  // Static on purpose: running a command is the hot path, so it lives in the entry bundle itself.
  run: async () => runCommand,
  add: async () => (await import('./commands/vault-commands')).vaultCommand,
  list: async () => (await import('./commands/vault-commands')).vaultCommand,
  remove: async () => (await import('./commands/vault-commands')).vaultCommand,
  bind: async () => (await import('./commands/vault-commands')).vaultCommand,
  unbind: async () => (await import('./commands/vault-commands')).vaultCommand,
  setup: async () => (await import('./commands/token-commands')).tokenCommand,
  mint: async () => (await import('./commands/token-commands')).tokenCommand,
  revoke: async () => (await import('./commands/token-commands')).tokenCommand,
  'revoke-all': async () => (await import('./commands/token-commands')).tokenCommand,
  roll: async () => (await import('./commands/token-commands')).tokenCommand,
  reap: async () => (await import('./commands/token-commands')).tokenCommand,
  daemon: async () => (await import('./commands/daemon')).daemonCommand,
  scan: async () => (await import('./commands/watch-commands')).watchCommand,
  doctor: async () => (await import('./commands/watch-commands')).watchCommand,
  adopt: async () => (await import('./commands/adopt-command')).adoptCommand,
  'install-git-hook': async () => (await import('./commands/watch-commands')).watchCommand,
  'uninstall-git-hook': async () => (await import('./commands/watch-commands')).watchCommand,
  pending: async () => (await import('./commands/broker-commands')).brokerCommand,
  approve: async () => (await import('./commands/broker-commands')).brokerCommand,
  deny: async () => (await import('./commands/broker-commands')).brokerCommand,
  policy: async () => (await import('./commands/broker-commands')).brokerCommand,
  sandbox: async () => (await import('./commands/sandbox-command')).sandboxCommand,
  templates: async () => (await import('./commands/templates-command')).templatesCommand,
  mcp: async () => (await import('./commands/mcp-command')).mcpCommand,
}

/** What works inside `cfwrap --sandbox`, where there is no keychain and no state: what asks the broker. */
const SANDBOX_MODES = new Set<Invocation['mode']>(['run', 'mint', 'list', 'revoke', 'mcp', 'help', 'version'])

async function dispatch(invocation: Invocation): Promise<number> {
  // The hot path skips even the loader's promise hop.
  if (invocation.mode === 'run') return runCommand(invocation)
  if (process.env.CFWRAP_BROKER && !SANDBOX_MODES.has(invocation.mode)) {
    throw new UsageError(`--${invocation.mode} is not available inside cfwrap's sandbox: there is no keychain and no state here, only the broker (--mint, --token, --list, --revoke).`)
  }
  return (await LOADERS[invocation.mode]())(invocation)
}

/** Modes that print what is wrong with the state file after they ran (the run path stays quiet and fast). */
const REPORTS_STATE_PROBLEMS = new Set<Invocation['mode']>(['add', 'list', 'remove', 'bind', 'unbind', 'setup', 'mint', 'revoke', 'revoke-all', 'reap', 'doctor'])

/** Exit status of a command whose reader went away, as a shell reports `cat` killed by SIGPIPE (128 + 13). */
export const CLOSED_PIPE_STATUS = 141

/**
 * Ends the command quietly when its output goes to a pipe whose reader left (`cfwrap --list | head`),
 * as `cat` does, instead of an unhandled EPIPE with a stack.
 */
function endQuietlyOnClosedPipe(): void {
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') process.exit(CLOSED_PIPE_STATUS)
    throw error
  }
  process.stdout.on('error', onError)
  process.stderr.on('error', onError)
}

/** Runs cfwrap with the given arguments and sets the exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  let mode: Invocation['mode'] | null = null
  try {
    const invocation = parseArgs(argv)
    mode = invocation.mode
    // The daemon outlives its reader (its events also go to the audit log); the run path has its own.
    if (mode !== 'run' && mode !== 'daemon') endQuietlyOnClosedPipe()
    process.exitCode = await dispatch(invocation)
  } catch (error) {
    // The command's own error already says where the damaged file went.
    if (error instanceof Error && error.name === 'CorruptStateError') mode = null
    if (error instanceof UserError) {
      printError(error.message)
      process.exitCode = error.exitCode
    } else {
      // Unexpected: show the message but not a stack (stacks can carry values from deep frames).
      printError(`unexpected error: ${error instanceof Error ? error.message : String(error)}`)
      process.exitCode = 1
    }
  }
  if (mode !== null && REPORTS_STATE_PROBLEMS.has(mode)) {
    try {
      const { Vault } = await import('../../shared/node/vault')
      for (const problem of Vault.open().problems()) printWarning(`cfwrap: warning: ${problem.message}`)
    } catch {
      // The state directory itself is unusable: the command has said so already.
    }
  }
}

