// The reaper's timing decisions under a manual clock with in-memory doubles (vault, keychain, API,
// request gate on the same clock): deadlines, batching, 429 storms and backoff are asserted in
// simulated time, so none of it depends on how fast this machine is. test/integration/reaper.test.ts
// runs the same code over real files, the real keychain and the fake API over HTTP.
import { afterEach, describe, expect, it } from 'vitest'
import type { TokenEvent } from '../../shared/common/events'
import { Reaper, type ReaperOptions } from '../../shared/node/reaper'
import { RATE_LIMIT_RETRY_FLOOR_MS, retryDelayMs } from '../../shared/node/reaper/retry'
import { RequestGate } from '../../shared/node/request-gate'
import { ManualClock, MemoryTokenApi, MemoryVault } from '../support/memory-doubles'

const reapers: Reaper[] = []
afterEach(async () => {
  for (const reaper of reapers.splice(0)) await reaper.stop()
})

/** A reaper over memory doubles on one manual clock; `gate` puts a request gate on that clock between it and the API. */
function world(options: { gate?: boolean; reaper?: Partial<ReaperOptions> } = {}) {
  const clock = new ManualClock()
  const vault = new MemoryVault()
  const gate = options.gate ? new RequestGate({ now: clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout }) : undefined
  const api = new MemoryTokenApi(clock.now, gate)
  const events: TokenEvent[] = []
  const reaper = new Reaper({ vault, api: async () => api, now: clock.now, timers: clock, random: () => 0.5, onEvent: (event) => events.push(event), ...options.reaper })
  reapers.push(reaper)
  /** A live temporary token on both sides, due `inMs` from now. */
  const token = (name: string, inMs: number) => {
    const id = `id-${name}`
    api.add(id, `cfwrap:demo:dev:workers-deploy:${name}`, clock.now() + inMs)
    return vault.seed(`cfwrap:demo:dev:workers-deploy:${name}`, id, clock.now() + inMs, clock.now())
  }
  const deleted = () => events.filter((event): event is Extract<TokenEvent, { type: 'deleted' }> => event.type === 'deleted')
  return { clock, vault, api, gate, events, reaper, token, deleted }
}

describe('the reaper on a manual clock', () => {
  it('deletes a token at its deadline to the millisecond, and not a millisecond before', async () => {
    const w = world()
    const due = w.token('due', 60_000)
    const later = w.token('later', 3_600_000)
    await w.reaper.start()
    await w.clock.advance(59_999)
    expect(w.api.tokens.has(due.tokenId as string)).toBe(true)
    expect(w.deleted()).toEqual([])
    await w.clock.advance(1)
    expect(w.api.tokens.has(due.tokenId as string)).toBe(false)
    expect(w.deleted()).toMatchObject([{ token: due.name, reason: 'deadline', lateMs: 0 }])
    expect(w.vault.state.tokens.map((record) => record.name)).toEqual([later.name])
    expect(w.vault.secrets.items.has(w.vault.keychainAccount(due.name))).toBe(false)
  })

  it('deletes 100 tokens that fell due together with a few batched state writes, not one each', async () => {
    const w = world()
    for (let i = 0; i < 100; i++) w.token(`t${i}`, 10_000)
    await w.reaper.start()
    const before = w.vault.writes
    await w.clock.advance(10_000)
    expect(w.deleted()).toHaveLength(100)
    expect(w.vault.state.tokens).toEqual([])
    // Marking each token `deleting` and removing it are batched: far fewer writes than tokens.
    expect(w.vault.writes - before).toBeLessThanOrEqual(10)
  })

  it('a 429 storm with retry-after: 0 costs a handful of requests, none during a pause, and everything goes soon after it ends', async () => {
    const w = world({ gate: true })
    for (let i = 0; i < 200; i++) w.token(`s${i}`, -1000)
    const stormEnd = w.clock.now() + 30_000
    w.api.answer = () => (w.clock.now() < stormEnd ? { rateLimited: 0 } : 'ok')
    void w.reaper.start()
    await w.clock.advance(30_000)
    const during = w.api.requests.filter((request) => request.op === 'delete')
    // The gate pauses at least 1 s and doubles the pause on every 429 in a row; only a few requests
    // that were already admitted together slip in beside the probes.
    expect(during.length).toBeLessThanOrEqual(16)
    expect(during.every((request) => request.status === 429)).toBe(true)
    // Between the first 429 and the storm's end, requests come only as single probes, spaced further and further apart.
    const probes = [...new Set(during.map((request) => request.at))].sort((a, b) => a - b)
    const gaps = probes.slice(1).map((at, i) => at - (probes[i] as number))
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1] as number)
    await w.clock.advance(40_000)
    expect(w.deleted()).toHaveLength(200)
    const lastDeletion = Math.max(...w.api.requests.filter((request) => request.status === 200 && request.op === 'delete').map((request) => request.at))
    expect(lastDeletion - stormEnd).toBeLessThanOrEqual(35_000)
    expect(w.vault.state.tokens).toEqual([])
  })

  it('backs off exponentially on server errors up to the cap, keeps the failure visible, then deletes', async () => {
    const w = world({ reaper: { retryBaseMs: 1000, retryMaxMs: 8000 } })
    const due = w.token('flaky', 0)
    let failures = 6
    w.api.answer = () => (failures-- > 0 ? 'server-error' : 'ok')
    void w.reaper.start()
    await w.clock.advance(60_000)
    const failed = w.events.filter((event): event is Extract<TokenEvent, { type: 'delete-failed' }> => event.type === 'delete-failed')
    expect(failed.map((event) => event.attempts)).toEqual([1, 2, 3, 4, 5, 6])
    // With jitter fixed at 0.5, each wait is 3/4 of min(cap, base * 2^(attempt-1)).
    const waits = failed.map((event) => Date.parse(event.retryAt) - Date.parse(event.time))
    expect(waits).toEqual([750, 1500, 3000, 6000, 6000, 6000])
    expect(w.deleted()).toMatchObject([{ token: due.name }])
    expect(w.vault.state.tokens).toEqual([])
  })

  it('never deletes a live token it did not record, whatever its name; once Cloudflare expired it, it is dead and goes', async () => {
    const w = world()
    w.api.add('foreign-id', 'cfwrap:other:prod:workers-deploy:ci', w.clock.now() + 3 * 3_600_000)
    await w.reaper.start()
    // Hourly reconciles for 2.5 hours: reported each time, deleted never.
    await w.clock.advance(2.5 * 3_600_000)
    expect(w.api.requests.filter((request) => request.op === 'list').length).toBeGreaterThanOrEqual(3)
    expect(w.api.requests.filter((request) => request.op === 'delete')).toEqual([])
    expect(w.events.filter((event) => event.type === 'foreign-tokens').length).toBeGreaterThanOrEqual(3)
    // Repeats of the same set are marked, so the audit log records it once.
    expect(w.events.filter((event) => event.type === 'foreign-tokens' && !event.repeat)).toHaveLength(1)
    await w.clock.advance(3_600_000)
    expect(w.events.filter((event) => event.type === 'orphan-deleted')).toMatchObject([{ token: 'cfwrap:other:prod:workers-deploy:ci', reason: 'expired' }])
  })
})

describe('retryDelayMs', () => {
  const base = { baseMs: 1000, maxMs: 60_000, random: () => 0 }
  it('waits what a 429 asks for, never under the floor', () => {
    expect(retryDelayMs({ ...base, attempts: 1, retryAfterSeconds: 7 })).toBe(7000)
    expect(retryDelayMs({ ...base, attempts: 5, retryAfterSeconds: 0 })).toBe(RATE_LIMIT_RETRY_FLOOR_MS)
    expect(retryDelayMs({ ...base, attempts: 1, retryAfterSeconds: null })).toBe(60_000)
  })
  it('backs off exponentially with equal jitter, capped', () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs({ ...base, attempts, retryAfterSeconds: undefined }))).toEqual([500, 1000, 2000, 4000])
    expect(retryDelayMs({ ...base, attempts: 40, retryAfterSeconds: undefined, random: () => 0.999 })).toBeLessThanOrEqual(60_000)
    expect(retryDelayMs({ ...base, attempts: 40, retryAfterSeconds: undefined })).toBe(30_000)
  })
})

