// Rule (f): every scope the permissions use has its resource, and each id or name is well-formed.
import { isCloudflareId } from '../../ids'
import { DEFAULT_R2_JURISDICTION, type ResourceIds } from '../../policy'
import { SCOPES, type PermissionRef, type ScopeId } from '../../templates'
import type { MintRequest, Refusal } from '../schemas'

/**
 * Explains why `name` is not a valid R2 bucket name, or returns null when it is. Rules as R2 enforces them:
 * 3 to 63 characters, lowercase letters, digits and hyphens, starting and ending with a letter or digit.
 * The name itself is not repeated in the message in case something secret was pasted by mistake.
 */
export function r2BucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; R2 bucket names have 3 to 63`
  if (/[A-Z]/.test(name)) return 'has capital letters; R2 bucket names are lowercase'
  if (!/^[a-z0-9-]+$/.test(name)) return 'has characters other than lowercase letters, digits and hyphens'
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'starts or ends with a hyphen; it must start and end with a letter or digit'
  return null
}

/** Rule (f): every scope the permissions use has its resource id, and each id is well-formed. */
export function checkResources(
  request: MintRequest,
  permissions: readonly PermissionRef[],
): { refusals: Refusal[]; resources: ResourceIds } {
  const refusals: Refusal[] = []
  const resources: ResourceIds = {}
  const namesAt = (...scopes: ScopeId[]) =>
    permissions.filter((permission) => scopes.includes(permission.scope)).map((permission) => permission.name)

  /** Refuses a missing or malformed id for the scope `what`; returns the id, lowercased, when it is fine. */
  const checkId = (what: 'account' | 'zone', needs: string[], value: string | undefined, whereToFind: string): string | undefined => {
    if (needs.length === 0) return undefined
    const field = what === 'account' ? 'accountId' : 'zoneId'
    if (!value) {
      refusals.push({
        rule: 'resource-required',
        field,
        message: `Refused: ${needs.join(', ')} must be narrowed to one ${what}, but no ${what} id was given. Give the ${what} id (32 hex characters; copy it from ${whereToFind}).`,
      })
      return undefined
    }
    if (!isCloudflareId(value)) {
      refusals.push({
        rule: 'resource-invalid',
        field,
        message: `Refused: the ${what} id is not a Cloudflare id (got ${value.length} characters; ids are 32 hex characters 0-9, a-f). Copy the ${what} id from ${whereToFind}.`,
      })
      return undefined
    }
    return value.toLowerCase()
  }
  const accountId = checkId('account', namesAt(SCOPES.account, SCOPES.r2Bucket), request.accountId, "the dashboard's Account Home, or from `wrangler whoami`")
  if (accountId) resources.accountId = accountId
  const zoneId = checkId('zone', namesAt(SCOPES.zone), request.zoneId, "on the zone's Overview page in the dashboard")
  if (zoneId) resources.zoneId = zoneId

  const needsBucket = namesAt(SCOPES.r2Bucket)
  if (needsBucket.length > 0) {
    const bucketProblem = request.bucket ? r2BucketNameProblem(request.bucket) : null
    if (!request.bucket) {
      refusals.push({
        rule: 'resource-required',
        field: 'bucket',
        message:
          `Refused: ${needsBucket.join(', ')} must be narrowed to one R2 bucket, but no bucket was given. ` +
          'Pass the bucket name (as listed by `wrangler r2 bucket list`).',
      })
    } else if (bucketProblem !== null) {
      refusals.push({
        rule: 'resource-invalid',
        field: 'bucket',
        message: `Refused: the bucket name ${bucketProblem}. Check the name with \`wrangler r2 bucket list\`.`,
      })
    } else {
      resources.bucket = request.bucket
    }
    const jurisdiction = request.jurisdiction ?? DEFAULT_R2_JURISDICTION
    if (!/^[a-z][a-z0-9]{0,31}$/.test(jurisdiction)) {
      refusals.push({
        rule: 'resource-invalid',
        field: 'jurisdiction',
        message:
          'Refused: the R2 jurisdiction must be a lowercase word such as "default", "eu" or "fedramp". ' +
          'Leave it out for buckets in the default jurisdiction.',
      })
    } else {
      resources.jurisdiction = jurisdiction
    }
  }

  const needsUser = namesAt(SCOPES.user)
  if (needsUser.length > 0) {
    if (!request.userId) {
      refusals.push({
        rule: 'resource-required',
        field: 'userId',
        message:
          `Refused: ${needsUser.join(', ')} must be narrowed to one user, but no user id was given. ` +
          'Pass your user id (32 hex characters, the `id` returned by GET /user).',
      })
    } else if (!isCloudflareId(request.userId)) {
      refusals.push({
        rule: 'resource-invalid',
        field: 'userId',
        message: `Refused: the user id is not a Cloudflare id (got ${request.userId.length} characters; ids are 32 hex characters 0-9, a-f).`,
      })
    } else {
      resources.userId = request.userId.toLowerCase()
    }
  }
  return { refusals, resources }
}
