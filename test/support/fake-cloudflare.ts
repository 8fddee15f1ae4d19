/**
 * A fake of the Cloudflare API v4, served over real HTTP on 127.0.0.1, for tests and for use by hand
 * (`npm run fake-api`). It covers the token endpoints (user- and account-owned), `/user`, `/memberships`
 * and `/accounts`, which is everything `wrangler whoami` and wrangler's account-id lookup call.
 *
 * Shapes follow Cloudflare's OpenAPI description (`/work/shared/reference/cloudflare-tokens-openapi.json`)
 * and the facts in `cloudflare.md`. Where the real API is not pinned down, the choice made here is
 * written next to the code and listed in `ErrorCode`.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto'
import http from 'node:http'
import { BlockList, isIP, type AddressInfo, type Socket } from 'node:net'
import { crc32 } from 'node:zlib'
import * as z from 'zod/mini'
import type { $ZodIssue } from 'zod/v4/core'

// ---------------------------------------------------------------------------------------------
// Public constants
// ---------------------------------------------------------------------------------------------

/** Path under which the fake serves the v4 API, as api.cloudflare.com does. */
export const API_BASE_PATH = '/client/v4'

/** The resource scopes a permission group can belong to, keyed by a short name. */
export const PermissionScope = {
  user: 'com.cloudflare.api.user',
  account: 'com.cloudflare.api.account',
  zone: 'com.cloudflare.api.account.zone',
  r2Bucket: 'com.cloudflare.edge.r2.bucket',
} as const

/** One of the resource scopes a permission group can belong to. */
export type PermissionScope = (typeof PermissionScope)[keyof typeof PermissionScope]

/** A permission group as `GET …/tokens/permission_groups` lists it. */
export interface PermissionGroup {
  readonly id: string
  readonly name: string
  readonly scopes: readonly PermissionScope[]
}

const CATALOG_NAMES: ReadonlyArray<readonly [PermissionScope, readonly string[]]> = [
  [
    PermissionScope.user,
    // "Memberships …" are not in the issue's list, but the real /memberships endpoint (which wrangler's
    // account-id lookup calls) requires them, so the fake needs them to behave like the real thing.
    ['API Tokens Write', 'API Tokens Read', 'User Details Write', 'User Details Read', 'Memberships Write', 'Memberships Read'],
  ],
  [
    PermissionScope.account,
    [
      'Account API Tokens Write',
      // The OpenAPI description lets "… Read" list and read account-owned tokens.
      'Account API Tokens Read',
      'Workers Scripts Write',
      'Workers Scripts Read',
      'Account Settings Read',
      'Account Settings Write',
      'Pages Write',
      'D1 Write',
      'Workers KV Storage Write',
      'Workers R2 Storage Write',
      'Queues Write',
      'Account Analytics Read',
      'Logs Read',
      'Workers Tail Read',
      'Workers AI Write',
    ],
  ],
  [PermissionScope.zone, ['DNS Write', 'Logs Read', 'Zone Read']],
  [PermissionScope.r2Bucket, ['Workers R2 Storage Bucket Item Write', 'Workers R2 Storage Bucket Item Read']],
]

// Derived from scope and name so they never change between runs; deliberately not Cloudflare's real ids,
// so code that hard-codes ids instead of resolving them by name and scope fails against the fake.
function stablePermissionGroupId(scope: PermissionScope, name: string): string {
  return createHash('md5').update(`cfwrap-fake-cloudflare:${scope}:${name}`).digest('hex')
}

/** Every permission group the fake knows, with stable 32-hex ids (not Cloudflare's real ids: resolve them by name and scope). */
export const PERMISSION_GROUP_CATALOG: readonly PermissionGroup[] = Object.freeze(
  CATALOG_NAMES.flatMap(([scope, names]) =>
    names.map((name) => Object.freeze({ id: stablePermissionGroupId(scope, name), name, scopes: Object.freeze([scope]) })),
  ),
)

const PERMISSION_GROUPS_BY_ID = new Map(PERMISSION_GROUP_CATALOG.map((group) => [group.id, group]))

/** The catalog entry with exactly this name and scope, if any. */
export function findPermissionGroup(name: string, scope: PermissionScope): PermissionGroup | undefined {
  return PERMISSION_GROUP_CATALOG.find((group) => group.name === name && group.scopes.includes(scope))
}

/**
 * Error codes the fake answers with. Codes marked "chosen here" are not pinned down by Cloudflare's
 * documentation; the others are codes the real API is known to use.
 */
export const ErrorCode = {
  rateLimited: 971,
  invalidApiToken: 1000,
  /** Per cloudflare.md; the real API has also been seen answering 9106 for this. */
  missingAuthorization: 1001,
  /** Chosen here: query or body fails validation (per_page, name length, unknown permission group…). */
  invalidRequest: 1002,
  /** Chosen here: no token with that id in the caller's collection. */
  tokenNotFound: 1003,
  /** Chosen here: the owner already has as many tokens as the quota allows. */
  tokenQuotaExceeded: 1005,
  invalidRequestHeaders: 6003,
  malformedJson: 6007,
  /** Detail inside `error_chain` of a 6003. */
  invalidAuthorizationFormat: 6111,
  noRoute: 7000,
  invalidIdentifier: 7003,
  unknownGlobalApiKey: 9103,
  /** What /memberships answers an account-owned token (it has no user identity). */
  authenticationFailed: 9106,
  unauthorized: 9109,
  authenticationError: 10000,
  /** Chosen here: body of an injected 5xx. */
  internalError: 10002,
  /** Chosen here. */
  methodNotAllowed: 10405,
} as const

// ---------------------------------------------------------------------------------------------
// Token secrets
// ---------------------------------------------------------------------------------------------

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const SECRET_BODY_LENGTH = 40

/** Prefixes of Cloudflare's 2026 credential format: user token, account token, Global API Key. */
export type SecretPrefix = 'cfut_' | 'cfat_' | 'cfk_'

function crc32Hex(text: string): string {
  return crc32(text).toString(16).padStart(8, '0')
}

/**
 * A secret in Cloudflare's 2026 shape: prefix + 40 [A-Za-z0-9] + 8 lowercase hex. The suffix is the
 * CRC32 of everything before it, prefix included (the fake's pick; the real input is undocumented).
 */
export function makeTokenSecret(prefix: SecretPrefix): string {
  let body = ''
  for (let i = 0; i < SECRET_BODY_LENGTH; i++) body += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)]
  return `${prefix}${body}${crc32Hex(prefix + body)}`
}

/** Whether a string has the 2026 secret shape and a matching CRC32 suffix (as `makeTokenSecret` computes it). */
export function hasValidSecretChecksum(secret: string): boolean {
  const match = /^(cfut_|cfat_|cfk_)([A-Za-z0-9]{40})([0-9a-f]{8})$/.exec(secret)
  if (!match) return false
  return crc32Hex(`${match[1]}${match[2]}`) === match[3]
}

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** A user the fake knows. */
export interface FakeUser {
  readonly id: string
  readonly email: string
}

/** An account the fake knows. */
export interface FakeAccount {
  readonly id: string
  readonly name: string
}

/** The credential a request carried, as the fake read it from the headers. */
export type RecordedCredential =
  | { kind: 'bearer'; token: string }
  | { kind: 'global-key'; email: string; key: string }
  /** An Authorization header that is not `Bearer <token>`. */
  | { kind: 'malformed'; authorization: string }
  | { kind: 'none' }

/** Which injected fault, if any, decided a request's fate. */
export type FaultKind = 'rate-limit' | 'server-error' | 'slow' | 'drop'

/** One request the fake received, for tests to inspect. */
export interface RecordedRequest {
  readonly method: string
  /** Path below `/client/v4` (e.g. `/user/tokens`); the full path if the request was outside it. */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** Parsed JSON body, the raw text if it was not JSON, or undefined if empty. */
  readonly body: unknown
  readonly credential: RecordedCredential
  /** HTTP status answered; 0 when the connection was dropped without an answer. */
  status: number
  /** When it arrived, on the fake's clock (ms). */
  readonly at: number
  fault?: FaultKind
}

/** Resource map of a policy: `{ "<resource key>": "*" }` or account → `{ "<zone key>": "*" }`. */
export type ResourceMap = Record<string, string | Record<string, string>>

/** The optional `condition` of a token. */
export interface TokenCondition {
  request_ip?: { in?: string[]; not_in?: string[] }
}

/** A token's status as the API reports it. */
export type TokenStatus = 'active' | 'disabled' | 'expired'

/** A policy as the API returns it. */
export interface TokenPolicyView {
  id: string
  effect: 'allow' | 'deny'
  resources: ResourceMap
  permission_groups: Array<{ id: string; name: string }>
}

/** Who owns a token: a user (the default user when just `'user'`) or an account. */
export type TokenOwner = 'user' | { user: string } | { account: string }

/** Server-side view of a token, including its secret: for assertions only. */
export interface FakeToken {
  id: string
  name: string
  owner: { user: string } | { account: string }
  value: string
  status: TokenStatus
  issuedOn: string
  modifiedOn: string
  lastUsedOn?: string
  notBefore?: string
  expiresOn?: string
  policies: TokenPolicyView[]
  condition: TokenCondition
}

/** One permission to give a seeded token; resources default to the owner's user or account. */
export interface SeededPermission {
  name: string
  /** Needed only when the name exists in several scopes (e.g. "Logs Read"). */
  scope?: PermissionScope
  resources?: ResourceMap
  effect?: 'allow' | 'deny'
}

/** What `seedToken` creates. */
export interface SeedTokenOptions {
  name?: string
  permissions: SeededPermission[]
  owner?: TokenOwner
  /** May lie in the past, to seed an already expired token. */
  expiresOn?: Date | string | number | null
  notBefore?: Date | string | number | null
  status?: 'active' | 'disabled'
  condition?: TokenCondition
}

/** Limits of the automatic rate limiter; Cloudflare's are 1,200 requests per 5 minutes, then 5 minutes blocked. */
export interface RateLimitSettings {
  limit?: number
  windowMs?: number
  blockMs?: number
}

/** Options of `startFakeCloudflare`. */
export interface FakeCloudflareOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Clock in ms, used for expiry, timestamps and rate windows. Defaults to `Date.now`. */
  now?: () => number
  /** Overrides for the default user. */
  user?: Partial<FakeUser> & { firstName?: string; lastName?: string }
  /** Overrides for the default account. */
  account?: Partial<FakeAccount>
  /** User-owned tokens per user (default 50; expired ones count until deleted). */
  userTokenQuota?: number
  /** Account-owned tokens per account (default 500). */
  accountTokenQuota?: number
  /** Automatic per-user rate limiter; `false` turns it off. */
  rateLimit?: RateLimitSettings | false
  /**
   * How verify answers an expired (or disabled) token: `'error'` (default) 401 code 1000, or
   * `'status'` 200 with `status: "expired"`. The real API has been seen doing both.
   */
  expiredVerifyStyle?: 'error' | 'status'
  /** Called after each request is answered (or dropped). */
  onRequest?: (request: RecordedRequest) => void
  /** Oldest entries of `requests` are discarded beyond this many (default: keep all). */
  maxRecordedRequests?: number
}

/** Restricts a fault to matching requests; `path` is tested against the path below `/client/v4`. */
export interface FaultScope {
  method?: string
  path?: RegExp
}

/** Switchable failures. Each takes effect for `count` matching requests, or until `clear()` when no count. */
export interface FakeCloudflareFaults {
  /** Answer 429 code 971 with a `retry-after` header (seconds, default 1). */
  rateLimit(options?: FaultScope & { retryAfter?: number; count?: number }): void
  /** Answer 500/502/503 (default 500), as a JSON envelope or, with `html`, an edge error page. */
  serverError(options?: FaultScope & { status?: 500 | 502 | 503; count?: number; html?: boolean }): void
  /**
   * Delay answers by `ms`. By default the answer is computed after the delay (a slow server);
   * with `answerFirst` it is computed on arrival and only its delivery is delayed (a slow network),
   * so a list can miss what is created while it travels.
   */
  slow(ms: number, options?: FaultScope & { count?: number; answerFirst?: boolean }): void
  /** Destroy the connection without answering. */
  drop(options?: FaultScope & { count?: number }): void
  /** Take the API down: `'refuse'` (default) stops listening, `'drop'` accepts then destroys every connection. */
  down(mode?: 'refuse' | 'drop'): Promise<void>
  /** Bring the API back up on the same port. */
  up(): Promise<void>
  /** Remove every fault and bring the API back up. */
  clear(): Promise<void>
}

/** Counters over everything the fake received. */
export interface FakeCloudflareStats {
  totalRequests: number
  /** Most requests seen in any rolling window of `windowMs` (all credentials together). */
  maxRequestsInWindow: number
  windowMs: number
  /** Answers with HTTP 429, automatic or injected. */
  rateLimitedResponses: number
}

/** A running fake Cloudflare API. */
export interface FakeCloudflare {
  /** Base URL including `/client/v4`: what goes into `CLOUDFLARE_API_BASE_URL` and the SDK's `baseURL`. */
  readonly url: string
  readonly port: number
  /** The user seeded at start. */
  readonly user: FakeUser
  /** The account seeded at start; the default user is its Super Administrator. */
  readonly account: FakeAccount
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[]
  readonly stats: FakeCloudflareStats
  readonly faults: FakeCloudflareFaults
  /** The fake's clock (ms). */
  now(): number
  /** Adds a user, member (Super Administrator) of the given accounts (default: the default account). */
  seedUser(options?: Partial<FakeUser> & { accountIds?: string[] }): FakeUser
  /** Adds an account with the given members (default: the default user). */
  seedAccount(options?: Partial<FakeAccount> & { memberUserIds?: string[] }): FakeAccount
  /** Gives a user a Global API Key (`X-Auth-Key` + `X-Auth-Email`). */
  seedGlobalApiKey(options?: { userId?: string }): { email: string; key: string }
  /** Creates a token directly (no HTTP, no quota check), e.g. the minting credential a test starts from. */
  seedToken(options: SeedTokenOptions): { id: string; value: string }
  /** Every token that exists, with secrets; `includeExpired` defaults to true here (unlike the API). */
  listTokens(options?: { includeExpired?: boolean }): FakeToken[]
  /** Tokens that exist and have not expired (active or disabled): what a leak check cares about. */
  tokensAlive(): FakeToken[]
  /** One token by id, with its secret. */
  getToken(id: string): FakeToken | undefined
  /** Forget recorded requests (stats are kept). */
  clearRequests(): void
  /** Stop the server and drop every connection. */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Internal model
// ---------------------------------------------------------------------------------------------

interface UserRecord {
  id: string
  email: string
  firstName: string
  lastName: string
  createdOn: number
  globalApiKey: string | null
}

interface AccountRecord {
  id: string
  name: string
  createdOn: number
  memberUserIds: Set<string>
}

type OwnerRef = { kind: 'user'; userId: string } | { kind: 'account'; accountId: string }

interface StoredPolicy {
  id: string
  effect: 'allow' | 'deny'
  resources: ResourceMap
  permissionGroupIds: string[]
}

interface StoredToken {
  id: string
  name: string
  owner: OwnerRef
  value: string
  disabled: boolean
  issuedOn: number
  modifiedOn: number
  lastUsedOn: number | null
  notBefore: number | null
  expiresOn: number | null
  policies: StoredPolicy[]
  condition: TokenCondition
  /** Creation order, for stable listing. */
  sequence: number
}

type Principal = { kind: 'token'; token: StoredToken } | { kind: 'global-key'; user: UserRecord }

interface ApiAnswer {
  status: number
  body: unknown
  headers?: Record<string, string>
  /** Raw body (not JSON) for edge error pages. */
  rawBody?: string
}

interface ErrorDetail {
  code: number
  message: string
  error_chain?: Array<{ code: number; message: string }>
}

/** Thrown inside handlers; turned into a v4 failure envelope. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain?: Array<{ code: number; message: string }>,
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
}

const HEX32 = /^[0-9a-f]{32}$/
const DEFAULT_USER_ID = '7c5dae5552338874e5053f2534d2767a'
const DEFAULT_USER_EMAIL = 'developer@example.com'
const DEFAULT_ACCOUNT_ID = '023e105f4ecef8ad9ca31a8372d0c353'
const DEFAULT_ACCOUNT_NAME = 'Example Account'
const SUPER_ADMIN_ROLE = 'Super Administrator - All Privileges'
const FIVE_MINUTES_MS = 5 * 60 * 1000
const MAX_BODY_BYTES = 1024 * 1024

function randomHex32(): string {
  return randomBytes(16).toString('hex')
}

// The API reports whole-second UTC timestamps.
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function toMs(value: Date | string | number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (!Number.isFinite(ms)) throw new Error(`not a date: ${String(value)}`)
  return Math.floor(ms / 1000) * 1000
}

function envelope(result: unknown, resultInfo?: Record<string, number>): unknown {
  return resultInfo === undefined
    ? { success: true, errors: [], messages: [], result }
    : { success: true, errors: [], messages: [], result, result_info: resultInfo }
}

function ok(result: unknown, resultInfo?: Record<string, number>): ApiAnswer {
  return { status: 200, body: envelope(result, resultInfo) }
}

function failureAnswer(error: ApiError): ApiAnswer {
  const detail: ErrorDetail = { code: error.code, message: error.message }
  if (error.chain) detail.error_chain = error.chain
  return {
    status: error.status,
    body: { success: false, errors: [detail], messages: [], result: null },
    ...(error.headers ? { headers: error.headers } : {}),
  }
}

// ---------------------------------------------------------------------------------------------
// Request validation (zod/mini, as the project prefers)
// ---------------------------------------------------------------------------------------------

const DateTimeSchema = z.iso.datetime({ offset: true })
const CidrListSchema = z.array(z.string())

const ConditionSchema = z.object({
  request_ip: z.optional(z.object({ in: z.optional(CidrListSchema), not_in: z.optional(CidrListSchema) })),
})

const PolicyInputSchema = z.object({
  effect: z.enum(['allow', 'deny']),
  resources: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.string())])),
  // Extra keys (name, meta) that clients echo back are ignored, as the API does.
  permission_groups: z.array(z.object({ id: z.string() })).check(z.minLength(1)),
})

const CreateTokenBodySchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(120)),
  policies: z.array(PolicyInputSchema).check(z.minLength(1)),
  not_before: z.optional(z.nullable(DateTimeSchema)),
  expires_on: z.optional(z.nullable(DateTimeSchema)),
  condition: z.optional(z.nullable(ConditionSchema)),
})

const UpdateTokenBodySchema = z.extend(CreateTokenBodySchema, {
  status: z.optional(z.enum(['active', 'disabled'])),
})

type PolicyInput = z.infer<typeof PolicyInputSchema>
type CreateTokenBody = z.infer<typeof CreateTokenBodySchema>
type UpdateTokenBody = z.infer<typeof UpdateTokenBodySchema>

// zod/mini ships no messages (loading a locale would change the whole process's config), so issues
// are worded here.
function describeIssue(issue: $ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'body'
  switch (issue.code) {
    case 'too_big':
      return `${where}: must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'items'}`
    case 'too_small':
      return `${where}: must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'items'}`
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`
    case 'invalid_format':
      return `${where}: expected ${issue.format === 'datetime' ? 'an RFC 3339 date-time such as 2026-11-22T10:00:00Z' : issue.format}`
    default:
      return `${where}: invalid value`
  }
}

function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    throw new ApiError(400, ErrorCode.invalidRequest, parsed.error.issues.map(describeIssue).join('; '))
  }
  return parsed.data
}

function toBlockList(cidrs: readonly string[], field: string): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [address = '', prefixText] = cidr.split('/')
    const family = isIP(address)
    const maxPrefix = family === 4 ? 32 : 128
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText)
    if (family === 0 || !/^\d+$/.test(prefixText ?? String(maxPrefix)) || prefix > maxPrefix) {
      throw new ApiError(400, ErrorCode.invalidRequest, `${field}: "${cidr}" is not an IPv4/IPv6 CIDR`)
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
  }
  return list
}

function ipMatches(list: BlockList, ip: string): boolean {
  return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')
}

// ---------------------------------------------------------------------------------------------
// Resource keys
// ---------------------------------------------------------------------------------------------

type ClassifiedResource =
  | { scope: typeof PermissionScope.user; userId: string }
  | { scope: typeof PermissionScope.account; accountId: string }
  | { scope: typeof PermissionScope.zone; accountId: string | null }
  | { scope: typeof PermissionScope.r2Bucket; accountId: string }

const USER_KEY = /^com\.cloudflare\.api\.user\.([0-9a-f]{32}|\*)$/
const ACCOUNT_KEY = /^com\.cloudflare\.api\.account\.([0-9a-f]{32}|\*)$/
const ZONE_KEY = /^com\.cloudflare\.api\.account\.zone\.([0-9a-f]{32}|\*)$/
const R2_BUCKET_KEY = /^com\.cloudflare\.edge\.r2\.bucket\.([0-9a-f]{32})_([a-z]+)_([a-z0-9][a-z0-9-]{1,61}[a-z0-9]|\*)$/

// Resource values are "*" everywhere in Cloudflare's docs; anything else is rejected.
function classifyResource(key: string, value: string | Record<string, string>): ClassifiedResource {
  const bad = (why: string): never => {
    throw new ApiError(400, ErrorCode.invalidRequest, `resources: "${key}" ${why}`)
  }
  const userMatch = USER_KEY.exec(key)
  if (userMatch) {
    if (value !== '*') bad('must map to "*"')
    return { scope: PermissionScope.user, userId: userMatch[1] ?? '' }
  }
  if (ZONE_KEY.test(key)) {
    if (value !== '*') bad('must map to "*"')
    return { scope: PermissionScope.zone, accountId: null }
  }
  const accountMatch = ACCOUNT_KEY.exec(key)
  if (accountMatch) {
    const accountId = accountMatch[1] ?? ''
    if (value === '*') return { scope: PermissionScope.account, accountId }
    if (typeof value === 'string') return bad('must map to "*" or to zone resources')
    // account → { zone keys }: zones of that account.
    const innerKeys = Object.keys(value)
    if (innerKeys.length === 0) bad('maps to an empty object')
    for (const innerKey of innerKeys) {
      if (!ZONE_KEY.test(innerKey) || value[innerKey] !== '*') bad(`nests "${innerKey}", which is not a zone key mapped to "*"`)
    }
    return { scope: PermissionScope.zone, accountId }
  }
  const bucketMatch = R2_BUCKET_KEY.exec(key)
  if (bucketMatch) {
    if (value !== '*') bad('must map to "*"')
    return { scope: PermissionScope.r2Bucket, accountId: bucketMatch[1] ?? '' }
  }
  return bad('is not a known resource key')
}

// ---------------------------------------------------------------------------------------------
// Rate limiting and stats
// ---------------------------------------------------------------------------------------------

/** Rolling-window limiter: over `limit` in `windowMs` blocks the key for `blockMs`. */
class RollingRateLimiter {
  private readonly hits = new Map<string, number[]>()
  private readonly blockedUntil = new Map<string, number>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly blockMs: number,
  ) {}

  /** Seconds to wait if the key is (now) blocked, else null. */
  admit(key: string, now: number): number | null {
    const until = this.blockedUntil.get(key)
    if (until !== undefined && now < until) return Math.max(1, Math.ceil((until - now) / 1000))
    const hits = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs)
    hits.push(now)
    this.hits.set(key, hits)
    if (hits.length > this.limit) {
      this.blockedUntil.set(key, now + this.blockMs)
      this.hits.set(key, [])
      return Math.max(1, Math.ceil(this.blockMs / 1000))
    }
    return null
  }
}

class WindowCounter {
  private readonly times: number[] = []
  private head = 0
  total = 0
  max = 0

  constructor(readonly windowMs: number) {}

  record(now: number): void {
    this.total++
    this.times.push(now)
    while (this.head < this.times.length && (this.times[this.head] ?? now) <= now - this.windowMs) this.head++
    // Compact occasionally so a long-running fake does not grow forever.
    if (this.head > 4096) {
      this.times.splice(0, this.head)
      this.head = 0
    }
    this.max = Math.max(this.max, this.times.length - this.head)
  }
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

type FaultAction =
  | { kind: 'rate-limit'; retryAfter: number }
  | { kind: 'server-error'; status: number; html: boolean }
  | { kind: 'slow'; ms: number; answerFirst: boolean }
  | { kind: 'drop' }

interface FaultRule {
  action: FaultAction
  remaining: number
  method: string | undefined
  path: RegExp | undefined
}

function edgeErrorPage(status: number): string {
  const title = status === 502 ? '502 Bad Gateway' : status === 503 ? '503 Service Temporarily Unavailable' : '500 Internal Server Error'
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

interface RouteContext {
  principal: Principal
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
}

interface Route {
  method: string
  pattern: RegExp
  paramNames: string[]
  handle: (ctx: RouteContext) => ApiAnswer
}

function compilePath(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = []
  const source = template
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        paramNames.push(segment.slice(1))
        return '([^/]+)'
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return { pattern: new RegExp(`^${source}$`), paramNames }
}

interface Pagination {
  page: number
  perPage: number
  direction: 'asc' | 'desc'
}

function parsePagination(query: URLSearchParams): Pagination {
  const pageText = query.get('page')
  const perPageText = query.get('per_page')
  const direction = query.get('direction') ?? 'asc'
  const page = pageText === null ? 1 : Number(pageText)
  const perPage = perPageText === null ? 20 : Number(perPageText)
  if (!Number.isInteger(page) || page < 1) {
    throw new ApiError(400, ErrorCode.invalidRequest, 'page: must be a whole number of at least 1')
  }
  if (!Number.isInteger(perPage) || perPage < 5 || perPage > 50) {
    throw new ApiError(400, ErrorCode.invalidRequest, 'per_page: must be a whole number from 5 to 50')
  }
  if (direction !== 'asc' && direction !== 'desc') {
    throw new ApiError(400, ErrorCode.invalidRequest, 'direction: must be "asc" or "desc"')
  }
  return { page, perPage, direction }
}

function paginate<T>(items: readonly T[], { page, perPage }: Pagination): ApiAnswer {
  // Pages past the end are empty, not an error: the SDK's iterator asks for one page beyond the last.
  const slice = items.slice((page - 1) * perPage, page * perPage)
  return ok(slice, {
    page,
    per_page: perPage,
    count: slice.length,
    total_count: items.length,
    total_pages: Math.ceil(items.length / perPage),
  })
}

function parseBooleanQuery(query: URLSearchParams, name: string): boolean {
  const value = query.get(name)
  if (value === null || value === 'false') return false
  if (value === 'true') return true
  throw new ApiError(400, ErrorCode.invalidRequest, `${name}: must be "true" or "false"`)
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/** Where a token operation applies: a user's or an account's tokens. */
interface TokenCollection {
  owner: OwnerRef
  quota: number
  secretPrefix: SecretPrefix
}

type AccessLevel = 'read' | 'write'

const USER_TOKEN_GROUPS: Record<AccessLevel, string[]> = {
  read: ['API Tokens Write', 'API Tokens Read'],
  write: ['API Tokens Write'],
}
const ACCOUNT_TOKEN_GROUPS: Record<AccessLevel, string[]> = {
  read: ['Account API Tokens Write', 'Account API Tokens Read'],
  write: ['Account API Tokens Write'],
}

function groupIds(names: readonly string[], scope: PermissionScope): Set<string> {
  return new Set(names.map((name) => findPermissionGroup(name, scope)?.id).filter((id): id is string => id !== undefined))
}

class FakeCloudflareServer implements FakeCloudflare {
  readonly requests: RecordedRequest[] = []
  readonly user: FakeUser
  readonly account: FakeAccount
  readonly faults: FakeCloudflareFaults
  url = ''
  port = 0

  private readonly server: http.Server
  private readonly sockets = new Set<Socket>()
  private readonly clock: () => number
  private readonly users = new Map<string, UserRecord>()
  private readonly accounts = new Map<string, AccountRecord>()
  private readonly tokens = new Map<string, StoredToken>()
  private readonly tokenIdsBySecret = new Map<string, string>()
  private readonly routes: Route[]
  private readonly rateLimiter: RollingRateLimiter | null
  private readonly windowCounter: WindowCounter
  private readonly faultRules: FaultRule[] = []
  private downMode: 'refuse' | 'drop' | null = null
  private closed = false
  private rateLimitedResponses = 0
  private tokenSequence = 0

  constructor(private readonly options: FakeCloudflareOptions) {
    this.clock = options.now ?? Date.now
    const rateLimit = options.rateLimit === false ? null : (options.rateLimit ?? {})
    const windowMs = rateLimit?.windowMs ?? FIVE_MINUTES_MS
    this.rateLimiter = rateLimit === null ? null : new RollingRateLimiter(rateLimit.limit ?? 1200, windowMs, rateLimit.blockMs ?? FIVE_MINUTES_MS)
    this.windowCounter = new WindowCounter(windowMs)

    const userId = options.user?.id ?? DEFAULT_USER_ID
    const now = this.clock()
    this.users.set(userId, {
      id: userId,
      email: options.user?.email ?? DEFAULT_USER_EMAIL,
      firstName: options.user?.firstName ?? 'Dev',
      lastName: options.user?.lastName ?? 'Eloper',
      createdOn: now,
      globalApiKey: null,
    })
    this.user = { id: userId, email: options.user?.email ?? DEFAULT_USER_EMAIL }
    const accountId = options.account?.id ?? DEFAULT_ACCOUNT_ID
    const accountName = options.account?.name ?? DEFAULT_ACCOUNT_NAME
    this.accounts.set(accountId, { id: accountId, name: accountName, createdOn: now, memberUserIds: new Set([userId]) })
    this.account = { id: accountId, name: accountName }

    this.routes = this.buildRoutes()
    this.faults = this.buildFaults()
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // The handler answers every error itself; reaching here means the socket is already gone.
        req.socket.destroy()
      })
    })
    this.server.on('connection', (socket) => {
      if (this.downMode === 'drop') {
        socket.destroy()
        return
      }
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error)
      this.server.once('error', onError)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError)
        resolve()
      })
    })
    this.port = (this.server.address() as AddressInfo).port
    this.url = `http://127.0.0.1:${this.port}${API_BASE_PATH}`
  }

  now(): number {
    return this.clock()
  }

  get stats(): FakeCloudflareStats {
    return {
      totalRequests: this.windowCounter.total,
      maxRequestsInWindow: this.windowCounter.max,
      windowMs: this.windowCounter.windowMs,
      rateLimitedResponses: this.rateLimitedResponses,
    }
  }

  // ----- seeding and inspection -----

  seedUser(options: Partial<FakeUser> & { accountIds?: string[] } = {}): FakeUser {
    const id = options.id ?? randomHex32()
    if (!HEX32.test(id)) throw new Error('user id must be 32 lowercase hex')
    if (this.users.has(id)) throw new Error(`user ${id} exists already`)
    const email = options.email ?? `user-${id.slice(0, 8)}@example.com`
    this.users.set(id, { id, email, firstName: 'Seeded', lastName: 'User', createdOn: this.clock(), globalApiKey: null })
    for (const accountId of options.accountIds ?? [this.account.id]) this.requireAccount(accountId).memberUserIds.add(id)
    return { id, email }
  }

  seedAccount(options: Partial<FakeAccount> & { memberUserIds?: string[] } = {}): FakeAccount {
    const id = options.id ?? randomHex32()
    if (!HEX32.test(id)) throw new Error('account id must be 32 lowercase hex')
    if (this.accounts.has(id)) throw new Error(`account ${id} exists already`)
    const name = options.name ?? `Account ${id.slice(0, 8)}`
    const members = options.memberUserIds ?? [this.user.id]
    for (const userId of members) this.requireUser(userId)
    this.accounts.set(id, { id, name, createdOn: this.clock(), memberUserIds: new Set(members) })
    return { id, name }
  }

  seedGlobalApiKey(options: { userId?: string } = {}): { email: string; key: string } {
    const user = this.requireUser(options.userId ?? this.user.id)
    user.globalApiKey = makeTokenSecret('cfk_')
    return { email: user.email, key: user.globalApiKey }
  }

  seedToken(options: SeedTokenOptions): { id: string; value: string } {
    const owner = this.resolveOwner(options.owner ?? 'user')
    const ownerAccountId = owner.kind === 'account' ? owner.accountId : this.account.id
    const ownerUserId = owner.kind === 'user' ? owner.userId : this.user.id
    const policies: PolicyInput[] = []
    for (const permission of options.permissions) {
      const group = this.resolveSeedPermission(permission)
      const scope = group.scopes[0] ?? PermissionScope.account
      const resources = permission.resources ?? this.defaultResources(scope, ownerUserId, ownerAccountId, permission.name)
      const effect = permission.effect ?? 'allow'
      // One policy per (effect, resources): the shape the dashboard produces.
      const existing = policies.find((policy) => policy.effect === effect && JSON.stringify(policy.resources) === JSON.stringify(resources))
      if (existing) existing.permission_groups.push({ id: group.id })
      else policies.push({ effect, resources, permission_groups: [{ id: group.id }] })
    }
    try {
      const token = this.storeNewToken(
        owner,
        {
          name: options.name ?? `seeded-token-${this.tokenSequence + 1}`,
          policies,
          expires_on: options.expiresOn == null ? null : isoSeconds(toMs(options.expiresOn)),
          not_before: options.notBefore == null ? null : isoSeconds(toMs(options.notBefore)),
          condition: options.condition ?? null,
        },
        { enforceQuota: false, requireFutureExpiry: false },
      )
      token.disabled = options.status === 'disabled'
      return { id: token.id, value: token.value }
    } catch (error) {
      if (error instanceof ApiError) throw new Error(`seedToken: ${error.message}`)
      throw error
    }
  }

  listTokens(options: { includeExpired?: boolean } = {}): FakeToken[] {
    const includeExpired = options.includeExpired ?? true
    return [...this.tokens.values()]
      .sort((a, b) => a.sequence - b.sequence)
      .filter((token) => includeExpired || this.statusOf(token) !== 'expired')
      .map((token) => this.serverView(token))
  }

  tokensAlive(): FakeToken[] {
    return this.listTokens({ includeExpired: false })
  }

  getToken(id: string): FakeToken | undefined {
    const token = this.tokens.get(id)
    return token ? this.serverView(token) : undefined
  }

  clearRequests(): void {
    this.requests.length = 0
  }

  async close(): Promise<void> {
    this.closed = true
    this.downMode = null
    if (!this.server.listening) {
      for (const socket of this.sockets) socket.destroy()
      return
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const socket of this.sockets) socket.destroy()
    })
  }

  private resolveOwner(owner: TokenOwner): OwnerRef {
    if (owner === 'user') return { kind: 'user', userId: this.user.id }
    if ('user' in owner) return { kind: 'user', userId: this.requireUser(owner.user).id }
    return { kind: 'account', accountId: this.requireAccount(owner.account).id }
  }

  private resolveSeedPermission(permission: SeededPermission): PermissionGroup {
    const candidates = PERMISSION_GROUP_CATALOG.filter(
      (group) => group.name === permission.name && (permission.scope === undefined || group.scopes.includes(permission.scope)),
    )
    if (candidates.length === 0) throw new Error(`seedToken: no permission group "${permission.name}"${permission.scope ? ` in ${permission.scope}` : ''}`)
    const [only, ...others] = candidates
    if (!only || others.length > 0) throw new Error(`seedToken: "${permission.name}" exists in several scopes; pass scope`)
    return only
  }

  private defaultResources(scope: PermissionScope, userId: string, accountId: string, name: string): ResourceMap {
    switch (scope) {
      case PermissionScope.user:
        return { [`com.cloudflare.api.user.${userId}`]: '*' }
      case PermissionScope.account:
        return { [`com.cloudflare.api.account.${accountId}`]: '*' }
      case PermissionScope.zone:
        return { [`com.cloudflare.api.account.${accountId}`]: { 'com.cloudflare.api.account.zone.*': '*' } }
      case PermissionScope.r2Bucket:
        throw new Error(`seedToken: "${name}" is bucket-scoped; pass resources (com.cloudflare.edge.r2.bucket.<account>_default_<bucket>)`)
    }
  }

  private requireUser(id: string): UserRecord {
    const user = this.users.get(id)
    if (!user) throw new Error(`unknown user ${id}`)
    return user
  }

  private requireAccount(id: string): AccountRecord {
    const account = this.accounts.get(id)
    if (!account) throw new Error(`unknown account ${id}`)
    return account
  }

  // ----- token model -----

  private statusOf(token: StoredToken): TokenStatus {
    if (token.expiresOn !== null && this.clock() >= token.expiresOn) return 'expired'
    return token.disabled ? 'disabled' : 'active'
  }

  private policyViews(token: StoredToken): TokenPolicyView[] {
    return token.policies.map((policy) => ({
      id: policy.id,
      effect: policy.effect,
      resources: structuredClone(policy.resources),
      permission_groups: policy.permissionGroupIds.map((id) => ({ id, name: PERMISSION_GROUPS_BY_ID.get(id)?.name ?? '' })),
    }))
  }

  // What the API returns: optional timestamps are omitted when unset, the secret never appears.
  private apiView(token: StoredToken): Record<string, unknown> {
    const view: Record<string, unknown> = {
      id: token.id,
      name: token.name,
      status: this.statusOf(token),
      issued_on: isoSeconds(token.issuedOn),
      modified_on: isoSeconds(token.modifiedOn),
    }
    if (token.lastUsedOn !== null) view.last_used_on = isoSeconds(token.lastUsedOn)
    if (token.notBefore !== null) view.not_before = isoSeconds(token.notBefore)
    if (token.expiresOn !== null) view.expires_on = isoSeconds(token.expiresOn)
    view.policies = this.policyViews(token)
    view.condition = structuredClone(token.condition)
    return view
  }

  private serverView(token: StoredToken): FakeToken {
    const view: FakeToken = {
      id: token.id,
      name: token.name,
      owner: token.owner.kind === 'user' ? { user: token.owner.userId } : { account: token.owner.accountId },
      value: token.value,
      status: this.statusOf(token),
      issuedOn: isoSeconds(token.issuedOn),
      modifiedOn: isoSeconds(token.modifiedOn),
      policies: this.policyViews(token),
      condition: structuredClone(token.condition),
    }
    if (token.lastUsedOn !== null) view.lastUsedOn = isoSeconds(token.lastUsedOn)
    if (token.notBefore !== null) view.notBefore = isoSeconds(token.notBefore)
    if (token.expiresOn !== null) view.expiresOn = isoSeconds(token.expiresOn)
    return view
  }

  private ownerMatches(token: StoredToken, owner: OwnerRef): boolean {
    return owner.kind === 'user'
      ? token.owner.kind === 'user' && token.owner.userId === owner.userId
      : token.owner.kind === 'account' && token.owner.accountId === owner.accountId
  }

  private tokensOf(owner: OwnerRef): StoredToken[] {
    return [...this.tokens.values()].filter((token) => this.ownerMatches(token, owner)).sort((a, b) => a.sequence - b.sequence)
  }

  private accountsOfUser(userId: string): AccountRecord[] {
    return [...this.accounts.values()].filter((account) => account.memberUserIds.has(userId))
  }

  /** Checks a policy list against the owner and the catalog; throws a 400 ApiError on the first problem. */
  private buildPolicies(owner: OwnerRef, inputs: readonly PolicyInput[]): StoredPolicy[] {
    return inputs.map((input, index) => {
      const where = `policies.${index}`
      const entries = Object.entries(input.resources)
      if (entries.length === 0) throw new ApiError(400, ErrorCode.invalidRequest, `${where}.resources: must name at least one resource`)
      const classified = entries.map(([key, value]) => classifyResource(key, value))
      const scopes = new Set(classified.map((resource) => resource.scope))
      if (scopes.size > 1) {
        throw new ApiError(400, ErrorCode.invalidRequest, `${where}.resources: mixes scope types (${[...scopes].join(', ')}); use one policy per scope type`)
      }
      const scope = classified[0]?.scope ?? PermissionScope.account
      for (const resource of classified) this.checkResourceOwnership(owner, resource, where)
      const permissionGroupIds: string[] = []
      for (const { id } of input.permission_groups) {
        const group = PERMISSION_GROUPS_BY_ID.get(id)
        if (!group) throw new ApiError(400, ErrorCode.invalidRequest, `${where}.permission_groups: permission group ${JSON.stringify(id)} does not exist`)
        if (!group.scopes.includes(scope)) {
          throw new ApiError(400, ErrorCode.invalidRequest, `${where}.permission_groups: "${group.name}" (${group.scopes.join(', ')}) cannot apply to ${scope} resources`)
        }
        if (!permissionGroupIds.includes(id)) permissionGroupIds.push(id)
      }
      return { id: randomHex32(), effect: input.effect, resources: structuredClone(input.resources), permissionGroupIds }
    })
  }

  private checkResourceOwnership(owner: OwnerRef, resource: ClassifiedResource, where: string): void {
    const reject = (why: string): never => {
      throw new ApiError(400, ErrorCode.invalidRequest, `${where}.resources: ${why}`)
    }
    if (owner.kind === 'account') {
      if (resource.scope === PermissionScope.user) reject('an account-owned token cannot hold user permissions')
      if ('accountId' in resource && resource.accountId !== null && resource.accountId !== owner.accountId) {
        reject(`an account-owned token can only reach its own account ${owner.accountId}`)
      }
      return
    }
    if (resource.scope === PermissionScope.user) {
      if (resource.userId !== '*' && resource.userId !== owner.userId) reject(`user ${resource.userId} is not the token's owner`)
      return
    }
    if ('accountId' in resource && resource.accountId !== null && resource.accountId !== '*') {
      if (!this.accounts.get(resource.accountId)?.memberUserIds.has(owner.userId)) reject(`the owner is not a member of account ${resource.accountId}`)
    }
  }

  private parseTimes(body: { not_before?: string | null; expires_on?: string | null }): { notBefore: number | null; expiresOn: number | null } {
    const notBefore = body.not_before == null ? null : toMs(body.not_before)
    const expiresOn = body.expires_on == null ? null : toMs(body.expires_on)
    if (notBefore !== null && expiresOn !== null && expiresOn <= notBefore) {
      throw new ApiError(400, ErrorCode.invalidRequest, 'expires_on: must be after not_before')
    }
    return { notBefore, expiresOn }
  }

  private checkCondition(condition: TokenCondition | null | undefined): TokenCondition {
    if (!condition?.request_ip) return {}
    toBlockList(condition.request_ip.in ?? [], 'condition.request_ip.in')
    toBlockList(condition.request_ip.not_in ?? [], 'condition.request_ip.not_in')
    return structuredClone(condition)
  }

  private storeNewToken(
    owner: OwnerRef,
    body: CreateTokenBody,
    rules: { enforceQuota: boolean; requireFutureExpiry: boolean; quota?: number },
  ): StoredToken {
    const policies = this.buildPolicies(owner, body.policies)
    const { notBefore, expiresOn } = this.parseTimes(body)
    const now = this.clock()
    if (rules.requireFutureExpiry && expiresOn !== null && expiresOn <= now) {
      throw new ApiError(400, ErrorCode.invalidRequest, 'expires_on: must be in the future')
    }
    const condition = this.checkCondition(body.condition)
    if (rules.enforceQuota && rules.quota !== undefined && this.tokensOf(owner).length >= rules.quota) {
      const whose = owner.kind === 'user' ? 'user' : 'account'
      throw new ApiError(
        400,
        ErrorCode.tokenQuotaExceeded,
        `Token quota exceeded: a ${whose} may own at most ${rules.quota} API tokens (expired tokens count until deleted)`,
      )
    }
    const token: StoredToken = {
      id: randomHex32(),
      name: body.name,
      owner,
      value: makeTokenSecret(owner.kind === 'user' ? 'cfut_' : 'cfat_'),
      disabled: false,
      issuedOn: now,
      modifiedOn: now,
      lastUsedOn: null,
      notBefore,
      expiresOn,
      policies,
      condition,
      sequence: ++this.tokenSequence,
    }
    this.tokens.set(token.id, token)
    this.tokenIdsBySecret.set(token.value, token.id)
    return token
  }

  // ----- authorization -----

  /** Whether allow policies grant one of `acceptable` on the target and no deny policy takes it away. */
  private tokenGrants(token: StoredToken, acceptable: Set<string>, covers: (key: string, value: string | Record<string, string>) => boolean): boolean {
    const applies = (policy: StoredPolicy): boolean =>
      policy.permissionGroupIds.some((id) => acceptable.has(id)) && Object.entries(policy.resources).some(([key, value]) => covers(key, value))
    // Explicit deny, then explicit allow, then implicit deny.
    if (token.policies.some((policy) => policy.effect === 'deny' && applies(policy))) return false
    return token.policies.some((policy) => policy.effect === 'allow' && applies(policy))
  }

  private grantsOnUser(token: StoredToken, userId: string, groupNames: readonly string[]): boolean {
    return this.tokenGrants(
      token,
      groupIds(groupNames, PermissionScope.user),
      (key, value) => value === '*' && (key === `com.cloudflare.api.user.${userId}` || key === 'com.cloudflare.api.user.*'),
    )
  }

  private grantsOnAccount(token: StoredToken, accountId: string, groupNames: readonly string[]): boolean {
    return this.tokenGrants(
      token,
      groupIds(groupNames, PermissionScope.account),
      (key, value) => value === '*' && (key === `com.cloudflare.api.account.${accountId}` || key === 'com.cloudflare.api.account.*'),
    )
  }

  /** The user behind a principal, or null for an account-owned token. */
  private userOf(principal: Principal): UserRecord | null {
    if (principal.kind === 'global-key') return principal.user
    const owner = principal.token.owner
    return owner.kind === 'user' ? (this.users.get(owner.userId) ?? null) : null
  }

  /** For user endpoints: the caller's user if it may use the given user-scope permission groups. */
  private requireUserPermission(principal: Principal, groupNames: readonly string[]): UserRecord {
    const user = this.userOf(principal)
    const allowed = user !== null && (principal.kind === 'global-key' || this.grantsOnUser(principal.token, user.id, groupNames))
    if (!allowed) throw new ApiError(403, ErrorCode.unauthorized, 'Unauthorized to access requested resource')
    return user
  }

  /** For `/accounts/:id/...` token endpoints: the account if the caller may manage its tokens. */
  private requireAccountTokenPermission(principal: Principal, accountId: string, access: AccessLevel): AccountRecord {
    const account = this.accounts.get(accountId)
    const denied = new ApiError(403, ErrorCode.authenticationError, 'Authentication error')
    if (!account) throw denied
    if (principal.kind === 'global-key') {
      if (!account.memberUserIds.has(principal.user.id)) throw denied
      return account
    }
    const token = principal.token
    const groups = ACCOUNT_TOKEN_GROUPS[access]
    if (token.owner.kind === 'account') {
      if (token.owner.accountId !== accountId || !this.grantsOnAccount(token, accountId, groups)) throw denied
      return account
    }
    // A user-owned token also needs its user to be a (Super Administrator) member of the account.
    if (!account.memberUserIds.has(token.owner.userId) || !this.grantsOnAccount(token, accountId, groups)) throw denied
    return account
  }

  /** Accounts a principal can see: any account its allow policies reach (all memberships for a Global API Key). */
  private visibleAccounts(principal: Principal): AccountRecord[] {
    if (principal.kind === 'global-key') return this.accountsOfUser(principal.user.id)
    const token = principal.token
    if (token.owner.kind === 'account') {
      const account = this.accounts.get(token.owner.accountId)
      return account ? [account] : []
    }
    const memberOf = this.accountsOfUser(token.owner.userId)
    const reached = new Set<string>()
    for (const policy of token.policies) {
      if (policy.effect !== 'allow') continue
      for (const [key, value] of Object.entries(policy.resources)) {
        const resource = classifyResource(key, value)
        if (resource.scope === PermissionScope.user) continue
        if (resource.accountId === '*') memberOf.forEach((account) => reached.add(account.id))
        else if (resource.accountId !== null) reached.add(resource.accountId)
      }
    }
    return memberOf.filter((account) => reached.has(account.id))
  }

  // ----- routes -----

  private buildRoutes(): Route[] {
    const routes: Route[] = []
    const add = (method: string, template: string, handle: (ctx: RouteContext) => ApiAnswer): void => {
      routes.push({ method, ...compilePath(template), handle })
    }

    const userCollection = (ctx: RouteContext, access: AccessLevel): TokenCollection => {
      const user = this.requireUserPermission(ctx.principal, USER_TOKEN_GROUPS[access])
      return { owner: { kind: 'user', userId: user.id }, quota: this.options.userTokenQuota ?? 50, secretPrefix: 'cfut_' }
    }
    const accountCollection = (ctx: RouteContext, access: AccessLevel): TokenCollection => {
      const account = this.requireAccountTokenPermission(ctx.principal, ctx.params.account_id ?? '', access)
      return { owner: { kind: 'account', accountId: account.id }, quota: this.options.accountTokenQuota ?? 500, secretPrefix: 'cfat_' }
    }

    // Fixed segments (verify, permission_groups) come before `:token_id` so they win.
    add('GET', '/user/tokens/verify', (ctx) => this.verify(ctx.principal, { kind: 'user' }))
    add('GET', '/user/tokens/permission_groups', (ctx) => {
      userCollection(ctx, 'read')
      return this.listPermissionGroups(ctx.query, true)
    })
    add('GET', '/user/tokens', (ctx) => this.listTokensAnswer(userCollection(ctx, 'read'), ctx.query))
    add('POST', '/user/tokens', (ctx) => this.createToken(userCollection(ctx, 'write'), ctx.body))
    add('GET', '/user/tokens/:token_id', (ctx) => this.getTokenAnswer(userCollection(ctx, 'read'), ctx.params))
    add('PUT', '/user/tokens/:token_id', (ctx) => this.updateToken(userCollection(ctx, 'write'), ctx.params, ctx.body))
    add('DELETE', '/user/tokens/:token_id', (ctx) => this.deleteToken(userCollection(ctx, 'write'), ctx.params))
    add('PUT', '/user/tokens/:token_id/value', (ctx) => this.rollToken(userCollection(ctx, 'write'), ctx.params, ctx.body))

    add('GET', '/accounts/:account_id/tokens/verify', (ctx) => this.verify(ctx.principal, { kind: 'account', accountId: ctx.params.account_id ?? '' }))
    add('GET', '/accounts/:account_id/tokens/permission_groups', (ctx) => {
      accountCollection(ctx, 'read')
      return this.listPermissionGroups(ctx.query, false)
    })
    add('GET', '/accounts/:account_id/tokens', (ctx) => this.listTokensAnswer(accountCollection(ctx, 'read'), ctx.query))
    add('POST', '/accounts/:account_id/tokens', (ctx) => this.createToken(accountCollection(ctx, 'write'), ctx.body))
    add('GET', '/accounts/:account_id/tokens/:token_id', (ctx) => this.getTokenAnswer(accountCollection(ctx, 'read'), ctx.params))
    add('PUT', '/accounts/:account_id/tokens/:token_id', (ctx) => this.updateToken(accountCollection(ctx, 'write'), ctx.params, ctx.body))
    add('DELETE', '/accounts/:account_id/tokens/:token_id', (ctx) => this.deleteToken(accountCollection(ctx, 'write'), ctx.params))
    add('PUT', '/accounts/:account_id/tokens/:token_id/value', (ctx) =>
      this.rollToken(accountCollection(ctx, 'write'), ctx.params, ctx.body),
    )

    add('GET', '/user', (ctx) => this.getUser(ctx.principal))
    add('GET', '/memberships', (ctx) => this.listMemberships(ctx.principal, ctx.query))
    add('GET', '/accounts', (ctx) => this.listAccounts(ctx.principal, ctx.query))
    add('GET', '/accounts/:account_id', (ctx) => this.getAccount(ctx.principal, ctx.params.account_id ?? ''))
    return routes
  }

  private verify(principal: Principal, where: { kind: 'user' } | { kind: 'account'; accountId: string }): ApiAnswer {
    // Verify checks the calling token itself, and only finds it in its own collection: an account
    // token at /user/tokens/verify, or a user token at an account's verify path, is "invalid".
    const token = principal.kind === 'token' ? principal.token : null
    const found =
      token !== null &&
      (where.kind === 'user' ? token.owner.kind === 'user' : token.owner.kind === 'account' && token.owner.accountId === where.accountId)
    if (!token || !found) throw new ApiError(401, ErrorCode.invalidApiToken, 'Invalid API Token')
    return ok(this.verifyResult(token))
  }

  private verifyResult(token: StoredToken): Record<string, unknown> {
    const result: Record<string, unknown> = { id: token.id, status: this.statusOf(token) }
    if (token.expiresOn !== null) result.expires_on = isoSeconds(token.expiresOn)
    if (token.notBefore !== null) result.not_before = isoSeconds(token.notBefore)
    return result
  }

  private listPermissionGroups(query: URLSearchParams, includeUserScope: boolean): ApiAnswer {
    const name = query.get('name')
    const scope = query.get('scope')
    const groups = PERMISSION_GROUP_CATALOG.filter(
      (group) =>
        (includeUserScope || !group.scopes.includes(PermissionScope.user)) &&
        (name === null || group.name === name) &&
        (scope === null || group.scopes.some((groupScope) => groupScope === scope)),
    ).map((group) => ({ id: group.id, name: group.name, scopes: [...group.scopes] }))
    return ok(groups, { page: 1, per_page: groups.length, count: groups.length, total_count: groups.length, total_pages: 1 })
  }

  private findOwnedToken(collection: TokenCollection, params: Record<string, string>): StoredToken {
    const token = this.tokens.get(params.token_id ?? '')
    if (!token || !this.ownerMatches(token, collection.owner)) throw new ApiError(404, ErrorCode.tokenNotFound, 'Token not found')
    return token
  }

  private listTokensAnswer(collection: TokenCollection, query: URLSearchParams): ApiAnswer {
    const pagination = parsePagination(query)
    const includeExpired = parseBooleanQuery(query, 'include_expired')
    const tokens = this.tokensOf(collection.owner).filter((token) => includeExpired || this.statusOf(token) !== 'expired')
    if (pagination.direction === 'desc') tokens.reverse()
    return paginate(
      tokens.map((token) => this.apiView(token)),
      pagination,
    )
  }

  private createToken(collection: TokenCollection, body: unknown): ApiAnswer {
    const input = parseBody(CreateTokenBodySchema, body)
    const token = this.storeNewToken(collection.owner, input, { enforceQuota: true, requireFutureExpiry: true, quota: collection.quota })
    return ok({ ...this.apiView(token), value: token.value })
  }

  private getTokenAnswer(collection: TokenCollection, params: Record<string, string>): ApiAnswer {
    return ok(this.apiView(this.findOwnedToken(collection, params)))
  }

  // PUT replaces name and policies; status, not_before, expires_on and condition change only when
  // present (null clears them). The real API's handling of omitted optional fields is undocumented.
  private updateToken(collection: TokenCollection, params: Record<string, string>, body: unknown): ApiAnswer {
    const token = this.findOwnedToken(collection, params)
    const input: UpdateTokenBody = parseBody(UpdateTokenBodySchema, body)
    const policies = this.buildPolicies(collection.owner, input.policies)
    const times = this.parseTimes({
      not_before: input.not_before === undefined ? (token.notBefore === null ? null : isoSeconds(token.notBefore)) : input.not_before,
      expires_on: input.expires_on === undefined ? (token.expiresOn === null ? null : isoSeconds(token.expiresOn)) : input.expires_on,
    })
    const condition = input.condition === undefined ? token.condition : this.checkCondition(input.condition)
    token.name = input.name
    token.policies = policies
    token.notBefore = times.notBefore
    token.expiresOn = times.expiresOn
    token.condition = condition
    if (input.status !== undefined) token.disabled = input.status === 'disabled'
    token.modifiedOn = this.clock()
    return ok(this.apiView(token))
  }

  private deleteToken(collection: TokenCollection, params: Record<string, string>): ApiAnswer {
    const token = this.findOwnedToken(collection, params)
    this.tokens.delete(token.id)
    this.tokenIdsBySecret.delete(token.value)
    return ok({ id: token.id })
  }

  private rollToken(collection: TokenCollection, params: Record<string, string>, body: unknown): ApiAnswer {
    // The OpenAPI body is `{}`; the SDK sends none at all. Both are fine.
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new ApiError(400, ErrorCode.invalidRequest, 'body: expected an object')
    }
    const token = this.findOwnedToken(collection, params)
    this.tokenIdsBySecret.delete(token.value)
    token.value = makeTokenSecret(collection.secretPrefix)
    token.modifiedOn = this.clock()
    this.tokenIdsBySecret.set(token.value, token.id)
    return ok(token.value)
  }

  private getUser(principal: Principal): ApiAnswer {
    // wrangler whoami treats 9109 here as "no User Details Read" and carries on without the e-mail.
    const user = this.requireUserPermission(principal, ['User Details Read', 'User Details Write'])
    return ok({
      id: user.id,
      email: user.email,
      username: user.id,
      first_name: user.firstName,
      last_name: user.lastName,
      telephone: null,
      country: null,
      zipcode: null,
      created_on: isoSeconds(user.createdOn),
      modified_on: isoSeconds(user.createdOn),
      two_factor_authentication_enabled: false,
      two_factor_authentication_locked: false,
      has_pro_zones: false,
      has_business_zones: false,
      has_enterprise_zones: false,
      suspended: false,
      betas: [],
      organizations: [],
    })
  }

  private accountView(account: AccountRecord): Record<string, unknown> {
    return {
      id: account.id,
      name: account.name,
      type: 'standard',
      settings: { enforce_twofactor: false, api_access_enabled: null, abuse_contact_email: null },
      created_on: isoSeconds(account.createdOn),
    }
  }

  private listMemberships(principal: Principal, query: URLSearchParams): ApiAnswer {
    // Account-owned tokens have no user identity; the real API answers 400 / 9106 here
    // (cloudflare/workers-sdk#13858).
    if (principal.kind === 'token' && principal.token.owner.kind === 'account') {
      throw new ApiError(400, ErrorCode.authenticationFailed, 'Authentication failed')
    }
    const user = this.requireUserPermission(principal, ['Memberships Read', 'Memberships Write'])
    const pagination = parsePagination(query)
    const status = query.get('status')
    const accountName = query.get('account.name') ?? query.get('name')
    const memberships = this.accountsOfUser(user.id)
      .filter((account) => (status === null || status === 'accepted') && (accountName === null || account.name === accountName))
      .map((account) => ({
        id: createHash('md5').update(`membership:${user.id}:${account.id}`).digest('hex'),
        account: this.accountView(account),
        api_access_enabled: null,
        permissions: Object.fromEntries(
          ['analytics', 'billing', 'cache_purge', 'dns', 'dns_records', 'lb', 'logs', 'organization', 'ssl', 'waf', 'zone_settings', 'zones'].map(
            (area) => [area, { read: true, write: true }],
          ),
        ),
        roles: [SUPER_ADMIN_ROLE],
        status: 'accepted',
      }))
    if (pagination.direction === 'desc') memberships.reverse()
    return paginate(memberships, pagination)
  }

  private listAccounts(principal: Principal, query: URLSearchParams): ApiAnswer {
    const pagination = parsePagination(query)
    const name = query.get('name')?.toLowerCase() ?? null
    const accounts = this.visibleAccounts(principal)
      .filter((account) => name === null || account.name.toLowerCase().includes(name))
      .map((account) => this.accountView(account))
    if (pagination.direction === 'desc') accounts.reverse()
    return paginate(accounts, pagination)
  }

  private getAccount(principal: Principal, accountId: string): ApiAnswer {
    const account = this.visibleAccounts(principal).find((candidate) => candidate.id === accountId)
    if (!account) throw new ApiError(403, ErrorCode.unauthorized, 'Unauthorized to access requested resource')
    return ok(this.accountView(account))
  }

  // ----- authentication -----

  /**
   * The caller, or the error to answer. An expired or disabled but otherwise known token comes back
   * with the error so that verify can answer `status: "expired"` when so configured.
   */
  private authenticate(req: http.IncomingMessage, clientIp: string): { principal: Principal } | { error: ApiError; token?: StoredToken } {
    const authorization = req.headers.authorization
    const authKey = req.headers['x-auth-key']
    const authEmail = req.headers['x-auth-email']
    if (authorization !== undefined) {
      // The scheme is case-insensitive (RFC 9110); the token is Cloudflare's URL-safe alphabet.
      const match = /^Bearer ([A-Za-z0-9_-]+)$/i.exec(authorization.trim())
      if (!match) {
        return {
          error: new ApiError(400, ErrorCode.invalidRequestHeaders, 'Invalid request headers', [
            { code: ErrorCode.invalidAuthorizationFormat, message: 'Invalid format for Authorization header' },
          ]),
        }
      }
      const invalid = new ApiError(401, ErrorCode.invalidApiToken, 'Invalid API Token')
      const token = this.tokens.get(this.tokenIdsBySecret.get(match[1] ?? '') ?? '')
      if (!token) return { error: invalid }
      const now = this.clock()
      if (this.statusOf(token) !== 'active') return { error: invalid, token }
      if (token.notBefore !== null && now < token.notBefore) return { error: invalid }
      const ipRule = token.condition.request_ip
      if (ipRule) {
        const inList = ipRule.in ?? []
        const blocked =
          (inList.length > 0 && !ipMatches(toBlockList(inList, 'in'), clientIp)) || ipMatches(toBlockList(ipRule.not_in ?? [], 'not_in'), clientIp)
        if (blocked) return { error: new ApiError(403, ErrorCode.unauthorized, `Cannot use the access token from location: ${clientIp}`) }
      }
      token.lastUsedOn = now
      return { principal: { kind: 'token', token } }
    }
    if (authKey !== undefined || authEmail !== undefined) {
      if (typeof authKey !== 'string' || typeof authEmail !== 'string' || authKey === '' || authEmail === '') {
        return { error: new ApiError(400, ErrorCode.invalidRequestHeaders, 'Invalid request headers: X-Auth-Key and X-Auth-Email go together') }
      }
      const user = [...this.users.values()].find(
        (candidate) => candidate.globalApiKey !== null && candidate.globalApiKey === authKey && candidate.email.toLowerCase() === authEmail.toLowerCase(),
      )
      if (!user) return { error: new ApiError(403, ErrorCode.unknownGlobalApiKey, 'Unknown X-Auth-Key or X-Auth-Email') }
      return { principal: { kind: 'global-key', user } }
    }
    return { error: new ApiError(400, ErrorCode.missingAuthorization, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers') }
  }

  // ----- HTTP -----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = this.clock()
    this.windowCounter.record(at)
    if (this.downMode !== null) {
      req.socket.destroy()
      return
    }
    let bodyText: string
    try {
      bodyText = await readBody(req)
    } catch {
      this.send(res, failureAnswer(new ApiError(413, ErrorCode.invalidRequest, 'Request body too large')))
      return
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = (req.method ?? 'GET').toUpperCase()
    const apiPath = url.pathname.startsWith(`${API_BASE_PATH}/`) ? url.pathname.slice(API_BASE_PATH.length) : null
    const record: RecordedRequest = {
      method,
      path: apiPath ?? url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parseForRecord(bodyText),
      credential: describeCredential(req.headers),
      status: 0,
      at,
    }
    this.requests.push(record)
    const limit = this.options.maxRecordedRequests
    if (limit !== undefined && this.requests.length > limit) this.requests.splice(0, this.requests.length - limit)

    const { delayMs, deliveryDelayMs, terminal } = this.takeFaults(method, record.path)
    if (delayMs > 0) {
      record.fault = 'slow'
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (req.socket.destroyed) return this.finish(record)
    }
    let answer: ApiAnswer
    if (terminal?.kind === 'drop') {
      record.fault = 'drop'
      req.socket.destroy()
      return this.finish(record)
    } else if (terminal?.kind === 'rate-limit') {
      record.fault = 'rate-limit'
      answer = failureAnswer(
        new ApiError(429, ErrorCode.rateLimited, 'Please wait and consider throttling your request speed', undefined, {
          'retry-after': String(terminal.retryAfter),
        }),
      )
    } else if (terminal?.kind === 'server-error') {
      record.fault = 'server-error'
      answer = terminal.html
        ? { status: terminal.status, body: null, rawBody: edgeErrorPage(terminal.status), headers: { 'content-type': 'text/html' } }
        : failureAnswer(new ApiError(terminal.status, ErrorCode.internalError, 'An internal error occurred'))
    } else {
      answer = this.dispatch(req, method, apiPath, url.searchParams, bodyText)
    }
    if (answer.status === 429) this.rateLimitedResponses++
    record.status = answer.status
    if (deliveryDelayMs > 0) {
      record.fault = 'slow'
      await new Promise((resolve) => setTimeout(resolve, deliveryDelayMs))
      if (req.socket.destroyed) return this.finish(record)
    }
    this.send(res, answer)
    this.finish(record)
  }

  private finish(record: RecordedRequest): void {
    this.options.onRequest?.(record)
  }

  private dispatch(req: http.IncomingMessage, method: string, apiPath: string | null, query: URLSearchParams, bodyText: string): ApiAnswer {
    try {
      const noRoute = new ApiError(404, ErrorCode.noRoute, 'No route for that URI')
      if (apiPath === null) throw noRoute
      const path = apiPath.length > 1 && apiPath.endsWith('/') ? apiPath.slice(0, -1) : apiPath
      const candidates = this.routes
        .map((route) => ({ route, match: route.pattern.exec(path) }))
        .filter((candidate): candidate is { route: Route; match: RegExpExecArray } => candidate.match !== null)
      if (candidates.length === 0) throw noRoute
      // With several templates matching (verify vs :token_id), the first registered one wins.
      const firstTemplate = candidates[0]?.route.pattern.source
      const chosen = candidates.find((candidate) => candidate.route.method === method && candidate.route.pattern.source === firstTemplate)
      if (!chosen) throw new ApiError(405, ErrorCode.methodNotAllowed, 'Method not allowed')
      const params: Record<string, string> = {}
      chosen.route.paramNames.forEach((name, index) => {
        params[name] = decodeURIComponent(chosen.match[index + 1] ?? '')
      })
      for (const value of Object.values(params)) {
        if (!HEX32.test(value)) throw new ApiError(400, ErrorCode.invalidIdentifier, `Could not route to ${path}, perhaps your object identifier is invalid?`)
      }

      const clientIp = normalizeIp(req.socket.remoteAddress ?? '127.0.0.1')
      const auth = this.authenticate(req, clientIp)
      if ('error' in auth) {
        const verifyAnswer = this.expiredVerifyAnswer(auth.token, path, params)
        if (verifyAnswer) return verifyAnswer
        throw auth.error
      }
      const principal = auth.principal
      if (this.rateLimiter) {
        const retryAfter = this.rateLimiter.admit(this.rateLimitKey(principal), this.clock())
        if (retryAfter !== null) {
          throw new ApiError(429, ErrorCode.rateLimited, 'Please wait and consider throttling your request speed', undefined, {
            'retry-after': String(retryAfter),
          })
        }
      }
      let body: unknown = undefined
      if (bodyText.trim() !== '' && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
        try {
          body = JSON.parse(bodyText)
        } catch {
          throw new ApiError(400, ErrorCode.malformedJson, 'Malformed JSON in request body')
        }
      }
      return chosen.route.handle({ principal, params, query, body })
    } catch (error) {
      if (error instanceof ApiError) return failureAnswer(error)
      return failureAnswer(new ApiError(500, ErrorCode.internalError, `Fake Cloudflare bug: ${error instanceof Error ? error.message : String(error)}`))
    }
  }

  /** With `expiredVerifyStyle: 'status'`, verify of an expired/disabled token answers 200 with its status. */
  private expiredVerifyAnswer(token: StoredToken | undefined, path: string, params: Record<string, string>): ApiAnswer | null {
    if (!token || this.options.expiredVerifyStyle !== 'status') return null
    const isOwnVerify =
      (path === '/user/tokens/verify' && token.owner.kind === 'user') ||
      (path === `/accounts/${params.account_id ?? ''}/tokens/verify` && token.owner.kind === 'account' && token.owner.accountId === params.account_id)
    return isOwnVerify ? ok(this.verifyResult(token)) : null
  }

  // Cloudflare limits per user across all credentials; account-owned tokens have no user, so they
  // share a bucket per account.
  private rateLimitKey(principal: Principal): string {
    if (principal.kind === 'global-key') return `user:${principal.user.id}`
    const owner = principal.token.owner
    return owner.kind === 'user' ? `user:${owner.userId}` : `account:${owner.accountId}`
  }

  private send(res: http.ServerResponse, answer: ApiAnswer): void {
    if (res.destroyed || res.writableEnded) return
    const payload = answer.rawBody ?? JSON.stringify(answer.body)
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'cf-ray': `${randomBytes(8).toString('hex')}-FAKE`,
      ...answer.headers,
    })
    res.end(payload)
  }

  // ----- faults -----

  private takeFaults(method: string, path: string): { delayMs: number; deliveryDelayMs: number; terminal: FaultAction | null } {
    let delayMs = 0
    let deliveryDelayMs = 0
    let terminal: FaultAction | null = null
    for (const rule of this.faultRules) {
      if (rule.remaining <= 0) continue
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue
      if (rule.path !== undefined) {
        rule.path.lastIndex = 0
        if (!rule.path.test(path)) continue
      }
      if (rule.action.kind === 'slow') {
        if (rule.action.answerFirst) deliveryDelayMs += rule.action.ms
        else delayMs += rule.action.ms
        rule.remaining--
      } else if (terminal === null) {
        terminal = rule.action
        rule.remaining--
      }
    }
    for (let i = this.faultRules.length - 1; i >= 0; i--) {
      if ((this.faultRules[i]?.remaining ?? 0) <= 0) this.faultRules.splice(i, 1)
    }
    return { delayMs, deliveryDelayMs, terminal }
  }

  private buildFaults(): FakeCloudflareFaults {
    const addRule = (action: FaultAction, options: FaultScope & { count?: number } = {}): void => {
      this.faultRules.push({ action, remaining: options.count ?? Infinity, method: options.method, path: options.path })
    }
    return {
      rateLimit: (options = {}) => addRule({ kind: 'rate-limit', retryAfter: options.retryAfter ?? 1 }, options),
      serverError: (options = {}) => addRule({ kind: 'server-error', status: options.status ?? 500, html: options.html ?? false }, options),
      slow: (ms, options = {}) => addRule({ kind: 'slow', ms, answerFirst: options.answerFirst ?? false }, options),
      drop: (options = {}) => addRule({ kind: 'drop' }, options),
      down: async (mode = 'refuse') => {
        this.downMode = mode
        if (mode === 'refuse' && this.server.listening) {
          await new Promise<void>((resolve) => {
            this.server.close(() => resolve())
            for (const socket of this.sockets) socket.destroy()
          })
        } else {
          for (const socket of this.sockets) socket.destroy()
        }
      },
      up: async () => {
        this.downMode = null
        if (!this.closed && !this.server.listening) await this.listen(this.port)
      },
      clear: async () => {
        this.faultRules.length = 0
        await this.faults.up()
      },
    }
  }
}

function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

function describeCredential(headers: http.IncomingHttpHeaders): RecordedCredential {
  const authorization = headers.authorization
  if (authorization !== undefined) {
    const match = /^Bearer (.+)$/i.exec(authorization.trim())
    return match ? { kind: 'bearer', token: match[1] ?? '' } : { kind: 'malformed', authorization }
  }
  const key = headers['x-auth-key']
  const email = headers['x-auth-email']
  if (key !== undefined || email !== undefined) {
    return { kind: 'global-key', email: typeof email === 'string' ? email : '', key: typeof key === 'string' ? key : '' }
  }
  return { kind: 'none' }
}

function parseForRecord(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES) throw new Error('body too large')
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Starts a fake Cloudflare API on 127.0.0.1 with one user, one account (the user is its Super Administrator) and no tokens. */
export async function startFakeCloudflare(options: FakeCloudflareOptions = {}): Promise<FakeCloudflare> {
  const fake = new FakeCloudflareServer(options)
  await fake.listen(options.port ?? 0)
  return fake
}
