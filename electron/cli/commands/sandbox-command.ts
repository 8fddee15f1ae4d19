import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { UserError, UsageError } from '../../../shared/common/errors'
import { brokerPaths } from '../../../shared/node/broker/paths'
import { configDir } from '../../../shared/node/paths'
import { abstractBus, boundPath, packageRoot, resolveCommand, sandboxPlan, sandboxTools } from '../../../shared/node/sandbox'
import { exitStatusOf, runWrapped } from '../../../shared/node/wrap'
import type { Invocation } from '../args'

/** `cfwrap --sandbox [--project DIR] [--allow PATH …] [--] COMMAND [ARGS…]`: the command's exit status. */
export async function sandboxCommand(invocation: Invocation): Promise<number> {
  if (process.platform !== 'linux') {
    throw new UserError(`cfwrap --sandbox is Linux-only for now (it uses bubblewrap); on ${process.platform === 'darwin' ? 'macOS' : process.platform === 'win32' ? 'Windows' : process.platform} it is not available yet.`)
  }
  if (process.env.CFWRAP_BROKER) throw new UsageError('already inside cfwrap\'s sandbox.')
  const bwrap = resolveCommand('bwrap', process.env)
  if (!bwrap) throw new UserError('cfwrap --sandbox needs bubblewrap (bwrap): install it with `apt install bubblewrap` (Debian, Ubuntu) or your distribution\'s bubblewrap package.')
  const bus = abstractBus(process.env)
  if (bus) {
    throw new UserError(
      'the session bus listens on an abstract socket, which a sandbox that keeps the network cannot hide: the Secret Service would stay reachable inside. ' +
        'Run the session bus on a socket path (unix:path=…, the default with systemd) to use cfwrap --sandbox.',
    )
  }
  const paths = brokerPaths(process.env)
  if (!existsSync(paths.agent)) throw new UserError('no cfwrap broker runs: start the tray app or `cfwrap --daemon` first, so the sandbox has someone to ask for tokens.')
  const cwd = process.cwd()
  const project = boundPath('--project', (invocation.options['--project'] as string | undefined) ?? cwd, cwd)
  const allow = ((invocation.options['--allow'] as string[] | undefined) ?? []).map((path) => boundPath('--allow', path, cwd))
  const home = process.env.HOME ?? ''
  const [command, ...args] = invocation.command as [string, ...string[]]
  const resolved = resolveCommand(command, process.env)
  const cfwrapScript = process.argv[1] ? packageRoot(process.argv[1]) : null
  const xdgData = process.env.XDG_DATA_HOME ?? join(home, '.local', 'share')
  const plan = sandboxPlan({
    command: [command, ...args],
    project,
    allow,
    // Node, cfwrap itself and the command's own directory, where they live in the home (nvm, ~/.local).
    tools: sandboxTools([dirname(dirname(process.execPath)), cfwrapScript, resolved ? packageRoot(resolved) : null], home),
    agentSocket: paths.agent,
    hidden: [configDir(process.env), paths.dir, paths.root, ...(process.env.XDG_RUNTIME_DIR ? [process.env.XDG_RUNTIME_DIR] : []), join(xdgData, 'keyrings')].filter((dir) => existsSync(dir)),
    env: process.env,
    cwd,
  })
  const exit = await runWrapped({ command: bwrap, args: plan.args, env: plan.env, maskSecret: null })
  if (exit.spawnError) throw new UserError(`cannot start bubblewrap: ${exit.spawnError.code ?? 'it could not be started'}.`)
  if (exit.signal) process.kill(process.pid, exit.signal)
  return exitStatusOf(exit)
}
