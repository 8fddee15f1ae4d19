// Request bodies, validated the way the API does, with its error codes.
import { BlockList, isIP } from 'node:net'
import * as z from 'zod/mini'
import type { $ZodIssue } from 'zod/v4/core'
import { ErrorCode } from './catalog'
import { ApiError } from './model'

export const DateTimeSchema = z.iso.datetime({ offset: true })
export const CidrListSchema = z.array(z.string())

export const ConditionSchema = z.object({
  request_ip: z.optional(z.object({ in: z.optional(CidrListSchema), not_in: z.optional(CidrListSchema) })),
})

export const PolicyInputSchema = z.object({
  effect: z.enum(['allow', 'deny']),
  resources: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.string())])),
  // Extra keys (name, meta) that clients echo back are ignored, as the API does.
  permission_groups: z.array(z.object({ id: z.string() })).check(z.minLength(1)),
})

export const CreateTokenBodySchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(120)),
  policies: z.array(PolicyInputSchema).check(z.minLength(1)),
  not_before: z.optional(z.nullable(DateTimeSchema)),
  expires_on: z.optional(z.nullable(DateTimeSchema)),
  condition: z.optional(z.nullable(ConditionSchema)),
})

export const UpdateTokenBodySchema = z.extend(CreateTokenBodySchema, {
  status: z.optional(z.enum(['active', 'disabled'])),
})

export type PolicyInput = z.infer<typeof PolicyInputSchema>
export type CreateTokenBody = z.infer<typeof CreateTokenBodySchema>
export type UpdateTokenBody = z.infer<typeof UpdateTokenBodySchema>

// zod/mini ships no messages (loading a locale would change the whole process's config), so issues
// are worded here.
export function describeIssue(issue: $ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'body'
  switch (issue.code) {
    case 'too_big':
      return `${where}: must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'items'}`
    case 'too_small':
      return `${where}: must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'items'}`
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`
    case 'invalid_format':
      return `${where}: expected ${issue.format === 'datetime' ? 'an RFC 3339 date-time such as 2026-11-22T10:00:00Z' : issue.format}`
    default:
      return `${where}: invalid value`
  }
}

export function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    throw new ApiError(400, ErrorCode.invalidRequest, parsed.error.issues.map(describeIssue).join('; '))
  }
  return parsed.data
}

export function toBlockList(cidrs: readonly string[], field: string): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [address = '', prefixText] = cidr.split('/')
    const family = isIP(address)
    const maxPrefix = family === 4 ? 32 : 128
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText)
    if (family === 0 || !/^\d+$/.test(prefixText ?? String(maxPrefix)) || prefix > maxPrefix) {
      throw new ApiError(400, ErrorCode.invalidRequest, `${field}: "${cidr}" is not an IPv4/IPv6 CIDR`)
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
  }
  return list
}

export function ipMatches(list: BlockList, ip: string): boolean {
  return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')
}
