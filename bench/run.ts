// `npm run bench`: every benchmark, figures printed (never asserted: timing belongs here, not in tests).
// Run one or some by name: `npm run bench -- startup masking reaper reliability scan watch daemon mcp`.
import { loadavg } from 'node:os'
import { benchDaemon, formatDaemon } from './daemon'
import { benchMasking, formatMasking } from './masking'
import { benchMcp, formatMcp } from './mcp'
import { benchReaper, formatReaperBench } from './reaper'
import { benchReliability, formatReliability } from './reliability'
import { benchScan, benchWatch, formatScan, formatWatch } from './scan'
import { benchStartup, formatStartup } from './startup'

const only = process.argv.slice(2)
if (only.includes('--help')) {
  console.log('usage: npm run bench [-- startup|masking|reaper|reliability|scan|watch|daemon|mcp ...]\nRuns the benchmarks (all by default) and prints their figures.')
  process.exit(0)
}
const unknown = only.filter((name) => !['startup', 'masking', 'reaper', 'reliability', 'scan', 'watch', 'daemon', 'mcp'].includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}; see --help`)
  process.exit(2)
}
const wanted = (name: string): boolean => only.length === 0 || only.includes(name)

async function main(): Promise<void> {
  const load = (): string => loadavg().map((value) => value.toFixed(2)).join(' ')
  console.log(`cfwrap benchmarks on ${process.platform}/${process.arch}, node ${process.version}; load average ${load()} at the start`)
  if (wanted('startup')) console.log(formatStartup(await benchStartup(40)))
  // 1 GB: long enough that the wrapper's own start-up (~80 ms, the start-up benchmark's figure) is
  // not a third of what is timed, as it is at 200 MB on a machine where `cat | cat` moves 1 GB/s.
  if (wanted('masking')) console.log(formatMasking(benchMasking(1000, 5)))
  if (wanted('reaper')) {
    console.log(formatReaperBench(await benchReaper()))
    // The goal is for a loaded machine: two processes keep both cores busy for the whole run.
    console.log(formatReaperBench(await benchReaper(200, 10_000, { load: 2 })))
  }
  if (wanted('reliability')) console.log(formatReliability(await benchReliability()))
  if (wanted('scan')) console.log(formatScan(benchScan()))
  if (wanted('watch')) console.log(formatWatch(await benchWatch()))
  if (wanted('daemon')) console.log(formatDaemon(await benchDaemon(20, 500), await benchDaemon(1, 100_000)))
  if (wanted('mcp')) console.log(formatMcp(await benchMcp()))
  console.log(`load average ${load()} at the end`)
}

void main()
