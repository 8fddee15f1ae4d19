import { SCOPE_IDS, SCOPES, type PermissionRef, type ScopeId } from './templates'

/** R2 jurisdiction used in bucket resource keys when none is given. */
export const DEFAULT_R2_JURISDICTION = 'default'

/** The concrete resources a token is narrowed to; which ones are needed depends on the permissions' scopes. */
export interface ResourceIds {
  accountId?: string
  zoneId?: string
  bucket?: string
  /** R2 jurisdiction of `bucket` (`default`, `eu`, ...); `default` when absent. */
  jurisdiction?: string
  /** Only for user-scope permissions (`com.cloudflare.api.user`). */
  userId?: string
}

/** What `buildPolicies` needs: the permissions and the resources they apply to (a `MintPlan` is one). */
export interface PolicyRequest {
  permissions: readonly PermissionRef[]
  resources: ResourceIds
}

/** One entry of the `policies` array in Cloudflare's token create body. */
export interface Policy {
  effect: 'allow'
  resources: Record<string, string>
  permission_groups: { id: string }[]
}

/** Looks up a permission group id by API name and scope; returns undefined when Cloudflare has no such group. */
export type PermissionGroupResolver = (name: string, scope: ScopeId) => string | undefined

/** Permission group ids as a resolver function, or as a map / record keyed by `permissionGroupKey(name, scope)`. */
export type PermissionGroupIds = PermissionGroupResolver | ReadonlyMap<string, string> | Readonly<Record<string, string>>

/** Thrown when policies cannot be built: a permission group id is unknown or a resource id is missing. */
export class PolicyBuildError extends Error {
  override readonly name = 'PolicyBuildError'
}

/** The key under which a permission group id is cached: scope and name, because names repeat across scopes. */
export function permissionGroupKey(name: string, scope: ScopeId): string {
  // Scope ids contain no spaces, so the first space separates them unambiguously from the name.
  return `${scope} ${name}`
}

function toResolver(ids: PermissionGroupIds): PermissionGroupResolver {
  if (typeof ids === 'function') return ids
  if (ids instanceof Map) return (name, scope) => ids.get(permissionGroupKey(name, scope))
  const record = ids as Readonly<Record<string, string>>
  // Object.hasOwn keeps inherited keys such as "constructor" from passing as ids.
  return (name, scope) => {
    const key = permissionGroupKey(name, scope)
    return Object.hasOwn(record, key) ? record[key] : undefined
  }
}

/** Groups permissions by scope in the fixed order account, zone, R2 bucket, user, dropping duplicates. */
export function groupPermissionsByScope(permissions: readonly PermissionRef[]): Map<ScopeId, PermissionRef[]> {
  const grouped = new Map<ScopeId, PermissionRef[]>()
  for (const scope of SCOPE_IDS) {
    const names = new Set<string>()
    const inScope = permissions.filter((permission) => {
      if (permission.scope !== scope || names.has(permission.name)) return false
      names.add(permission.name)
      return true
    })
    if (inScope.length > 0) grouped.set(scope, inScope)
  }
  return grouped
}

function requireResource(value: string | undefined, what: string, scope: ScopeId): string {
  if (value === undefined || value === '') {
    throw new PolicyBuildError(`Permissions at scope ${scope} need ${what}, but none was given.`)
  }
  return value
}

/** The Cloudflare resource key a policy at `scope` uses, e.g. `com.cloudflare.api.account.<ACCOUNT_ID>`. */
export function resourceKeyFor(scope: ScopeId, resources: ResourceIds): string {
  switch (scope) {
    case SCOPES.account:
      return `${SCOPES.account}.${requireResource(resources.accountId, 'an account id', scope)}`
    case SCOPES.zone:
      return `${SCOPES.zone}.${requireResource(resources.zoneId, 'a zone id', scope)}`
    case SCOPES.r2Bucket: {
      const accountId = requireResource(resources.accountId, 'an account id', scope)
      const bucket = requireResource(resources.bucket, 'a bucket name', scope)
      const jurisdiction = resources.jurisdiction || DEFAULT_R2_JURISDICTION
      return `${SCOPES.r2Bucket}.${accountId}_${jurisdiction}_${bucket}`
    }
    case SCOPES.user:
      return `${SCOPES.user}.${requireResource(resources.userId, 'a user id', scope)}`
  }
}

/**
 * Turns permissions + resources into Cloudflare create-body policies: one allow policy per scope type
 * (account, zone, R2 bucket, user), never mixing scopes in one policy, because Cloudflare may reject a
 * mixed policy and a per-scope policy reads plainly in the dashboard. Ids come from `ids`, which the
 * caller fills from the API's permission_groups list at run time. Throws `PolicyBuildError` for an
 * unknown permission group or a missing resource id.
 */
export function buildPolicies(request: PolicyRequest, ids: PermissionGroupIds): Policy[] {
  const resolve = toResolver(ids)
  const policies: Policy[] = []
  for (const [scope, permissions] of groupPermissionsByScope(request.permissions)) {
    const groupIds: string[] = []
    for (const permission of permissions) {
      const id = resolve(permission.name, scope)
      if (id === undefined || id === '') {
        throw new PolicyBuildError(
          `Cloudflare has no permission group "${permission.name}" at scope ${scope}; check the name (the API says "Write" where the dashboard says "Edit").`,
        )
      }
      // Two names resolving to one id would only repeat the same grant.
      if (!groupIds.includes(id)) groupIds.push(id)
    }
    policies.push({
      effect: 'allow',
      resources: { [resourceKeyFor(scope, request.resources)]: '*' },
      permission_groups: groupIds.map((id) => ({ id })),
    })
  }
  return policies
}

/** Shortens a 32-hex id for display: enough characters to tell accounts apart, not so many that the line wraps. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}

function describeResource(scope: ScopeId, resources: ResourceIds): string {
  switch (scope) {
    case SCOPES.account:
      return `account ${shortId(resources.accountId ?? '?')}`
    case SCOPES.zone:
      return `zone ${shortId(resources.zoneId ?? '?')}`
    case SCOPES.r2Bucket: {
      const jurisdiction = resources.jurisdiction || DEFAULT_R2_JURISDICTION
      const where = jurisdiction === DEFAULT_R2_JURISDICTION ? '' : `, jurisdiction ${jurisdiction}`
      return `bucket ${resources.bucket ?? '?'} (account ${shortId(resources.accountId ?? '?')}${where})`
    }
    case SCOPES.user:
      return `user ${shortId(resources.userId ?? '?')}`
  }
}

/**
 * Plain-words preview of the policies `buildPolicies` would make, one line per policy,
 * e.g. "Workers Scripts Write and Account Settings Read on account 0123abcd…". Needs no ids,
 * so the preview can show before anything is asked of the API.
 */
export function describePolicies(request: PolicyRequest): string[] {
  return [...groupPermissionsByScope(request.permissions)].map(
    ([scope, permissions]) =>
      `${joinNames(permissions.map((permission) => permission.name))} on ${describeResource(scope, request.resources)}`,
  )
}
