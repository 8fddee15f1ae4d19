/**
 * A fake of the Cloudflare API v4, served over real HTTP on 127.0.0.1, for tests and for use by hand
 * (`npm run fake-api`). It covers the token endpoints (user- and account-owned), `/user`, `/memberships`
 * and `/accounts`, which is everything `wrangler whoami` and wrangler's account-id lookup call.
 *
 * Shapes follow Cloudflare's OpenAPI description (`/work/shared/reference/cloudflare-tokens-openapi.json`)
 * and the facts in `cloudflare.md`. Where the real API is not pinned down, the choice made here is
 * written next to the code and listed in `ErrorCode`.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { AddressInfo, Socket, isIP } from 'node:net'
import { API_BASE_PATH, ErrorCode, PERMISSION_GROUPS_BY_ID, PERMISSION_GROUP_CATALOG, PermissionGroup, PermissionScope, findPermissionGroup } from './catalog'
import { FaultAction, FaultRule, edgeErrorPage } from './faults'
import { AccountRecord, ApiAnswer, ApiError, DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_NAME, DEFAULT_USER_EMAIL, DEFAULT_USER_ID, FIVE_MINUTES_MS, HEX32, MAX_BODY_BYTES, OwnerRef, Principal, StoredPolicy, StoredToken, UserRecord, failureAnswer, isoSeconds, ok, randomHex32, toMs } from './model'
import { RollingRateLimiter, WindowCounter } from './rate-limit'
import { CreateTokenBody, PolicyInput, ipMatches, toBlockList } from './request-schemas'
import { ClassifiedResource, classifyResource } from './resources'
import { accountRoutes } from './routes/accounts'
import { tokenRoutes, verifyResult } from './routes/tokens'
import { Route, compilePath } from './routing'
import { SecretPrefix, makeTokenSecret } from './secrets'
import { FakeAccount, FakeCloudflare, FakeCloudflareFaults, FakeCloudflareOptions, FakeCloudflareStats, FakeToken, FakeUser, FaultScope, RecordedCredential, RecordedRequest, ResourceMap, SeedTokenOptions, SeededPermission, TokenCondition, TokenOwner, TokenPolicyView, TokenStatus } from './types'

/** Where a token operation applies: a user's or an account's tokens. */
export interface TokenCollection {
  owner: OwnerRef
  quota: number
  secretPrefix: SecretPrefix
}

export type AccessLevel = 'read' | 'write'

export const USER_TOKEN_GROUPS: Record<AccessLevel, string[]> = {
  read: ['API Tokens Write', 'API Tokens Read'],
  write: ['API Tokens Write'],
}
export const ACCOUNT_TOKEN_GROUPS: Record<AccessLevel, string[]> = {
  read: ['Account API Tokens Write', 'Account API Tokens Read'],
  write: ['Account API Tokens Write'],
}

export function groupIds(names: readonly string[], scope: PermissionScope): Set<string> {
  return new Set(names.map((name) => findPermissionGroup(name, scope)?.id).filter((id): id is string => id !== undefined))
}

export class FakeCloudflareServer implements FakeCloudflare {
  readonly requests: RecordedRequest[] = []
  readonly user: FakeUser
  readonly account: FakeAccount
  readonly faults: FakeCloudflareFaults
  url = ''
  port = 0

  readonly server: http.Server
  readonly sockets = new Set<Socket>()
  readonly clock: () => number
  readonly users = new Map<string, UserRecord>()
  readonly accounts = new Map<string, AccountRecord>()
  readonly tokens = new Map<string, StoredToken>()
  readonly tokenIdsBySecret = new Map<string, string>()
  readonly routes: Route[]
  readonly rateLimiter: RollingRateLimiter | null
  readonly windowCounter: WindowCounter
  readonly faultRules: FaultRule[] = []
  downMode: 'refuse' | 'drop' | null = null
  closed = false
  rateLimitedResponses = 0
  tokenSequence = 0

  constructor(readonly options: FakeCloudflareOptions) {
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

  resolveOwner(owner: TokenOwner): OwnerRef {
    if (owner === 'user') return { kind: 'user', userId: this.user.id }
    if ('user' in owner) return { kind: 'user', userId: this.requireUser(owner.user).id }
    return { kind: 'account', accountId: this.requireAccount(owner.account).id }
  }

  resolveSeedPermission(permission: SeededPermission): PermissionGroup {
    const candidates = PERMISSION_GROUP_CATALOG.filter(
      (group) => group.name === permission.name && (permission.scope === undefined || group.scopes.includes(permission.scope)),
    )
    if (candidates.length === 0) throw new Error(`seedToken: no permission group "${permission.name}"${permission.scope ? ` in ${permission.scope}` : ''}`)
    const [only, ...others] = candidates
    if (!only || others.length > 0) throw new Error(`seedToken: "${permission.name}" exists in several scopes; pass scope`)
    return only
  }

  defaultResources(scope: PermissionScope, userId: string, accountId: string, name: string): ResourceMap {
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

  requireUser(id: string): UserRecord {
    const user = this.users.get(id)
    if (!user) throw new Error(`unknown user ${id}`)
    return user
  }

  requireAccount(id: string): AccountRecord {
    const account = this.accounts.get(id)
    if (!account) throw new Error(`unknown account ${id}`)
    return account
  }

  // ----- token model -----

  statusOf(token: StoredToken): TokenStatus {
    if (token.expiresOn !== null && this.clock() >= token.expiresOn) return 'expired'
    return token.disabled ? 'disabled' : 'active'
  }

  policyViews(token: StoredToken): TokenPolicyView[] {
    return token.policies.map((policy) => ({
      id: policy.id,
      effect: policy.effect,
      resources: structuredClone(policy.resources),
      permission_groups: policy.permissionGroupIds.map((id) => ({ id, name: PERMISSION_GROUPS_BY_ID.get(id)?.name ?? '' })),
    }))
  }

  // What the API returns: optional timestamps are omitted when unset, the secret never appears.
  apiView(token: StoredToken): Record<string, unknown> {
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

  serverView(token: StoredToken): FakeToken {
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

  ownerMatches(token: StoredToken, owner: OwnerRef): boolean {
    return owner.kind === 'user'
      ? token.owner.kind === 'user' && token.owner.userId === owner.userId
      : token.owner.kind === 'account' && token.owner.accountId === owner.accountId
  }

  tokensOf(owner: OwnerRef): StoredToken[] {
    return [...this.tokens.values()].filter((token) => this.ownerMatches(token, owner)).sort((a, b) => a.sequence - b.sequence)
  }

  accountsOfUser(userId: string): AccountRecord[] {
    return [...this.accounts.values()].filter((account) => account.memberUserIds.has(userId))
  }

  /** Checks a policy list against the owner and the catalog; throws a 400 ApiError on the first problem. */
  buildPolicies(owner: OwnerRef, inputs: readonly PolicyInput[]): StoredPolicy[] {
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

  checkResourceOwnership(owner: OwnerRef, resource: ClassifiedResource, where: string): void {
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

  parseTimes(body: { not_before?: string | null; expires_on?: string | null }): { notBefore: number | null; expiresOn: number | null } {
    const notBefore = body.not_before == null ? null : toMs(body.not_before)
    const expiresOn = body.expires_on == null ? null : toMs(body.expires_on)
    if (notBefore !== null && expiresOn !== null && expiresOn <= notBefore) {
      throw new ApiError(400, ErrorCode.invalidRequest, 'expires_on: must be after not_before')
    }
    return { notBefore, expiresOn }
  }

  checkCondition(condition: TokenCondition | null | undefined): TokenCondition {
    if (!condition?.request_ip) return {}
    toBlockList(condition.request_ip.in ?? [], 'condition.request_ip.in')
    toBlockList(condition.request_ip.not_in ?? [], 'condition.request_ip.not_in')
    return structuredClone(condition)
  }

  storeNewToken(
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
  tokenGrants(token: StoredToken, acceptable: Set<string>, covers: (key: string, value: string | Record<string, string>) => boolean): boolean {
    const applies = (policy: StoredPolicy): boolean =>
      policy.permissionGroupIds.some((id) => acceptable.has(id)) && Object.entries(policy.resources).some(([key, value]) => covers(key, value))
    // Explicit deny, then explicit allow, then implicit deny.
    if (token.policies.some((policy) => policy.effect === 'deny' && applies(policy))) return false
    return token.policies.some((policy) => policy.effect === 'allow' && applies(policy))
  }

  grantsOnUser(token: StoredToken, userId: string, groupNames: readonly string[]): boolean {
    return this.tokenGrants(
      token,
      groupIds(groupNames, PermissionScope.user),
      (key, value) => value === '*' && (key === `com.cloudflare.api.user.${userId}` || key === 'com.cloudflare.api.user.*'),
    )
  }

  grantsOnAccount(token: StoredToken, accountId: string, groupNames: readonly string[]): boolean {
    return this.tokenGrants(
      token,
      groupIds(groupNames, PermissionScope.account),
      (key, value) => value === '*' && (key === `com.cloudflare.api.account.${accountId}` || key === 'com.cloudflare.api.account.*'),
    )
  }

  /** The user behind a principal, or null for an account-owned token. */
  userOf(principal: Principal): UserRecord | null {
    if (principal.kind === 'global-key') return principal.user
    const owner = principal.token.owner
    return owner.kind === 'user' ? (this.users.get(owner.userId) ?? null) : null
  }

  /** For user endpoints: the caller's user if it may use the given user-scope permission groups. */
  requireUserPermission(principal: Principal, groupNames: readonly string[]): UserRecord {
    const user = this.userOf(principal)
    const allowed = user !== null && (principal.kind === 'global-key' || this.grantsOnUser(principal.token, user.id, groupNames))
    if (!allowed) throw new ApiError(403, ErrorCode.unauthorized, 'Unauthorized to access requested resource')
    return user
  }

  /** For `/accounts/:id/...` token endpoints: the account if the caller may manage its tokens. */
  requireAccountTokenPermission(principal: Principal, accountId: string, access: AccessLevel): AccountRecord {
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
  visibleAccounts(principal: Principal): AccountRecord[] {
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

  /** The routes of every endpoint family, fixed segments first. */
  buildRoutes(): Route[] {
    return [...tokenRoutes(this), ...accountRoutes(this)].map(({ method, template, handle }) => ({ method, ...compilePath(template), handle }))
  }
















  // ----- authentication -----

  /**
   * The caller, or the error to answer. An expired or disabled but otherwise known token comes back
   * with the error so that verify can answer `status: "expired"` when so configured.
   */
  authenticate(req: http.IncomingMessage, clientIp: string): { principal: Principal } | { error: ApiError; token?: StoredToken } {
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

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
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

  finish(record: RecordedRequest): void {
    this.options.onRequest?.(record)
  }

  dispatch(req: http.IncomingMessage, method: string, apiPath: string | null, query: URLSearchParams, bodyText: string): ApiAnswer {
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
  expiredVerifyAnswer(token: StoredToken | undefined, path: string, params: Record<string, string>): ApiAnswer | null {
    if (!token || this.options.expiredVerifyStyle !== 'status') return null
    const isOwnVerify =
      (path === '/user/tokens/verify' && token.owner.kind === 'user') ||
      (path === `/accounts/${params.account_id ?? ''}/tokens/verify` && token.owner.kind === 'account' && token.owner.accountId === params.account_id)
    return isOwnVerify ? ok(verifyResult(this, token)) : null
  }

  // Cloudflare limits per user across all credentials; account-owned tokens have no user, so they
  // share a bucket per account.
  rateLimitKey(principal: Principal): string {
    if (principal.kind === 'global-key') return `user:${principal.user.id}`
    const owner = principal.token.owner
    return owner.kind === 'user' ? `user:${owner.userId}` : `account:${owner.accountId}`
  }

  send(res: http.ServerResponse, answer: ApiAnswer): void {
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

  takeFaults(method: string, path: string): { delayMs: number; deliveryDelayMs: number; terminal: FaultAction | null } {
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

  buildFaults(): FakeCloudflareFaults {
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

export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

export function describeCredential(headers: http.IncomingHttpHeaders): RecordedCredential {
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

export function parseForRecord(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
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
