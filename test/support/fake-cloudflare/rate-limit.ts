// The API's rolling rate limit (1200 requests per 5 minutes) and request counting.


/** Rolling-window limiter: over `limit` in `windowMs` blocks the key for `blockMs`. */
export class RollingRateLimiter {
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

export class WindowCounter {
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
