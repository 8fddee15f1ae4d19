// Runs @doyensec/electronegativity (Electron security misconfiguration checks) over electron/ and
// fails on any HIGH or MEDIUM finding. The tool exits 0 whatever it finds, hence this wrapper;
// `npm run electronegativity` prints the findings, test/unit/electronegativity.test.ts asserts
// there are none that matter. A finding reviewed as a false positive is silenced where it occurs
// with the tool's own `// eng-disable CHECK_ID` comment and a reason beside it.
//
// Offline by construction: the tool fetches translations and Electron's release list over the
// network; both go through the `got` package, which is replaced here by one that fails at once,
// and the release check (AvailableSecurityFixesGlobalCheck, which needs that list) is excluded.
import Module, { createRequire } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** One finding, as this script reports it. */
export interface EnegFinding {
  id: string
  severity: string
  confidence: string
  file: string
  line: number
  sample: string
  description: string
}

/** Severities that fail the check. */
export const FAILING_SEVERITIES = ['HIGH', 'MEDIUM'] as const

const ROOT = resolve(__dirname, '..')

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown
const moduleWithLoad = Module as unknown as { _load: Loader }

/** A stand-in for `got` that fails immediately, as it would with no network, without trying. */
function offlineGot(): Promise<never> {
  return Promise.reject(new Error('electronegativity runs offline here'))
}
offlineGot.head = offlineGot
offlineGot.get = offlineGot

interface RawIssue {
  id: string
  severity: { name?: string } | string
  confidence: { name?: string } | string
  file: string
  location: { line: number; column: number }
  sample: string
  description: string
}

function levelName(level: RawIssue['severity']): string {
  return (typeof level === 'string' ? level : (level.name ?? '')).toUpperCase()
}

/** Runs the checks over `input` (default: electron/) and returns every finding the tool did not silence. */
export async function runElectronegativity(input = join(ROOT, 'electron'), csvOutput?: string): Promise<EnegFinding[]> {
  const originalLoad = moduleWithLoad._load
  moduleWithLoad._load = function (request, parent, isMain) {
    if (request === 'got') return offlineGot
    return originalLoad.call(this, request, parent, isMain)
  }
  // The tool logs "Could not retrieve updated translations" through console.log; keep stdout for findings.
  const originalLog = console.log
  console.log = () => undefined
  try {
    const requireFromHere = createRequire(join(ROOT, 'package.json'))
    const run = requireFromHere('@doyensec/electronegativity') as (options: Record<string, unknown>, forCli?: boolean) => Promise<{ issues: RawIssue[]; errors: unknown[] }>
    const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version
    const result = await run({
      input,
      output: csvOutput,
      isSarif: false,
      customScan: [],
      excludeFromScan: ['availablesecurityfixesglobalcheck'],
      isRelative: true,
      isVerbose: true,
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    })
    return result.issues.map((issue) => ({
      id: issue.id,
      severity: levelName(issue.severity),
      confidence: levelName(issue.confidence),
      file: issue.file,
      line: issue.location.line,
      sample: issue.sample,
      description: issue.description,
    }))
  } finally {
    console.log = originalLog
    moduleWithLoad._load = originalLoad
  }
}

/** The findings that fail the check. */
export function failingFindings(findings: readonly EnegFinding[]): EnegFinding[] {
  return findings.filter((finding) => (FAILING_SEVERITIES as readonly string[]).includes(finding.severity))
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write('usage: npm run electronegativity [-- CSV_PATH]\nChecks electron/ for Electron security misconfigurations offline; exit 1 on any HIGH or MEDIUM finding.\n')
    return
  }
  const csv = process.argv[2]
  const findings = await runElectronegativity(undefined, csv)
  for (const finding of findings) {
    process.stdout.write(`${finding.severity.padEnd(13)} ${finding.id} ${finding.file}:${finding.line}  ${finding.description}\n`)
  }
  const failing = failingFindings(findings)
  process.stdout.write(`electronegativity: ${findings.length} findings, ${failing.length} HIGH or MEDIUM${csv ? ` (CSV: ${csv})` : ''}\n`)
  if (csv) writeFileSync(`${csv}.json`, JSON.stringify(findings, null, 2))
  process.exitCode = failing.length > 0 ? 1 : 0
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(__filename)) void main()
