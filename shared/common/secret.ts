/**
 * Rules for a secret value, checked on every way in (stdin, the window's setup form, a keychain item
 * written by something other than cfwrap) and once more before a secret goes into a child's
 * environment. An API token is one line of printable text well under a kilobyte; anything else is
 * refused with a sentence that never repeats the value.
 */

/** Largest secret cfwrap accepts (bytes of UTF-8). Cloudflare's tokens are about 50 characters. */
export const MAX_SECRET_BYTES = 16 * 1024

/** Why `secret` cannot be used as a token's secret, or null when it can. Never quotes the value. */
export function secretProblem(secret: string): string | null {
  if (secret.length === 0) return 'is empty'
  // UTF-16 length × 3 bounds the UTF-8 length; only near the cap is the exact count needed.
  if (secret.length * 3 > MAX_SECRET_BYTES && new TextEncoder().encode(secret).length > MAX_SECRET_BYTES) {
    return `is larger than ${MAX_SECRET_BYTES / 1024} KiB, which no API token is; pass exactly one token`
  }
  for (let i = 0; i < secret.length; i++) {
    const code = secret.charCodeAt(i)
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
      return `contains a control character (${code === 0 ? 'a NUL byte' : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`}) at position ${i + 1}; pass exactly the token`
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const pair = code <= 0xdbff && i + 1 < secret.length && secret.charCodeAt(i + 1) >= 0xdc00 && secret.charCodeAt(i + 1) <= 0xdfff
      if (!pair) return 'is not valid Unicode text'
      i++
    }
  }
  if (/\s/.test(secret)) return 'contains white space; pass exactly one token'
  return null
}
