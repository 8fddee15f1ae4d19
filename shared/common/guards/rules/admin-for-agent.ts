// Rule (b): administration permissions are refused for agent owners unless explicitly allowed.
import type { PermissionRef } from '../../templates'
import { ADMIN_PERMISSIONS } from '../permissions'
import type { MintRequest, Refusal } from '../schemas'

/** Rule (b): administration permissions are refused for agent owners unless explicitly allowed. */
export function checkAdminForAgent(
  request: MintRequest,
  permissions: readonly PermissionRef[],
  owner: string,
  ownerIsAgent: boolean,
  agentPattern: string,
  warnings: string[],
): Refusal[] {
  const admin = permissions.filter((permission) => ADMIN_PERMISSIONS.includes(permission.name)).map((p) => p.name)
  if (admin.length === 0) return []
  if (ownerIsAgent && request.allowAdminForAgent !== true) {
    return [
      {
        rule: 'admin-for-agent',
        field: 'owner',
        message:
          `Refused: administration permissions (${admin.join(', ')}) for owner "${owner}", which looks like an agent ` +
          `(it matches /${agentPattern}/i). These let the holder change the account or mint further tokens, ` +
          'which an agent should not do on its own. Mint it for a human owner, or set allowAdminForAgent: true if you really mean it.',
      },
    ]
  }
  warnings.push(
    `This token can administer the account or user (${admin.join(', ')})${ownerIsAgent ? ' and is for an agent (allowed explicitly)' : ''}.`,
  )
  return []
}
