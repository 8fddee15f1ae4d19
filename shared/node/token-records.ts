/** Questions about token records that minting, reaping and revoking share. */
import type { TokenRecord } from '../common/state'
import type { TokenApi } from './cloudflare'

/** True for a token cfwrap minted (and so may delete on Cloudflare), as opposed to one added from the dashboard or the minting credential. */
export function isMintedRecord(record: TokenRecord): boolean {
  return record.source === 'minted' && record.role === 'command'
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
