/**
 * The shapes of the identifiers cfwrap accepts from outside (a command line, the window, the state
 * file), each written once. Kept free of imports so that even the CLI's few-hundred-byte entry
 * (`electron/cli/prefetch.ts`) can use them without pulling anything else in.
 */

/** A Cloudflare account, zone or token id as cfwrap stores and sends it: 32 lowercase hex digits. */
export const CLOUDFLARE_ID = /^[0-9a-f]{32}$/

/** True for a Cloudflare id in either case (the dashboard shows lowercase; a pasted one may not be). */
export function isCloudflareId(text: string): boolean {
  return CLOUDFLARE_ID.test(text.toLowerCase())
}

/**
 * A name cfwrap stores a token under: a letter or digit, then letters, digits and `._:@-`, at most
 * 120 characters (Cloudflare's limit). Never `-x`, so a name can never read as an option; minted
 * names (`token-name.ts`) are a stricter subset.
 */
export const STORED_TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,119}$/

/** One lowercase part of a minted token's name or a name setting (prefix, owner): see `token-name.ts`. */
export const NAME_SEGMENT = /^[a-z0-9][a-z0-9._-]*$/
