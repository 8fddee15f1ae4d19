// Which permissions the rules single out, and small helpers over permission lists.
import type { PermissionRef, Risk, TokenTemplate } from '../templates'
import { DEFAULT_AGENT_OWNER_PATTERN } from './schemas'

/** Permissions that publish code; a token holding one must not also hold DNS or D1 permissions. */
export const DEPLOY_PERMISSIONS: readonly string[] = ['Workers Scripts Write', 'Pages Write']

/** Permissions that can destroy stored data and so are kept out of deploy tokens. */
export const DATA_DESTROYING_PERMISSIONS: readonly string[] = ['D1 Write']

/** Permissions that administer the account or user (settings, members, other tokens); never for agents by default. */
export const ADMIN_PERMISSIONS: readonly string[] = [
  'Account Settings Write',
  'User Details Write',
  'API Tokens Write',
  'Account API Tokens Write',
]

/** True for DNS permission groups ("DNS Write", "DNS Read", ...): whoever holds them can redirect a zone's traffic. */
export function isDnsPermission(name: string): boolean {
  return /^DNS\b/i.test(name)
}

/** True when `owner` looks like an agent according to `pattern` (regular expression source, case-insensitive). */
export function isAgentOwner(owner: string, pattern: string = DEFAULT_AGENT_OWNER_PATTERN): boolean {
  return new RegExp(pattern, 'i').test(owner)
}

const RISK_ORDER: readonly Risk[] = ['low', 'medium', 'high']

export function highestRisk(templates: readonly TokenTemplate[]): Risk {
  return templates.reduce<Risk>(
    (highest, template) => (RISK_ORDER.indexOf(template.risk) > RISK_ORDER.indexOf(highest) ? template.risk : highest),
    'low',
  )
}

export function uniquePermissions(permissions: readonly PermissionRef[]): PermissionRef[] {
  const seen = new Set<string>()
  return permissions.filter((permission) => {
    const key = `${permission.scope} ${permission.name}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** A list of names for a message: each in double quotes. */
export function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ')
}
