import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GateClosedError, RequestGate } from '../../shared/node/request-gate'

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-11-22T10:00:00Z') })
})

afterEach(() => {
  vi.useRealTimers()
})

/** Starts `count` requests through the gate, each taking `ms`; returns their start times. */
function startRequests(gate: RequestGate, count: number, ms = 0): { starts: number[]; done: Promise<unknown> } {
  const starts: number[] = []
  const done = Promise.all(
    Array.from({ length: count }, () =>
      gate.run(async () => {
        starts.push(Date.now())
        if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
      }),
    ),
  )
  return { starts, done }
}

describe('RequestGate', () => {
  it('admits at most `budget` request starts in any rolling window', async () => {
    const gate = new RequestGate({ budget: 5, windowMs: 60_000, maxConcurrent: 100 })
    const { starts, done } = startRequests(gate, 12)
    await vi.advanceTimersByTimeAsync(0)
    expect(starts).toHaveLength(5)
    await vi.advanceTimersByTimeAsync(59_999)
    expect(starts).toHaveLength(5)
    await vi.advanceTimersByTimeAsync(1)
    expect(starts).toHaveLength(10)
    await vi.advanceTimersByTimeAsync(60_000)
    await done
    expect(starts).toHaveLength(12)
    // No window of 60 s ever held more than 5 starts.
    for (const start of starts) expect(starts.filter((other) => other >= start && other < start + 60_000).length).toBeLessThanOrEqual(5)
    expect(gate.maxInWindow).toBe(5)
  })

  it('defaults to 1,000 per 5 minutes: below Cloudflare\'s 1,200, leaving room for other callers', () => {
    const gate = new RequestGate()
    expect(gate.budget).toBe(1000)
    expect(gate.windowMs).toBe(300_000)
  })

  it('holds every request back during a 429 pause, and never shortens a pause', async () => {
    const pauses: number[] = []
    const gate = new RequestGate({ onPause: (seconds) => pauses.push(seconds) })
    gate.pause(30)
    gate.pause(5)
    expect(pauses).toEqual([30])
    const { starts, done } = startRequests(gate, 3)
    await vi.advanceTimersByTimeAsync(29_999)
    expect(starts).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await done
    expect(starts).toHaveLength(3)
  })

  it('caps concurrency', async () => {
    const gate = new RequestGate({ maxConcurrent: 2 })
    const { starts, done } = startRequests(gate, 5, 100)
    await vi.advanceTimersByTimeAsync(0)
    expect(starts).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(100)
    expect(starts).toHaveLength(4)
    await vi.advanceTimersByTimeAsync(200)
    await done
    expect(starts).toHaveLength(5)
  })

  it('fails waiting requests at once when closed', async () => {
    const gate = new RequestGate()
    gate.pause(300)
    const waiting = gate.run(async () => 'sent')
    gate.close()
    await expect(waiting).rejects.toBeInstanceOf(GateClosedError)
    await expect(gate.run(async () => 'sent')).rejects.toBeInstanceOf(GateClosedError)
  })
})

describe('RequestGate under a 429 storm', () => {
  /**
   * 200 requests (one per due token) against a server that answers 429 `retry-after: 0` for the
   * first 30 s: each request retries when refused, as the reaper does. Counts what reaches the server.
   */
  async function storm(stormMs: number): Promise<{ sent: number; sentDuringStorm: number; doneAt: number }> {
    const gate = new RequestGate({ maxConcurrent: 8 })
    const started = Date.now()
    let sent = 0
    let sentDuringStorm = 0
    const request = async (): Promise<void> => {
      for (;;) {
        // As CloudflareClient does: the answer is told to the gate before the slot is released.
        const limited = await gate.run(async () => {
          sent++
          await new Promise((resolve) => setTimeout(resolve, 20))
          const during = Date.now() - started < stormMs
          if (during) {
            sentDuringStorm++
            gate.pause(0)
          } else gate.answered()
          return during
        })
        if (!limited) return
        // The reaper's own floor before it tries the same token again.
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
    const all = Promise.all(Array.from({ length: 200 }, () => request()))
    let doneAt = 0
    void all.then(() => (doneAt = Date.now() - started))
    await vi.advanceTimersByTimeAsync(120_000)
    await all
    return { sent, sentDuringStorm, doneAt }
  }

  it('retry-after: 0 gets a floor and a growing pause; after a pause one probe goes first', async () => {
    const result = await storm(30_000)
    // Before: every refused request came straight back (870 in 30 s in the issue). Now: the first
    // batch in flight, then one probe per pause (1, 2, 4, 8, 16 s).
    expect(result.sentDuringStorm).toBeLessThanOrEqual(8 + 6)
    // And once Cloudflare answers again, all 200 go through promptly.
    expect(result.sent).toBe(result.sentDuringStorm + 200)
    expect(result.doneAt).toBeLessThan(30_000 + 32_000 + 5_000)
  })

  it('an answer that is not a 429 ends the backoff: the next 429 pauses for the floor again', async () => {
    const pauses: number[] = []
    const gate = new RequestGate({ onPause: (seconds) => pauses.push(seconds) })
    gate.pause(0)
    await vi.advanceTimersByTimeAsync(1_000)
    gate.pause(0)
    await vi.advanceTimersByTimeAsync(2_000)
    gate.pause(0)
    gate.answered()
    await vi.advanceTimersByTimeAsync(4_000)
    gate.pause(0)
    expect(pauses).toEqual([1, 2, 4, 1])
  })
})
