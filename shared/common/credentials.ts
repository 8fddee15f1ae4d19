/**
 * Environment variables through which Cloudflare tools (Wrangler, the SDK, Terraform's provider)
 * pick up a credential. cfwrap strips all of them from a child's environment before injecting
 * exactly one token.
 */
export const CLOUDFLARE_CREDENTIAL_VARS = [
  'CLOUDFLARE_API_TOKEN',
  'CF_API_TOKEN',
  'CLOUDFLARE_API_KEY',
  'CLOUDFLARE_EMAIL',
  'CF_API_KEY',
  'CF_EMAIL',
] as const

/** One of the variables in {@link CLOUDFLARE_CREDENTIAL_VARS}. */
export type CloudflareCredentialVar = (typeof CLOUDFLARE_CREDENTIAL_VARS)[number]

/** True when `name` is a variable through which a Cloudflare credential reaches a tool. */
export function isCloudflareCredentialVar(name: string): name is CloudflareCredentialVar {
  return (CLOUDFLARE_CREDENTIAL_VARS as readonly string[]).includes(name)
}

/**
 * Which credential Wrangler uses, given the variables it sees (non-empty values only), following
 * its precedence: Global API Key + e-mail (both set) beat an API token, which beats the OAuth
 * login; the legacy `CF_*` names count only when the new name is absent.
 */
export function wranglerEffectiveCredential(
  vars: Partial<Record<CloudflareCredentialVar, string>>,
): { kind: 'global-key'; keyVar: string; emailVar: string } | { kind: 'api-token'; tokenVar: string } | { kind: 'oauth' } {
  const pick = (modern: CloudflareCredentialVar, legacy: CloudflareCredentialVar): string | undefined =>
    vars[modern] ? modern : vars[legacy] ? legacy : undefined
  const keyVar = pick('CLOUDFLARE_API_KEY', 'CF_API_KEY')
  const emailVar = pick('CLOUDFLARE_EMAIL', 'CF_EMAIL')
  if (keyVar && emailVar) return { kind: 'global-key', keyVar, emailVar }
  const tokenVar = pick('CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN')
  if (tokenVar) return { kind: 'api-token', tokenVar }
  return { kind: 'oauth' }
}
