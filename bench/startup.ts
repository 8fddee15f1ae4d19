// Start-up cost of the wrapper: `cfwrap --token X true` against `node -e 0` and plain `true`,
// with output piped (as a script or an agent runs it, so masking is on), and again with 1,000
// tokens in the state file. Runs are interleaved so that machine noise hits all alike; medians.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { keychainAccount, keychainNamespace } from '../shared/node/paths'
import { Vault } from '../shared/node/vault'

const CLI = resolve(__dirname, '..', 'out', 'main', 'cfwrap.js')
// The same build without its V8 code caches (electron/cli/code-cache.ts), beside it so that it
// finds the same node_modules: what the caches save, measured in the same interleaved run.
const UNCACHED_DIR = resolve(__dirname, '..', 'out', 'bench-main-without-code-cache')
const UNCACHED_CLI = join(UNCACHED_DIR, 'cfwrap.js')

function timeOnce(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint()
  // stdout is a pipe: the wrapper masks, as it does under a script, CI or an agent.
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] })
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
export async function benchStartup(runs = 40): Promise<StartupFigures> {
  const home = mkdtempSync(join(tmpdir(), 'cfwrap-bench-'))
  const bigHome = mkdtempSync(join(tmpdir(), 'cfwrap-bench-1000-'))
  const env = { ...process.env, CFWRAP_HOME: home }
  const bigEnv = { ...process.env, CFWRAP_HOME: bigHome }
  rmSync(UNCACHED_DIR, { recursive: true, force: true })
  cpSync(resolve(CLI, '..'), UNCACHED_DIR, { recursive: true, filter: (source) => !source.endsWith('.v8cache') })
  try {
    for (const [each, others] of [[env, 9], [bigEnv, 999]] as const) {
      const add = spawnSync(process.execPath, [CLI, '--add', 'bench'], { env: each, input: 'cfut_benchmarksecretbenchmarksecretbenchmarks00000000' })
      if (add.status !== 0) throw new Error(`cfwrap --add failed: ${add.stderr}`)
      await addRecords(each.CFWRAP_HOME as string, others)
    }
    const many: number[] = []
    const wrapped: number[] = []
    const uncached: number[] = []
    const oauth: number[] = []
    const keychain: number[] = []
    const floorRuns: number[] = []
    const spawnRuns: number[] = []
    const node: number[] = []
    const plain: number[] = []
    // The keychain's share: a bare Node process that loads @napi-rs/keyring and reads the token's
    // item over D-Bus the same way cfwrap does, and nothing else.
    const service = JSON.stringify(`cfwrap/${keychainAccount(keychainNamespace(env), 'bench')}`)
    const keychainOnly = `require('@napi-rs/keyring').findCredentialsAsync(${service}).then((found) => { if (found.length !== 1) process.exit(3) })`
    // Start `true` with piped output and pass that on: the least a masking wrapper does, given the
    // child's environment as an expression.
    const pipedSpawn = (childEnv: string): string =>
      `const child = require('node:child_process').spawn('true', [], { stdio: ['inherit', 'pipe', 'pipe'], env: ${childEnv} }); ` +
      `child.stdout.on('data', (d) => process.stdout.write(d)); child.stderr.on('data', (d) => process.stderr.write(d)); child.on('exit', (code) => { process.exitCode = code })`
    // What starting a command with piped output costs on its own.
    const spawnOnly = pipedSpawn('process.env')
    // The floor of any wrapper that keeps the secret in the keychain and masks: read the item (on
    // the thread pool) while child_process loads, then the piped spawn. No arguments, no state,
    // no validation, no masking, no audit.
    const floor =
      `const read = require('@napi-rs/keyring').findCredentialsAsync(${service}); require('node:child_process'); ` +
      `read.then(([item]) => { ${pipedSpawn('{ ...process.env, CLOUDFLARE_API_TOKEN: item.password }')} })`
    const withModules = { ...env, NODE_PATH: resolve(__dirname, '..', 'node_modules') }
    for (let i = 0; i < 3; i++) timeOnce(process.execPath, [CLI, '--token', 'bench', 'true'], env) // warm the page cache
    for (let i = 0; i < runs; i++) {
      wrapped.push(timeOnce(process.execPath, [CLI, '--token', 'bench', 'true'], env))
      many.push(timeOnce(process.execPath, [CLI, '--token', 'bench', 'true'], bigEnv))
      uncached.push(timeOnce(process.execPath, [UNCACHED_CLI, '--token', 'bench', 'true'], env))
      oauth.push(timeOnce(process.execPath, [CLI, '--oauth', 'true'], env))
      keychain.push(timeOnce(process.execPath, ['-e', keychainOnly], withModules))
      floorRuns.push(timeOnce(process.execPath, ['-e', floor], withModules))
      spawnRuns.push(timeOnce(process.execPath, ['-e', spawnOnly], env))
      node.push(timeOnce(process.execPath, ['-e', '0'], env))
      plain.push(timeOnce('true', [], env))
    }
    for (const each of [env, bigEnv]) spawnSync(process.execPath, [CLI, '--remove', 'bench'], { env: each })
    const wrappedMs = median(wrapped)
    const nodeMs = median(node)
    return { runs, wrappedMs, manyTokensMs: median(many), uncachedMs: median(uncached), oauthMs: median(oauth), keychainMs: median(keychain), floorMs: median(floorRuns), spawnMs: median(spawnRuns), nodeMs, trueMs: median(plain), ratio: wrappedMs / nodeMs }
  } finally {
    rmSync(home, { recursive: true, force: true })
    rmSync(bigHome, { recursive: true, force: true })
    rmSync(UNCACHED_DIR, { recursive: true, force: true })
  }
}

/** Figures of the start-up benchmark (medians, ms). */
export interface StartupFigures {
  runs: number
  wrappedMs: number
  /** The same with 1,000 tokens in the state file (10 in `wrappedMs`'s). */
  manyTokensMs: number
  /** The same as `wrappedMs` with a build that has no V8 code caches. */
  uncachedMs: number
  oauthMs: number
  keychainMs: number
  /** A bare script that reads the keychain item and starts `true` with piped output: the least a masking wrapper can cost. */
  floorMs: number
  /** The same script without the keychain read: a piped spawn on its own. */
  spawnMs: number
  nodeMs: number
  trueMs: number
  ratio: number
}

/** Adds `count` dashboard-token records (no secrets: only the state file's size matters) to the vault in `dir`. */
async function addRecords(dir: string, count: number): Promise<void> {
  const vault = Vault.open({ dir })
  await vault.update((state) => {
    for (let i = 0; i < count; i++) {
      state.tokens.push({
        name: `cfwrap:bench:dev:workers-deploy:t${i}`, tokenId: `${i}`.padStart(32, 'a'), accountId: 'b'.repeat(32), zoneId: null, bucket: null,
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(), template: 'workers-deploy', fingerprint: 'c'.repeat(12),
        createdAt: new Date().toISOString(), source: 'minted', role: 'command', temporary: true, status: 'active', owner: 'user',
      })
    }
  })
}

if (require.main === module) {
  void benchStartup(Number(process.argv[2] ?? 40)).then((figures) => console.log(formatStartup(figures)))
}

/** One line of figures for the start-up benchmark. */
export function formatStartup(r: StartupFigures): string {
  return (
    `startup (median of ${r.runs}, output piped): cfwrap --token X true ${r.wrappedMs.toFixed(1)} ms, node -e 0 ${r.nodeMs.toFixed(1)} ms, true ${r.trueMs.toFixed(1)} ms; ratio to node ${r.ratio.toFixed(2)} (goal <= 1.30)\n` +
    `  without the build's V8 code caches: ${r.uncachedMs.toFixed(1)} ms (${(r.uncachedMs / r.nodeMs).toFixed(2)}x node; the caches save ${(r.uncachedMs - r.wrappedMs).toFixed(1)} ms)\n` +
    `  with 1,000 tokens in the state file instead of 10: ${r.manyTokensMs.toFixed(1)} ms, ${(r.manyTokensMs - r.wrappedMs).toFixed(1)} ms more (goal <= 5 ms)\n` +
    `  of which the OS keychain: node + one Secret Service read ${r.keychainMs.toFixed(1)} ms (${(r.keychainMs / r.nodeMs).toFixed(2)}x node); cfwrap --oauth true (no keychain) ${r.oauthMs.toFixed(1)} ms (${(r.oauthMs / r.nodeMs).toFixed(2)}x node)\n` +
    `  floor: a bare script that reads the keychain item while child_process loads, then starts true with piped output, ${r.floorMs.toFixed(1)} ms (${(r.floorMs / r.nodeMs).toFixed(2)}x node); cfwrap is ${(r.wrappedMs / r.floorMs).toFixed(2)}x that floor; without the keychain read (a piped spawn alone) ${r.spawnMs.toFixed(1)} ms (${(r.spawnMs / r.nodeMs).toFixed(2)}x node)`
  )
}
