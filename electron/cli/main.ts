// cfwrap's dispatcher. Running a command (the hot path) is imported statically; every other
// mode's code is imported lazily when that mode is chosen.
import { UserError } from '../../shared/common/errors'
import { parseArgs, type Invocation } from './args'
import { printError, printWarning } from './output'
// Static on purpose: running a command is the hot path, so it lives in the entry file itself.
import { runCommand } from './commands/run'

async function dispatch(invocation: Invocation): Promise<number> {
  switch (invocation.mode) {
    case 'help': {
      const { HELP_TEXT } = await import('./help')
      process.stdout.write(HELP_TEXT)
      return 0
    }
    case 'version': {
      const { version } = await import('../../package.json')
      process.stdout.write(`cfwrap ${version}\n`)
      return 0
    }
    case 'run':
      return runCommand(invocation)
    case 'add':
    case 'list':
    case 'remove':
    case 'bind':
    case 'unbind':
      return (await import('./commands/vault-commands')).vaultCommand(invocation)
    case 'setup':
    case 'mint':
    case 'revoke':
    case 'revoke-all':
    case 'reap':
      return (await import('./commands/token-commands')).tokenCommand(invocation)
    case 'daemon':
      return (await import('./commands/daemon')).daemonCommand(invocation)
    case 'scan':
    case 'doctor':
      return (await import('./commands/watch-commands')).watchCommand(invocation)
  }
}

/** Modes that print what is wrong with the state file after they ran (the run path stays quiet and fast). */
const REPORTS_STATE_PROBLEMS = new Set<Invocation['mode']>(['add', 'list', 'remove', 'bind', 'unbind', 'setup', 'mint', 'revoke', 'revoke-all', 'reap', 'doctor'])

/** Runs cfwrap with the given arguments and sets the exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  let mode: Invocation['mode'] | null = null
  try {
    const invocation = parseArgs(argv)
    mode = invocation.mode
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

