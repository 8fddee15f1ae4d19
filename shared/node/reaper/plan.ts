/**
 * What this vault owns on Cloudflare, and so may delete. Ownership is what the vault recorded, never
 * what a name looks like: two vaults (a laptop and CI, two `$CFWRAP_HOME`s) on one Cloudflare user
 * mint names of the same shape, and a dashboard token can be named `ci:web:prod:deploy:alice` by
 * hand. So:
 *
 * - a token whose **id** a minted record of this vault stores is this vault's;
 * - a token that matches one of this vault's own **unfinished intents** (a `pending` record: same
 *   name, the deadline the intent recorded, issued after the intent was written) is this vault's;
 * - everything else is **foreign**: reported, never deleted. The one exception is a foreign token
 *   named like cfwrap's whose `expires_on` has passed: it is dead already and only uses quota.
 *
 * {@link planReconcile} is pure: it decides from the list, the vault's states before and after the
 * list, and the clock, so every rule is unit-tested without a network.
 */
import { DEFAULT_NAME_PREFIX } from '../../common/guards'
import type { State, TokenRecord } from '../../common/state'
import { isOwnToken, normalizeTokenNameSegment, parseTokenName } from '../../common/token-name'
import type { ApiTokenInfo } from '../cloudflare'
import { isMintedRecord } from '../token-records'

/** A token on Cloudflare that this vault did not record: reported, never deleted. */
export interface ForeignToken {
  id: string
  name: string
  status: ApiTokenInfo['status']
  expiresOn: string | null
}

/** How far before an intent was recorded a token may have been issued and still be that intent's (clock skew). */
const ISSUE_SKEW_MS = 5 * 60 * 1000

/** Whole-second equality of two timestamps (Cloudflare keeps seconds; the intent records the same). */
function sameSecond(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000)
}

/**
 * Whether Cloudflare token `token` is the one the unfinished mint `record` created: same name, the
 * deadline the intent recorded (whole seconds, or both without one), and not issued before the
 * intent was written. Another vault's token of the same name carries another deadline.
 */
export function matchesIntent(token: ApiTokenInfo, record: TokenRecord): boolean {
  if (token.name !== record.name || !sameSecond(token.expiresOn, record.expiresAt)) return false
  if (token.issuedOn === null) return true
  return Date.parse(token.issuedOn) >= Date.parse(record.createdAt) - ISSUE_SKEW_MS
}

/** Whether `token` has passed its `expires_on` (or Cloudflare says it expired). */
export function isExpired(token: ApiTokenInfo, now: number): boolean {
  return token.status === 'expired' || (token.expiresOn !== null && Date.parse(token.expiresOn) <= now)
}

/** Name prefixes of cfwrap-style names: the configured one and those of this vault's minted records. */
function cfwrapPrefixes(state: State): Set<string> {
  const prefixes = new Set([normalizeTokenNameSegment(state.settings?.namePrefix ?? DEFAULT_NAME_PREFIX)])
  for (const record of state.tokens) {
    const parts = isMintedRecord(record) ? parseTokenName(record.name) : null
    if (parts) prefixes.add(parts.prefix)
  }
  return prefixes
}

/** Whether `name` is shaped like a token cfwrap mints (five parts, one of the vault's prefixes). Never proof of ownership. */
function isCfwrapStyleName(name: string, state: State): boolean {
  for (const prefix of cfwrapPrefixes(state)) if (isOwnToken(name, prefix)) return true
  return false
}

/** Tokens the vault stores but must never delete (the minting credential, dashboard tokens): by id, and by name where the id is unknown. */
function isProtected(token: ApiTokenInfo, state: State): boolean {
  return state.tokens.some((record) => !isMintedRecord(record) && (record.tokenId === token.id || (record.tokenId === null && record.name === token.name)))
}

/** Ids of the tokens this vault minted and recorded. */
export function recordedIds(state: State): Set<string> {
  return new Set(state.tokens.filter((record) => isMintedRecord(record) && record.tokenId !== null).map((record) => record.tokenId as string))
}

/** Cloudflare tokens that belong to this vault's unfinished mints (`pending` records), with their records. */
export function intentTokens(remote: readonly ApiTokenInfo[], state: State): Array<{ token: ApiTokenInfo; record: TokenRecord }> {
  const pending = state.tokens.filter((record) => isMintedRecord(record) && record.status === 'pending')
  const out: Array<{ token: ApiTokenInfo; record: TokenRecord }> = []
  for (const token of remote) {
    const record = pending.find((candidate) => matchesIntent(token, candidate))
    if (record) out.push({ token, record })
  }
  return out
}

/** What one reconcile does; see {@link planReconcile}. */
export interface ReconcilePlan {
  /** Tokens to delete on Cloudflare, with why. */
  deletions: Array<{ token: ApiTokenInfo; reason: 'expired' | 'crashed-mint'; record: TokenRecord | undefined }>
  /** Live tokens shaped like cfwrap's that this vault does not know: reported, never deleted. */
  foreign: ForeignToken[]
  /** Tokens seen that are this vault's (recorded ids and matched intents). */
  seen: number
  /** `pending` records of mints that will never finish: dropped after their tokens (if any) are deleted. */
  stalePending: TokenRecord[]
  /** Records Cloudflare lists again after they were marked missing. */
  present: TokenRecord[]
  /** Recorded tokens Cloudflare does not list, judged only if recorded before the list was asked for. */
  absent: TokenRecord[]
}

/** Inputs of {@link planReconcile}. */
export interface ReconcileInputs {
  /** Every token of the credential's owner, expired ones included. */
  remote: readonly ApiTokenInfo[]
  /** The vault as read before the list was requested: only its records may be judged absent. */
  before: State
  /** The vault as read after the list answered: intents written meanwhile are honoured. */
  after: State
  now: number
  /** Whether a `pending` record's mint will never finish. */
  isStale: (record: TokenRecord) => boolean
  /** Whether the current minting credential manages this record's token (another owner's token looks absent). */
  manages: (record: TokenRecord) => boolean
  /** Records with a deletion under way in this process: not judged. */
  busy?: (record: TokenRecord) => boolean
}

/** Decides one reconcile (see the file comment); pure. */
export function planReconcile(input: ReconcileInputs): ReconcilePlan {
  const { remote, before, after, now } = input
  const plan: ReconcilePlan = { deletions: [], foreign: [], seen: 0, stalePending: [], present: [], absent: [] }
  const own = new Set([...recordedIds(before), ...recordedIds(after)])
  const intents = new Map(intentTokens(remote, after).map(({ token, record }) => [token.id, record]))
  for (const token of remote) {
    if (isProtected(token, after)) continue
    if (own.has(token.id)) {
      plan.seen++
      continue
    }
    const intent = intents.get(token.id)
    if (intent) {
      plan.seen++
      if (input.isStale(intent)) plan.deletions.push({ token, reason: 'crashed-mint', record: intent })
      continue
    }
    if (isExpired(token, now) && isCfwrapStyleName(token.name, after)) {
      plan.deletions.push({ token, reason: 'expired', record: undefined })
      continue
    }
    // Reported: live tokens shaped like cfwrap's (any prefix), the ones a name-based tool would have taken for its own.
    if (!isExpired(token, now) && parseTokenName(token.name) !== null) plan.foreign.push({ id: token.id, name: token.name, status: token.status, expiresOn: token.expiresOn })
  }
  plan.stalePending = after.tokens.filter((record) => isMintedRecord(record) && record.status === 'pending' && input.isStale(record))

  const remoteIds = new Set(remote.map((token) => token.id))
  const stillStored = new Map(after.tokens.map((record) => [`${record.name}|${record.tokenId}`, record]))
  for (const earlier of before.tokens) {
    if (!isMintedRecord(earlier) || earlier.tokenId === null || earlier.status === 'pending') continue
    // Judge the record as it is now, but only if it already had this token id before the list was asked for.
    const record = stillStored.get(`${earlier.name}|${earlier.tokenId}`)
    if (!record || record.status === 'pending' || input.busy?.(record) || !input.manages(record)) continue
    if (remoteIds.has(record.tokenId as string)) {
      if (record.status === 'missing') plan.present.push(record)
    } else {
      plan.absent.push(record)
    }
  }
  return plan
}
