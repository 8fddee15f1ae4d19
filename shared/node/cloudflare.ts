/**
 * The Cloudflare API as cfwrap uses it: verify a credential, resolve permission groups, create,
 * list and delete tokens. Built on the `cloudflare` SDK, which is loaded lazily (it takes ~300 ms
 * to load and must never be on the `cfwrap <command>` start-up path).
 *
 * Decisions that matter:
 * - The SDK is constructed with every credential option explicit (`apiKey`, `apiEmail` and
 *   `userServiceKey` null): left out, it reads CLOUDFLARE_API_KEY etc. from the environment and
 *   sends every credential it finds. `baseURL` is explicit for the same reason (it would read
 *   CLOUDFLARE_BASE_URL); cfwrap honours Wrangler's CLOUDFLARE_API_BASE_URL instead.
 * - `maxRetries: 0`: the SDK would retry a create (no idempotency key: a duplicate token) and would
 *   sleep through a 429's retry-after without bound. Retries are the caller's decision.
 * - Every request goes through a {@link RequestGate} (budget, 429 pause, concurrency).
 * - Answers cfwrap relies on are validated with zod/mini; an unexpected shape is a `server` error.
 * - Errors become {@link CloudflareApiError} with a small `kind`; messages are worded here and never
 *   include a secret (Cloudflare's own error text is scrubbed of anything token-shaped).
 */
import { join } from 'node:path'
import { UserError } from '../common/errors'
import * as z from 'zod/mini'
import type { ApiErrorKind } from '../common/events'
import { permissionGroupKey, type Policy } from '../common/policy'
import { holdSecret, redact } from '../common/redact'
import type { PermissionRef, ScopeId } from '../common/templates'
import { writeFileAtomic } from './fs-atomic'
import { readPrivateFile } from './private-files'
import { lazyLoad } from './lazy-load'
import { RequestGate } from './request-gate'

type CloudflareModule = typeof import('cloudflare')
type CloudflareSdk = InstanceType<CloudflareModule['Cloudflare']>

/** The public API's base URL. */
export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4'

/** Per-request timeout: long enough for a slow create, short enough that a hung connection is retried soon. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000

/** How long resolved permission-group ids are trusted before being looked up again. */
export const PERMISSION_GROUP_CACHE_TTL_MS = 24 * 60 * 60 * 1000

/** Most tokens per list page Cloudflare allows. */
const LIST_PAGE_SIZE = 50

/** Who owns a token, which decides the API paths that manage it: `/user/tokens` or `/accounts/{id}/tokens`. */
export type TokenOwnerKind = 'user' | 'account'

/** The base URL cfwrap talks to: Wrangler's `CLOUDFLARE_API_BASE_URL` when set (e.g. a local fake), else the public API. */
export function apiBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUDFLARE_API_BASE_URL || DEFAULT_API_BASE_URL
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * Checks a base URL before the minting credential is sent to it: https, or plain http to a loopback
 * address only (a local fake in tests). Returns a warning when it is not Cloudflare's own API (the
 * credential goes there all the same, so the person should know); throws for anything else.
 */
export function checkApiBaseUrl(baseURL: string): string | null {
  let url: URL
  try {
    url = new URL(baseURL)
  } catch {
    throw new UserError(`CLOUDFLARE_API_BASE_URL (${baseURL}) is not a URL; unset it to use Cloudflare's API.`)
  }
  const loopback = LOOPBACK_HOST.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UserError(
      `cfwrap will not send the minting credential to ${url.protocol}//${url.host}: CLOUDFLARE_API_BASE_URL must use https (plain http only to a loopback address such as 127.0.0.1). Unset it to use Cloudflare's API.`,
    )
  }
  if (url.href.replace(/\/$/, '') === DEFAULT_API_BASE_URL) return null
  return `cfwrap: warning: the Cloudflare API base is ${url.protocol}//${url.host} (CLOUDFLARE_API_BASE_URL), not api.cloudflare.com; the minting credential is sent there.`
}

const warnedBases = new Set<string>()

/** Says on stderr, once per base and process, that the credential goes somewhere other than Cloudflare's API. */
function warnApiBase(message: string, baseURL: string): void {
  if (warnedBases.has(baseURL)) return
  warnedBases.add(baseURL)
  process.stderr.write(`${message}\n`)
}

/** A Cloudflare API failure, reduced to what callers decide on. The message never contains a secret. */
export class CloudflareApiError extends UserError {
  override name = 'CloudflareApiError'
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly details: { status?: number; code?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, 1, 'api')
  }

  /** Seconds Cloudflare asked us to wait (429 only). */
  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds
  }

  /** True for failures worth retrying later without anyone changing anything. */
  get transient(): boolean {
    return this.kind === 'rate-limited' || this.kind === 'server' || this.kind === 'network'
  }
}

/** A token as listed by Cloudflare (never with its secret). */
export interface ApiTokenInfo {
  id: string
  name: string
  status: 'active' | 'disabled' | 'expired'
  /** ISO 8601, or null for a token without a deadline. */
  expiresOn: string | null
  /** When Cloudflare issued it (ISO 8601), where the answer says. */
  issuedOn: string | null
}

/** A freshly created token, with the secret Cloudflare shows only once. */
export interface CreatedToken extends ApiTokenInfo {
  value: string
  /**
   * The permission groups Cloudflare says the token holds in allow policies, by id and (where the
   * answer names them) name: what the token can really do, which the mint checks against its template.
   */
  granted: Array<{ id: string; name: string | null }>
}

/** A permission group as listed by Cloudflare. */
export interface PermissionGroupInfo {
  id: string
  name: string
  scopes: string[]
}

/** The operations the minting and reaping code needs; implemented by {@link CloudflareClient}. */
export interface TokenApi {
  readonly owner: TokenOwnerKind
  readonly accountId: string | null
  verify(): Promise<{ id: string; status: string; expiresOn: string | null }>
  createToken(input: { name: string; policies: Policy[]; expiresOn: string | null }): Promise<CreatedToken>
  deleteToken(id: string): Promise<'deleted' | 'not-found'>
  /** Every token of the owner, expired ones included, across all pages. */
  listTokens(): Promise<ApiTokenInfo[]>
  resolvePermissionGroups(permissions: readonly PermissionRef[]): Promise<Map<string, string>>
  /** Drops cached permission-group ids (after Cloudflare refused a create that used them). */
  forgetPermissionGroups?(): void
}

// ----- response schemas (only the fields cfwrap relies on) -----

const TokenStatusSchema = z.enum(['active', 'disabled', 'expired'])
const ApiTokenSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  status: TokenStatusSchema,
  expires_on: z.optional(z.nullable(z.string())),
  issued_on: z.optional(z.nullable(z.string())),
})
const CreatedTokenSchema = z.extend(ApiTokenSchema, {
  value: z.string().check(z.minLength(1)),
  policies: z.optional(
    z.array(
      z.object({
        effect: z.string(),
        permission_groups: z.array(z.object({ id: z.string(), name: z.optional(z.string()) })),
      }),
    ),
  ),
})
const VerifySchema = z.object({
  id: z.string().check(z.minLength(1)),
  status: z.string(),
  expires_on: z.optional(z.nullable(z.string())),
})
const PermissionGroupSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  scopes: z.optional(z.array(z.string())),
})
const TokenPoliciesSchema = z.object({
  policies: z.optional(
    z.array(
      z.object({
        effect: z.string(),
        permission_groups: z.array(z.object({ id: z.string(), name: z.optional(z.string()) })),
      }),
    ),
  ),
})
const ResultInfoSchema = z.object({
  page: z.optional(z.number()),
  total_pages: z.optional(z.number()),
  total_count: z.optional(z.number()),
})

function parseAnswer<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'result'))].slice(0, 3).join(', ')
    throw new CloudflareApiError('server', `Cloudflare's answer to ${what} was not what cfwrap expects (${fields}); try again later.`)
  }
  return parsed.data
}

function toTokenInfo(token: z.infer<typeof ApiTokenSchema>): ApiTokenInfo {
  return { id: token.id, name: token.name, status: token.status, expiresOn: token.expires_on ?? null, issuedOn: token.issued_on ?? null }
}

// ----- error mapping -----

/** Codes Cloudflare uses for a bad, expired or under-privileged credential (see cloudflare.md). */
const AUTH_CODES = new Set([1000, 1001, 6003, 6111, 9106, 9109, 10000])

function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined
}

/** When a 429 carries no retry-after: Cloudflare's block lasts 5 minutes, but asking again after 1 is cheap. */
const DEFAULT_RETRY_AFTER_SECONDS = 60

/** Turns whatever the SDK threw into a {@link CloudflareApiError} describing `what` was attempted. */
function mapSdkError(sdk: CloudflareModule, error: unknown, what: string, baseURL: string): CloudflareApiError {
  if (error instanceof CloudflareApiError) return error
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new CloudflareApiError('network', `Cloudflare did not answer ${what} in time; it is retried later.`)
  }
  if (error instanceof sdk.APIConnectionError || !(error instanceof sdk.APIError)) {
    let host = baseURL
    try {
      host = new URL(baseURL).host
    } catch {
      // Keep the URL as given.
    }
    return new CloudflareApiError('network', `cfwrap cannot reach the Cloudflare API (${host}) for ${what}; check the network connection.`)
  }
  const status = error.status ?? 0
  const first = (error.errors as Array<{ code?: unknown; message?: unknown }> | undefined)?.[0]
  const code = typeof first?.code === 'number' ? first.code : undefined
  // Cloudflare's own text is scrubbed of the credential and of anything token-shaped.
  const apiMessage = typeof first?.message === 'string' ? redact(first.message) : ''
  const detail = apiMessage ? ` (Cloudflare says: ${apiMessage}${code !== undefined ? `, code ${code}` : ''})` : ` (HTTP ${status})`
  const details = { status, ...(code !== undefined ? { code } : {}) }
  if (status === 429) {
    const headers = error.headers as Headers | undefined
    const retryAfterSeconds = parseRetryAfter(headers?.get('retry-after')) ?? DEFAULT_RETRY_AFTER_SECONDS
    return new CloudflareApiError('rate-limited', `Cloudflare is rate limiting this account; ${what} can be tried again in ${Math.max(1, retryAfterSeconds)}s.`, {
      ...details,
      retryAfterSeconds,
    })
  }
  if (status === 404) return new CloudflareApiError('not-found', `Cloudflare found nothing for ${what}${detail}.`, details)
  if (status >= 500) return new CloudflareApiError('server', `Cloudflare had an internal error during ${what}${detail}; it is retried later.`, details)
  // 403: the credential authenticated but lacks a permission (Cloudflare answers 9109 or 10000 here).
  if (status === 403) {
    return new CloudflareApiError('permission', `Cloudflare refused ${what}: the minting credential lacks the permission for it${detail}.`, details)
  }
  if (status === 401 || (code !== undefined && AUTH_CODES.has(code))) {
    return new CloudflareApiError(
      'auth',
      `Cloudflare rejected the minting credential during ${what}${detail}: it may be revoked, expired or mistyped. Store a working one with \`cfwrap --setup\`.`,
      details,
    )
  }
  if (/quota|maximum number of|too many (api )?tokens/i.test(apiMessage)) {
    return new CloudflareApiError('quota', `Cloudflare refused ${what}: the token quota is used up${detail}.`, details)
  }
  return new CloudflareApiError('bad-request', `Cloudflare refused ${what}${detail}.`, details)
}

// ----- permission-group cache -----

const CacheFileSchema = z.object({
  version: z.literal(1),
  /** base URL → `permissionGroupKey(name, scope)` → entry. Keyed by URL because a fake's ids are not Cloudflare's. */
  apis: z.record(z.string(), z.record(z.string(), z.object({ id: z.string(), fetchedAt: z.number() }))),
})
type CacheFile = z.infer<typeof CacheFileSchema>

/**
 * Permission-group ids by name and scope, in memory and in `permission-groups.json` beside the state
 * file, trusted for {@link PERMISSION_GROUP_CACHE_TTL_MS}. A cache file rather than the state file:
 * the state is user data, validated strictly and written under a cross-process lock, while this is
 * disposable (a corrupt or stale file is simply ignored and refilled) and must not contend for that lock.
 */
export class PermissionGroupCache {
  private memory: CacheFile | null = null

  constructor(
    /** The cache file, or null to keep the cache in memory only. */
    readonly file: string | null,
    private readonly now: () => number = Date.now,
    readonly ttlMs: number = PERMISSION_GROUP_CACHE_TTL_MS,
  ) {}

  /** The cache file inside config directory `dir`. */
  static inDir(dir: string): PermissionGroupCache {
    return new PermissionGroupCache(join(dir, 'permission-groups.json'))
  }

  /** The cached id of group `name` at `scope` for API `baseURL`, if fresh. */
  get(baseURL: string, name: string, scope: string): string | undefined {
    const entry = this.load().apis[baseURL]?.[permissionGroupKey(name, scope as ScopeId)]
    if (!entry || this.now() - entry.fetchedAt > this.ttlMs) return undefined
    return entry.id
  }

  /** Stores ids (keyed by `permissionGroupKey`) for `baseURL` and writes the file. */
  set(baseURL: string, ids: ReadonlyMap<string, string>): void {
    const cache = this.load()
    const forApi = (cache.apis[baseURL] ??= {})
    const fetchedAt = this.now()
    for (const [key, id] of ids) forApi[key] = { id, fetchedAt }
    this.save(cache)
  }

  /** Forgets everything cached for `baseURL` (e.g. after Cloudflare refused an id). */
  invalidate(baseURL: string): void {
    const cache = this.load()
    if (!cache.apis[baseURL]) return
    delete cache.apis[baseURL]
    this.save(cache)
  }

  private load(): CacheFile {
    if (this.memory) return this.memory
    let loaded: CacheFile = { version: 1, apis: {} }
    if (this.file) {
      try {
        // Never through a link, never a FIFO: a cache is ours like the state file (and checked after each create, see mint.ts).
        const parsed = CacheFileSchema.safeParse(JSON.parse(readPrivateFile(this.file, 1024 * 1024)))
        if (parsed.success) loaded = parsed.data
      } catch {
        // Missing or unreadable: start empty, the API is asked again.
      }
    }
    this.memory = loaded
    return loaded
  }

  private save(cache: CacheFile): void {
    this.memory = cache
    if (!this.file) return
    try {
      writeFileAtomic(this.file, `${JSON.stringify(cache)}\n`)
    } catch {
      // A cache that cannot be written only costs a lookup next time.
    }
  }
}

// ----- the client -----

/** Options of {@link CloudflareClient.create}. */
export interface CloudflareClientOptions {
  /** The minting credential's secret. */
  apiToken: string
  /** Whether the minting credential (and so every token it mints) is user- or account-owned. */
  owner: TokenOwnerKind
  /** Required for account-owned credentials; the account whose tokens they manage. */
  accountId?: string | null
  /** Defaults to {@link apiBaseUrl}(). */
  baseURL?: string
  timeoutMs?: number
  /** Shared by every client of a process so the budget and 429 pauses are process-wide. */
  gate?: RequestGate
  permissionGroups?: PermissionGroupCache
}

/** Loads the SDK (once); exported so long-running processes can warm it up off the critical path. */
export function loadCloudflareSdk(): Promise<CloudflareModule> {
  return lazyLoad<CloudflareModule>('cloudflare', () => import('cloudflare'))
}

/** {@link TokenApi} over the `cloudflare` SDK, for one minting credential. */
export class CloudflareClient implements TokenApi {
  readonly accountId: string | null
  readonly baseURL: string
  readonly gate: RequestGate
  private readonly permissionGroupCache: PermissionGroupCache
  private readonly inMemoryGroups = new Map<string, string>()

  private constructor(
    private readonly sdkModule: CloudflareModule,
    private readonly sdk: CloudflareSdk,
    readonly owner: TokenOwnerKind,
    options: CloudflareClientOptions,
    baseURL: string,
  ) {
    this.accountId = options.accountId ?? null
    this.baseURL = baseURL
    this.gate = options.gate ?? new RequestGate()
    this.permissionGroupCache = options.permissionGroups ?? new PermissionGroupCache(null)
  }

  /** Loads the SDK and builds a client for one minting credential. */
  static async create(options: CloudflareClientOptions): Promise<CloudflareClient> {
    if (options.owner === 'account' && !options.accountId) {
      throw new CloudflareApiError('bad-request', 'an account-owned credential needs its account id (--account ID).')
    }
    const baseURL = options.baseURL ?? apiBaseUrl()
    const warning = checkApiBaseUrl(baseURL)
    if (warning) warnApiBase(warning, baseURL)
    const sdkModule = await loadCloudflareSdk()
    const sdk = new sdkModule.Cloudflare({
      apiToken: options.apiToken,
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      // The SDK logs request details at CLOUDFLARE_LOG=debug; cfwrap's output must stay secret-free.
      logLevel: 'off',
    })
    holdSecret(options.apiToken)
    return new CloudflareClient(sdkModule, sdk, options.owner, options, baseURL)
  }

  private get account(): string {
    return this.accountId as string
  }

  /** Runs one SDK request through the gate and maps its failure. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    // The answer is told to the gate inside the slot, before it is released: a 429 must pause the
    // gate before the next waiting request is let through.
    return this.gate.run(async () => {
      try {
        const answer = await request()
        this.gate.answered()
        return answer
      } catch (error) {
        const mapped = mapSdkError(this.sdkModule, error, what, this.baseURL)
        if (mapped.kind === 'rate-limited') this.gate.pause(mapped.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)
        // Any other HTTP answer (a 404, a 5xx) also says the rate limit has passed.
        else if (mapped.details.status !== undefined) this.gate.answered()
        throw mapped
      }
    })
  }

  /** Checks the credential itself, at the verify endpoint that matches its owner. */
  async verify(): Promise<{ id: string; status: string; expiresOn: string | null }> {
    const result = await this.call('verifying the credential', () =>
      this.owner === 'user' ? this.sdk.user.tokens.verify() : this.sdk.accounts.tokens.verify({ account_id: this.account }),
    )
    const parsed = parseAnswer(VerifySchema, result, 'verify')
    return { id: parsed.id, status: parsed.status, expiresOn: parsed.expires_on ?? null }
  }

  /**
   * Ids of the accounts this credential can name a default for: the accounts it can see, else the
   * user's memberships. Either may be refused to a token that only manages tokens: then none.
   */
  async accountIds(): Promise<string[]> {
    const IdList = z.array(z.object({ id: z.string() }))
    const MembershipList = z.array(z.object({ account: z.object({ id: z.string() }) }))
    try {
      const page = await this.call('listing accounts', () => this.sdk.accounts.list({ per_page: 50 }))
      const ids = IdList.safeParse(page.result)
      if (ids.success && ids.data.length > 0) return ids.data.map((account) => account.id)
    } catch {
      // No account read permission: try the memberships.
    }
    try {
      const page = await this.call('listing memberships', () => this.sdk.memberships.list({ per_page: 50 }))
      const memberships = MembershipList.safeParse(page.result)
      return memberships.success ? memberships.data.map((membership) => membership.account.id) : []
    } catch {
      return []
    }
  }

  /** Names of the permission groups token `id` holds in allow policies; null when Cloudflare does not say. */
  async allowedPermissionNames(id: string): Promise<string[] | null> {
    const result = await this.call('reading the credential\'s permissions', () =>
      this.owner === 'user' ? this.sdk.user.tokens.get(id) : this.sdk.accounts.tokens.get(id, { account_id: this.account }),
    )
    const parsed = parseAnswer(TokenPoliciesSchema, result, 'reading a token')
    if (!parsed.policies) return null
    const names = parsed.policies.filter((policy) => policy.effect === 'allow').flatMap((policy) => policy.permission_groups.map((group) => group.name ?? ''))
    return names.some((name) => name === '') ? null : names
  }

  /** Permission groups visible to the credential, optionally filtered by name and scope. */
  async listPermissionGroups(filter: { name?: string; scope?: string } = {}): Promise<PermissionGroupInfo[]> {
    const query = { ...(filter.name ? { name: filter.name } : {}), ...(filter.scope ? { scope: filter.scope } : {}) }
    const page = await this.call('listing permission groups', () =>
      this.owner === 'user'
        ? this.sdk.user.tokens.permissionGroups.list(query)
        : this.sdk.accounts.tokens.permissionGroups.list({ account_id: this.account, ...query }),
    )
    const groups = parseAnswer(z.array(PermissionGroupSchema), page.result, 'listing permission groups')
    return groups.map((group) => ({ id: group.id, name: group.name, scopes: group.scopes ?? [] }))
  }

  /**
   * Permission-group ids for `permissions`, keyed by `permissionGroupKey(name, scope)`. Names repeat
   * across scopes ("Logs Read"), so each is looked up by name AND scope; results are cached in memory
   * and in the cache file. A name Cloudflare does not know is simply absent from the map
   * (`buildPolicies` then says which one).
   */
  async resolvePermissionGroups(permissions: readonly PermissionRef[]): Promise<Map<string, string>> {
    const resolved = new Map<string, string>()
    const missing: PermissionRef[] = []
    for (const permission of permissions) {
      const key = permissionGroupKey(permission.name, permission.scope)
      const id = this.inMemoryGroups.get(key) ?? this.permissionGroupCache.get(this.baseURL, permission.name, permission.scope)
      if (id) resolved.set(key, id)
      else missing.push(permission)
    }
    const found = new Map<string, string>()
    await Promise.all(
      missing.map(async (permission) => {
        const groups = await this.listPermissionGroups({ name: permission.name, scope: permission.scope })
        // Filter again: the API's filters are a convenience, the exact match is what must hold.
        const match = groups.find((group) => group.name === permission.name && group.scopes.includes(permission.scope))
        if (match) found.set(permissionGroupKey(permission.name, permission.scope), match.id)
      }),
    )
    if (found.size > 0) this.permissionGroupCache.set(this.baseURL, found)
    for (const [key, id] of found) resolved.set(key, id)
    for (const [key, id] of resolved) this.inMemoryGroups.set(key, id)
    return resolved
  }

  /** Drops cached permission-group ids, e.g. after Cloudflare refused one as unknown. */
  forgetPermissionGroups(): void {
    this.inMemoryGroups.clear()
    this.permissionGroupCache.invalidate(this.baseURL)
  }

  /** Creates a token; exactly one request, never retried here (a retried create can mint a duplicate). */
  async createToken(input: { name: string; policies: Policy[]; expiresOn: string | null }): Promise<CreatedToken> {
    const body = {
      name: input.name,
      policies: input.policies,
      ...(input.expiresOn ? { expires_on: input.expiresOn } : {}),
    }
    const result = await this.call(`creating token ${input.name}`, () =>
      this.owner === 'user' ? this.sdk.user.tokens.create(body) : this.sdk.accounts.tokens.create({ account_id: this.account, ...body }),
    )
    const parsed = parseAnswer(CreatedTokenSchema, result, `creating token ${input.name}`)
    const toGranted = (policies: NonNullable<typeof parsed.policies>) =>
      policies.filter((policy) => policy.effect === 'allow').flatMap((policy) => policy.permission_groups.map((group) => ({ id: group.id, name: group.name || null })))
    let granted = parsed.policies ? toGranted(parsed.policies) : null
    if (granted === null) {
      // The answer did not say what the token holds: ask (the mint checks it before storing the secret).
      const read = await this.call(`reading token ${input.name}`, () =>
        this.owner === 'user' ? this.sdk.user.tokens.get(parsed.id) : this.sdk.accounts.tokens.get(parsed.id, { account_id: this.account }),
      ).catch(() => null)
      const policies = read ? TokenPoliciesSchema.safeParse(read) : null
      granted = policies?.success && policies.data.policies ? toGranted(policies.data.policies) : []
    }
    return { ...toTokenInfo(parsed), value: parsed.value, granted }
  }

  /** Deletes token `id`; a 404 means it is already gone, which is what was wanted. */
  async deleteToken(id: string): Promise<'deleted' | 'not-found'> {
    try {
      await this.call(`deleting token ${id}`, () =>
        this.owner === 'user' ? this.sdk.user.tokens.delete(id) : this.sdk.accounts.tokens.delete(id, { account_id: this.account }),
      )
      return 'deleted'
    } catch (error) {
      if (error instanceof CloudflareApiError && error.kind === 'not-found') return 'not-found'
      throw error
    }
  }

  /**
   * Every token of the owner, expired ones included (they count against the quota until deleted).
   * Pages are fetched one by one, stopping at the last page by `result_info` rather than asking
   * for an empty page past the end as the SDK's iterator does.
   */
  async listTokens(): Promise<ApiTokenInfo[]> {
    const tokens: ApiTokenInfo[] = []
    for (let page = 1; ; page++) {
      const query = { page, per_page: LIST_PAGE_SIZE, include_expired: true }
      const answer = await this.call('listing tokens', () =>
        this.owner === 'user' ? this.sdk.user.tokens.list(query) : this.sdk.accounts.tokens.list({ account_id: this.account, ...query }),
      )
      const items = parseAnswer(z.array(ApiTokenSchema), answer.result, 'listing tokens')
      const info = ResultInfoSchema.safeParse(answer.result_info)
      tokens.push(...items.map(toTokenInfo))
      const totalPages = info.success ? info.data.total_pages : undefined
      const totalCount = info.success ? info.data.total_count : undefined
      if (items.length < LIST_PAGE_SIZE) break
      if (totalPages !== undefined && page >= totalPages) break
      if (totalCount !== undefined && tokens.length >= totalCount) break
    }
    return tokens
  }
}
