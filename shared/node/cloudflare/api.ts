// What cfwrap needs of the Cloudflare API: the operations (`TokenApi`), what they return, and
// where the API is (`apiBaseUrl`, checked by `checkApiBaseUrl`).
import { UserError } from '../../common/errors'
import type { Policy } from '../../common/policy'
import type { PermissionRef } from '../../common/templates'


/** The public API's base URL. */
export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4'

/** Per-request timeout: long enough for a slow create, short enough that a hung connection is retried soon. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000

/** How long resolved permission-group ids are trusted before being looked up again. */
export const PERMISSION_GROUP_CACHE_TTL_MS = 24 * 60 * 60 * 1000

/** Most tokens per list page Cloudflare allows. */
export const LIST_PAGE_SIZE = 50

/** Who owns a token, which decides the API paths that manage it: `/user/tokens` or `/accounts/{id}/tokens`. */
export type TokenOwnerKind = 'user' | 'account'

/** The base URL cfwrap talks to: Wrangler's `CLOUDFLARE_API_BASE_URL` when set (e.g. a local fake), else the public API. */
export function apiBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUDFLARE_API_BASE_URL || DEFAULT_API_BASE_URL
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * Checks a base URL before the minting credential is sent to it: https, or plain http to a loopback
 * address only (a local fake in tests). Returns a warning when it is not Cloudflare's own API (the
 * credential goes there all the same, so the person should know); throws for anything else.
 */
export function checkApiBaseUrl(baseURL: string): string | null {
  let url: URL
  try {
    url = new URL(baseURL)
  } catch {
    throw new UserError(`CLOUDFLARE_API_BASE_URL (${baseURL}) is not a URL; unset it to use Cloudflare's API.`)
  }
  const loopback = LOOPBACK_HOST.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UserError(
      `cfwrap will not send the minting credential to ${url.protocol}//${url.host}: CLOUDFLARE_API_BASE_URL must use https (plain http only to a loopback address such as 127.0.0.1). Unset it to use Cloudflare's API.`,
    )
  }
  if (url.href.replace(/\/$/, '') === DEFAULT_API_BASE_URL) return null
  return `cfwrap: warning: the Cloudflare API base is ${url.protocol}//${url.host} (CLOUDFLARE_API_BASE_URL), not api.cloudflare.com; the minting credential is sent there.`
}

const warnedBases = new Set<string>()

/** Says on stderr, once per base and process, that the credential goes somewhere other than Cloudflare's API. */
export function warnApiBase(message: string, baseURL: string): void {
  if (warnedBases.has(baseURL)) return
  warnedBases.add(baseURL)
  process.stderr.write(`${message}\n`)
}

/** A token as listed by Cloudflare (never with its secret). */
export interface ApiTokenInfo {
  id: string
  name: string
  status: 'active' | 'disabled' | 'expired'
  /** ISO 8601, or null for a token without a deadline. */
  expiresOn: string | null
  /** When Cloudflare issued it (ISO 8601), where the answer says. */
  issuedOn: string | null
}

/** A freshly created token, with the secret Cloudflare shows only once. */
export interface CreatedToken extends ApiTokenInfo {
  value: string
  /**
   * The permission groups Cloudflare says the token holds in allow policies, by id and (where the
   * answer names them) name: what the token can really do, which the mint checks against its template.
   */
  granted: Array<{ id: string; name: string | null }>
}

/** A permission group as listed by Cloudflare. */
export interface PermissionGroupInfo {
  id: string
  name: string
  scopes: string[]
}

/** The operations the minting and reaping code needs; implemented by {@link CloudflareClient}. */
export interface TokenApi {
  readonly owner: TokenOwnerKind
  readonly accountId: string | null
  verify(): Promise<{ id: string; status: string; expiresOn: string | null }>
  createToken(input: { name: string; policies: Policy[]; expiresOn: string | null }): Promise<CreatedToken>
  deleteToken(id: string): Promise<'deleted' | 'not-found'>
  /** Every token of the owner, expired ones included, across all pages. */
  listTokens(): Promise<ApiTokenInfo[]>
  resolvePermissionGroups(permissions: readonly PermissionRef[]): Promise<Map<string, string>>
  /** Rolls a token's secret; resolves with the new one (the old one is dead). */
  rollToken?(id: string): Promise<string>
  /** Drops cached permission-group ids (after Cloudflare refused a create that used them). */
  forgetPermissionGroups?(): void
}
