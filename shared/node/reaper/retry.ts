// How long a failed deletion waits before its next attempt: pure, so the policy is unit-tested
// without a clock.

/** Least wait before retrying a deletion refused with 429, whatever `retry-after` says. */
export const RATE_LIMIT_RETRY_FLOOR_MS = 1_000

/** Wait after a 429 without a `retry-after`. */
const DEFAULT_RATE_LIMIT_WAIT_S = 60

/** What {@link retryDelayMs} decides on. */
export interface RetryInputs {
  /** Attempts so far, this failure included (1 after the first). */
  attempts: number
  /** For a 429: the seconds Cloudflare asked for (null when it did not say); undefined for any other failure. */
  retryAfterSeconds: number | null | undefined
  baseMs: number
  maxMs: number
  /** A random source in [0, 1). */
  random: () => number
}

/**
 * The wait before the next attempt. After a 429: what Cloudflare asked for, never under a second
 * (a `retry-after: 0` must not become a retry loop; the request gate holds the request anyway).
 * After anything else: capped exponential backoff with "equal jitter" (half fixed, half random),
 * so many tokens failing together do not retry in lockstep.
 */
export function retryDelayMs(inputs: RetryInputs): number {
  if (inputs.retryAfterSeconds !== undefined) {
    return Math.max((inputs.retryAfterSeconds ?? DEFAULT_RATE_LIMIT_WAIT_S) * 1000, RATE_LIMIT_RETRY_FLOOR_MS)
  }
  const exponential = Math.min(inputs.maxMs, inputs.baseMs * 2 ** Math.min(inputs.attempts - 1, 30))
  return exponential / 2 + inputs.random() * (exponential / 2)
}
