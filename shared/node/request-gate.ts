/**
 * Every Cloudflare API request a cfwrap process makes passes through one `RequestGate`, which
 * enforces three things:
 *
 * - **Budget.** Cloudflare allows 1,200 requests per 5 minutes per user, across all of that user's
 *   credentials and tools (Wrangler included), and blocks *every* call for 5 minutes when the limit
 *   is crossed. The gate admits at most {@link DEFAULT_REQUEST_BUDGET} (1,000) request starts in any
 *   rolling 5-minute window, leaving 200 for CLI calls in other processes and for Wrangler itself.
 *   The limiter is per process: the daemon (or tray app) is the only long-running, high-volume
 *   caller, and a one-shot CLI command makes a handful of requests.
 * - **Pause.** When Cloudflare answers 429, `pause(retryAfter)` holds back every request of the
 *   process until the `retry-after` time has passed. Waiting happens in the gate's queue, so nothing
 *   else in the process (timers, local clean-up, the UI) is blocked.
 *   The pause has a floor ({@link MIN_PAUSE_MS}) and doubles with every further 429 that a probe
 *   after the pause meets, until an answer that is not a 429 comes back. After a pause only one
 *   request (the probe) goes out until such an answer: a storm costs a request per pause, not one per
 *   waiting request.
 * - **Concurrency.** At most `maxConcurrent` requests are in flight at once.
 */

/** Request starts admitted per rolling window; below Cloudflare's 1,200 to leave headroom for other callers. */
export const DEFAULT_REQUEST_BUDGET = 1000

/** Cloudflare's rate-limit window: 5 minutes. */
export const RATE_WINDOW_MS = 5 * 60 * 1000

/** The shortest 429 pause, whatever `retry-after` says: `retry-after: 0` must not become a request loop. */
export const MIN_PAUSE_MS = 1_000

/** The longest pause repeated 429s grow to (Cloudflare's own block lasts 5 minutes). */
const MAX_PAUSE_MS = RATE_WINDOW_MS

/** Thrown to requests still waiting when the gate is closed (the daemon is stopping). */
export class GateClosedError extends Error {
  override name = 'GateClosedError'
  constructor() {
    super('cfwrap is shutting down; the request was not sent.')
  }
}

/** Options of {@link RequestGate}. */
export interface RequestGateOptions {
  /** Request starts allowed per window (default {@link DEFAULT_REQUEST_BUDGET}). */
  budget?: number
  windowMs?: number
  maxConcurrent?: number
  /** Clock in ms; the real clock by default (the API's window runs on real time). */
  now?: () => number
  setTimeout?: (callback: () => void, ms: number) => unknown
  clearTimeout?: (handle: unknown) => void
  /** Called when a 429 starts (or extends) a pause. */
  onPause?: (retryAfterSeconds: number, untilMs: number) => void
}

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
}

/** Admission control for Cloudflare API requests: rolling-window budget, 429 pause, concurrency cap. */
export class RequestGate {
  readonly budget: number
  readonly windowMs: number
  readonly maxConcurrent: number
  private readonly clock: () => number
  private readonly setTimer: (callback: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void
  private readonly onPause: ((retryAfterSeconds: number, untilMs: number) => void) | undefined
  private readonly waiters: Waiter[] = []
  /** Start times of admitted requests within the window, oldest first. */
  private readonly starts: number[] = []
  private active = 0
  private pausedUntilMs = 0
  private timer: unknown = null
  private timerAt = Infinity
  private closed = false
  private maxInWindowSeen = 0
  /** 429s met one after another (each by a probe after a pause); 0 after any other answer. */
  private rateLimitStreak = 0
  /** After a pause: send one request at a time until one gets an answer that is not a 429. */
  private probing = false

  constructor(options: RequestGateOptions = {}) {
    this.budget = options.budget ?? DEFAULT_REQUEST_BUDGET
    this.windowMs = options.windowMs ?? RATE_WINDOW_MS
    this.maxConcurrent = options.maxConcurrent ?? 8
    this.clock = options.now ?? Date.now
    this.setTimer = options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms))
    this.clearTimer = options.clearTimeout ?? ((handle) => clearTimeout(handle as NodeJS.Timeout))
    this.onPause = options.onPause
  }

  /** Runs `work` once the gate admits it; the slot is released when it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await work()
    } finally {
      this.active--
      this.pump()
    }
  }

  /**
   * A 429 with `retry-after: seconds`: holds back every request until then, at least
   * {@link MIN_PAUSE_MS}, doubled for every 429 in a row; never shortens a pause. 429s of requests
   * that were in flight together count once.
   */
  pause(seconds: number): void {
    const now = this.clock()
    if (now >= this.pausedUntilMs) this.rateLimitStreak++
    this.probing = true
    const backoff = Math.min(MAX_PAUSE_MS, MIN_PAUSE_MS * 2 ** Math.min(this.rateLimitStreak - 1, 20))
    const until = now + Math.max(Math.max(0, seconds) * 1000, backoff)
    if (until <= this.pausedUntilMs) return
    this.pausedUntilMs = until
    this.onPause?.((until - now) / 1000, until)
  }

  /** Cloudflare answered with something other than a 429: the rate limit has passed, normal traffic resumes. */
  answered(): void {
    this.rateLimitStreak = 0
    if (this.probing) {
      this.probing = false
      this.pump()
    }
  }

  /** When the current pause ends (ms on the gate's clock); 0 or a past time when not paused. */
  get pausedUntil(): number {
    return this.pausedUntilMs
  }

  /** The most request starts seen in any window so far. */
  get maxInWindow(): number {
    return this.maxInWindowSeen
  }

  /** Rejects every waiting request with {@link GateClosedError}; later `run` calls fail the same way. */
  close(): void {
    this.closed = true
    this.disarm()
    for (const waiter of this.waiters.splice(0)) waiter.reject(new GateClosedError())
  }

  private acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new GateClosedError())
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.pump()
    })
  }

  /** Admits as many waiters as the limits allow, or arms a timer for when the next one may go. */
  private pump(): void {
    if (this.closed) return
    while (this.waiters.length > 0 && this.active < (this.probing ? 1 : this.maxConcurrent)) {
      const now = this.clock()
      const wakeAt = this.blockedUntil(now)
      if (wakeAt > now) {
        this.armAt(wakeAt, now)
        return
      }
      const waiter = this.waiters.shift() as Waiter
      this.starts.push(now)
      this.active++
      this.maxInWindowSeen = Math.max(this.maxInWindowSeen, this.starts.length)
      waiter.resolve()
    }
  }

  /** The time before which nothing may start: the end of a pause, or when the window frees a slot. */
  private blockedUntil(now: number): number {
    while (this.starts.length > 0 && (this.starts[0] as number) <= now - this.windowMs) this.starts.shift()
    let until = this.pausedUntilMs
    if (this.starts.length >= this.budget) until = Math.max(until, (this.starts[0] as number) + this.windowMs)
    return until
  }

  private armAt(at: number, now: number): void {
    if (this.timer !== null && this.timerAt <= at) return
    this.disarm()
    this.timerAt = at
    // Timers may fire late (sleep) or early (clock adjustments); pump() re-checks either way.
    this.timer = this.setTimer(() => {
      this.timer = null
      this.timerAt = Infinity
      this.pump()
    }, Math.min(Math.max(at - now, 1), 2 ** 31 - 1))
  }

  private disarm(): void {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    this.timerAt = Infinity
  }
}
