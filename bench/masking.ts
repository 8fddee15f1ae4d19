// Masked-output throughput: `cfwrap --token X cat FILE > out` against plain `cat FILE > out` on a
// 200 MB file, so the wrapper's masking pipe is measured end to end through real processes.
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const CLI = resolve(__dirname, '..', 'out', 'main', 'cfwrap.js')
const SECRET = 'cfut_benchmarksecretbenchmarksecretbenchmarks00000000'

function timeToFile(command: string, args: string[], outPath: string, env: NodeJS.ProcessEnv): number {
  const out = openSync(outPath, 'w')
  try {
    const start = process.hrtime.bigint()
    const result = spawnSync(command, args, { env, stdio: ['ignore', out, 'inherit'] })
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (result.status !== 0) throw new Error(`${command} exited ${result.status}`)
    return ms
  } finally {
    closeSync(out)
  }
}

/** Runs the masking benchmark on a generated file of `megabytes` MB and returns MB/s for both. */
export function benchMasking(megabytes = 200, runs = 3): { catMBps: number; pipedCatMBps: number; wrappedMBps: number; ratio: number; ratioToPipedCat: number; masked: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-mask-bench-'))
  const env = { ...process.env, CFWRAP_HOME: dir }
  try {
    const input = join(dir, 'input.txt')
    // Log-like lines; every 5,000th line carries the secret, some split-looking near misses too.
    const block: string[] = []
    for (let i = 0; i < 5000; i++) block.push(i === 0 ? `deploy token=${SECRET} ok\n` : `2026-11-22T10:00:${String(i % 60).padStart(2, '0')}Z info request ${i} cfut_ near miss ${i * 7919}\n`)
    const chunk = Buffer.from(block.join(''))
    const fd = openSync(input, 'w')
    let written = 0
    while (written < megabytes * 1024 * 1024) written += writeSync(fd, chunk)
    closeSync(fd)
    const size = statSync(input).size
    const add = spawnSync(process.execPath, [CLI, '--add', 'bench'], { env, input: SECRET })
    if (add.status !== 0) throw new Error(`cfwrap --add failed: ${add.stderr}`)
    const output = join(dir, 'out.txt')
    const cat: number[] = []
    const piped: number[] = []
    const wrapped: number[] = []
    for (let i = 0; i < runs; i++) {
      cat.push(timeToFile('cat', [input], output, env))
      // The same bytes through one pipe, as any masker must pass them: the floor for masking.
      piped.push(timeToFile('sh', ['-c', 'cat "$0" | cat', input], output, env))
      wrapped.push(timeToFile(process.execPath, [CLI, '--token', 'bench', 'cat', input], output, env))
    }
    const text = readFileSync(output)
    const masked = text.toString('latin1').split('[cfwrap:masked]').length - 1
    if (text.includes(SECRET)) throw new Error('the secret leaked through the masking pipe')
    spawnSync(process.execPath, [CLI, '--remove', 'bench'], { env })
    const mb = size / (1024 * 1024)
    const best = (xs: number[]): number => Math.min(...xs)
    const catMBps = mb / (best(cat) / 1000)
    const wrappedMBps = mb / (best(wrapped) / 1000)
    const pipedCatMBps = mb / (best(piped) / 1000)
    return { catMBps, pipedCatMBps, wrappedMBps, ratio: wrappedMBps / catMBps, ratioToPipedCat: wrappedMBps / pipedCatMBps, masked }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (require.main === module) {
  const r = benchMasking(Number(process.argv[2] ?? 200))
  console.log(formatMasking(r))
}

/** One line of figures for the masking benchmark. */
export function formatMasking(r: ReturnType<typeof benchMasking>): string {
  return `masking (200 MB to a file): cat ${r.catMBps.toFixed(0)} MB/s, cat|cat ${r.pipedCatMBps.toFixed(0)} MB/s, cfwrap --token X cat ${r.wrappedMBps.toFixed(0)} MB/s; ratio to cat ${r.ratio.toFixed(2)} (target >= 0.50), to cat|cat ${r.ratioToPipedCat.toFixed(2)}; ${r.masked} occurrences masked`
}
