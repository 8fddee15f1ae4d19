// Judgements about one value or one variable name, independent of where they were found:
// is it a reference to a secret rather than a secret, a placeholder, a public id, and which
// context-dependent kind (a bare 40-character token, a hex key) does a name make it.

import type { SecretKind } from './kinds'

const UPPER_A = 65
const UPPER_Z = 90
const LOWER_A = 97
const LOWER_Z = 122

/** Upper-case words of a variable, key or header name: `cfApiToken` and `CF_API_TOKEN` both give CF, API, TOKEN. */
export function nameWords(name: string): string[] {
  const words: string[] = []
  let word = ''
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i)
    const isUpper = code >= UPPER_A && code <= UPPER_Z
    const isLower = code >= LOWER_A && code <= LOWER_Z
    const isDigit = code >= 48 && code <= 57
    if (!isUpper && !isLower && !isDigit) {
      if (word) words.push(word.toUpperCase())
      word = ''
      continue
    }
    // A lower-to-upper step starts a new camelCase word.
    const previous = i > 0 ? name.charCodeAt(i - 1) : 0
    if (isUpper && word && previous >= LOWER_A && previous <= LOWER_Z) {
      words.push(word.toUpperCase())
      word = ''
    }
    word += name[i]
  }
  if (word) words.push(word.toUpperCase())
  return words
}

// Prefixes of client-side variables that frameworks inline into public bundles on purpose.
const PUBLIC_NAME_PREFIXES = ['NEXT_PUBLIC_', 'VITE_', 'REACT_APP_', 'EXPO_PUBLIC_', 'GATSBY_', 'NUXT_PUBLIC_', 'PUBLIC_']
// Last words of names whose values are identifiers or digests, not secrets.
const ID_LAST_WORDS = new Set(['ID', 'IDS', 'SID', 'UUID', 'GUID', 'ETAG', 'FINGERPRINT', 'VERSION', 'REVISION', 'REV', 'COMMIT', 'EMAIL', 'USER', 'USERNAME', 'URL', 'HOST', 'ENDPOINT', 'REGION', 'NAME'])
const DIGEST_WORDS = new Set(['SHA', 'SHA1', 'SHA256', 'SHA512', 'HASH', 'CHECKSUM', 'DIGEST', 'MD5', 'INTEGRITY'])

/**
 * True when a name says its value is meant to be public: `NEXT_PUBLIC_*`, `VITE_*`, `*_PUBLIC_KEY`,
 * `*_PUBLISHABLE_KEY`. Such values ship to browsers on purpose; this drops Google browser keys
 * (Firebase, Maps) under such names, but not server secrets, which leak precisely because of it.
 */
export function nameSaysPublic(name: string): boolean {
  const upper = name.toUpperCase()
  for (const prefix of PUBLIC_NAME_PREFIXES) if (upper.startsWith(prefix)) return true
  for (const word of nameWords(name)) if (word === 'PUBLIC' || word === 'PUBLISHABLE' || word === 'PUB') return true
  return false
}

/**
 * True when a name says its value is public or an id or digest (`*_ID`, `*_SHA`, `*_HASH`,
 * `*_CHECKSUM`, `NEXT_PUBLIC_*`, `*_PUBLISHABLE_KEY`…). Only weakens context-dependent detections:
 * a `sk_live_…` is a secret whatever it is called.
 */
export function nameSaysNotSecret(name: string): boolean {
  if (nameSaysPublic(name)) return true
  const words = nameWords(name)
  const last = words[words.length - 1]
  if (last !== undefined && ID_LAST_WORDS.has(last)) return true
  for (const word of words) if (DIGEST_WORDS.has(word)) return true
  return false
}

// Glued spellings such as CFTOKEN or CLOUDFLAREAPIKEY end in one of these.
const SECRET_WORD_TAILS = ['TOKEN', 'KEY', 'SECRET']
const SECRET_WORDS = new Set(['TOKEN', 'KEY', 'SECRET', 'AUTH', 'APIKEY', 'APITOKEN', 'CREDENTIAL', 'CREDENTIALS', 'PASSWORD', 'PASS'])

function hasSecretWord(words: readonly string[]): boolean {
  for (const word of words) if (SECRET_WORDS.has(word)) return true
  return false
}

/** True when a name ties its value to Cloudflare credentials: CLOUDFLARE_API_TOKEN, CF_API_KEY, cfApiToken, X-Auth-Key… */
export function isCloudflareCredentialName(name: string): boolean {
  const words = nameWords(name)
  if (words.length === 3 && words[0] === 'X' && words[1] === 'AUTH' && words[2] === 'KEY') return true
  let cloudflare = false
  for (const word of words) {
    if (word === 'CF' || word.includes('CLOUDFLARE') || (word.startsWith('CF') && SECRET_WORD_TAILS.some((tail) => word.endsWith(tail)))) {
      cloudflare = true
      break
    }
  }
  return cloudflare && (hasSecretWord(words) || words.some((word) => SECRET_WORD_TAILS.some((tail) => word.endsWith(tail))))
}

/** True for `AWS_SECRET_ACCESS_KEY`, `aws_secret_access_key`, `AWS_SECRET_KEY`, `awsSecret`… */
export function isAwsSecretName(name: string): boolean {
  const words = nameWords(name)
  const secret = words.includes('SECRET')
  if (!secret) return false
  if (words.includes('AWS')) return true
  // SECRET_ACCESS_KEY is AWS's own spelling, also used with S3-compatible stores (MinIO, R2, B2).
  const at = words.indexOf('SECRET')
  return words[at + 1] === 'ACCESS' && words[at + 2] === 'KEY'
}

/** True for `TWILIO_AUTH_TOKEN`, `twilioAuthToken`, `TWILIO_SECRET`… */
export function isTwilioSecretName(name: string): boolean {
  const words = nameWords(name)
  return words.includes('TWILIO') && (words.includes('AUTH') || words.includes('TOKEN') || words.includes('SECRET'))
}

// Where a value names a secret kept elsewhere: secret managers, templating, shell expansion.
const REFERENCE_PREFIXES = [
  'op://', 'vault:', 'vault://', 'secret://', 'secrets://', 'sm://', 'ssm:', 'ssm://', 'awssm:', 'gcpsm:', 'azkv:',
  'keychain:', 'env:', 'ref+', 'doppler:', 'bw://', 'pass:', 'gopass:', 'arn:aws:secretsmanager:', 'arn:aws:ssm:',
  '@microsoft.keyvault(', '{{', '<%', '!secret', '%(', 'projects/',
]

/** True when a value refers to a secret instead of holding one: `$VAR`, `${VAR}`, `$(cmd)`, backticks, `op://…`, `vault:…`, `{{ … }}`. */
export function isReference(value: string): boolean {
  if (value.length === 0) return false
  const first = value.charCodeAt(0)
  if (first === 36 /* $ */ || first === 96 /* ` */) return true
  if (value.includes('${') || value.includes('$(')) return true
  const lower = value.toLowerCase()
  for (const prefix of REFERENCE_PREFIXES) if (lower.startsWith(prefix)) return true
  return false
}

// Words that only appear in made-up values. A random 40-character token contains one of these
// (case-insensitively) about once in a million tries each.
const PLACEHOLDER_WORDS = ['example', 'sample', 'placeholder', 'changeme', 'change_me', 'change-me', 'replace', 'redacted', 'dummy', 'insert', 'fixme', 'notreal', 'not_real', 'not-a-real', 'your_', 'your-', '_here', '-here', 'foobar']
// Inside long tokens (an sk-proj- body is 150+ characters) only words of seven letters or more stay that rare.
const LONG_PLACEHOLDER_WORDS = ['example', 'placeholder', 'changeme', 'replace', 'redacted', 'notreal']
const PLACEHOLDER_VALUES = new Set(['todo', 'tbd', 'none', 'null', 'nil', 'undefined', 'empty', 'secret', 'password', 'passwd', 'token', 'apikey', 'api_key', 'key', 'test', 'xxx', 'true', 'false'])
// Scratch bit set of the ASCII characters seen, reused so the check allocates nothing.
const seenAscii = new Uint32Array(4)

/**
 * True for text no random generator produces: one character repeated, fewer than 6 distinct
 * characters in 16 or more, 8 equal characters in a row (`xxxxxxxx`), or 7 ascending (`1234567`,
 * `abcdefg`). The run lengths keep false alarms rare even for long hex bodies: a random 170-digit
 * Origin CA key has such a run about once in 100,000.
 */
function looksGenerated(value: string): boolean {
  seenAscii.fill(0)
  let distinct = 0
  let ascending = 1
  let repeated = 1
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i) & 127
    const word = code >>> 5
    const bit = 1 << (code & 31)
    if (((seenAscii[word] as number) & bit) === 0) {
      seenAscii[word] = (seenAscii[word] as number) | bit
      distinct++
    }
    const previous = i > 0 ? value.charCodeAt(i - 1) & 127 : -2
    ascending = code === previous + 1 ? ascending + 1 : 1
    repeated = code === previous ? repeated + 1 : 1
    if (ascending >= 7 || repeated >= 8) return true
  }
  return distinct === 1 || (value.length >= 16 && distinct < 6)
}

/**
 * True when a whole value is obviously made up: `your-token-here`, `<TOKEN>`, `changeme`, `xxxx…`,
 * `%VAR%`, one character repeated, a run such as `123456…`, or a documentation sample (AWS's
 * `…EXAMPLE` keys). For values up to a few dozen characters; see `isPlaceholderToken` for long ones.
 */
export function isPlaceholder(value: string): boolean {
  const length = value.length
  if (length === 0) return true
  const lower = value.toLowerCase()
  if (PLACEHOLDER_VALUES.has(lower)) return true
  if (lower.startsWith('your') || lower.startsWith('my-') || lower.startsWith('my_')) return true
  for (const word of PLACEHOLDER_WORDS) if (lower.includes(word)) return true
  // Case-sensitive on purpose: "xXxX" occurs by chance in random tokens far more often than "xxxx".
  if (value.includes('xxxx') || value.includes('XXXX') || value.includes('***') || value.includes('...')) return true
  const first = value.charCodeAt(0)
  if (first === 60 /* < */ || first === 123 /* { */ || first === 91 /* [ */) return true
  if (first === 37 /* % */ && value.charCodeAt(length - 1) === 37) return true
  return looksGenerated(value)
}

/** True when the body of a prefixed token (what follows `sk_live_`, `ghp_`…) is made up, however long it is. */
export function isPlaceholderToken(body: string): boolean {
  const lower = body.toLowerCase()
  if (lower.startsWith('your')) return true
  for (const word of LONG_PLACEHOLDER_WORDS) if (lower.includes(word)) return true
  return looksGenerated(body)
}

/** Where a context-dependent value was found, beyond its name. */
export interface NameHints {
  /** The line mentions Cloudflare (e.g. `https://api.cloudflare.com/…`), so a bearer token there is Cloudflare's. */
  cloudflareOnLine: boolean
}

const HEX_37_45 = /^[0-9a-f]{37,45}$/
const LEGACY_TOKEN = /^[A-Za-z0-9_-]{40}$/
const AWS_SECRET = /^[A-Za-z0-9/+]{40}$/
const HEX_32 = /^[0-9a-f]{32}$/

/** Distinct characters in a short string; a cheap entropy floor for values without a prefix. */
function distinctCharacters(value: string): number {
  const seen = new Set<number>()
  for (let i = 0; i < value.length; i++) seen.add(value.charCodeAt(i))
  return seen.size
}

/**
 * The kind of a prefix-less value, decided by the name it is assigned to: a 40-character token or
 * 37–45 hex characters under a Cloudflare name, 40 base64 characters under an AWS secret name, 32
 * hex under a Twilio name. `undefined` when the name gives no such context or the value is
 * a placeholder, a reference or the wrong shape.
 */
export function kindFromName(name: string, value: string, hints: NameHints): SecretKind | undefined {
  const length = value.length
  if (length !== 32 && (length < 37 || length > 45)) return undefined
  if (nameSaysNotSecret(name) || isReference(value) || isPlaceholder(value)) return undefined
  const words = nameWords(name)
  const bearerOnCloudflareLine = hints.cloudflareOnLine && (words.includes('AUTHORIZATION') || words.includes('TOKEN') || words.includes('BEARER'))
  if (isCloudflareCredentialName(name) || bearerOnCloudflareLine) {
    // A 40-character value in lower-case hex is far likelier a Global API Key than an API token,
    // whose 40 characters come from a 64-letter alphabet.
    if (HEX_37_45.test(value)) return distinctCharacters(value) >= 8 ? 'cloudflare-legacy-global-key' : undefined
    if (LEGACY_TOKEN.test(value)) return distinctCharacters(value) >= 12 ? 'cloudflare-legacy-token' : undefined
    return undefined
  }
  if (isAwsSecretName(name)) {
    return AWS_SECRET.test(value) && distinctCharacters(value) >= 12 ? 'aws-secret-access-key' : undefined
  }
  if (isTwilioSecretName(name)) {
    return HEX_32.test(value) && distinctCharacters(value) >= 8 ? 'twilio-auth-token' : undefined
  }
  return undefined
}
