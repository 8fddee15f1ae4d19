// Rule (a): DNS and data-destroying permissions never ride along with a deploy permission.
import type { PermissionRef } from '../../templates'
import { DATA_DESTROYING_PERMISSIONS, DEPLOY_PERMISSIONS, isDnsPermission } from '../permissions'
import type { Refusal } from '../schemas'

/** Rule (a) and its sibling: DNS and data-destroying permissions never ride along with a deploy permission. */
export function checkForbiddenCombinations(permissions: readonly PermissionRef[]): Refusal[] {
  const deploy = permissions.filter((permission) => DEPLOY_PERMISSIONS.includes(permission.name)).map((p) => p.name)
  if (deploy.length === 0) return []
  const refusals: Refusal[] = []
  const dns = permissions.filter((permission) => isDnsPermission(permission.name)).map((p) => p.name)
  if (dns.length > 0) {
    refusals.push({
      rule: 'dns-with-deploy',
      field: 'template',
      message:
        `Refused: DNS permissions (${dns.join(', ')}) in the same token as deploy permissions (${deploy.join(', ')}). ` +
        'Whoever holds both can publish code and point traffic at it, so one leaked token could hijack the site. ' +
        'Mint two tokens instead: one for the deploy, and a separate dns-edit token for the DNS change.',
    })
  }
  const destroying = permissions.filter((permission) => DATA_DESTROYING_PERMISSIONS.includes(permission.name)).map((p) => p.name)
  if (destroying.length > 0) {
    refusals.push({
      rule: 'd1-with-deploy',
      field: 'template',
      message:
        `Refused: ${destroying.join(', ')} in the same token as deploy permissions (${deploy.join(', ')}). ` +
        'A migration can destroy data, so it must not be bundled with a deploy token. ' +
        'Mint a separate d1-migrations token for the migration step.',
    })
  }
  return refusals
}
