// The cost of `run_with_token` of `cfwrap --mcp` over running the same command with
// `cfwrap --token NAME`: a broker (`cfwrap --daemon`) in front of the fake API, the real keychain,
// a granted token, and `node -e 0` as the command (so the figure is cfwrap's own). Interleaved,
// medians of 20; the MCP client is the SDK's own, connected once (an agent keeps it open).
//
//   npm run bench -- mcp
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { CLI, cliEnv } from '../test/support/cli'
import { makeWorld, waitFor } from '../test/support/token-harness'

/** Figures of one run. */
export interface McpBenchResult {
  mcpMs: number
  /** `cfwrap --token` outside the sandbox: the secret from the keychain. */
  keychainMs: number
  /** `cfwrap --token` as inside the sandbox: the secret leased from the broker. */
  wrappedMs: number
  overheadMs: number
  /** Start-up as in the startup bench, `cfwrap --token NAME true` with output piped: the secret from the keychain, and leased from the broker. */
  startKeychainMs: number
  startLeasedMs: number
  nodeMs: number
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

/** Runs the built CLI to completion (asynchronously: the fake API answers from this process); its wall time in ms. */
function timeCli(args: string[], env: NodeJS.ProcessEnv, options: { piped?: boolean; bare?: boolean } = {}): Promise<number> {
  const started = process.hrtime.bigint()
  // Piped output: the wrapper masks, as under a script or an agent.
  const child = spawn(process.execPath, options.bare ? args : [CLI, ...args], { env, stdio: ['ignore', options.piped ? 'pipe' : 'ignore', 'ignore'] })
  child.stdout?.resume()
  return new Promise((resolve, reject) =>
    child.on('close', (status) => (status === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`cfwrap ${args.join(' ')} exited ${status}`)))),
  )
}

/** Measures both ways of running one command with a token the broker granted. */
export async function benchMcp(runs = 20): Promise<McpBenchResult> {
  const world = await makeWorld()
  await world.vault.update((state) => {
    state.settings = { ...state.settings, runAllowlist: [['node']] }
  })
  const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
  const daemon = spawn(process.execPath, [CLI, '--daemon', '--json'], { env, stdio: ['ignore', 'pipe', 'ignore'] })
  const lines: string[] = []
  createInterface({ input: daemon.stdout }).on('line', (line) => lines.push(line))
  const client = new Client({ name: 'cfwrap-bench', version: '1.0.0' })
  try {
    await waitFor(() => lines.some((line) => line.includes('daemon-started')), 20_000, 'the daemon')
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--mcp'], env: env as Record<string, string>, cwd: world.home }))
    const granted = (await client.callTool({ name: 'request_token', arguments: { template: 'read-only', project: 'bench', env: 'dev', account: world.fake.account.id } })) as { structuredContent?: { token?: { name: string } } }
    const name = granted.structuredContent?.token?.name
    if (!name) throw new Error('no token granted')
    // Outside the sandbox `cfwrap --token` reads the keychain; inside it leases from the broker like the MCP server does.
    const inside = { ...env, CFWRAP_BROKER: (await import('../shared/node/broker/paths')).brokerPaths(env).agent }
    const mcp: number[] = []
    const wrapped: number[] = []
    const keychain: number[] = []
    const startKeychain: number[] = []
    const startLeased: number[] = []
    const node: number[] = []
    for (let i = 0; i < runs + 2; i++) {
      const starts = [
        await timeCli(['--token', name, 'true'], env, { piped: true }),
        await timeCli(['--token', name, 'true'], inside, { piped: true }),
        await timeCli(['-e', '0'], env, { piped: true, bare: true }),
      ]
      const started = process.hrtime.bigint()
      await client.callTool({ name: 'run_with_token', arguments: { token: name, argv: ['node', '-e', '0'] } })
      const mcpMs = Number(process.hrtime.bigint() - started) / 1e6
      const wrappedMs = await timeCli(['--token', name, process.execPath, '-e', '0'], inside)
      const keychainMs = await timeCli(['--token', name, process.execPath, '-e', '0'], env)
      if (i >= 2) {
        mcp.push(mcpMs)
        wrapped.push(wrappedMs)
        keychain.push(keychainMs)
        startKeychain.push(starts[0] as number)
        startLeased.push(starts[1] as number)
        node.push(starts[2] as number)
      }
    }
    return {
      mcpMs: median(mcp),
      keychainMs: median(keychain),
      wrappedMs: median(wrapped),
      overheadMs: median(mcp) - median(keychain),
      startKeychainMs: median(startKeychain),
      startLeasedMs: median(startLeased),
      nodeMs: median(node),
    }
  } finally {
    await client.close().catch(() => undefined)
    daemon.kill('SIGTERM')
    await new Promise((resolve) => daemon.once('close', resolve))
    await world.cleanup()
  }
}

/** The figures in one line. */
export function formatMcp(result: McpBenchResult): string {
  const ratio = (ms: number): string => (ms / result.nodeMs).toFixed(2)
  return (
    `mcp (median of 20, command node -e 0): run_with_token ${result.mcpMs.toFixed(1)} ms; cfwrap --token ${result.keychainMs.toFixed(1)} ms (keychain), ${result.wrappedMs.toFixed(1)} ms (leased, as in the sandbox); the tool call is ${Math.abs(result.overheadMs).toFixed(1)} ms ${result.overheadMs < 0 ? 'faster' : 'slower'} than cfwrap --token (the MCP server is already running)\n` +
    `  start-up with a broker running, cfwrap --token X true, output piped, vs node -e 0 ${result.nodeMs.toFixed(1)} ms: secret from the keychain ${result.startKeychainMs.toFixed(1)} ms (${ratio(result.startKeychainMs)}x), leased from the broker ${result.startLeasedMs.toFixed(1)} ms (${ratio(result.startLeasedMs)}x; goal <= 1.20)`
  )
}
