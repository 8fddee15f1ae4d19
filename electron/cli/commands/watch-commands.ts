import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { relative } from 'node:path'
import { UsageError } from '../../../shared/common/errors'
import { ADOPTABLE_KINDS, SECRET_KIND_INFO } from '../../../shared/common/scan'
import type { KnownFinding } from '../../../shared/node/core-api'
import { shellProfilePaths } from '../../../shared/node/shell-profiles'
import type { Invocation } from '../args'
import { openService } from '../service'

function home(): string {
  return process.env.HOME || homedir()
}

function printFinding(finding: KnownFinding): void {
  const info = SECRET_KIND_INFO[finding.kind]
  const known = finding.knownToken
  const match = known ? `  this is your token ${known}: revoke it with \`cfwrap --revoke ${known}\`` : ''
  const verdict = finding.verified
  const alive = verdict
    ? `  ${verdict.status === 'active' ? `ALIVE${verdict.expiresOn ? ` until ${verdict.expiresOn}` : ', no deadline'}` : verdict.status === 'unknown' ? `liveness unknown (${verdict.detail ?? 'not asked'})` : verdict.status}${verdict.inVault ? ', one of this vault\'s' : ''}`
    : ''
  process.stdout.write(`${finding.file}:${finding.line}:${finding.column}  ${finding.severity}  ${info.title}${finding.variable ? ` (${finding.variable})` : ''}  fingerprint ${finding.fingerprint}${finding.commented ? '  commented out' : ''}${alive}${match}\n`)
  // The same "why it matters / how to fix" as the window, and the one-step fix where there is one.
  process.stdout.write(`    why: ${info.whyItMatters}\n    fix: ${info.howToFix}\n`)
  if (ADOPTABLE_KINDS.has(finding.kind) && !finding.commented && !known) {
    process.stdout.write(`    or in one step: cfwrap --adopt ${finding.file}:${finding.line}  (moves it to the keychain and leaves a comment)\n`)
  }
}

/** A finding as `--json` prints it: where, what and its fingerprint, never the value. */
function findingJson(finding: KnownFinding): Record<string, unknown> {
  const { file, line, column, kind, severity, fingerprint, variable, knownToken, verified } = finding
  return { file, line, column, kind, severity, fingerprint, ...(variable !== undefined ? { variable } : {}), ...(knownToken ? { knownToken } : {}), ...(verified ? { verified } : {}) }
}

/** `--scan [PATH…] [--json]` and `--doctor [--json]`. */
export async function watchCommand(invocation: Invocation): Promise<number> {
  if (invocation.mode === 'install-git-hook' || invocation.mode === 'uninstall-git-hook') return gitHookCommand(invocation.mode === 'install-git-hook')
  return invocation.mode === 'scan' ? scanCommand(invocation) : doctorCommand(invocation)
}

/** `--install-git-hook` / `--uninstall-git-hook` in the repository of the current directory. */
async function gitHookCommand(install: boolean): Promise<number> {
  const service = openService()
  if (install) {
    const installed = (await service.gitHook({ cwd: process.cwd(), install: true, cfwrap: { node: process.execPath, script: process.argv[1] ?? '' } })) as { path: string; kept: string | null }
    process.stdout.write(`installed ${installed.path}: every commit here is scanned first and refused when it adds a secret${installed.kept ? ` (the hook that was there runs first, from ${installed.kept})` : ''}.\n`)
    return 0
  }
  const removed = (await service.gitHook({ cwd: process.cwd(), install: false })) as { path: string; restored: boolean } | null
  process.stdout.write(removed ? `removed cfwrap's hook ${removed.path}${removed.restored ? '; the previous hook is back' : ''}.\n` : 'no cfwrap hook is installed here.\n')
  return 0
}

/** `cfwrap --scan [PATH…]`: exit 1 when anything was found. */
async function scanCommand(invocation: Invocation): Promise<number> {
  if (invocation.options['--staged'] === true && invocation.paths.length > 0) throw new UsageError('--scan --staged scans what git would commit; it takes no paths.')
  if (invocation.options['--staged'] === true && invocation.options['--verify'] === true) throw new UsageError('--verify goes with a scan of files, not with --staged.')
  for (const path of invocation.paths) if (path.startsWith('-')) throw new UsageError(`--scan takes paths; put options before them (got ${path}).`)
  for (const path of invocation.paths) if (!existsQuiet(path, true)) throw new UsageError(`--scan: ${path} does not exist.`)
  // With no path: the shell start-up files and the current directory.
  const paths = invocation.paths.length > 0 ? invocation.paths : [...shellProfilePaths(home()).filter((p) => existsQuiet(p)), '.']
  const verify = invocation.options['--verify'] === true
  const report = await openService().scan(invocation.options['--staged'] === true ? { staged: process.cwd() } : { paths, verify })
  if (invocation.options['--json'] === true) {
    process.stdout.write(`${JSON.stringify({ findings: report.findings.map(findingJson), skipped: report.skipped, notices: report.notices })}\n`)
  } else {
    for (const finding of report.findings) printFinding(finding)
    for (const skipped of report.skipped) process.stderr.write(`cfwrap: skipped ${skipped.file}: ${skipped.reason} (${skipped.detail})\n`)
    for (const notice of report.notices) process.stderr.write(`cfwrap: note: ${notice.file} ${notice.detail}\n`)
    process.stderr.write(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} in ${report.filesScanned} file${report.filesScanned === 1 ? '' : 's'} scanned.\n`)
    if (invocation.options['--staged'] === true && report.findings.length > 0) {
      process.stderr.write('cfwrap: the commit is refused: the staged changes hold a secret. Take it out (and `git add` again), keep it with `cfwrap --add NAME`, and rotate it if it was ever pushed.\n')
    }
  }
  return report.findings.length > 0 ? 1 : 0
}

/** `cfwrap --doctor`: exit 1 when anything needs attention. */
async function doctorCommand(invocation: Invocation): Promise<number> {
  const report = await openService().doctor()
  if (invocation.options['--json'] === true) {
    process.stdout.write(`${JSON.stringify({ ...report, findings: report.findings.map(findingJson) })}\n`)
    return report.ok ? 0 : 1
  }
  const { vault } = report
  const out = (line: string): boolean => process.stdout.write(`${line}\n`)
  out(`Shell start-up files: ${report.profiles.length ? report.profiles.map((p) => relative(home(), p) || p).join(', ') : 'none found'}`)
  for (const finding of report.findings) printFinding(finding)
  out(`Wrangler OAuth login: ${report.wranglerLogins.length ? report.wranglerLogins.join(', ') : 'none'}`)
  for (const shadow of report.shadows) out(`  shadowed: ${shadow.message}\n    fix: ${shadow.fix}`)
  out(`Vault: ${vault.dir}; keychain ${vault.keychain === 'ok' ? 'reachable' : 'NOT reachable'}; ${vault.tokens} token(s)${vault.expired.length ? `, expired: ${vault.expired.join(', ')}` : ''}`)
  out(`Minting credential: ${vault.mintingCredential ? `${vault.mintingCredential.name} (fingerprint ${vault.mintingCredential.fingerprint})` : 'not set up (cfwrap --setup)'}`)
  out(report.problems.length ? `Problems:\n${report.problems.map((p) => `  - ${p}`).join('\n')}` : 'No problems found.')
  return report.ok ? 0 : 1
}

/** Whether `path` is a file (or, with `anyKind`, exists at all: a directory, a dangling-free link). */
function existsQuiet(path: string, anyKind = false): boolean {
  try {
    const stat = statSync(path)
    return anyKind || stat.isFile()
  } catch {
    return false
  }
}
