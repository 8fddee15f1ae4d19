// Start-up cost of the wrapper: `cfwrap --token X true` against `node -e 0` and plain `true`.
// Runs are interleaved so that machine noise hits all three alike; medians are reported.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const CLI = resolve(__dirname, '..', 'out', 'main', 'cfwrap.js')

function timeOnce(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`)
  return elapsed
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Runs the start-up benchmark and returns its figures. */
export function benchStartup(runs = 40): { wrappedMs: number; oauthMs: number; keychainMs: number; nodeMs: number; trueMs: number; ratio: number } {
  const home = mkdtempSync(join(tmpdir(), 'cfwrap-bench-'))
  const env = { ...process.env, CFWRAP_HOME: home }
  try {
    const add = spawnSync(process.execPath, [CLI, '--add', 'bench'], { env, input: 'cfut_benchmarksecretbenchmarksecretbenchmarks00000000' })
    if (add.status !== 0) throw new Error(`cfwrap --add failed: ${add.stderr}`)
    const wrapped: number[] = []
    const oauth: number[] = []
    const keychain: number[] = []
    const node: number[] = []
    const plain: number[] = []
    // The keychain's share: a bare Node process that loads @napi-rs/keyring and reads one item
    // over D-Bus the same way cfwrap does, and nothing else.
    const keychainOnly = `require('@napi-rs/keyring').findCredentialsAsync('cfwrap/none').then(() => 0)`
    for (let i = 0; i < 3; i++) timeOnce(process.execPath, [CLI, '--token', 'bench', 'true'], env) // warm the page cache
    for (let i = 0; i < runs; i++) {
      wrapped.push(timeOnce(process.execPath, [CLI, '--token', 'bench', 'true'], env))
      oauth.push(timeOnce(process.execPath, [CLI, '--oauth', 'true'], env))
      keychain.push(timeOnce(process.execPath, ['-e', keychainOnly], { ...env, NODE_PATH: resolve(__dirname, '..', 'node_modules') }))
      node.push(timeOnce(process.execPath, ['-e', '0'], env))
      plain.push(timeOnce('true', [], env))
    }
    spawnSync(process.execPath, [CLI, '--remove', 'bench'], { env })
    const wrappedMs = median(wrapped)
    const nodeMs = median(node)
    return { wrappedMs, oauthMs: median(oauth), keychainMs: median(keychain), nodeMs, trueMs: median(plain), ratio: wrappedMs / nodeMs }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

if (require.main === module) {
  console.log(formatStartup(benchStartup(Number(process.argv[2] ?? 40))))
}

/** One line of figures for the start-up benchmark. */
export function formatStartup(r: ReturnType<typeof benchStartup>): string {
  return (
    `startup (median): cfwrap --token X true ${r.wrappedMs.toFixed(1)} ms, node -e 0 ${r.nodeMs.toFixed(1)} ms, true ${r.trueMs.toFixed(1)} ms; ratio to node ${r.ratio.toFixed(2)} (target <= 1.30)\n` +
    `  of which the OS keychain: node + one Secret Service read ${r.keychainMs.toFixed(1)} ms (${(r.keychainMs / r.nodeMs).toFixed(2)}x node); cfwrap --oauth true (no keychain) ${r.oauthMs.toFixed(1)} ms (${(r.oauthMs / r.nodeMs).toFixed(2)}x node)`
  )
}
