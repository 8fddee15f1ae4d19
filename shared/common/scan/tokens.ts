// Secrets recognisable by their own shape (a vendor prefix, a fixed length), wherever they stand.
// Every pattern is a sticky regex tried at one position, with bounded quantifiers over character
// classes and at most one fixed literal between them, so a match attempt costs O(max length).

import { fingerprint } from '../fingerprint'
import { isTunnelToken, jwtRole } from './encoded'
import type { Finding } from './finding'
import type { SecretKind } from './kinds'
import { isPlaceholderToken } from './values'

/** A secret recognised by its own shape at one position of a line. */
export interface TokenMatch {
  kind: SecretKind
  /** Offset of the first character of the secret. */
  start: number
  /** Offset just past the secret. */
  end: number
}

interface TokenPattern {
  kind: SecretKind
  /** The literal the token starts with; the candidate regex finds these. */
  prefix: string
  /** Sticky regex for the whole token, ending with a lookahead for a token boundary. */
  shape: RegExp
  /** Further check of the matched text beyond its shape (entropy, placeholders, checksums). */
  accept?: (token: string) => boolean
}

// A token must not be preceded or followed by a character that could continue it: [A-Za-z0-9_-].
function isTokenCharCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 45
}
const END = '(?![A-Za-z0-9_-])'

function sticky(source: string): RegExp {
  return new RegExp(source + END, 'y')
}

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 (IEEE 802.3, as in zlib) of an ASCII string. */
export function crc32(ascii: string): number {
  let crc = 0xffffffff
  for (let i = 0; i < ascii.length; i++) crc = (CRC32_TABLE[(crc ^ ascii.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * True when the 8 hex digits that end a 2026+ Cloudflare credential are the CRC-32 of what precedes
 * them. Which part Cloudflare checksums is not documented, so both the whole prefix+body and the
 * body alone are accepted. Used only to keep a token that placeholder heuristics would drop.
 */
export function hasValidCloudflareChecksum(token: string): boolean {
  const split = token.length - 8
  const checksum = token.slice(split)
  const prefixAndBody = token.slice(0, split)
  const body = prefixAndBody.slice(prefixAndBody.indexOf('_') + 1)
  const hex = (value: number) => value.toString(16).padStart(8, '0')
  return hex(crc32(prefixAndBody)) === checksum || hex(crc32(body)) === checksum
}

function bodyAfter(prefix: string): (token: string) => boolean {
  return (token) => !isPlaceholderToken(token.slice(prefix.length))
}

function cloudflareAccept(prefix: string): (token: string) => boolean {
  return (token) => hasValidCloudflareChecksum(token) || !isPlaceholderToken(token.slice(prefix.length, token.length - 8))
}

/** For dash-separated tokens whose leading parts are ids (Slack): judges only the random last part. */
function lastPartNotPlaceholder(token: string): boolean {
  return !isPlaceholderToken(token.slice(token.lastIndexOf('-') + 1))
}

/** At least one digit, one lower-case and one upper-case letter: random tokens have all three, words do not. */
function looksRandom(text: string): boolean {
  return /[0-9]/.test(text) && /[a-z]/.test(text) && /[A-Z]/.test(text)
}

/** A random body of the prefix's token: all three character classes and no placeholder. */
function randomBodyAfter(prefix: string): (token: string) => boolean {
  return (token) => looksRandom(token.slice(prefix.length)) && !isPlaceholderToken(token.slice(prefix.length))
}

/**
 * Hugging Face bodies are 34 letters only. Random ones have about 17 capitals; a camelCase or
 * snake_case identifier after `hf_` has a handful, so fewer than 8 (or more than 26) is a word.
 */
function huggingFaceBody(token: string): boolean {
  const body = token.slice(3)
  let upper = 0
  for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) <= 90) upper++
  return upper >= 8 && upper <= 26 && !isPlaceholderToken(body)
}

/** Turnstile secrets are base64url; a hex literal that happens to start 0x4AAAAAAA is not one. */
function turnstileBody(token: string): boolean {
  const body = token.slice(10)
  return /[^0-9A-Fa-f]/.test(body) && !isPlaceholderToken(body)
}

/**
 * `sk-<service account name>-<random>`: either carries OpenAI's `T3BlbkFJ` marker (base64 of
 * "OpenAI") or ends in a long random part, which kebab-case class names never have.
 */
function openAiNamedKey(token: string): boolean {
  if (token.includes('T3BlbkFJ')) return !isPlaceholderToken(token.slice(3))
  const last = token.slice(token.lastIndexOf('-') + 1)
  return last.length >= 40 && looksRandom(last) && !isPlaceholderToken(last)
}

/** A JWT is reported by shape only when it is a Supabase service-role key; the anon key is public by design. */
function isServiceRoleJwt(token: string): boolean {
  return jwtRole(token) === 'service_role'
}

// Order matters where prefixes nest: sk-ant- before sk-proj- before sk-.
const TOKEN_PATTERNS: readonly TokenPattern[] = [
  { kind: 'cloudflare-user-token', prefix: 'cfut_', shape: sticky('cfut_[A-Za-z0-9]{40}[0-9a-f]{8}'), accept: cloudflareAccept('cfut_') },
  { kind: 'cloudflare-account-token', prefix: 'cfat_', shape: sticky('cfat_[A-Za-z0-9]{40}[0-9a-f]{8}'), accept: cloudflareAccept('cfat_') },
  { kind: 'cloudflare-global-key', prefix: 'cfk_', shape: sticky('cfk_[A-Za-z0-9]{40}[0-9a-f]{8}'), accept: cloudflareAccept('cfk_') },
  // The length of Wrangler's OAuth tokens is not documented; accept any plausible one.
  { kind: 'cloudflare-oauth-token', prefix: 'cfoat_', shape: sticky('cfoat_[A-Za-z0-9_-]{20,1024}'), accept: bodyAfter('cfoat_') },
  { kind: 'cloudflare-origin-ca-key', prefix: 'v1.0-', shape: sticky('v1\\.0-[0-9a-f]{24}-[0-9a-f]{146}'), accept: bodyAfter('v1.0-') },
  { kind: 'anthropic-key', prefix: 'sk-ant-', shape: sticky('sk-ant-[A-Za-z0-9_-]{32,300}'), accept: bodyAfter('sk-ant-') },
  { kind: 'openai-key', prefix: 'sk-proj-', shape: sticky('sk-proj-[A-Za-z0-9_-]{32,300}'), accept: bodyAfter('sk-proj-') },
  { kind: 'openai-key', prefix: 'sk-svcacct-', shape: sticky('sk-svcacct-[A-Za-z0-9_-]{32,300}'), accept: bodyAfter('sk-svcacct-') },
  { kind: 'openai-key', prefix: 'sk-admin-', shape: sticky('sk-admin-[A-Za-z0-9_-]{32,300}'), accept: bodyAfter('sk-admin-') },
  { kind: 'openai-key', prefix: 'sk-None-', shape: sticky('sk-None-[A-Za-z0-9_-]{32,300}'), accept: bodyAfter('sk-None-') },
  // Service-account keys named by their account: sk-<name>-<random>.
  { kind: 'openai-key', prefix: 'sk-', shape: sticky('sk-[a-z0-9][a-z0-9_]{0,40}-[A-Za-z0-9_-]{40,300}'), accept: openAiNamedKey },
  // Legacy OpenAI keys: sk- and 48 letters and digits; no dashes, so kebab-case words never match.
  { kind: 'openai-key', prefix: 'sk-', shape: sticky('sk-[A-Za-z0-9]{32,200}'), accept: (token) => looksRandom(token) && !isPlaceholderToken(token.slice(3)) },
  { kind: 'stripe-secret-key', prefix: 'sk_live_', shape: sticky('sk_live_[A-Za-z0-9]{16,247}'), accept: bodyAfter('sk_live_') },
  { kind: 'stripe-secret-key', prefix: 'sk_test_', shape: sticky('sk_test_[A-Za-z0-9]{16,247}'), accept: bodyAfter('sk_test_') },
  { kind: 'stripe-restricted-key', prefix: 'rk_live_', shape: sticky('rk_live_[A-Za-z0-9]{16,247}'), accept: bodyAfter('rk_live_') },
  { kind: 'stripe-restricted-key', prefix: 'rk_test_', shape: sticky('rk_test_[A-Za-z0-9]{16,247}'), accept: bodyAfter('rk_test_') },
  { kind: 'google-api-key', prefix: 'AIza', shape: sticky('AIza[0-9A-Za-z_-]{35}'), accept: bodyAfter('AIza') },
  { kind: 'replicate-token', prefix: 'r8_', shape: sticky('r8_[A-Za-z0-9]{37}'), accept: bodyAfter('r8_') },
  { kind: 'resend-key', prefix: 're_', shape: sticky('re_[A-Za-z0-9]{6,16}_[A-Za-z0-9]{16,64}'), accept: (token) => looksRandom(token) && !isPlaceholderToken(token.slice(3)) },
  { kind: 'twilio-api-key', prefix: 'SK', shape: sticky('SK[0-9a-f]{32}'), accept: bodyAfter('SK') },
  { kind: 'aws-access-key-id', prefix: 'AKIA', shape: sticky('AKIA[A-Z0-9]{16}'), accept: bodyAfter('AKIA') },
  { kind: 'aws-access-key-id', prefix: 'ASIA', shape: sticky('ASIA[A-Z0-9]{16}'), accept: bodyAfter('ASIA') },
  { kind: 'github-token', prefix: 'ghp_', shape: sticky('ghp_[A-Za-z0-9]{36,251}'), accept: bodyAfter('ghp_') },
  { kind: 'github-token', prefix: 'gho_', shape: sticky('gho_[A-Za-z0-9]{36,251}'), accept: bodyAfter('gho_') },
  { kind: 'github-token', prefix: 'ghu_', shape: sticky('ghu_[A-Za-z0-9]{36,251}'), accept: bodyAfter('ghu_') },
  // Installation tokens also come in a longer form with `_` and `.` separated parts; a trailing `.` ends a sentence.
  { kind: 'github-token', prefix: 'ghs_', shape: sticky('ghs_[A-Za-z0-9]{36,251}(?:[._][A-Za-z0-9]{1,251}){0,16}'), accept: bodyAfter('ghs_') },
  { kind: 'github-token', prefix: 'ghr_', shape: sticky('ghr_[A-Za-z0-9]{36,251}'), accept: bodyAfter('ghr_') },
  { kind: 'github-token', prefix: 'github_pat_', shape: sticky('github_pat_[A-Za-z0-9_]{22,255}'), accept: bodyAfter('github_pat_') },
  // xoxb-<team id>-<bot id>-<secret>: digits in the ids, so "xoxb-" followed by words never matches.
  // Only the last part is random, so only it is checked for placeholders.
  { kind: 'slack-token', prefix: 'xoxb-', shape: sticky('xoxb-[0-9]{6,20}-[0-9A-Za-z-]{10,250}'), accept: lastPartNotPlaceholder },
  { kind: 'slack-token', prefix: 'xoxp-', shape: sticky('xoxp-[0-9]{6,20}-[0-9A-Za-z-]{10,250}'), accept: lastPartNotPlaceholder },
  { kind: 'slack-token', prefix: 'xoxa-', shape: sticky('xoxa-[0-9A-Za-z-]{20,250}'), accept: (token) => /[0-9]/.test(token) && lastPartNotPlaceholder(token) },
  // Refresh (xoxe-), rotated (xoxe.xoxp-), workspace (xoxs-) and legacy (xoxr-) tokens.
  { kind: 'slack-token', prefix: 'xoxe.', shape: sticky('xoxe\\.xox[bp]-[0-9]-[0-9A-Za-z-]{20,250}'), accept: lastPartNotPlaceholder },
  { kind: 'slack-token', prefix: 'xoxe-', shape: sticky('xoxe-[0-9]-[0-9A-Za-z-]{20,250}'), accept: lastPartNotPlaceholder },
  { kind: 'slack-token', prefix: 'xoxs-', shape: sticky('xoxs-[0-9]{6,20}-[0-9A-Za-z-]{10,250}'), accept: lastPartNotPlaceholder },
  { kind: 'slack-token', prefix: 'xoxr-', shape: sticky('xoxr-[0-9A-Za-z-]{20,250}'), accept: (token) => /[0-9]/.test(token) && lastPartNotPlaceholder(token) },
  { kind: 'slack-token', prefix: 'xapp-', shape: sticky('xapp-[0-9]-[A-Z0-9]{6,20}-[0-9]{6,20}-[0-9a-f]{32,80}'), accept: lastPartNotPlaceholder },
  { kind: 'groq-key', prefix: 'gsk_', shape: sticky('gsk_[A-Za-z0-9]{52}'), accept: randomBodyAfter('gsk_') },
  { kind: 'huggingface-token', prefix: 'hf_', shape: sticky('hf_[A-Za-z]{34}'), accept: huggingFaceBody },
  { kind: 'xai-key', prefix: 'xai-', shape: sticky('xai-[A-Za-z0-9]{70,90}'), accept: randomBodyAfter('xai-') },
  { kind: 'npm-token', prefix: 'npm_', shape: sticky('npm_[A-Za-z0-9]{36}'), accept: randomBodyAfter('npm_') },
  { kind: 'sendgrid-key', prefix: 'SG.', shape: sticky('SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}'), accept: (token) => !isPlaceholderToken(token.slice(26)) },
  { kind: 'stripe-webhook-secret', prefix: 'whsec_', shape: sticky('whsec_[A-Za-z0-9]{24,128}'), accept: randomBodyAfter('whsec_') },
  // Site keys share the prefix but are 24 characters and public; secrets are about 35.
  { kind: 'cloudflare-turnstile-secret', prefix: '0x4AAAAAAA', shape: sticky('0x4AAAAAAA[A-Za-z0-9_-]{20,40}'), accept: turnstileBody },
  // base64 of {"a":"…","t":"…","s":"…"}; decoded and checked, so other base64 JSON is not a tunnel token.
  { kind: 'cloudflare-tunnel-token', prefix: 'eyJhIjoi', shape: sticky('eyJhIjoi[A-Za-z0-9+/]{60,600}={0,2}'), accept: isTunnelToken },
  { kind: 'supabase-service-role-key', prefix: 'eyJ', shape: sticky('eyJ[A-Za-z0-9_-]{10,2000}\\.eyJ[A-Za-z0-9_-]{10,4000}\\.[A-Za-z0-9_-]{20,1000}'), accept: isServiceRoleJwt },
  // STS session tokens are base64 of a binary blob whose first bytes are fixed.
  { kind: 'aws-session-token', prefix: 'IQoJb3JpZ2lu', shape: sticky('IQoJb3JpZ2lu[A-Za-z0-9+/]{100,4000}={0,2}'), accept: (token) => !isPlaceholderToken(token.slice(12)) },
  { kind: 'aws-session-token', prefix: 'FwoGZXIvYXdz', shape: sticky('FwoGZXIvYXdz[A-Za-z0-9+/]{100,4000}={0,2}'), accept: (token) => !isPlaceholderToken(token.slice(12)) },
]

/** The literal prefix of every shape-recognised token (for tests that exercise each pattern). */
export const TOKEN_PREFIXES: readonly string[] = TOKEN_PATTERNS.map((pattern) => pattern.prefix)

/** The literal prefixes of every shape-recognised token, as a regex alternation (for finding them in a line). */
export const TOKEN_PREFIX_SOURCE =
  'c(?:fut_|fat_|fk_|foat_)|v1\\.0-|sk[-_]|rk_|AIza|r8_|re_|SK[0-9a-f]|A[KS]IA|g(?:h[pousr]_|ithub_pat_|sk_)|x(?:ox[bpaesr]-|oxe\\.|app-|ai-)|hf_|npm_|SG\\.|whsec_|0x4AAAAAAA|eyJ|IQoJb3JpZ2lu|FwoGZXIvYXdz'

/**
 * The same prefixes (and the Slack webhook host and private-key header) for the first pass over a
 * whole text, anchored on rare characters: most prefixes are found at their first `_`, `-` or `.`
 * and confirmed by a lookbehind, so the regex engine skips through ordinary text looking for three
 * characters instead of trying twenty alternatives at every position. Groups 1–3 hold the part of
 * the prefix before the separator; the candidate starts that many characters before the match.
 * A lookbehind takes the first alternative that fits, so none may end another listed after it
 * (`gsk` before `sk`). The prefixes without a separator are found at a rarer letter inside them
 * (the `z` of `AIza`, the `J` of `eyJ`), 0 to 4 characters after their start.
 */
export const TOKEN_ANCHORED_SOURCE =
  '_(?<=(cfut|cfat|cfk|cfoat|gsk|sk|rk|r8|re|gh[pousr]|github|hf|npm|whsec)_)|-(?:(?<=(sk|xox[bpaesr]|xapp|xai)-)|----BEGIN )|' +
  '\\.(?<=(v1|SG|xoxe|hooks)\\.)|' +
  // Prefixes without a separator are found at a rarer letter inside them, 0–4 characters in.
  'z(?<=AIz)a|K(?<=SK)[0-9a-f]|IA(?<=A[KS]IA)|x4AAAAAAA(?<=0x4AAAAAAA)|J(?<=eyJ)|Q(?<=IQ)oJb3JpZ2lu|ZXIvYXdz(?<=FwoGZXIvYXdz)'

// Everything sharing a prefix's first two characters, so a candidate tries only a handful of shapes.
const PATTERNS_BY_LEAD = new Map<string, TokenPattern[]>()
for (const pattern of TOKEN_PATTERNS) {
  const lead = pattern.prefix.slice(0, 2)
  const list = PATTERNS_BY_LEAD.get(lead) ?? []
  list.push(pattern)
  PATTERNS_BY_LEAD.set(lead, list)
}

/** The shape-recognised token that starts exactly at `start` in `text`, if any. */
export function matchTokenAt(text: string, start: number): TokenMatch | undefined {
  // A token continues the word before it unless that word ends a default expansion: `${X:-cfut_…}`.
  if (start > 0 && isTokenCharCode(text.charCodeAt(start - 1)) && !(start > 1 && text.charCodeAt(start - 1) === 45 && text.charCodeAt(start - 2) === 58)) return undefined
  const candidates = PATTERNS_BY_LEAD.get(text.slice(start, start + 2))
  if (candidates === undefined) return undefined
  for (const pattern of candidates) {
    if (!text.startsWith(pattern.prefix, start)) continue
    pattern.shape.lastIndex = start
    const match = pattern.shape.exec(text)
    if (match === null) continue
    const token = match[0]
    if (pattern.accept !== undefined && !pattern.accept(token)) continue
    return { kind: pattern.kind, start, end: start + token.length }
  }
  return undefined
}

/** Length of a pre-2026 API token, which has no prefix to measure it by. */
const LEGACY_TOKEN_LENGTH = 40

/**
 * The token a finding points at, read back from its line (the scanner never keeps values): a
 * prefixed token by its shape, a pre-2026 API token by its 40 characters. Null when the line no
 * longer holds a value with the finding's fingerprint. For `--adopt` and `--verify`.
 */
export function tokenAtFinding(lineText: string, finding: Pick<Finding, 'column' | 'kind' | 'fingerprint'>): string | null {
  const start = finding.column - 1
  const token = matchTokenAt(lineText, start)
  const value = token ? lineText.slice(token.start, token.end) : finding.kind === 'cloudflare-legacy-token' ? lineText.slice(start, start + LEGACY_TOKEN_LENGTH) : null
  return value !== null && fingerprint(value) === finding.fingerprint ? value : null
}

// hooks.slack.com/services/T…/B…/secret (also /workflows/ and /triggers/ URLs).
const SLACK_WEBHOOK = /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_-]{6,40}\/[A-Za-z0-9_-]{6,40}\/[A-Za-z0-9_/-]{16,200}/y
const HTTPS = 'https://'

/** A Slack webhook URL whose host starts at `hostStart`; the finding starts at its `https://` when present. */
export function matchSlackWebhookAt(text: string, hostStart: number): TokenMatch | undefined {
  SLACK_WEBHOOK.lastIndex = hostStart
  const match = SLACK_WEBHOOK.exec(text)
  if (match === null) return undefined
  const secretPart = match[0].slice(match[0].lastIndexOf('/') + 1)
  if (isPlaceholderToken(secretPart)) return undefined
  const start = text.startsWith(HTTPS, hostStart - HTTPS.length) ? hostStart - HTTPS.length : hostStart
  return { kind: 'slack-webhook', start, end: hostStart + match[0].length }
}

// `-----BEGIN RSA PRIVATE KEY-----`, `-----BEGIN OPENSSH PRIVATE KEY-----`, `-----BEGIN PGP PRIVATE KEY BLOCK-----`…
const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y
const PRIVATE_KEY_FOOTER = '-----END'
/** How far after its header a private key's footer may be. Larger blocks are not keys anyone pastes into a profile. */
const PRIVATE_KEY_MAX_LENGTH = 64 * 1024
/** Base64 characters a block needs before it counts as a key and not a mention of the header. */
const PRIVATE_KEY_MIN_BODY = 64

/** A private key block found in the whole text: where it starts, where its footer ends, and its normalised body. */
export interface PrivateKeyMatch {
  start: number
  /** Offset just past the block's footer (`-----END … -----`). */
  end: number
  /** The base64 body without whitespace, quotes or literal `\n` escapes, so one key has one fingerprint wherever it is pasted. */
  body: string
}

/**
 * Finds the next `-----END` after a position, remembering the last search so that a text full of
 * headers without footers costs one pass, not one 64 KiB search per header. One per scanned text.
 */
export class FooterFinder {
  private searchedFrom = 0
  private searchedTo = 0
  private found = -1

  constructor(private readonly text: string) {}

  /** Offset of the first footer at or after `from` and before `limit`, or -1. Calls must not go backwards. */
  next(from: number, limit: number): number {
    if (this.found >= from) return this.found < limit ? this.found : -1
    // Known: no footer in [searchedFrom, searchedTo) when nothing was found; resume where that search stopped.
    let searchStart = from
    if (this.found === -1 && from >= this.searchedFrom && this.searchedTo > from) searchStart = Math.max(from, this.searchedTo - PRIVATE_KEY_FOOTER.length)
    if (searchStart >= limit) return -1
    const index = this.text.slice(searchStart, limit).indexOf(PRIVATE_KEY_FOOTER)
    this.searchedFrom = from
    this.searchedTo = limit
    this.found = index === -1 ? -1 : searchStart + index
    return this.found
  }
}

/**
 * The private key whose header starts at `start` in `text`. The block may span lines (PEM in a
 * file) or sit on one line with literal `\n` escapes (JSON). A header with no base64 body after it
 * (a `grep` for the header, documentation) is not a key.
 */
export function matchPrivateKeyAt(text: string, start: number, footers: FooterFinder): PrivateKeyMatch | undefined {
  PRIVATE_KEY_HEADER.lastIndex = start
  const header = PRIVATE_KEY_HEADER.exec(text)
  if (header === null) return undefined
  const bodyStart = start + header[0].length
  const footer = footers.next(bodyStart, Math.min(text.length, bodyStart + PRIVATE_KEY_MAX_LENGTH))
  if (footer === -1) return undefined
  // The footer's label ("RSA PRIVATE KEY") is short; look for its closing dashes nearby only.
  const footerLabelStart = footer + PRIVATE_KEY_FOOTER.length
  const footerClose = text.slice(footerLabelStart, footerLabelStart + 80).indexOf('-----')
  const end = footerClose === -1 ? footerLabelStart : footerLabelStart + footerClose + 5
  const raw = text.slice(bodyStart, footer)
  // Documentation elides the body ("MIIEvQ...", "<your key>"); real keys never contain these.
  if (raw.includes('...') || raw.includes('<') || raw.includes('…')) return undefined
  const body = normaliseKeyBody(raw)
  if (body.length < PRIVATE_KEY_MIN_BODY || distinctCount(body) < 20) return undefined
  return { start, end, body }
}

// DER is full of AAAA runs, so the token placeholder test does not apply; a real body uses most of base64.
function distinctCount(text: string): number {
  return new Set(text).size
}

function normaliseKeyBody(raw: string): string {
  let body = ''
  // Drop PEM headers such as "Proc-Type: 4,ENCRYPTED" and literal "\n" escapes, keep base64 characters.
  for (const line of raw.replace(/\\n/g, '\n').split('\n')) {
    if (line.includes(': ')) continue
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i)
      const isBase64 = (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 || code === 47 || code === 61
      if (isBase64) body += line[i]
    }
  }
  return body
}

// scheme://user:password@ — the user may be empty (redis://:password@host). No quotes, whitespace,
// slashes or @ inside either part: percent-encoding is how URLs carry those.
/** The source of the regex that finds `://user:password@` (groups: user, password); the candidate finder reuses it. */
export const URL_CREDENTIALS_SOURCE = ':\\/\\/([^\\s/?#@"\'`:]{0,256}):([^\\s/?#@"\'`]{1,512})@'
const URL_CREDENTIALS = new RegExp(URL_CREDENTIALS_SOURCE, 'g')

/** A password inside a URL on one line. */
export interface UrlPasswordMatch {
  /** Offset of the password's first character. */
  start: number
  end: number
  user: string
  password: string
}

/** Every `scheme://user:password@` on one line, in order. */
export function findUrlPasswords(line: string): UrlPasswordMatch[] {
  const found: UrlPasswordMatch[] = []
  URL_CREDENTIALS.lastIndex = 0
  for (let match = URL_CREDENTIALS.exec(line); match !== null; match = URL_CREDENTIALS.exec(line)) {
    const [whole, user = '', password = ''] = match
    const end = match.index + whole.length - 1
    found.push({ start: end - password.length, end, user, password })
  }
  return found
}
