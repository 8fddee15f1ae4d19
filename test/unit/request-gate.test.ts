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
