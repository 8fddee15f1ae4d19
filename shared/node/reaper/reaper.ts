/**
 * The reaper deletes every temporary token at its deadline, on Cloudflare first and then locally
 * (keychain, then state file), and keeps the vault and Cloudflare in agreement.
 *
 * Timing. One timer is armed for the next deadline (clamped to 2^31−1 ms, the most setTimeout
 * takes). Timers are not trusted across sleep, so there are also sweeps on start, on `wake()` (the
 * tray app calls it on powerMonitor resume) and every `sweepIntervalMs`; the vault's change check of the state
 * file every second picks up tokens minted by other processes. Every decision compares absolute
 * deadlines with `now()`, which tests replace to jump the clock forward.
 *
 * Failures. A 404 on delete counts as done. Other failures leave the token in the vault with status
 * `delete-failed`, `lastError` and `attempts` (shown by `cfwrap --list`) and an event, and are retried:
 * after `retry-after` for a 429 (the shared {@link RequestGate} also holds back every other request
 * meanwhile), with capped exponential backoff and jitter for 5xx, network and other errors. The local
 * record goes only after Cloudflare has confirmed the deletion.
 *
 * Crash consistency. Deletion order is: mark `deleting` → delete on Cloudflare → `deleted` event (the
 * service's event bus writes its audit line) → delete the
 * keychain secret → remove the record. A crash anywhere leaves a record (with or without its secret)
 * that the next run finishes; never a secret without a record, and never a deletion without its
 * audit line. Reconcile (on start and hourly) lists the credential owner's tokens on Cloudflare
 * (expired ones included) and decides with {@link planReconcile}: it deletes only what this vault
 * recorded or its own crashed mints left behind, plus dead (expired) tokens named like cfwrap's; a
 * live token it does not know is another vault's, the dashboard's or CI's, and is reported as
 * foreign, never deleted (see ownership.ts).
 */
import type { ApiErrorKind, TokenEvent } from '../../common/events'
import { redact } from '../../common/redact'
import type { State, TokenRecord } from '../../common/state'
import { CloudflareApiError, type ApiTokenInfo, type TokenApi } from '../cloudflare'
import { KeychainUnavailableError } from '../keychain'
import { NoMintingCredentialError } from '../minting-credential'
import { GateClosedError } from '../request-gate'
import { isProcessAlive } from '../state-lock'
import { planReconcile, type ForeignToken } from './plan'
import { isMintedRecord, ownerMismatch } from '../token-records'
import type { Vault } from '../vault'
import { retryDelayMs } from './retry'
import { WriteBatcher, type RecordChange } from './write-batcher'

/** The crash-relevant steps of deleting one token, in order. */
export type ReapStep = 'marked-deleting' | 'deleted-on-cloudflare' | 'secret-deleted' | 'record-removed'

/** Timer functions, injectable so tests can drive time. */
export interface ReaperTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  setInterval(callback: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

/** Longest delay `setTimeout` accepts (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1

/** Default intervals and limits of the reaper. */
export const REAPER_DEFAULTS = {
  /** Full sweep even when no timer fired: timers stop or drift during sleep. */
  sweepIntervalMs: 30_000,
  /** Reconcile with Cloudflare this often (and on start). */
  reconcileIntervalMs: 60 * 60 * 1000,
  /** First retry delay after a failed delete; doubles per attempt. */
  retryBaseMs: 1_000,
  /** Cap on the retry delay, so a token is retried at least this often during an outage. */
  retryMaxMs: 60_000,
  /** A `pending` record older than this is cleaned up even if its process seems alive (pid reuse, hung mint). */
  pendingMaxAgeMs: 10 * 60 * 1000,
} as const

/**
 * What the reaper needs of the vault: the state (read and locked update), the keychain, and the
 * change and problem notices. The real {@link Vault} in the product; an in-memory double in the
 * unit tests, which drive the reaper with a manual clock.
 */
export type ReaperVault = Pick<Vault, 'readState' | 'update' | 'forget' | 'patch' | 'secrets' | 'keychainAccount' | 'onDidChange' | 'onProblem' | 'problems'>

/** Options of {@link Reaper}. */
export interface ReaperOptions {
  vault: ReaperVault
  /** The API client of the current minting credential; may throw {@link NoMintingCredentialError}. */
  api: () => Promise<TokenApi>
  now?: () => number
  timers?: ReaperTimers
  onEvent?: (event: TokenEvent) => void
  /** Called after each deletion step of each token; a test helper kills its process here. */
  onStep?: (step: ReapStep, name: string) => void
  sweepIntervalMs?: number
  reconcileIntervalMs?: number
  retryBaseMs?: number
  retryMaxMs?: number
  pendingMaxAgeMs?: number
  /** Whether a pid is a running process (default: `process.kill(pid, 0)`). */
  isProcessAlive?: (pid: number) => boolean
  /** Random source for retry jitter (tests can make it fixed). */
  random?: () => number
}

/** Outcome of one sweep. */
export interface SweepResult {
  deleted: number
  failed: number
}

/** Outcome of one reconcile. */
export interface ReconcileResult {
  ok: boolean
  seen: number
  orphansDeleted: number
  missing: number
  pendingDropped: number
  failed: number
  /** Live tokens on Cloudflare this vault did not record: reported, never deleted. */
  foreign: ForeignToken[]
}

interface RetryState {
  attempts: number
  nextAt: number
  /** The last failure was a 429: a success elsewhere does not cut this wait short. */
  rateLimited: boolean
}

const REAL_TIMERS: ReaperTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
}

/** The event kind of any failure: API kinds as they are, a missing credential, or a local (keychain/file) problem. */
export function errorKindOf(error: unknown): ApiErrorKind {
  if (error instanceof CloudflareApiError) return error.kind
  if (error instanceof NoMintingCredentialError) return 'no-credential'
  if (error instanceof KeychainUnavailableError) return 'keychain'
  return 'local'
}

/** An error's message for events and the audit log, with any secret this process holds redacted. */
function messageOf(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error))
}

function retryKey(record: { name: string; tokenId: string | null }): string {
  return `${record.name}|${record.tokenId ?? ''}`
}

/** Deletes temporary tokens at their deadlines and reconciles the vault with Cloudflare. */
export class Reaper {
  private readonly vault: ReaperVault
  private readonly api: () => Promise<TokenApi>
  private readonly now: () => number
  private readonly timers: ReaperTimers
  private readonly options: ReaperOptions
  private readonly retries = new Map<string, RetryState>()
  private readonly inFlight = new Set<string>()
  private readonly writes: WriteBatcher
  private scanRunning: Promise<Promise<boolean>[]> | null = null
  private scanAgain = false
  /** Deletions under way, so `stop()` can wait for them. */
  private readonly deletions = new Set<Promise<boolean>>()
  private reconcileRunning: Promise<ReconcileResult> | null = null
  private deadlineTimer: unknown = null
  private intervals: unknown[] = []
  private lastReconcileAt = -Infinity
  private lastReconcileError: { message: string; at: number } | null = null
  private lastForeignKey = ''
  private readonly reportedDamage = new Set<string>()
  private resolveFirstSweep: (done: Promise<void>) => void = () => undefined
  private readonly firstSweep = new Promise<void>((resolve) => {
    this.resolveFirstSweep = (done) => void done.then(resolve)
  })
  private unsubscribeProblems: (() => void) | null = null
  private unsubscribeChanges: (() => void) | null = null
  private started = false
  private stopped = false

  constructor(options: ReaperOptions) {
    this.options = options
    this.vault = options.vault
    this.api = options.api
    this.now = options.now ?? Date.now
    this.timers = options.timers ?? REAL_TIMERS
    this.writes = new WriteBatcher(options.vault)
  }

  /**
   * Resolves once the first sweep's deletions have finished, or after `maxWaitMs`, whichever comes
   * first (a 429 pause can hold them for minutes). The daemon starts the leak watcher after it, so
   * the watcher's first scan never competes with deleting what is overdue.
   */
  firstSweepDone(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs)
      void this.firstSweep.then(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** First sweep and reconcile, then the timers. Resolves when the first pass is done. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.unsubscribeProblems = this.vault.onProblem((problem) => this.emit({ type: 'state-problem', time: this.isoNow(), ...problem }))
    // Another process changed the state (e.g. a `cfwrap --mint` in a terminal): sweep, so its deadline is armed.
    this.unsubscribeChanges = this.vault.onDidChange(() => {
      if (!this.stopped) void this.sweep()
    })
    this.intervals.push(this.timers.setInterval(() => this.periodic(), this.options.sweepIntervalMs ?? REAPER_DEFAULTS.sweepIntervalMs))
    const sweep = this.sweep()
    this.resolveFirstSweep(sweep.then(() => undefined, () => undefined))
    await Promise.all([sweep, this.reconcile()])
    this.reportDamage()
  }

  /**
   * Keeps saying that a damaged state file waits for the person (every periodic sweep, audited once
   * per file): tokens recorded only in that copy are not reaped until it is repaired.
   */
  private reportDamage(): void {
    for (const problem of this.vault.problems()) {
      if (problem.kind !== 'damaged') continue
      const first = !this.reportedDamage.has(problem.file)
      this.reportedDamage.add(problem.file)
      this.emit({ type: 'state-problem', time: this.isoNow(), ...problem, ...(first ? {} : { repeat: true }) })
    }
  }

  /**
   * Stops the timers and waits for work under way. Close the request gate first (the daemon does)
   * so that requests waiting out a 429 pause fail at once instead of holding up the stop.
   */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribeProblems?.()
    this.unsubscribeChanges?.()
    if (this.deadlineTimer !== null) this.timers.clearTimeout(this.deadlineTimer)
    this.deadlineTimer = null
    for (const handle of this.intervals) this.timers.clearInterval(handle)
    this.intervals = []
    await Promise.allSettled([this.scanRunning, this.reconcileRunning, ...this.deletions])
    await this.writes.drained()
  }

  /**
   * After sleep or a network change: retry failed deletions now instead of at their backoff time,
   * sweep, and reconcile if the last reconcile is older than the interval.
   */
  wake(): void {
    if (this.stopped) return
    const now = this.now()
    for (const retry of this.retries.values()) retry.nextAt = Math.min(retry.nextAt, now)
    void this.sweep()
    if (now - this.lastReconcileAt >= (this.options.reconcileIntervalMs ?? REAPER_DEFAULTS.reconcileIntervalMs)) void this.reconcile()
  }

  /**
   * Deletes every temporary token past its deadline (and due for a retry) and re-arms the timer;
   * resolves when the deletions this sweep started have finished. Scans are serialized (a call
   * during a scan joins it and causes one more scan), but deletions are not: a slow request for one
   * token never holds up the deadline of the next.
   */
  async sweep(): Promise<SweepResult> {
    const outcomes = await Promise.all(await this.scan())
    const deleted = outcomes.filter((ok) => ok).length
    return { deleted, failed: outcomes.length - deleted }
  }

  private scan(): Promise<Promise<boolean>[]> {
    if (this.scanRunning) {
      this.scanAgain = true
      return this.scanRunning
    }
    const run = (async () => {
      const launched: Promise<boolean>[] = []
      try {
        do {
          this.scanAgain = false
          try {
            launched.push(...(await this.scanOnce()))
          } catch (error) {
            // E.g. an unreadable state file: report it; the periodic sweep tries again.
            launched.push(Promise.resolve(false))
            this.emit({ type: 'sweep-failed', time: this.isoNow(), error: messageOf(error), errorKind: errorKindOf(error) })
          }
        } while (this.scanAgain && !this.stopped)
      } finally {
        this.scanRunning = null
      }
      return launched
    })()
    this.scanRunning = run
    return run
  }

  /**
   * One pass for `cfwrap --reap`: reconcile, then sweep; transient failures that are due again
   * within `maxWaitMs` are retried up to `maxRounds` times. `failed` counts what is still not done.
   */
  async reapOnce(options: { maxRounds?: number; maxWaitMs?: number } = {}): Promise<{ deleted: number; failed: number; reconcile: ReconcileResult }> {
    const reconcile = await this.reconcile()
    let deleted = 0
    let failed = 0
    const maxRounds = options.maxRounds ?? 3
    for (let round = 0; round < maxRounds; round++) {
      const result = await this.sweep()
      deleted += result.deleted
      failed = result.failed
      if (failed === 0) break
      const nextAt = Math.min(...[...this.retries.values()].map((retry) => retry.nextAt))
      const wait = nextAt - this.now()
      if (round === maxRounds - 1 || wait > (options.maxWaitMs ?? 10_000)) break
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, Math.max(wait, 0)))
    }
    return { deleted, failed, reconcile }
  }

  // ----- sweeping -----

  /** Finds what is due, marks it `deleting` and starts its deletion; returns the started deletions. */
  private async scanOnce(): Promise<Promise<boolean>[]> {
    const state = await this.vault.readState()
    const now = this.now()
    const due = state.tokens.filter(
      (record) =>
        isMintedRecord(record) &&
        record.temporary &&
        record.status !== 'pending' &&
        record.expiresAt !== null &&
        Date.parse(record.expiresAt) <= now &&
        !this.inFlight.has(retryKey(record)) &&
        (this.retries.get(retryKey(record))?.nextAt ?? -Infinity) <= now,
    )
    const launched: Promise<boolean>[] = []
    if (due.length > 0 && !this.stopped) {
      for (const record of due) this.inFlight.add(retryKey(record))
      try {
        // Through the write queue: the whole batch is marked in one locked write, shared with any
        // removals queued meanwhile, so this process never contends with itself for the state lock.
        const toMark = due.filter((record) => record.status === 'active' || record.status === 'missing')
        await Promise.all(toMark.map((record) => this.queueWrite(record.name, { tokenId: record.tokenId, kind: 'patch', patch: { status: 'deleting' } })))
      } catch (error) {
        for (const record of due) this.inFlight.delete(retryKey(record))
        throw error
      }
      for (const record of due) this.options.onStep?.('marked-deleting', record.name)
      // One client for the batch (looking up the minting credential reads the state file).
      const api = this.api()
      api.catch(() => undefined)
      for (const record of due) {
        const deletion: Promise<boolean> = this.deleteAtDeadline(record, api)
          .catch(() => false)
          .then((ok) => {
            this.inFlight.delete(retryKey(record))
            this.deletions.delete(deletion)
            // A failure scheduled a retry: the timer must cover it (it skipped this token while in flight).
            if (!ok && !this.stopped) void this.armDeadlineTimer()
            return ok
          })
        this.deletions.add(deletion)
        launched.push(deletion)
      }
    }
    const stale = state.tokens.some((record) => record.status === 'pending' && isMintedRecord(record) && this.pendingIsStale(record, now))
    if (stale && !this.reconcileRunning && !this.stopped) void this.reconcile()
    await this.armDeadlineTimer()
    return launched
  }

  /** Deletes one token whose deadline has passed; true when it is gone everywhere. */
  private async deleteAtDeadline(record: TokenRecord, apiPromise: Promise<TokenApi>): Promise<boolean> {
    const key = retryKey(record)
    try {
      if (record.tokenId !== null) {
        const api = await apiPromise
        this.checkOwner(api, record)
        await api.deleteToken(record.tokenId)
      }
      // Announced first (the event bus writes the audit line): once Cloudflare confirmed, the deletion is
      // a fact; a kill before the record is removed must not lose its line (the restart finishes the
      // local part, at worst auditing twice).
      const deadline = record.expiresAt === null ? null : Date.parse(record.expiresAt)
      const deleted: TokenEvent = { type: 'deleted', ...this.tokenFields(record), reason: 'deadline', lateMs: deadline === null ? null : Math.max(0, this.now() - deadline) }
      this.emit(deleted)
      this.options.onStep?.('deleted-on-cloudflare', record.name)
      await this.vault.secrets.delete(this.vault.keychainAccount(record.name))
      this.options.onStep?.('secret-deleted', record.name)
      await this.queueWrite(record.name, { tokenId: record.tokenId, kind: 'remove' })
      this.options.onStep?.('record-removed', record.name)
      this.retries.delete(key)
      this.noteRecovery()
      return true
    } catch (error) {
      if (this.stopped && error instanceof GateClosedError) return false
      await this.recordFailure(record, error)
      return false
    }
  }

  /**
   * During an outage every failing token backs off (up to `retryMaxMs`); so that deletions resume
   * within a sweep interval once Cloudflare answers again, each periodic sweep lets the token due
   * soonest try now. Its success then cuts the others' backoff ({@link noteRecovery}). One request
   * per sweep interval at most; tokens waiting out a 429 are left to the gate.
   */
  private probeOutage(): void {
    const now = this.now()
    let earliest: RetryState | null = null
    for (const retry of this.retries.values()) {
      if (retry.rateLimited) continue
      if (retry.nextAt <= now) return // something is due anyway: the sweep tries it
      if (earliest === null || retry.nextAt < earliest.nextAt) earliest = retry
    }
    if (earliest) earliest.nextAt = now
  }

  /**
   * A deletion went through: Cloudflare answers again. Tokens backing off after a network or server
   * failure are retried now rather than at the end of their (up to a minute long) backoff; those
   * waiting out a 429 keep waiting (the request gate holds them anyway).
   */
  private noteRecovery(): void {
    const now = this.now()
    let shortened = false
    for (const retry of this.retries.values()) {
      if (!retry.rateLimited && retry.nextAt > now) {
        retry.nextAt = now
        shortened = true
      }
    }
    if (shortened && !this.stopped) void this.sweep()
  }

  private checkOwner(api: TokenApi, record: TokenRecord): void {
    const mismatch = ownerMismatch(api, record)
    if (mismatch) throw new CloudflareApiError('permission', mismatch)
  }

  private async recordFailure(record: TokenRecord, error: unknown): Promise<void> {
    const key = retryKey(record)
    const now = this.now()
    const previous = this.retries.get(key)
    const attempts = (previous?.attempts ?? record.attempts ?? 0) + 1
    const rateLimited = error instanceof CloudflareApiError && error.kind === 'rate-limited'
    const delay = retryDelayMs({
      attempts,
      retryAfterSeconds: rateLimited ? (error.retryAfterSeconds ?? null) : undefined,
      baseMs: this.options.retryBaseMs ?? REAPER_DEFAULTS.retryBaseMs,
      maxMs: this.options.retryMaxMs ?? REAPER_DEFAULTS.retryMaxMs,
      random: this.options.random ?? Math.random,
    })
    const nextAt = now + delay
    this.retries.set(key, { attempts, nextAt, rateLimited })
    const message = messageOf(error)
    try {
      // The attempt count goes into lastError too, so `cfwrap --list` shows it next to the status.
      const lastError = `${message} (attempt ${attempts})`
      await this.queueWrite(record.name, { tokenId: record.tokenId, kind: 'patch', patch: { status: 'delete-failed', lastError, attempts } })
    } catch {
      // The state file could not be written (e.g. disk full); the event still reports the failure.
    }
    this.emit({
      type: 'delete-failed',
      ...this.tokenFields(record),
      error: message,
      errorKind: errorKindOf(error),
      attempts,
      retryAt: new Date(nextAt).toISOString(),
    })
  }

  /** Arms the one timer for the earliest deadline or retry among the tokens still waiting. */
  private async armDeadlineTimer(): Promise<void> {
    if (this.stopped || !this.started) return
    let state
    try {
      state = await this.vault.readState()
    } catch {
      return // The periodic sweep tries again.
    }
    if (this.deadlineTimer !== null) this.timers.clearTimeout(this.deadlineTimer)
    this.deadlineTimer = null
    if (this.stopped) return
    let next = Infinity
    for (const record of state.tokens) {
      if (!isMintedRecord(record) || !record.temporary || record.expiresAt === null || record.status === 'pending') continue
      const key = retryKey(record)
      if (this.inFlight.has(key)) continue
      const at = Math.max(Date.parse(record.expiresAt), this.retries.get(key)?.nextAt ?? -Infinity)
      next = Math.min(next, at)
    }
    if (next === Infinity) return
    // At least a few ms, so a record that cannot be handled yet never spins the loop.
    const delay = Math.min(Math.max(next - this.now(), 5), MAX_TIMER_DELAY_MS)
    this.deadlineTimer = this.timers.setTimeout(() => {
      this.deadlineTimer = null
      void this.sweep()
    }, delay)
  }

  private periodic(): void {
    if (this.stopped) return
    this.reportDamage()
    this.probeOutage()
    void this.sweep()
    if (this.now() - this.lastReconcileAt >= (this.options.reconcileIntervalMs ?? REAPER_DEFAULTS.reconcileIntervalMs)) void this.reconcile()
  }

  // ----- batched local writes -----

  /** Queues a change to one record (see {@link WriteBatcher}); resolves once it is written. */
  private queueWrite(name: string, change: RecordChange): Promise<void> {
    return this.writes.queue(name, change)
  }

  // ----- reconciling -----

  /** Lists cfwrap's tokens on Cloudflare and brings vault and Cloudflare into agreement (see the file comment). */
  reconcile(): Promise<ReconcileResult> {
    if (this.reconcileRunning) return this.reconcileRunning
    const run = this.reconcileOnce().finally(() => {
      this.reconcileRunning = null
    })
    this.reconcileRunning = run
    return run
  }

  private async reconcileOnce(): Promise<ReconcileResult> {
    const result: ReconcileResult = { ok: false, seen: 0, orphansDeleted: 0, missing: 0, pendingDropped: 0, failed: 0, foreign: [] }
    const listStartedAt = this.now()
    let api: TokenApi
    let before: State
    let remote: ApiTokenInfo[]
    try {
      api = await this.api()
      // The state before the list is what may be judged absent: a record that gets its token id
      // while the list is under way is not in the list, and is not judged by it.
      before = await this.vault.readState()
      remote = await api.listTokens()
    } catch (error) {
      if (!(this.stopped && error instanceof GateClosedError)) this.reconcileFailed(error)
      return result
    }
    this.lastReconcileAt = listStartedAt
    this.lastReconcileError = null
    try {
      // The state after the list: a mint records its intent before it creates, so any token in
      // this list that this vault made has its record (or its intent) in here.
      const after = await this.vault.readState()
      const now = this.now()
      const plan = planReconcile({
        remote,
        before,
        after,
        now,
        isStale: (record) => this.pendingIsStale(record, now),
        manages: (record) => ownerMismatch(api, record) === null,
        busy: (record) => this.inFlight.has(retryKey(record)),
      })
      result.seen = plan.seen
      result.foreign = plan.foreign

      const failedNames = new Set<string>()
      await Promise.all(
        plan.deletions.map(async ({ token, reason, record }) => {
          try {
            const outcome = await api.deleteToken(token.id)
            // not-found: someone (this process's sweep, a --revoke) deleted it since the list; nothing to report.
            if (outcome === 'deleted') {
              result.orphansDeleted++
              this.emit({ type: 'orphan-deleted', time: this.isoNow(), token: token.name, tokenId: token.id, fingerprint: record?.fingerprint ?? null, reason })
            }
          } catch (error) {
            result.failed++
            failedNames.add(token.name)
            if (this.stopped && error instanceof GateClosedError) return
            this.emit({
              type: 'delete-failed',
              time: this.isoNow(),
              token: token.name,
              tokenId: token.id,
              fingerprint: record?.fingerprint ?? null,
              error: messageOf(error),
              errorKind: errorKindOf(error),
              attempts: 1,
              retryAt: new Date(now + (this.options.reconcileIntervalMs ?? REAPER_DEFAULTS.reconcileIntervalMs)).toISOString(),
            })
          }
        }),
      )

      // Unfinished mints of dead processes: their tokens (if any) were deleted above; drop the records.
      for (const record of plan.stalePending) {
        if (failedNames.has(record.name)) continue
        const dropped = await this.vault.forget(record.name, { onlyIf: (stored) => stored.status === 'pending' })
        if (dropped) {
          result.pendingDropped++
          this.emit({ type: 'pending-dropped', ...this.tokenFields(record) })
        }
      }

      for (const record of plan.present) await this.vault.patch(record.name, { status: 'active', lastError: null }, record.tokenId)
      for (const record of plan.absent) {
        if (record.temporary && record.expiresAt !== null && Date.parse(record.expiresAt) <= now) {
          // Past its deadline and gone from Cloudflare (deleted elsewhere, or expired out of the list): nothing left to delete.
          if (await this.vault.forget(record.name, { tokenId: record.tokenId })) {
            this.retries.delete(retryKey(record))
            this.emit({ type: 'gone', ...this.tokenFields(record) })
          }
        } else if (record.status !== 'missing') {
          result.missing++
          await this.vault.patch(
            record.name,
            {
              status: 'missing',
              lastError: `not on Cloudflare any more (seen ${new Date(now).toISOString()}); deleted in the dashboard? Forget it here with \`cfwrap --remove ${record.name}\`.`,
            },
            record.tokenId,
          )
          this.emit({ type: 'missing-on-cloudflare', ...this.tokenFields(record) })
        }
      }
      this.reportForeign(plan.foreign)
      result.ok = result.failed === 0
    } catch (error) {
      this.reconcileFailed(error)
      return result
    }
    this.emit({
      type: 'reconciled',
      time: this.isoNow(),
      seen: result.seen,
      orphansDeleted: result.orphansDeleted,
      missing: result.missing,
      pendingDropped: result.pendingDropped,
      foreign: result.foreign.length,
    })
    if (this.started && !this.stopped) void this.sweep()
    return result
  }

  /**
   * Reports a failed reconcile. The same failure again (no minting credential stored, an outage)
   * is reported once per reconcile interval, not on every periodic attempt.
   */
  private reconcileFailed(error: unknown): void {
    const message = messageOf(error)
    const now = this.now()
    const interval = this.options.reconcileIntervalMs ?? REAPER_DEFAULTS.reconcileIntervalMs
    if (this.lastReconcileError?.message === message && now - this.lastReconcileError.at < interval) return
    this.lastReconcileError = { message, at: now }
    this.emit({ type: 'reconcile-failed', time: this.isoNow(), error: message, errorKind: errorKindOf(error) })
  }

  /** Reports live tokens this vault does not own; audited only when the set changes, so an hourly reconcile does not flood the log. */
  private reportForeign(foreign: ForeignToken[]): void {
    const key = foreign.map((token) => token.id).sort().join(',')
    const changed = key !== this.lastForeignKey
    this.lastForeignKey = key
    if (foreign.length === 0) return
    this.emit({ type: 'foreign-tokens', time: this.isoNow(), tokens: foreign, ...(changed ? {} : { repeat: true }) })
  }

  /**
   * Whether a `pending` record belongs to a mint that will never finish: its process is gone (or it
   * has no pid and is older than a minute), or it is older than `pendingMaxAgeMs` whatever the pid says.
   */
  private pendingIsStale(record: TokenRecord, now: number): boolean {
    const age = now - Date.parse(record.createdAt)
    if (age > (this.options.pendingMaxAgeMs ?? REAPER_DEFAULTS.pendingMaxAgeMs)) return true
    if (record.pendingPid === undefined) return age > 60_000
    if (record.pendingPid === process.pid) return false
    return !(this.options.isProcessAlive ?? isProcessAlive)(record.pendingPid)
  }

  // ----- events -----

  private isoNow(): string {
    return new Date(this.now()).toISOString()
  }

  private tokenFields(record: TokenRecord): { time: string; token: string; tokenId: string | null; fingerprint: string | null } {
    return { time: this.isoNow(), token: record.name, tokenId: record.tokenId, fingerprint: record.fingerprint }
  }

  /** Tells the listener (the service's event bus, which also feeds the audit log). */
  private emit(event: TokenEvent): void {
    try {
      this.options.onEvent?.(event)
    } catch {
      // A listener's bug must not break the reaper.
    }
  }
}
