/**
 * Small, idempotent edits of token records that minting, reaping and revoking share. They keep the
 * vault's journaled order: a secret is written only after its record exists, and a record is
 * removed only after its secret is gone, so a crash can leave a record without a secret (which the
 * reaper finishes off) but never a secret nobody knows about.
 */
import { DEFAULT_NAME_PREFIX } from '../common/guards'
import type { State, TokenRecord } from '../common/state'
import type { TokenApi } from './cloudflare'
import { isOwnToken, normalizeTokenNameSegment, parseTokenName } from '../common/token-name'
import type { Vault } from './vault'

/** Removes the record `name` (only if it still has `tokenId`, when given) and its directory bindings. Returns whether it was there. */
export function dropRecord(state: State, name: string, tokenId?: string | null): boolean {
  const before = state.tokens.length
  state.tokens = state.tokens.filter((token) => token.name !== name || (tokenId !== undefined && token.tokenId !== tokenId))
  if (state.tokens.length === before) return false
  for (const [dir, bound] of Object.entries(state.bindings)) if (bound === name) delete state.bindings[dir]
  return true
}

/** Forgets a token locally: keychain secret first, then the record. Safe to repeat; false when nothing was there. */
export async function forgetLocally(vault: Vault, name: string, tokenId?: string | null): Promise<boolean> {
  await vault.secrets.delete(vault.keychainAccount(name))
  return vault.update((state) => dropRecord(state, name, tokenId))
}

/** Changes fields of record `name` (only if it still has `tokenId`, when given); false when there is no such record. */
export async function patchRecord(vault: Vault, name: string, patch: Partial<TokenRecord>, tokenId?: string | null): Promise<boolean> {
  return vault.update((state) => {
    const record = state.tokens.find((token) => token.name === name && (tokenId === undefined || token.tokenId === tokenId))
    if (!record) return false
    Object.assign(record, patch)
    return true
  })
}

/** True for a token cfwrap minted (and so may delete on Cloudflare), as opposed to one added from the dashboard or the minting credential. */
export function isMintedRecord(record: TokenRecord): boolean {
  return record.source === 'minted' && record.role === 'command'
}

/**
 * Name prefixes that mark a Cloudflare token as cfwrap's: the configured one, plus any prefix a
 * minted record still uses (so changing `settings.namePrefix` does not orphan-delete nor forget old tokens).
 */
export function ownTokenPrefixes(state: State): Set<string> {
  const prefixes = new Set([normalizeTokenNameSegment(state.settings?.namePrefix ?? DEFAULT_NAME_PREFIX)])
  for (const record of state.tokens) {
    const parts = isMintedRecord(record) ? parseTokenName(record.name) : null
    if (parts) prefixes.add(parts.prefix)
  }
  return prefixes
}

/** Whether a Cloudflare token of that name is one cfwrap made, by the prefixes of `ownTokenPrefixes`. */
export function isOwnTokenName(name: string, prefixes: ReadonlySet<string>): boolean {
  for (const prefix of prefixes) if (isOwnToken(name, prefix)) return true
  return false
}

/**
 * Tokens cfwrap must never delete on Cloudflare even when their names look like its own: the minting
 * credential and tokens added from the dashboard (by id, and by name in case the id is unknown).
 */
export function protectedTokens(state: State): { ids: Set<string>; names: Set<string> } {
  const others = state.tokens.filter((record) => !isMintedRecord(record))
  return {
    ids: new Set(others.map((record) => record.tokenId).filter((id): id is string => id !== null)),
    names: new Set(others.map((record) => record.name)),
  }
}

/**
 * Why `api` (the current minting credential) cannot manage this record's token, or null when it can.
 * This must be checked before deleting: asked about another owner's token, Cloudflare answers 404,
 * which would otherwise pass for "already deleted" while the token lives on.
 */
export function ownerMismatch(api: Pick<TokenApi, 'owner' | 'accountId'>, record: TokenRecord): string | null {
  const owner = record.owner ?? 'user'
  if (owner === api.owner && (owner === 'user' || record.accountId === api.accountId)) return null
  return (
    `${record.name} is ${owner}-owned${owner === 'account' ? ` (account ${record.accountId})` : ''}, but the current minting credential manages ` +
    `${api.owner}-owned tokens${api.owner === 'account' ? ` of account ${api.accountId}` : ''}; delete it in the dashboard, ` +
    'or store the matching minting credential with `cfwrap --setup`.'
  )
}
