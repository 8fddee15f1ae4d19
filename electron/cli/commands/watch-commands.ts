import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { relative } from 'node:path'
import { UsageError } from '../../../shared/common/errors'
import { SECRET_KIND_INFO, type Finding } from '../../../shared/common/scan'
import type { TokenRecord } from '../../../shared/common/state'
import { profileTest, scanPaths } from '../../../shared/node/file-scan'
import { detectShadowing, findWranglerLogins } from '../../../shared/node/shadow'
import { shellProfilePaths } from '../../../shared/node/shell-profiles'
import { Vault } from '../../../shared/node/vault'
import { KeychainUnavailableError } from '../../../shared/node/keychain'
import type { Invocation } from '../args'

/** "this is your token X" for findings whose fingerprint matches a vault token. */
function knownTokens(tokens: TokenRecord[]): Map<string, string> {
  const byFingerprint = new Map<string, string>()
  for (const token of tokens) if (token.fingerprint) byFingerprint.set(token.fingerprint, token.name)
  return byFingerprint
}

function home(): string {
  return process.env.HOME || homedir()
}

function printFinding(finding: Finding, known: string | undefined): void {
  const info = SECRET_KIND_INFO[finding.kind]
  const match = known ? `  this is your token ${known}: revoke it with \`cfwrap --revoke ${known}\`` : ''
  process.stdout.write(`${finding.file}:${finding.line}:${finding.column}  ${finding.severity}  ${info.title}${finding.variable ? ` (${finding.variable})` : ''}  fingerprint ${finding.fingerprint}${finding.commented ? '  commented out' : ''}${match}\n`)
}

/** `--scan [PATH…] [--json]` and `--doctor [--json]`. */
export async function watchCommand(invocation: Invocation): Promise<number> {
  const json = invocation.options['--json'] === true
  const vault = Vault.open()
  const profiles = shellProfilePaths(home())
  if (invocation.mode === 'scan') {
    // With no path: the shell start-up files and the current directory.
    const paths = invocation.paths.length > 0 ? invocation.paths : [...profiles.filter((p) => existsQuiet(p)), '.']
    for (const path of invocation.paths) if (path.startsWith('-')) throw new UsageError(`--scan takes paths; put options before them (got ${path}).`)
    for (const path of invocation.paths) if (!existsQuiet(path, true)) throw new UsageError(`--scan: ${path} does not exist.`)
    const report = scanPaths(paths, profileTest(profiles))
    const known = knownTokens(await vault.list().catch(() => []))
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          findings: report.findings.map((f) => ({ file: f.file, line: f.line, column: f.column, kind: f.kind, severity: f.severity, fingerprint: f.fingerprint, ...(known.has(f.fingerprint) ? { knownToken: known.get(f.fingerprint) } : {}) })),
          skipped: report.skipped,
          notices: report.notices,
        })}\n`,
      )
    } else {
      for (const finding of report.findings) printFinding(finding, known.get(finding.fingerprint))
      for (const skipped of report.skipped) process.stderr.write(`cfwrap: skipped ${skipped.file}: ${skipped.reason} (${skipped.detail})\n`)
      for (const notice of report.notices) process.stderr.write(`cfwrap: note: ${notice.file} ${notice.detail}\n`)
      process.stderr.write(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} in ${report.filesScanned} file${report.filesScanned === 1 ? '' : 's'} scanned.\n`)
    }
    return report.findings.length > 0 ? 1 : 0
  }

  // --doctor
  const existing = profiles.filter((p) => existsQuiet(p))
  const profileReport = scanPaths(existing, profileTest(profiles))
  const settings = (await vault.readState()).settings
  const roots = settings?.watchedRoots ?? []
  const shadows = detectShadowing({ home: home(), env: process.env, profiles: existing, projectRoots: roots })
  const logins = findWranglerLogins(home())
  const tokens = await vault.list()
  const problems: string[] = []
  let keychain: 'ok' | string = 'ok'
  const missingSecrets: string[] = []
  try {
    for (const token of tokens) {
      if (token.status === 'pending') continue
      if ((await vault.secrets.get(vault.keychainAccount(token.name))) === null) missingSecrets.push(token.name)
    }
    if (tokens.length === 0) await vault.secrets.get(vault.keychainAccount('__cfwrap_doctor_probe__'))
  } catch (error) {
    keychain = error instanceof KeychainUnavailableError ? error.message : String(error)
    problems.push(keychain)
  }
  const now = Date.now()
  const expired = tokens.filter((t) => t.expiresAt && Date.parse(t.expiresAt) <= now).map((t) => t.name)
  const failing = tokens.filter((t) => t.status === 'delete-failed' || t.status === 'missing').map((t) => `${t.name} (${t.status}${t.lastError ? `: ${t.lastError}` : ''})`)
  const minting = tokens.find((t) => t.role === 'minting')
  const known = knownTokens(tokens)
  if (profileReport.findings.length) problems.push(`${profileReport.findings.length} plaintext secret(s) in shell start-up files`)
  if (shadows.length) problems.push(`${shadows.length} credential(s) shadow the Wrangler OAuth login`)
  if (missingSecrets.length) problems.push(`token(s) without a keychain secret: ${missingSecrets.join(', ')}`)
  if (failing.length) problems.push(`token(s) needing attention: ${failing.join(', ')}`)
  const result = {
    ok: problems.length === 0,
    problems,
    profiles: existing,
    findings: profileReport.findings.map((f) => ({ file: f.file, line: f.line, column: f.column, kind: f.kind, severity: f.severity, fingerprint: f.fingerprint, ...(known.has(f.fingerprint) ? { knownToken: known.get(f.fingerprint) } : {}) })),
    shadows,
    wranglerLogins: logins.map((l) => l.file),
    vault: { dir: vault.dir, keychain, tokens: tokens.length, expired, missingSecrets, failing, mintingCredential: minting ? { name: minting.name, fingerprint: minting.fingerprint } : null },
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } else {
    const out = (line: string): boolean => process.stdout.write(`${line}\n`)
    out(`Shell start-up files: ${existing.length ? existing.map((p) => relative(home(), p) || p).join(', ') : 'none found'}`)
    for (const finding of profileReport.findings) printFinding(finding, known.get(finding.fingerprint))
    out(`Wrangler OAuth login: ${logins.length ? logins.map((l) => l.file).join(', ') : 'none'}`)
    for (const shadow of shadows) out(`  shadowed: ${shadow.message}\n    fix: ${shadow.fix}`)
    out(`Vault: ${vault.dir}; keychain ${keychain === 'ok' ? 'reachable' : 'NOT reachable'}; ${tokens.length} token(s)${expired.length ? `, expired: ${expired.join(', ')}` : ''}`)
    out(`Minting credential: ${minting ? `${minting.name} (fingerprint ${minting.fingerprint})` : 'not set up (cfwrap --setup)'}`)
    out(problems.length ? `Problems:\n${problems.map((p) => `  - ${p}`).join('\n')}` : 'No problems found.')
  }
  return problems.length ? 1 : 0
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
