// Rule (c): a hand-grouped policy stays within one scope type.
import type { MintRequest, Refusal } from '../schemas'
import { SCOPE_WORDS } from '../wording'

/** Rule (c): each hand-grouped policy must stay within one scope type. */
export function checkExtraPolicyScopes(request: MintRequest): Refusal[] {
  return (request.extraPolicies ?? []).flatMap((policy, index) => {
    const scopes = [...new Set(policy.permissions.map((permission) => permission.scope))]
    if (scopes.length <= 1) return []
    const byScope = scopes
      .map((scope) => {
        const names = policy.permissions.filter((permission) => permission.scope === scope).map((permission) => permission.name)
        return `${SCOPE_WORDS[scope]}: ${names.join(', ')}`
      })
      .join('; ')
    return [
      {
        rule: 'mixed-scopes',
        field: 'extraPolicies',
        message:
          `Refused extra policy #${index + 1}: it mixes scopes in one policy (${byScope}). ` +
          'Cloudflare may reject a policy that mixes scopes, and it hides what the token can reach. ' +
          'Use one policy per scope type, or list the permissions in extraPermissions and cfwrap makes one policy per scope.',
      },
    ]
  })
}
