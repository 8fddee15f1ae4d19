// Credentials that are base64 JSON: a Cloudflare Tunnel token and JWTs (whose role claim tells a
// Supabase service-role key from the public anon key). Decoding is the only way to tell them from
// any other base64, so the decoded JSON is checked against a schema like any other untrusted input.

import * as z from 'zod/mini'

/** The longest base64 text decoded here; real tunnel tokens and JWT payloads are far shorter. */
const MAX_DECODED_INPUT = 8 * 1024

/** The JSON a base64 or base64url text holds, or undefined when it is not base64 of JSON. */
export function decodeBase64Json(text: string): unknown {
  if (text.length > MAX_DECODED_INPUT) return undefined
  let standard = text.replace(/-/g, '+').replace(/_/g, '/')
  while (standard.length % 4 !== 0) standard += '='
  try {
    const binary = atob(standard)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
  } catch {
    return undefined
  }
}

// cloudflared's token: {"a": account tag, "t": tunnel UUID, "s": base64 tunnel secret}.
const TunnelTokenSchema = z.object({
  a: z.string().check(z.regex(/^[0-9a-f]{32}$/)),
  t: z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)),
  s: z.string().check(z.minLength(16)),
})

/** True when `token` is base64 of a cloudflared tunnel token's JSON with account, tunnel and secret. */
export function isTunnelToken(token: string): boolean {
  return TunnelTokenSchema.safeParse(decodeBase64Json(token)).success
}

const JwtRoleSchema = z.object({ role: z.string() })

/** The `role` claim of a JWT's payload (`header.payload.signature`), or undefined. */
export function jwtRole(jwt: string): string | undefined {
  const first = jwt.indexOf('.')
  const second = jwt.indexOf('.', first + 1)
  if (first === -1 || second === -1) return undefined
  const parsed = JwtRoleSchema.safeParse(decodeBase64Json(jwt.slice(first + 1, second)))
  return parsed.success ? parsed.data.role : undefined
}
