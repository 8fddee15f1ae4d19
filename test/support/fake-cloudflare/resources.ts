// Policy resource keys: what each one names and whether the owner may grant it.
import { ErrorCode, PermissionScope } from './catalog'
import { ApiError } from './model'

export type ClassifiedResource =
  | { scope: typeof PermissionScope.user; userId: string }
  | { scope: typeof PermissionScope.account; accountId: string }
  | { scope: typeof PermissionScope.zone; accountId: string | null }
  | { scope: typeof PermissionScope.r2Bucket; accountId: string }

export const USER_KEY = /^com\.cloudflare\.api\.user\.([0-9a-f]{32}|\*)$/
export const ACCOUNT_KEY = /^com\.cloudflare\.api\.account\.([0-9a-f]{32}|\*)$/
export const ZONE_KEY = /^com\.cloudflare\.api\.account\.zone\.([0-9a-f]{32}|\*)$/
export const R2_BUCKET_KEY = /^com\.cloudflare\.edge\.r2\.bucket\.([0-9a-f]{32})_([a-z]+)_([a-z0-9][a-z0-9-]{1,61}[a-z0-9]|\*)$/

// Resource values are "*" everywhere in Cloudflare's docs; anything else is rejected.
export function classifyResource(key: string, value: string | Record<string, string>): ClassifiedResource {
  const bad = (why: string): never => {
    throw new ApiError(400, ErrorCode.invalidRequest, `resources: "${key}" ${why}`)
  }
  const userMatch = USER_KEY.exec(key)
  if (userMatch) {
    if (value !== '*') bad('must map to "*"')
    return { scope: PermissionScope.user, userId: userMatch[1] ?? '' }
  }
  if (ZONE_KEY.test(key)) {
    if (value !== '*') bad('must map to "*"')
    return { scope: PermissionScope.zone, accountId: null }
  }
  const accountMatch = ACCOUNT_KEY.exec(key)
  if (accountMatch) {
    const accountId = accountMatch[1] ?? ''
    if (value === '*') return { scope: PermissionScope.account, accountId }
    if (typeof value === 'string') return bad('must map to "*" or to zone resources')
    // account → { zone keys }: zones of that account.
    const innerKeys = Object.keys(value)
    if (innerKeys.length === 0) bad('maps to an empty object')
    for (const innerKey of innerKeys) {
      if (!ZONE_KEY.test(innerKey) || value[innerKey] !== '*') bad(`nests "${innerKey}", which is not a zone key mapped to "*"`)
    }
    return { scope: PermissionScope.zone, accountId }
  }
  const bucketMatch = R2_BUCKET_KEY.exec(key)
  if (bucketMatch) {
    if (value !== '*') bad('must map to "*"')
    return { scope: PermissionScope.r2Bucket, accountId: bucketMatch[1] ?? '' }
  }
  return bad('is not a known resource key')
}
