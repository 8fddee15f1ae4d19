/**
 * `cfwrap --scan --verify`: is a leaked Cloudflare token still alive? Each token found is checked
 * once with Cloudflare's own verify endpoint (the user one, or the account one for an account
 * token whose account is known), through one request gate, and at most once an hour per value
 * (a cache of fingerprints beside the state file; never the value). Only the API base cfwrap uses
 * for everything is contacted. Opt-in: a scan sends nothing anywhere otherwise.
 */
import { join } from 'node:path'
import * as z from 'zod/mini'
import { VerdictSchema, type Verdict } from '../common/ipc'
import { holdSecret } from '../common/redact'
import type { Finding } from '../common/scan'
import { tokenAtFinding } from '../common/scan/tokens'
import { CloudflareApiError, CloudflareClient, apiBaseUrl } from './cloudflare'
import { writeFileAtomic } from './fs-atomic'
import { readPrivateFile } from './private-files'
import { RequestGate } from './request-gate'
import { readRegularFile } from './safe-read'

export { VerdictSchema, type Verdict } from '../common/ipc'

/** How long a verdict is reused before the value is asked about again. */
export const VERIFY_CACHE_MS = 60 * 60 * 1000

const CacheSchema = z.record(z.string(), z.object({ at: z.number(), verdict: VerdictSchema }))

/** Whether Cloudflare's verify endpoint can judge a finding: a user or account API token of the 2026 format. */
export function isVerifiable(finding: Pick<Finding, 'kind'>): boolean {
  return finding.kind === 'cloudflare-user-token' || finding.kind === 'cloudflare-account-token'
}

/** A token's value read back from its file at the finding's place, when it still has the finding's fingerprint. */
function valueAt(finding: Finding): string | null {
  const read = readRegularFile(finding.file, 16 * 1024 * 1024)
  if (!('bytes' in read)) return null
  return tokenAtFinding(read.bytes.toString('utf8').split(/\r?\n/)[finding.line - 1] ?? '', finding)
}

/** The verdict of every Cloudflare API token among `findings`, by fingerprint. */
export async function verifyFindings(
  findings: readonly Finding[],
  options: { env: NodeJS.ProcessEnv; cacheDir: string; recordedIds: ReadonlySet<string>; accountId: string | null; now?: () => number },
): Promise<Map<string, Verdict>> {
  const now = options.now ?? Date.now
  const cachePath = join(options.cacheDir, 'verify-cache.json')
  let cache: z.infer<typeof CacheSchema> = {}
  try {
    cache = CacheSchema.parse(JSON.parse(readPrivateFile(cachePath)))
  } catch {
    // No cache yet, or a damaged one: ask again.
  }
  const verdicts = new Map<string, Verdict>()
  const gate = new RequestGate()
  try {
    for (const finding of findings) {
      if (!isVerifiable(finding)) continue
      if (verdicts.has(finding.fingerprint)) continue
      const cached = cache[finding.fingerprint]
      if (cached && now() - cached.at < VERIFY_CACHE_MS) {
        verdicts.set(finding.fingerprint, cached.verdict)
        continue
      }
      const value = valueAt(finding)
      if (value === null) {
        verdicts.set(finding.fingerprint, { status: 'unknown', expiresOn: null, inVault: false, detail: 'the line changed since the scan' })
        continue
      }
      holdSecret(value)
      const account = finding.kind === 'cloudflare-account-token'
      if (account && !options.accountId) {
        verdicts.set(finding.fingerprint, { status: 'unknown', expiresOn: null, inVault: false, detail: 'an account token, and no default account is set to ask with' })
        continue
      }
      let verdict: Verdict
      try {
        const client = await CloudflareClient.create({ apiToken: value, owner: account ? 'account' : 'user', accountId: options.accountId, baseURL: apiBaseUrl(options.env), gate })
        const answer = await client.verify()
        const status = answer.status === 'active' || answer.status === 'disabled' || answer.status === 'expired' ? answer.status : 'unknown'
        verdict = { status, expiresOn: answer.expiresOn, inVault: options.recordedIds.has(answer.id) }
      } catch (error) {
        if (error instanceof CloudflareApiError && error.kind === 'auth') verdict = { status: 'invalid', expiresOn: null, inVault: false }
        else verdict = { status: 'unknown', expiresOn: null, inVault: false, detail: error instanceof Error ? error.message : String(error) }
      }
      verdicts.set(finding.fingerprint, verdict)
      if (verdict.status !== 'unknown') cache[finding.fingerprint] = { at: now(), verdict }
    }
  } finally {
    gate.close()
  }
  try {
    writeFileAtomic(cachePath, `${JSON.stringify(cache)}\n`)
  } catch {
    // The cache only saves requests; without it the next scan asks again.
  }
  return verdicts
}
