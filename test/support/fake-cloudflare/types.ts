// What the tests see of the fake: its options, fault controls, recorded requests and seeded objects.
import { PermissionScope } from './catalog'

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
