// The answers cfwrap relies on, validated with zod/mini (only the fields cfwrap reads): an
// unexpected shape is a `server` error, never a crash or a silently wrong value.
import * as z from 'zod/mini'
import type { ApiTokenInfo } from './api'
import { CloudflareApiError } from './errors'

/** A token as Cloudflare lists it. */
export const ApiTokenSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  status: z.enum(['active', 'disabled', 'expired']),
  expires_on: z.optional(z.nullable(z.string())),
  issued_on: z.optional(z.nullable(z.string())),
})

/** A token's policies: which permission groups it holds, by id and (where Cloudflare says) name. */
const PoliciesSchema = z.optional(
  z.array(
    z.object({
      effect: z.string(),
      permission_groups: z.array(z.object({ id: z.string(), name: z.optional(z.string()) })),
    }),
  ),
)

/** A token just created: the listing fields, its secret (shown once) and its policies. */
export const CreatedTokenSchema = z.extend(ApiTokenSchema, { value: z.string().check(z.minLength(1)), policies: PoliciesSchema })

/** The answer of /user/tokens/verify (and the account variant). */
export const VerifySchema = z.object({
  id: z.string().check(z.minLength(1)),
  status: z.string(),
  expires_on: z.optional(z.nullable(z.string())),
})

/** One permission group of the listing. */
export const PermissionGroupSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  scopes: z.optional(z.array(z.string())),
})

/** A token read back for its policies. */
export const TokenPoliciesSchema = z.object({ policies: PoliciesSchema })

/** Paging of a list answer. */
export const ResultInfoSchema = z.object({
  page: z.optional(z.number()),
  total_pages: z.optional(z.number()),
  total_count: z.optional(z.number()),
})

/** Validates one answer; a shape cfwrap does not expect is a `server` error naming the fields (never their values). */
export function parseAnswer<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'result'))].slice(0, 3).join(', ')
    throw new CloudflareApiError('server', `Cloudflare's answer to ${what} was not what cfwrap expects (${fields}); try again later.`)
  }
  return parsed.data
}

/** A listed token as cfwrap keeps it. */
export function toTokenInfo(token: z.infer<typeof ApiTokenSchema>): ApiTokenInfo {
  return { id: token.id, name: token.name, status: token.status, expiresOn: token.expires_on ?? null, issuedOn: token.issued_on ?? null }
}
