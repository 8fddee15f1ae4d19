/**
 * Token names follow `<prefix>:<project>:<env>:<purpose>:<owner>`, e.g. `acme:client-app:prod:workers-deploy:ci`.
 * The name is how a person recognises a token in the dashboard and how cfwrap finds its own tokens
 * again after a crash, so formatting and parsing must agree exactly.
 *
 * Case handling: segments are lowercase only. `formatTokenName` and `parseTokenName` are strict (they
 * never change a segment) so that a name formatted once always parses back to the same parts and
 * `isOwnToken` cannot be fooled by a look-alike. Callers that take free text (a typed project, the OS
 * user name) pass it through `normalizeTokenNameSegment` (lower-casing only) or `slugifyTokenNameSegment`
 * (also replaces other characters) first.
 */

import { NAME_SEGMENT } from './ids'

/** Longest token name Cloudflare accepts. */
export const TOKEN_NAME_MAX_LENGTH = 120

/** Separator between name segments; it can therefore never appear inside a segment. */
export const TOKEN_NAME_SEPARATOR = ':'

/** What every segment must look like: lowercase, starts with a letter or digit, then letters, digits, `.`, `_`, `-`. */
export const TOKEN_NAME_SEGMENT_PATTERN = NAME_SEGMENT

/** The five parts of a cfwrap token name; `purpose` is the template name (templates joined by `.` when combined). */
export interface TokenNameParts {
  prefix: string
  project: string
  env: string
  purpose: string
  owner: string
}

/** The segments in the order they appear in a name. */
export const TOKEN_NAME_SEGMENTS = ['prefix', 'project', 'env', 'purpose', 'owner'] as const satisfies readonly (keyof TokenNameParts)[]

/** Thrown by `formatTokenName` when a segment or the whole name is not acceptable; the message names the problem. */
export class TokenNameError extends Error {
  override readonly name = 'TokenNameError'
}

/** Explains why `value` cannot be the `segment` part of a token name, or returns null when it can. */
export function tokenNameSegmentProblem(segment: keyof TokenNameParts, value: string): string | null {
  if (value === '') return `The ${segment} part of the token name is empty; give it a value.`
  if (value.includes(TOKEN_NAME_SEPARATOR)) {
    return `The ${segment} part "${value}" contains ":", which separates the parts of a token name; remove it.`
  }
  if (value !== value.toLowerCase()) {
    return `The ${segment} part "${value}" has capital letters; token names are lowercase, use "${value.toLowerCase()}".`
  }
  if (!TOKEN_NAME_SEGMENT_PATTERN.test(value)) {
    return `The ${segment} part "${value}" must start with a letter or digit and contain only a-z, 0-9, ".", "_" or "-".`
  }
  return null
}

/** Lower-cases and trims free text meant as a name segment; it does not make invalid characters valid. */
export function normalizeTokenNameSegment(text: string): string {
  return text.trim().toLowerCase()
}

/**
 * Turns arbitrary text (an OS user name such as "Jane Doe", a folder name) into a valid segment by
 * lower-casing it and replacing every run of other characters with "-"; returns null when nothing usable is left.
 */
export function slugifyTokenNameSegment(text: string): string | null {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .replace(/-+$/, '')
  return slug === '' ? null : slug
}

/** Builds `<prefix>:<project>:<env>:<purpose>:<owner>`; throws `TokenNameError` for a bad segment or a name over 120 characters. */
export function formatTokenName(parts: TokenNameParts): string {
  for (const segment of TOKEN_NAME_SEGMENTS) {
    const problem = tokenNameSegmentProblem(segment, parts[segment])
    if (problem !== null) throw new TokenNameError(problem)
  }
  const name = TOKEN_NAME_SEGMENTS.map((segment) => parts[segment]).join(TOKEN_NAME_SEPARATOR)
  if (name.length > TOKEN_NAME_MAX_LENGTH) {
    throw new TokenNameError(
      `The token name "${name}" is ${name.length} characters; Cloudflare allows ${TOKEN_NAME_MAX_LENGTH}. Shorten the project, env or owner.`,
    )
  }
  return name
}

/** Splits a token name into its five parts, or returns null when it is not a well-formed cfwrap name. */
export function parseTokenName(name: string): TokenNameParts | null {
  if (name.length > TOKEN_NAME_MAX_LENGTH) return null
  const values = name.split(TOKEN_NAME_SEPARATOR)
  if (values.length !== TOKEN_NAME_SEGMENTS.length) return null
  if (!values.every((value) => TOKEN_NAME_SEGMENT_PATTERN.test(value))) return null
  const [prefix = '', project = '', env = '', purpose = '', owner = ''] = values
  return { prefix, project, env, purpose, owner }
}

/**
 * True when `name` is a well-formed cfwrap token name that starts with `prefix`: how cfwrap recognises
 * the tokens it minted among everything else on the Cloudflare account (to list, reconcile and delete them).
 */
export function isOwnToken(name: string, prefix: string): boolean {
  const parts = parseTokenName(name)
  return parts !== null && parts.prefix === normalizeTokenNameSegment(prefix)
}
