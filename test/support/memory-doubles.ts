// In-memory doubles for unit tests that drive the reaper (and what it calls) with a manual clock:
// a vault, a keychain, a token API and the timers. Everything answers through promises only, so
// `settle()` lets every piece of work that is not waiting for the clock finish, deterministically.
// The real-parts suites (test/integration) cover the same code over files, the keychain and HTTP.
import type { State, TokenRecord } from '../../shared/common/state'
import { CloudflareApiError, type ApiTokenInfo, type CreatedToken, type TokenApi } from '../../shared/node/cloudflare'
import type { SecretStore } from '../../shared/node/keychain'
import type { ReaperTimers, ReaperVault } from '../../shared/node/reaper'
import type { RequestGate } from '../../shared/node/request-gate'
import { dropRecord } from '../../shared/node/vault'

/** Lets every promise chain that is not waiting for a timer run to its end. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Timers and a clock that move only when told to (`advance`). */
export class ManualClock implements ReaperTimers {
  private time: number
  private nextId = 1
  private readonly timers = new Map<number, { at: number; callback: () => void; every: number | null }>()

  constructor(start = Date.parse('2026-12-01T09:00:00Z')) {
    this.time = start
  }

  readonly now = (): number => this.time

  setTimeout = (callback: () => void, ms: number): unknown => this.add(callback, ms, null)
  clearTimeout = (handle: unknown): void => void this.timers.delete(handle as number)
  setInterval = (callback: () => void, ms: number): unknown => this.add(callback, ms, ms)
  clearInterval = (handle: unknown): void => void this.timers.delete(handle as number)

  /** Moves the clock forward `ms`, firing each timer at its time in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    for (;;) {
      await settle()
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      const [id, timer] = due
      this.time = Math.max(this.time, timer.at)
      if (timer.every === null) this.timers.delete(id)
      else timer.at += Math.max(1, timer.every)
      timer.callback()
    }
    this.time = end
    await settle()
  }

  private add(callback: () => void, ms: number, every: number | null): number {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback, every })
    return id
  }
}

/** A keychain in a Map. */
export class MemorySecrets implements SecretStore {
  readonly items = new Map<string, string>()
  async get(account: string): Promise<string | null> {
    return this.items.get(account) ?? null
  }
  async set(account: string, secret: string): Promise<void> {
    this.items.set(account, secret)
  }
  async delete(account: string): Promise<boolean> {
    return this.items.delete(account)
  }
}

/** The part of the vault the reaper uses, over a state object in memory. */
export class MemoryVault implements ReaperVault {
  state: State = { version: 1, tokens: [], bindings: {} }
  readonly secrets = new MemorySecrets()
  writes = 0

  keychainAccount(name: string): string {
    return `test:${name}`
  }
  async readState(): Promise<State> {
    return structuredClone(this.state)
  }
  async update<T>(change: (state: State) => T | Promise<T>): Promise<T> {
    const next = structuredClone(this.state)
    const result = await change(next)
    this.state = next
    this.writes++
    return result
  }
  async forget(name: string, options: { tokenId?: string | null; onlyIf?: (record: TokenRecord) => boolean } = {}): Promise<boolean> {
    await this.secrets.delete(this.keychainAccount(name))
    return this.update((state) => {
      const record = state.tokens.find((t) => t.name === name && (options.tokenId === undefined || t.tokenId === options.tokenId) && (options.onlyIf?.(t) ?? true))
      return record ? dropRecord(state, name, record.tokenId) : false
    })
  }
  async patch(name: string, patch: Partial<TokenRecord>, tokenId?: string | null): Promise<boolean> {
    return this.update((state) => {
      const record = state.tokens.find((t) => t.name === name && (tokenId === undefined || t.tokenId === tokenId))
      if (record) Object.assign(record, patch)
      return Boolean(record)
    })
  }
  onDidChange(): () => void {
    return () => undefined
  }
  onProblem(): () => void {
    return () => undefined
  }
  problems(): [] {
    return []
  }

  /** Stores an active minted token with the given deadline (and its secret). */
  seed(name: string, tokenId: string, expiresAt: number | null, now: number): TokenRecord {
    const record: TokenRecord = {
      name,
      tokenId,
      accountId: 'a'.repeat(32),
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      template: 'workers-deploy',
      fingerprint: '0123456789ab',
      createdAt: new Date(now).toISOString(),
      source: 'minted',
      role: 'command',
      temporary: expiresAt !== null,
      status: 'active',
      owner: 'user',
    }
    this.state.tokens.push(record)
    void this.secrets.set(this.keychainAccount(name), `secret-of-${name}`)
    return record
  }
}

/** How the memory API answers a delete: normally, with a 429 (retry-after seconds), or with a 5xx. */
export type DeleteAnswer = 'ok' | { rateLimited: number } | 'server-error'

/**
 * Cloudflare's token endpoints in memory. `answer` decides each delete; every request goes through
 * `gate` when one is given, the way `CloudflareClient` sends it (a 429 pauses the gate, any other
 * answer tells it the rate limit has passed).
 */
export class MemoryTokenApi implements TokenApi {
  readonly owner = 'user' as const
  readonly accountId = null
  readonly tokens = new Map<string, ApiTokenInfo>()
  /** Every request: what it was, when (by the clock) and how it was answered. */
  readonly requests: { op: 'delete' | 'list'; id?: string; at: number; status: number }[] = []
  answer: (id: string) => DeleteAnswer = () => 'ok'

  constructor(
    private readonly now: () => number,
    private readonly gate?: RequestGate,
  ) {}

  async verify(): Promise<{ id: string; status: string; expiresOn: string | null }> {
    return { id: 'minting', status: 'active', expiresOn: null }
  }
  async createToken(): Promise<CreatedToken> {
    throw new Error('not used by these tests')
  }
  async resolvePermissionGroups(): Promise<Map<string, string>> {
    return new Map()
  }
  deleteToken(id: string): Promise<'deleted' | 'not-found'> {
    return this.send(async () => {
      const answer = this.answer(id)
      if (answer === 'server-error') {
        this.requests.push({ op: 'delete', id, at: this.now(), status: 500 })
        throw new CloudflareApiError('server', 'Cloudflare had an internal error (HTTP 500).', { status: 500 })
      }
      if (answer !== 'ok') {
        this.requests.push({ op: 'delete', id, at: this.now(), status: 429 })
        throw new CloudflareApiError('rate-limited', 'Cloudflare is rate limiting.', { status: 429, retryAfterSeconds: answer.rateLimited })
      }
      this.requests.push({ op: 'delete', id, at: this.now(), status: 200 })
      return this.tokens.delete(id) ? 'deleted' : 'not-found'
    })
  }
  listTokens(): Promise<ApiTokenInfo[]> {
    return this.send(async () => {
      this.requests.push({ op: 'list', at: this.now(), status: 200 })
      return [...this.tokens.values()]
    })
  }

  /** Adds a live token, as if cfwrap had minted it. */
  add(id: string, name: string, expiresAt: number | null): void {
    this.tokens.set(id, { id, name, status: 'active', expiresOn: expiresAt === null ? null : new Date(expiresAt).toISOString(), issuedOn: null })
  }

  private send<T>(work: () => Promise<T>): Promise<T> {
    if (!this.gate) return work()
    const gate = this.gate
    return gate.run(async () => {
      try {
        const value = await work()
        gate.answered()
        return value
      } catch (error) {
        if (error instanceof CloudflareApiError && error.kind === 'rate-limited') gate.pause(error.retryAfterSeconds ?? 60)
        else gate.answered()
        throw error
      }
    })
  }
}
