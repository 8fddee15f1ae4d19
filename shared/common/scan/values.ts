// Judgements about one value or one variable name, independent of where they were found:
// is it a reference to a secret rather than a secret, a placeholder, a public id, and which
// context-dependent kind (a bare 40-character token, a hex key) does a name make it.

import { jwtRole } from './encoded'
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
  /** Keys the value is nested under (YAML `cloudflare:` above `api_token:`), outermost first. */
  parents?: readonly string[]
}

const HEX_37_45 = /^[0-9a-f]{37,45}$/
const HEX_64 = /^[0-9a-f]{64}$/
const LEGACY_TOKEN = /^[A-Za-z0-9_-]{40}$/
const AWS_SECRET = /^[A-Za-z0-9/+]{40}$/
const AWS_SESSION = /^[A-Za-z0-9/+]{100,4000}={0,2}$/
const HEX_32 = /^[0-9a-f]{32}$/
const ALNUM_32 = /^[A-Za-z0-9]{32}$/

/** Distinct characters in a short string; a cheap entropy floor for values without a prefix. */
function distinctCharacters(value: string): number {
  const seen = new Set<number>()
  for (let i = 0; i < value.length; i++) seen.add(value.charCodeAt(i))
  return seen.size
}

/** Shannon entropy of a string in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<number, number>()
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    counts.set(code, (counts.get(code) ?? 0) + 1)
  }
  let bits = 0
  for (const count of counts.values()) {
    const p = count / value.length
    bits -= p * Math.log2(p)
  }
  return bits
}

/**
 * True when the name is Cloudflare's alone (`CLOUDFLARE=`, YAML `cloudflare:`), or a secret word
 * (`token:`, `api_key:`) nested under a key that is (YAML `cloudflare:` above `api_token:`).
 */
function saysCloudflare(words: readonly string[], parents: readonly string[]): boolean {
  if (words.length === 1 && words[0] === 'CLOUDFLARE') return true
  if (!hasSecretWord(words)) return false
  for (const parent of parents) {
    const parentWords = nameWords(parent)
    if (parentWords.some((word) => word.includes('CLOUDFLARE') || word === 'CF')) return true
  }
  return false
}

/** True for names of an Access service token's secret: `CF_ACCESS_CLIENT_SECRET`, `CF-Access-Client-Secret`, `ACCESS_CLIENT_SECRET`. */
function isAccessClientSecretName(words: readonly string[]): boolean {
  return words.includes('ACCESS') && words.includes('CLIENT') && words.includes('SECRET')
}

/** True for the secret of an S3-compatible credential: `R2_SECRET_ACCESS_KEY`, `S3_SECRET_KEY`, `AWS_SECRET_ACCESS_KEY`, `r2.secret`. */
function isS3SecretName(name: string, words: readonly string[], parents: readonly string[]): boolean {
  const r2 = words.includes('R2') || words.includes('S3') || parents.some((parent) => /(?:^|[^a-z0-9])(?:r2|s3)(?:$|[^a-z0-9])/i.test(parent))
  return (r2 && words.includes('SECRET')) || isAwsSecretName(name)
}

/** True for `AWS_SESSION_TOKEN`, `aws_session_token`, `AWS_SECURITY_TOKEN`, `X-Amz-Security-Token`. */
function isAwsSessionName(words: readonly string[]): boolean {
  const aws = words.includes('AWS') || words.includes('AMZ')
  return aws && (words.includes('SESSION') || words.includes('SECURITY')) && words.includes('TOKEN')
}

/** True for the credential keys of `.npmrc` (`_authToken`, `_auth`, `_password`) and `.yarnrc.yml` (`npmAuthToken`). */
function isNpmCredentialName(name: string, words: readonly string[]): boolean {
  if (name === '_authToken' || name === '_auth' || name === '_password') return true
  return words[0] === 'NPM' && words.includes('AUTH') && words.includes('TOKEN')
}

/**
 * The kind of a prefix-less value, decided by the name it is assigned to (and the keys it is
 * nested under): a 40-character token or 37–45 hex under a Cloudflare name, 64 hex under an
 * Access client-secret or R2/S3 secret name, 40 base64 under an AWS secret name, a long base64
 * under an AWS session-token name, 32 hex (auth token) or 32 letters and digits (API key secret)
 * under a Twilio name, an `.npmrc` credential; else a random-looking literal under any secret-
 * named key is a `generic-secret`. `undefined` when the name gives no such context, or the value
 * is a placeholder, a reference or the wrong shape.
 */
export function kindFromName(name: string, value: string, hints: NameHints): SecretKind | undefined {
  const length = value.length
  if (length < 8 || nameSaysNotSecret(name) || isReference(value)) return undefined
  const words = nameWords(name)
  const parents = hints.parents ?? []
  if (isNpmCredentialName(name, words)) {
    return length >= 20 && !isPlaceholder(value) && !isPlaceholderToken(value) ? 'npm-token' : undefined
  }
  if (length === 64 && HEX_64.test(value) && !isPlaceholder(value)) {
    if (isAccessClientSecretName(words)) return 'cloudflare-access-client-secret'
    if (isS3SecretName(name, words, parents)) return 'cloudflare-r2-secret-key'
  }
  // Cloudflare's prefix-less formats are known exactly: under a Cloudflare name, anything else
  // (a UUID, a short value) is not a Cloudflare credential, and not a generic one either.
  const bearerOnCloudflareLine = hints.cloudflareOnLine && (words.includes('AUTHORIZATION') || words.includes('TOKEN') || words.includes('BEARER'))
  if (isCloudflareCredentialName(name) || bearerOnCloudflareLine || saysCloudflare(words, parents)) {
    if ((length !== 40 && (length < 37 || length > 45)) || isPlaceholder(value)) return undefined
    // A 40-character value in lower-case hex is far likelier a Global API Key than an API token,
    // whose 40 characters come from a 64-letter alphabet.
    if (HEX_37_45.test(value)) return distinctCharacters(value) >= 8 ? 'cloudflare-legacy-global-key' : undefined
    if (LEGACY_TOKEN.test(value)) return distinctCharacters(value) >= 12 ? 'cloudflare-legacy-token' : undefined
    return undefined
  }
  if (length > 45) {
    if (isAwsSessionName(words)) return AWS_SESSION.test(value) && !isPlaceholderToken(value) ? 'aws-session-token' : undefined
    return genericSecretKind(name, words, value)
  }
  if (length !== 32 && length < 37) return genericSecretKind(name, words, value)
  if (isPlaceholder(value)) return undefined
  if (isAwsSecretName(name)) {
    return AWS_SECRET.test(value) && distinctCharacters(value) >= 12 ? 'aws-secret-access-key' : undefined
  }
  if (isTwilioSecretName(name)) {
    if (HEX_32.test(value)) return distinctCharacters(value) >= 8 ? 'twilio-auth-token' : undefined
    if (ALNUM_32.test(value) && words.includes('SECRET') && /[A-Z]/.test(value) && /[a-z]/.test(value)) return 'twilio-api-key-secret'
  }
  return genericSecretKind(name, words, value)
}

// ---------------------------------------------------------------------------------------------
// Generic secrets: a random-looking literal under a secret-named key.

// Names whose last word says the value is a secret. KEY alone is too common (`cache_key`,
// `sort_key`, `KEY_PREFIX`), so only the two-word forms below count for it.
const SECRET_LAST_WORDS = new Set(['SECRET', 'SECRETS', 'TOKEN', 'PASSWORD', 'PASSWD', 'PWD', 'AUTH', 'APIKEY', 'APITOKEN', 'SECRETKEY', 'CREDENTIAL', 'CREDENTIALS', 'PASSPHRASE'])
const SECRET_KEY_QUALIFIERS = new Set(['API', 'PRIVATE', 'SECRET', 'APP', 'ENCRYPTION', 'SIGNING', 'MASTER', 'SESSION', 'ACCESS', 'AUTH', 'LICENSE', 'CLIENT', 'SERVER', 'ADMIN', 'WEBHOOK', 'JWT', 'HMAC', 'CIPHER'])
// Rails' SECRET_KEY_BASE, Django's SECRET_KEY, Laravel's APP_KEY, …
const SECRET_NAMES = new Set(['SECRET KEY BASE', 'APP KEY', 'SECRET KEY'])
// Token words whose value is a kind of token, not a credential: TOKEN_TYPE is caught by its last word, these by their first.
const NOT_CREDENTIAL_FIRST_WORDS = new Set(['CSRF', 'XSRF', 'NEXT', 'PAGE', 'CONTINUATION', 'CANCELLATION', 'CURSOR', 'SYNC', 'DEVICE', 'PUSH'])

/** True when a name says its value is a credential: `*_SECRET`, `*_TOKEN`, `*_PASSWORD`, `*_API_KEY`, `*_PRIVATE_KEY`, `*_AUTH`, `JWT_SECRET`, `APP_KEY`… */
export function isGenericSecretName(name: string): boolean {
  const words = nameWords(name)
  return isGenericSecretWords(words)
}

function isGenericSecretWords(words: readonly string[]): boolean {
  const last = words[words.length - 1]
  if (last === undefined) return false
  if (NOT_CREDENTIAL_FIRST_WORDS.has(words[0] as string)) return false
  if (SECRET_LAST_WORDS.has(last)) return true
  if (SECRET_NAMES.has(words.slice(-3).join(' ')) || SECRET_NAMES.has(words.slice(-2).join(' '))) return true
  const previous = words[words.length - 2]
  return last === 'KEY' && previous !== undefined && SECRET_KEY_QUALIFIERS.has(previous)
}

// A literal a generator could have produced: no quotes, spaces, brackets, `$` or backslashes,
// which are what code, references and prose are made of.
const GENERIC_VALUE = /^[A-Za-z0-9+/=_.~!@%^&*:;,?#-]{8,512}$/
// Code and configuration that reads a secret rather than holding one.
const DOTTED_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/
const JOINED_WORDS = /^[A-Za-z]+(?:[-_.:][A-Za-z]+)+$/
const CAMEL_CASE = /^[a-z]+(?:[A-Z][a-z]+)+$/
const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/
const NUMBER = /^[0-9.,:_-]+$/
// Encrypted values (sops, dotenvx, Ansible, KMS, Fernet, sealed-secrets), hashes and documented dev keys.
const NOT_A_PLAINTEXT_SECRET = /^(?:enc:|encrypted:|aqicah|gaaaaa|sha1[-:]|sha256[-:~]|sha384[-:]|sha512[-:]|md5:|django-insecure-|base64:?$)/i
// Passwords that are defaults of local services and tutorials, not secrets worth stealing.
const WEAK_PASSWORDS = new Set([
  'password', 'password1', 'password123', 'passw0rd', 'changeme', 'changeit', 'secret', 'secret123', 'mysecret', 'supersecret',
  'mypassword', 'yourpassword', 'admin', 'admin123', 'administrator', 'root', 'toor', 'postgres', 'mysql', 'mariadb', 'redis',
  'mongo', 'mongodb', 'rabbitmq', 'guest', 'test', 'test123', 'testing', 'dev', 'development', 'local', 'localhost', 'docker',
  'example', 'letmein', 'qwerty', 'qwerty123', 'default', 'pass', 'pass123', 'pass1234', 'p@ssw0rd', 'p@ssword', 'welcome',
  'welcome1', '123456', '12345678', '123456789', 'minioadmin', 'sa', 'oracle',
])

/** True for the default passwords of local services and tutorials (`postgres`, `changeme`, `minioadmin`…). */
export function isWeakPassword(value: string): boolean {
  return WEAK_PASSWORDS.has(value.toLowerCase())
}

/** Counts of lower-case, upper-case, digit and other characters present (0–4). */
function characterClasses(value: string): number {
  return Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/[0-9]/.test(value)) + Number(/[^A-Za-z0-9]/.test(value))
}

/**
 * True when a value under a secret name looks generated: a literal of 8–512 characters from
 * the characters generators use, at least two character classes including a digit or symbol
 * (or 20+ mixed-case letters), 3 bits of entropy per character (2.5 for short passwords), and
 * none of: placeholder, reference, a default password, code (`process.env.X`, `getToken`),
 * words joined by `-`/`_`, a number, an encrypted value, a hash or a public JWT.
 */
export function looksLikeGeneratedSecret(value: string, isPassword: boolean): boolean {
  const length = value.length
  if (length < (isPassword ? 8 : 10) || !GENERIC_VALUE.test(value)) return false
  if (isReference(value) || isPlaceholder(value) || isWeakPassword(value)) return false
  if (DOTTED_PATH.test(value) || JOINED_WORDS.test(value) || CAMEL_CASE.test(value) || CONSTANT_NAME.test(value) || NUMBER.test(value)) return false
  if (NOT_A_PLAINTEXT_SECRET.test(value)) return false
  if (value.startsWith('eyJ')) {
    const role = jwtRole(value)
    if (role === 'anon' || role === 'authenticated') return false
  }
  const classes = characterClasses(value)
  const hasDigitOrSymbol = /[^A-Za-z]/.test(value)
  if (classes < 2 || (!hasDigitOrSymbol && length < 20)) return false
  return shannonEntropy(value) >= (isPassword && length < 16 ? 2.5 : 3)
}

function genericSecretKind(name: string, words: readonly string[], value: string): SecretKind | undefined {
  if (!isGenericSecretWords(words) || name.length > 64) return undefined
  const last = words[words.length - 1] as string
  const isPassword = last === 'PASSWORD' || last === 'PASSWD' || last === 'PWD' || last === 'PASSPHRASE'
  return looksLikeGeneratedSecret(value, isPassword) ? 'generic-secret' : undefined
}
