// Masked-output throughput through real processes, interleaved runs, medians:
//   into a file:  cfwrap --token X cat FILE > out    against  cat FILE > out   and  cat FILE | cat > out
//   into a pipe:  cfwrap --token X cat FILE | wc -c  against  cat FILE | cat | wc -c
// (any masker must pass the bytes through one more pipe, so `cat | cat` is the floor to compare with).
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const CLI = resolve(__dirname, '..', 'out', 'main', 'cfwrap.js')
const SECRET = 'cfut_benchmarksecretbenchmarksecretbenchmarks00000000'

/** Wall time of `sh -c script` (positional parameters $1.. from `args`), in ms. */
function timeShell(script: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint()
  const result = spawnSync('sh', ['-c', script, 'sh', ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${script} exited ${result.status}`)
  return ms
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Figures of the masking benchmark (MB/s, medians of interleaved runs). */
export interface MaskingFigures {
  mb: number
  runs: number
  catMBps: number
  pipedCatMBps: number
  wrappedMBps: number
  pipeFloorMBps: number
  wrappedIntoPipeMBps: number
  masked: number
}

/** Runs the masking benchmark on a generated file of `megabytes` MB. */
export function benchMasking(megabytes = 1000, runs = 5): MaskingFigures {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-mask-bench-'))
  const env = { ...process.env, CFWRAP_HOME: join(dir, 'home') }
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
    const times = { cat: [] as number[], piped: [] as number[], wrapped: [] as number[], pipeFloor: [] as number[], wrappedIntoPipe: [] as number[] }
    for (let i = 0; i < runs; i++) {
      times.cat.push(timeShell('cat "$1" > "$2"', [input, output], env))
      times.piped.push(timeShell('cat "$1" | cat > "$2"', [input, output], env))
      times.wrapped.push(timeShell('"$3" "$4" --token bench cat "$1" > "$2"', [input, output, process.execPath, CLI], env))
      times.pipeFloor.push(timeShell('cat "$1" | cat | wc -c > /dev/null', [input], env))
      times.wrappedIntoPipe.push(timeShell('"$2" "$3" --token bench cat "$1" | wc -c > /dev/null', [input, process.execPath, CLI], env))
    }
    timeShell('"$3" "$4" --token bench cat "$1" > "$2"', [input, output, process.execPath, CLI], env)
    const text = readFileSync(output)
    let masked = 0
    for (let at = text.indexOf('[cfwrap:masked]'); at !== -1; at = text.indexOf('[cfwrap:masked]', at + 1)) masked++
    if (text.includes(SECRET)) throw new Error('the secret leaked through the masking pipe')
    if (text.length !== size - masked * (SECRET.length - '[cfwrap:masked]'.length)) throw new Error('the masked output lost or gained bytes')
    const mb = size / (1024 * 1024)
    const rate = (xs: number[]): number => mb / (median(xs) / 1000)
    return {
      mb,
      runs,
      catMBps: rate(times.cat),
      pipedCatMBps: rate(times.piped),
      wrappedMBps: rate(times.wrapped),
      pipeFloorMBps: rate(times.pipeFloor),
      wrappedIntoPipeMBps: rate(times.wrappedIntoPipe),
      masked,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Lines of figures for the masking benchmark, each ratio beside its goal. */
export function formatMasking(r: MaskingFigures): string {
  return [
    `masking into a file (${r.mb.toFixed(0)} MB, median of ${r.runs}): cfwrap --token X cat ${r.wrappedMBps.toFixed(0)} MB/s, cat ${r.catMBps.toFixed(0)} MB/s, cat|cat ${r.pipedCatMBps.toFixed(0)} MB/s; ratio to cat ${(r.wrappedMBps / r.catMBps).toFixed(2)} (goal >= 0.45), to cat|cat ${(r.wrappedMBps / r.pipedCatMBps).toFixed(2)}; ${r.masked} occurrences masked`,
    `masking into a pipe: cfwrap --token X cat | wc ${r.wrappedIntoPipeMBps.toFixed(0)} MB/s, cat | cat | wc ${r.pipeFloorMBps.toFixed(0)} MB/s; ratio ${(r.wrappedIntoPipeMBps / r.pipeFloorMBps).toFixed(2)} (goal >= 0.80)`,
  ].join('\n')
}

if (require.main === module) {
  console.log(formatMasking(benchMasking(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 5))))
}
