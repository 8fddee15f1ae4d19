// The permission groups, error codes and paths the fake shares with the tests.
import { createHash } from 'node:crypto'

/** Path under which the fake serves the v4 API, as api.cloudflare.com does. */
export const API_BASE_PATH = '/client/v4'

/** The resource scopes a permission group can belong to, keyed by a short name. */
export const PermissionScope = {
  user: 'com.cloudflare.api.user',
  account: 'com.cloudflare.api.account',
  zone: 'com.cloudflare.api.account.zone',
  r2Bucket: 'com.cloudflare.edge.r2.bucket',
} as const

/** One of the resource scopes a permission group can belong to. */
export type PermissionScope = (typeof PermissionScope)[keyof typeof PermissionScope]

/** A permission group as `GET …/tokens/permission_groups` lists it. */
export interface PermissionGroup {
  readonly id: string
  readonly name: string
  readonly scopes: readonly PermissionScope[]
}

export const CATALOG_NAMES: ReadonlyArray<readonly [PermissionScope, readonly string[]]> = [
  [
    PermissionScope.user,
    // "Memberships …" are not in the list, but the real /memberships endpoint (which wrangler's
    // account-id lookup calls) requires them, so the fake needs them to behave like the real thing.
    ['API Tokens Write', 'API Tokens Read', 'User Details Write', 'User Details Read', 'Memberships Write', 'Memberships Read'],
  ],
  [
    PermissionScope.account,
    [
      'Account API Tokens Write',
      // The OpenAPI description lets "… Read" list and read account-owned tokens.
      'Account API Tokens Read',
      'Workers Scripts Write',
      'Workers Scripts Read',
      'Account Settings Read',
      'Account Settings Write',
      'Pages Write',
      'D1 Write',
      'Workers KV Storage Write',
      'Workers R2 Storage Write',
      'Queues Write',
      'Account Analytics Read',
      'Logs Read',
      'Workers Tail Read',
      'Workers AI Write',
    ],
  ],
  [PermissionScope.zone, ['DNS Write', 'Logs Read', 'Zone Read']],
  [PermissionScope.r2Bucket, ['Workers R2 Storage Bucket Item Write', 'Workers R2 Storage Bucket Item Read']],
]

// Derived from scope and name so they never change between runs; deliberately not Cloudflare's real ids,
// so code that hard-codes ids instead of resolving them by name and scope fails against the fake.
export function stablePermissionGroupId(scope: PermissionScope, name: string): string {
  return createHash('md5').update(`cfwrap-fake-cloudflare:${scope}:${name}`).digest('hex')
}

/** Every permission group the fake knows, with stable 32-hex ids (not Cloudflare's real ids: resolve them by name and scope). */
export const PERMISSION_GROUP_CATALOG: readonly PermissionGroup[] = Object.freeze(
  CATALOG_NAMES.flatMap(([scope, names]) =>
    names.map((name) => Object.freeze({ id: stablePermissionGroupId(scope, name), name, scopes: Object.freeze([scope]) })),
  ),
)

export const PERMISSION_GROUPS_BY_ID = new Map(PERMISSION_GROUP_CATALOG.map((group) => [group.id, group]))

/** The catalog entry with exactly this name and scope, if any. */
export function findPermissionGroup(name: string, scope: PermissionScope): PermissionGroup | undefined {
  return PERMISSION_GROUP_CATALOG.find((group) => group.name === name && group.scopes.includes(scope))
}

/**
 * Error codes the fake answers with. Codes marked "chosen here" are not pinned down by Cloudflare's
 * documentation; the others are codes the real API is known to use.
 */
export const ErrorCode = {
  rateLimited: 971,
  invalidApiToken: 1000,
  /** Per cloudflare.md; the real API has also been seen answering 9106 for this. */
  missingAuthorization: 1001,
  /** Chosen here: query or body fails validation (per_page, name length, unknown permission group…). */
  invalidRequest: 1002,
  /** Chosen here: no token with that id in the caller's collection. */
  tokenNotFound: 1003,
  /** Chosen here: the owner already has as many tokens as the quota allows. */
  tokenQuotaExceeded: 1005,
  invalidRequestHeaders: 6003,
  malformedJson: 6007,
  /** Detail inside `error_chain` of a 6003. */
  invalidAuthorizationFormat: 6111,
  noRoute: 7000,
  invalidIdentifier: 7003,
  unknownGlobalApiKey: 9103,
  /** What /memberships answers an account-owned token (it has no user identity). */
  authenticationFailed: 9106,
  unauthorized: 9109,
  authenticationError: 10000,
  /** Chosen here: body of an injected 5xx. */
  internalError: 10002,
  /** Chosen here. */
  methodNotAllowed: 10405,
} as const
