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
import * as z from 'zod/mini'
import { permissionGroupKey, type Policy } from '../../common/policy'
import { holdSecret } from '../../common/redact'
import type { PermissionRef } from '../../common/templates'
import { lazyLoad } from '../lazy-load'
import { RequestGate } from '../request-gate'
import { DEFAULT_REQUEST_TIMEOUT_MS, LIST_PAGE_SIZE, apiBaseUrl, checkApiBaseUrl, warnApiBase, type ApiTokenInfo, type CreatedToken, type PermissionGroupInfo, type TokenApi, type TokenOwnerKind } from './api'
import { CloudflareApiError, DEFAULT_RETRY_AFTER_SECONDS, mapSdkError } from './errors'
import { PermissionGroupCache } from './permission-groups'
import { ApiTokenSchema, CreatedTokenSchema, PermissionGroupSchema, ResultInfoSchema, TokenPoliciesSchema, VerifySchema, parseAnswer, toTokenInfo } from './schemas'

type CloudflareModule = typeof import('cloudflare')
type CloudflareSdk = InstanceType<CloudflareModule['Cloudflare']>


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
  return lazyLoad<CloudflareModule>('cloudflare')
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

  /** Rolls token `id`: Cloudflare issues a new secret and the old one stops working at once. */
  async rollToken(id: string): Promise<string> {
    const answer = await this.call(`rolling token ${id}`, () =>
      this.owner === 'user' ? this.sdk.user.tokens.value.update(id) : this.sdk.accounts.tokens.value.update(id, { account_id: this.account }),
    )
    const value = parseAnswer(z.string().check(z.minLength(1)), answer, `rolling token ${id}`)
    holdSecret(value)
    return value
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
