// `npm run bench`: every benchmark, figures printed (never asserted: timing belongs here, not in tests).
// Run one or some by name: `npm run bench -- startup masking reaper reliability scan watch mcp`.
import { benchMasking, formatMasking } from './masking'
import { benchMcp, formatMcp } from './mcp'
import { benchReaper, formatReaperBench } from './reaper'
import { benchReliability, formatReliability } from './reliability'
import { benchScan, benchWatch, formatScan, formatWatch } from './scan'
import { benchStartup, formatStartup } from './startup'

const only = process.argv.slice(2)
if (only.includes('--help')) {
  console.log('usage: npm run bench [-- startup|masking|reaper|reliability|scan|watch|mcp ...]\nRuns the benchmarks (all by default) and prints their figures.')
  process.exit(0)
}
const unknown = only.filter((name) => !['startup', 'masking', 'reaper', 'reliability', 'scan', 'watch', 'mcp'].includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}; see --help`)
  process.exit(2)
}
const wanted = (name: string): boolean => only.length === 0 || only.includes(name)

async function main(): Promise<void> {
  console.log(`cfwrap benchmarks on ${process.platform}/${process.arch}, node ${process.version}`)
  if (wanted('startup')) console.log(formatStartup(await benchStartup(40)))
  if (wanted('masking')) console.log(formatMasking(benchMasking(200, 3)))
  if (wanted('reaper')) console.log(formatReaperBench(await benchReaper()))
  if (wanted('reliability')) console.log(formatReliability(await benchReliability()))
  if (wanted('scan')) console.log(formatScan(benchScan()))
  if (wanted('watch')) console.log(formatWatch(await benchWatch()))
  if (wanted('mcp')) console.log(formatMcp(await benchMcp()))
}

void main()
