// Leak-scan throughput against secretlint on the same generated tree, and watch latency.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { LeakWatcher } from '../shared/node/leak-watcher'

const ROOT = resolve(__dirname, '..')
const CLI = join(ROOT, 'out', 'main', 'cfwrap.js')
const SECRETLINT = join(ROOT, 'node_modules', 'secretlint', 'bin', 'secretlint.js')

function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Writes `files` files totalling about `megabytes` MB of code, config and logs, a few with secrets. */
export function generateTree(dir: string, files = 10_000, megabytes = 100): { bytes: number; planted: number } {
  const random = prng(7)
  const word = (n: number): string => Array.from({ length: n }, () => ALNUM[Math.floor(random() * ALNUM.length)]).join('')
  const lines = [
    () => `const value${word(4)} = compute(${Math.floor(random() * 1e6)}, "${word(12)}")`,
    () => `export function handler${word(5)}(request, env) { return fetch(env.ORIGIN + "/${word(8)}") }`,
    () => `LOG_LEVEL=info # request ${word(10)} took ${Math.floor(random() * 900)}ms`,
    () => `  - name: step-${word(6)}\n    run: npm run build -- --filter ${word(5)}`,
    () => `2026-11-22T10:${Math.floor(random() * 60)}:00Z INFO user=${word(8)} path=/api/${word(6)} status=200`,
    () => `DATABASE_HOST=db-${word(6)}.internal`,
    () => `// TODO: refactor ${word(20)} before release`,
  ]
  const perFile = Math.floor((megabytes * 1024 * 1024) / files)
  let bytes = 0
  let planted = 0
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `pkg${i % 100}`, `mod${i % 7}`)
    if (i < 700) mkdirSync(sub, { recursive: true })
    const parts: string[] = []
    let size = 0
    while (size < perFile) {
      const line = (lines[Math.floor(random() * lines.length)] as () => string)()
      parts.push(line)
      size += line.length + 1
    }
    if (i % 500 === 0) {
      parts.splice(3, 0, `CLOUDFLARE_API_TOKEN=cfut_${word(40)}${word(8).toLowerCase().replace(/[^a-f0-9]/g, 'a')}`)
      planted++
    }
    const ext = ['.ts', '.js', '.env', '.yaml', '.log', '.md', '.toml'][i % 7]
    const text = `${parts.join('\n')}\n`
    writeFileSync(join(sub, `file${i}${ext}`), text)
    bytes += Buffer.byteLength(text)
  }
  return { bytes, planted }
}

function timeCommand(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { ms: number; stdout: string; status: number | null } {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout: result.stdout, status: result.status }
}

/**
 * Scans the same generated tree with `cfwrap --scan` and with `secretlint`; returns MB/s for each.
 * secretlint had not finished the whole 10,000-file tree after 20 minutes on a 2-core machine, so by default it
 * scans a slice of the same tree (`secretlintSlice` of the 100 package folders, i.e. the same kind
 * of files) and its throughput is measured on that slice; pass 100 to give it the whole tree.
 */
export function benchScan(files = 10_000, megabytes = 100, secretlintSlice = 10): { mb: number; secretlintMb: number; cfwrapMBps: number; secretlintMBps: number; cfwrapFindings: number; secretlintFindings: number; planted: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-scan-bench-'))
  try {
    const tree = join(dir, 'tree')
    const { bytes, planted } = generateTree(tree, files, megabytes)
    const mb = bytes / (1024 * 1024)
    writeFileSync(join(dir, '.secretlintrc.json'), JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }))
    const env = { ...process.env, CFWRAP_HOME: join(dir, 'home') }
    const ours = timeCommand(process.execPath, [CLI, '--scan', '--json', 'tree'], dir, env)
    const slice = Array.from({ length: Math.min(100, secretlintSlice) }, (_, i) => `tree/pkg${i}/**/*`)
    const secretlintMb = secretlintSlice >= 100 ? mb : (mb * Math.min(100, secretlintSlice)) / 100
    const theirs = timeCommand(process.execPath, [SECRETLINT, '--secretlintrc', join(dir, '.secretlintrc.json'), '--format', 'json', '--no-color', ...slice], dir, env)
    const cfwrapFindings = JSON.parse(ours.stdout).findings.length
    // Counted from the report text: it embeds every file's content, too big to be worth parsing.
    const secretlintFindings = theirs.stdout.split('"ruleId":').length - 1
    return { mb, secretlintMb, cfwrapMBps: mb / (ours.ms / 1000), secretlintMBps: secretlintMb / (theirs.ms / 1000), cfwrapFindings, secretlintFindings, planted }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Writes a secret into a watched .env `samples` times; returns write-to-event latency percentiles. */
export async function benchWatch(samples = 60): Promise<{ p50: number; p95: number; max: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-watch-bench-'))
  const latencies: number[] = []
  let resolveEvent: (() => void) | null = null
  const watcher = new LeakWatcher({ profiles: [], roots: [dir], onEvent: (e) => e.type === 'finding' && resolveEvent?.() })
  try {
    await watcher.start()
    const random = prng(11)
    for (let i = 0; i < samples; i++) {
      const secret = `cfut_${Array.from({ length: 40 }, () => ALNUM[Math.floor(random() * ALNUM.length)]).join('')}0a1b2c3d`
      const seen = new Promise<void>((r) => (resolveEvent = r))
      const start = process.hrtime.bigint()
      writeFileSync(join(dir, `.env.${i % 5}`), `APP=1\nCLOUDFLARE_API_TOKEN=${secret}\n`)
      await seen
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6)
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    await watcher.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  latencies.sort((a, b) => a - b)
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number
  return { p50: at(0.5), p95: at(0.95), max: latencies.at(-1) as number }
}

/** One line of figures for the scan benchmark. */
export function formatScan(r: ReturnType<typeof benchScan>): string {
  return `scan (${r.mb.toFixed(0)} MB, 10,000 files): cfwrap --scan ${r.cfwrapMBps.toFixed(1)} MB/s over the whole tree (${r.cfwrapFindings} findings, ${r.planted} planted); secretlint ${r.secretlintMBps.toFixed(2)} MB/s over ${r.secretlintMb.toFixed(0)} MB of it (${r.secretlintFindings} findings); speed-up ${(r.cfwrapMBps / r.secretlintMBps).toFixed(0)}x; goal >= 100 MB/s`
}

/** One line of figures for the watch benchmark. */
export function formatWatch(r: Awaited<ReturnType<typeof benchWatch>>): string {
  return `watch latency (write to finding event): p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, max ${r.max.toFixed(0)} ms (goal p95 <= 300 ms)`
}

if (require.main === module) {
  void (async () => {
    console.log(formatScan(benchScan(10_000, 100, Number(process.argv[2] ?? 10))))
    console.log(formatWatch(await benchWatch()))
  })()
}
