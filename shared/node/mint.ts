/**
 * Minting a time-boxed, least-privilege token from a template, in an order that survives a crash at
 * any point:
 *
 * 1. the guards' plan (`planMint`) is turned into policies, before anything is written or sent;
 * 2. **intent-recorded**: a `pending` record (name, deadline, template, temporary, the minting
 *    process's pid) goes into the state file BEFORE the create call;
 * 3. **created**: one create call with `expires_on` = the deadline in whole UTC seconds, never retried;
 * 4. **secret-stored**: the secret goes into the keychain right away;
 * 5. **activated**: the record becomes `active` with the token id and fingerprint.
 *
 * A process killed between 3 and 5 leaves a token whose secret is lost or unconfirmed; the reaper
 * finds the `pending` record of a dead process, deletes every Cloudflare token with that name and
 * drops the record. Steps are reported through `onStep` so a test can kill the process at each one.
 */
import { hostname } from 'node:os'
import { toCloudflareTimestamp } from '../common/duration'
import { UserError } from '../common/errors'
import type { TokenEvent } from '../common/events'
import { fingerprint } from '../common/fingerprint'
import { checkMintRequest, type MintPlan, type MintRequest, type Refusal, type SettingsInput } from '../common/guards'
import { buildPolicies, describePolicies, PolicyBuildError, type Policy } from '../common/policy'
import type { TokenRecord } from '../common/state'
import { withRecentTemplates } from '../common/templates'
import { formatTokenName, TokenNameError, type TokenNameParts } from '../common/token-name'
import { CloudflareApiError, type TokenApi } from './cloudflare'
import { matchesIntent } from './reaper/plan'
import { dropRecord, type Vault } from './vault'

/** The crash-relevant steps of a mint, in order. */
export type MintStep = 'intent-recorded' | 'created' | 'secret-stored' | 'activated'

/** The guards refused the request; `refusals` holds every reason, each a full sentence. */
export class MintRefusedError extends UserError {
  override name = 'MintRefusedError'
  constructor(readonly refusals: Refusal[]) {
    super(refusals.map((refusal) => refusal.message).join('\n'), 1, 'refused')
  }
}

/**
 * The guards' plan for a request, or {@link MintRefusedError} with every reason. The one place a
 * request is checked: the request's shape was validated where it came in (each surface parses
 * with `MintRequestSchema`), and {@link mintToken} takes only a plan.
 */
export function planMint(request: MintRequest, settings: SettingsInput): MintPlan {
  const check = checkMintRequest(request, settings)
  if (!check.ok) throw new MintRefusedError(check.refusals)
  return check.plan
}

/** Inputs of {@link mintToken}. */
export interface MintInput {
  vault: Vault
  api: TokenApi
  /** What to mint: the guards' plan from {@link planMint}, the only way to get one. */
  plan: MintPlan
  /** `broker`: granted to an agent through the broker (agents may then lease and revoke it). */
  grantedBy?: 'broker'
  /** Clock in ms (injectable for tests). */
  now?: () => number
  /** Called after each step; a test helper kills its own process here. */
  onStep?: (step: MintStep) => void
  onEvent?: (event: TokenEvent) => void
}

/** A minted token: its record (never the secret) and what it may do. */
export interface MintResult {
  record: TokenRecord
  plan: MintPlan
  /** One line per policy, e.g. "Workers Scripts Write and Account Settings Read on account 0123abcd…". */
  policySummary: string[]
  warnings: string[]
}

/** Most suffixes tried when the name is taken (`…:owner-2` … `…:owner-99`). */
const MAX_NAME_SUFFIX = 99

/**
 * The first free name for `parts` among `taken`. A second mint of the same job (same project, env,
 * template and owner) is normal (a CI retry, two terminals), so instead of refusing, the owner segment
 * gets a counter (`alice-2`): the name stays a valid five-part cfwrap name that `isOwnToken` recognises.
 */
export function uniqueTokenName(parts: TokenNameParts, taken: ReadonlySet<string>): string {
  const base = formatTokenName(parts)
  if (!taken.has(base)) return base
  for (let counter = 2; counter <= MAX_NAME_SUFFIX; counter++) {
    const candidate = formatTokenName({ ...parts, owner: `${parts.owner}-${counter}` })
    if (!taken.has(candidate)) return candidate
  }
  throw new UserError(`${MAX_NAME_SUFFIX} tokens named like ${base} exist already; revoke some (\`cfwrap --list\`, \`cfwrap --revoke NAME\`) or pass another --owner or --env.`)
}

function isoNow(now: () => number): string {
  return new Date(now()).toISOString()
}

function eventFields(record: TokenRecord, now: () => number) {
  return { time: isoNow(now), token: record.name, tokenId: record.tokenId, fingerprint: record.fingerprint }
}

/** Why the create failed, in words for the person who asked; `quota` gets the way out. */
function explainCreateFailure(error: CloudflareApiError, name: string, api: TokenApi): UserError {
  if (error.kind === 'quota') {
    const limit = api.owner === 'user' ? 'a user may own at most 50 API tokens' : 'an account may own at most 500 account tokens'
    return new UserError(
      `Cloudflare refused to create ${name}: the token quota is used up (${limit}, and expired tokens count until deleted). ` +
        'Run `cfwrap --reap` to delete expired and orphaned cfwrap tokens, or delete unused tokens in the dashboard, then mint again.',
    )
  }
  if (error.kind === 'rate-limited') {
    return new UserError(`Cloudflare is rate limiting this account; nothing was created. Try again in ${error.retryAfterSeconds ?? 60}s.`, 1, 'api', { cause: error })
  }
  return new UserError(`${name} was not created: ${error.message}`, 1, 'api', { cause: error })
}

/**
 * Mints one token from a plan the guards made: policies, then the crash-safe sequence described at
 * the top of this file. Throws {@link MintRefusedError} when the credential cannot mint for the
 * plan's account and `UserError` for everything else.
 */
export async function mintToken(input: MintInput): Promise<MintResult> {
  const { vault, api, onStep } = input
  const now = input.now ?? Date.now
  const { plan } = input

  if (api.owner === 'account' && plan.resources.accountId && plan.resources.accountId !== api.accountId) {
    throw new MintRefusedError([
      {
        rule: 'resource-invalid',
        message:
          `Refused: the minting credential is owned by account ${api.accountId} and can only mint tokens for that account, ` +
          `not ${plan.resources.accountId}. Pass --account ${api.accountId}, or store a user-owned minting credential with \`cfwrap --setup\`.`,
      },
    ])
  }

  // Policies are built before anything is written: a bad permission name fails with nothing to undo.
  let policies: Policy[]
  try {
    policies = buildPolicies(plan, await api.resolvePermissionGroups(plan.permissions))
  } catch (error) {
    if (error instanceof PolicyBuildError) throw new UserError(error.message)
    if (error instanceof CloudflareApiError) throw new UserError(`cannot look up permission groups: ${error.message}`, 1, 'api', { cause: error })
    throw error
  }

  // Whole seconds, floored: the token must not outlive the deadline the user asked for.
  const deadline = plan.ttlSeconds === null ? null : toCloudflareTimestamp(new Date(now() + plan.ttlSeconds * 1000))
  const template = plan.nameParts.purpose

  // (a) Intent, under the state lock, which also makes the name choice atomic across processes.
  const intent = await vault.update((state) => {
    let name: string
    try {
      name = uniqueTokenName(plan.nameParts, new Set(state.tokens.map((token) => token.name)))
    } catch (error) {
      if (error instanceof TokenNameError) throw new UserError(`${error.message} (a counter was added because the name is taken)`)
      throw error
    }
    const record: TokenRecord = {
      name,
      tokenId: null,
      accountId: plan.resources.accountId ?? api.accountId ?? null,
      zoneId: plan.resources.zoneId ?? null,
      bucket: plan.resources.bucket ?? null,
      expiresAt: deadline === null ? null : new Date(deadline).toISOString(),
      template,
      fingerprint: null,
      createdAt: isoNow(now),
      source: 'minted',
      role: 'command',
      temporary: plan.temporary,
      status: 'pending',
      owner: api.owner,
      pendingPid: process.pid,
      ...(input.grantedBy ? { grantedBy: input.grantedBy } : {}),
    }
    state.tokens.push(record)
    return record
  })
  const name = intent.name
  onStep?.('intent-recorded')

  // (b) Create: exactly one attempt.
  let created
  try {
    created = await api.createToken({ name, policies, expiresOn: deadline })
  } catch (error) {
    throw await handleCreateFailure(vault, api, name, error)
  }
  onStep?.('created')

  // (b') What Cloudflare says the token can do must be exactly what the template asked for: a
  // poisoned permission-group cache (an id swapped for a stronger group's) would otherwise mint a
  // token that can more than `can:` says. A mismatch is deleted before its secret is ever stored.
  const mismatch = grantedMismatch(plan.permissions, created.granted, policies)
  if (mismatch) {
    api.forgetPermissionGroups?.()
    await api.deleteToken(created.id).catch(() => undefined)
    await vault.update((state) => dropRecord(state, name))
    throw new UserError(
      `Refused: Cloudflare created ${name} with permissions other than the template's (${mismatch}); it was deleted at once and the ` +
        'cached permission-group ids were dropped. Mint again; if it happens again, delete permission-groups.json beside the state file.',
    )
  }

  // (c) Secret into the keychain right away; if that fails the token is useless, so delete it.
  try {
    await vault.secrets.set(vault.keychainAccount(name), created.value)
  } catch (error) {
    await api.deleteToken(created.id).catch(() => undefined)
    await vault.forget(name).catch(() => undefined)
    throw error
  }
  onStep?.('secret-stored')

  // (d) Activate.
  const tokenFingerprint = fingerprint(created.value)
  const activated = await vault.update((state) => {
    const record = state.tokens.find((token) => token.name === name && token.status === 'pending')
    if (!record) return null
    record.status = 'active'
    record.tokenId = created.id
    record.fingerprint = tokenFingerprint
    delete record.pendingPid
    const settings = (state.settings ??= {})
    settings.recentTemplates = withRecentTemplates(settings.recentTemplates ?? [], plan.templates)
    return { ...record }
  })
  if (!activated) {
    // Someone removed the pending record meanwhile (e.g. --revoke-all): honour that and undo the create.
    await api.deleteToken(created.id).catch(() => undefined)
    await vault.forget(name).catch(() => undefined)
    throw new UserError(`${name} was removed while it was being minted; it has been deleted again.`)
  }
  onStep?.('activated')

  const policySummary = describePolicies(plan)
  input.onEvent?.({ type: 'minted', ...eventFields(activated, now), expiresAt: activated.expiresAt, template, policies: policySummary, host: hostname() })
  return { record: activated, plan, policySummary, warnings: plan.warnings }
}

/**
 * How the permission groups a created token holds differ from the ones asked for, or null when they
 * match. Compared by name where Cloudflare names them (the check does not trust the id cache it is
 * guarding), else by the ids that were sent.
 */
function grantedMismatch(wanted: readonly { name: string }[], granted: readonly { id: string; name: string | null }[], sent: readonly Policy[]): string | null {
  const byName = granted.every((group) => group.name !== null)
  const want = byName ? wanted.map((permission) => permission.name) : sent.flatMap((policy) => policy.permission_groups.map((group) => group.id))
  const got = granted.map((group) => (byName ? (group.name as string) : group.id))
  const extra = [...new Set(got)].filter((item) => !want.includes(item))
  const missing = [...new Set(want)].filter((item) => !got.includes(item))
  if (extra.length === 0 && missing.length === 0) return null
  return [extra.length > 0 ? `granted ${extra.join(', ')}` : '', missing.length > 0 ? `without ${missing.join(', ')}` : ''].filter(Boolean).join('; ')
}

/**
 * Cleans up after a failed create. A definite refusal (4xx) created nothing, so the pending record is
 * dropped. A network failure or 5xx is ambiguous (the token may exist): look for it by name and
 * delete it; if even that fails, the pending record stays for the reaper, which finishes the job
 * once this process has exited.
 */
async function handleCreateFailure(vault: Vault, api: TokenApi, name: string, error: unknown): Promise<Error> {
  const apiError = error instanceof CloudflareApiError ? error : null
  const ambiguous = apiError === null || apiError.kind === 'network' || apiError.kind === 'server'
  if (!ambiguous) {
    await vault.update((state) => dropRecord(state, name))
    // A stale cached permission-group id is one way to get a bad request; look them up afresh next time.
    if (apiError.kind === 'bad-request') api.forgetPermissionGroups?.()
    return explainCreateFailure(apiError, name, api)
  }
  try {
    // Only the token of this intent (its name, its deadline, issued after it): another vault may hold one of the same name.
    const intent = (await vault.readState()).tokens.find((token) => token.name === name && token.status === 'pending')
    const leftovers = intent ? (await api.listTokens()).filter((token) => matchesIntent(token, intent)) : []
    for (const token of leftovers) await api.deleteToken(token.id)
    await vault.update((state) => dropRecord(state, name))
    return new UserError(`${name} was not created: ${apiError?.message ?? (error as Error).message}`, 1, apiError ? 'api' : 'failed', { cause: error })
  } catch {
    return new UserError(
      `${name} may or may not have been created (${apiError?.message ?? 'unexpected failure'}). cfwrap will delete it if it exists: ` +
        'the tray app or `cfwrap --daemon` does so automatically, or run `cfwrap --reap` once Cloudflare answers again.',
      1,
      'api',
      { cause: error },
    )
  }
}
