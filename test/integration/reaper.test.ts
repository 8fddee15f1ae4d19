// The reaper against the fake Cloudflare API over real HTTP, with the real keychain: deadlines,
// reconciliation, and the faults it must ride out (429 storms, 5xx bursts, outages, sleep, quota).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type { TokenEvent } from '../../shared/common/events'
import { auditSubscriber } from '../../shared/node/audit-events'
import { mintToken, planMint } from '../../shared/node/mint'
import { mintingApiProvider, setupMintingCredential } from '../../shared/node/minting-credential'
import { Reaper, type ReaperOptions } from '../../shared/node/reaper'
import { RequestGate } from '../../shared/node/request-gate'
import type { TokenRecord } from '../../shared/common/state'
import { PermissionScope } from '../support/fake-cloudflare'
import {
  consistencyProblems,
  expectSettled,
  jumpingClock,
  makeWorld,
  mintRequest,
  seedMintedToken,
  TEST_SETTINGS,
  waitFor,
  type TokenWorld,
} from '../support/token-harness'

let world: TokenWorld | null = null
const reapers: Reaper[] = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const reaper of reapers.splice(0)) await reaper.stop()
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await world?.cleanup()
  world = null
})

function makeReaper(target: TokenWorld, options: Partial<ReaperOptions> = {}) {
  const events: TokenEvent[] = []
  const gate = new RequestGate({
    onPause: (retryAfterSeconds, until) => events.push({ type: 'rate-limited', time: new Date().toISOString(), retryAfterSeconds, until: new Date(until).toISOString() }),
  })
  // As the service wires it: the audit log is a subscriber of the reaper's events.
  const audit = auditSubscriber(target.vault.paths.audit)
  const reaper = new Reaper({
    vault: target.vault,
    api: mintingApiProvider(target.vault, { env: target.env, gate }),
    onEvent: (event) => {
      audit(event)
      events.push(event)
    },
    retryBaseMs: 100,
    retryMaxMs: 400,
    ...options,
  })
  reapers.push(reaper)
  return { reaper, events, gate }
}

function ofType<T extends TokenEvent['type']>(events: TokenEvent[], type: T): Extract<TokenEvent, { type: T }>[] {
  return events.filter((event): event is Extract<TokenEvent, { type: T }> => event.type === type)
}

function deletedNames(events: TokenEvent[]): string[] {
  return ofType(events, 'deleted').map((event) => event.token)
}

/** Tokens on the fake whose deadline has passed but that still exist (expired ones included): should be none. */
function pastDeadlineOnFake(target: TokenWorld, names: string[]): string[] {
  return target.fake.listTokens().filter((token) => names.includes(token.name)).map((token) => token.name)
}

async function recordOf(target: TokenWorld, name: string): Promise<TokenRecord | undefined> {
  return target.vault.find(name)
}

describe('deleting at the deadline', () => {
  it('deletes a temporary token within 2 s of its deadline, on Cloudflare first, then keychain and state', async () => {
    world = await makeWorld()
    const first = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:a', expiresAt: Date.now() + 1500 })
    const permanent = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:keep', expiresAt: null, temporary: false })
    const { reaper, events } = makeReaper(world)
    await reaper.start()
    // Minted by "another process" while the reaper runs: picked up through the state file.
    const second = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:b', expiresAt: Date.now() + 2500 })
    await waitFor(() => deletedNames(events).length === 2, 8000, 'both deletions')
    // `deleted` is announced once Cloudflare confirmed; the keychain item and the record go right after.
    await expectSettled(world.vault, [first.name, second.name, permanent.name])
    for (const record of [first, second]) {
      const deleteRequest = world.fake.requests.find((request) => request.method === 'DELETE' && request.path.endsWith(record.tokenId as string))
      const late = (deleteRequest?.at as number) - Date.parse(record.expiresAt as string)
      expect(late).toBeGreaterThanOrEqual(0)
      expect(late).toBeLessThanOrEqual(2000)
      expect(world.fake.getToken(record.tokenId as string)).toBeUndefined()
      expect(await recordOf(world, record.name)).toBeUndefined()
    }
    for (const event of ofType(events, 'deleted')) expect(event.lateMs).toBeLessThanOrEqual(2000)
    expect(await recordOf(world, permanent.name)).toMatchObject({ status: 'active' })
    expect(world.fake.getToken(permanent.tokenId as string)).toBeDefined()
    const audit = readFileSync(world.vault.paths.audit, 'utf8')
    expect(audit).toContain('"event":"deleted"')
    expect(audit).not.toContain(world.minting.value)
  })

  it('a hung request for one token does not hold up the next deadline', async () => {
    world = await makeWorld()
    const slow = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:slow', expiresAt: Date.now() - 1000 })
    world.fake.faults.slow(4000, { method: 'DELETE', path: new RegExp(slow.tokenId as string), count: 1 })
    const { reaper, events } = makeReaper(world)
    void reaper.start()
    await waitFor(() => world?.fake.requests.some((request) => request.method === 'DELETE') === true, 5000, 'the slow DELETE')
    const next = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:next', expiresAt: Date.now() + 1500 })
    await waitFor(() => deletedNames(events).includes(next.name), 5000, 'the next deletion')
    expect(deletedNames(events)).not.toContain(slow.name)
    const late = ofType(events, 'deleted').find((event) => event.token === next.name)?.lateMs as number
    expect(late).toBeLessThanOrEqual(2000)
    await waitFor(() => deletedNames(events).includes(slow.name), 8000, 'the slow deletion')
  })

  it('counts a 404 as done', async () => {
    world = await makeWorld()
    const record = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:gone', expiresAt: Date.now() - 1000 })
    await (await world.api()).deleteToken(record.tokenId as string)
    const { reaper, events } = makeReaper(world)
    // sweep() alone: reconcile would notice first that the token is gone and just forget it.
    const result = await reaper.sweep()
    expect(result).toEqual({ deleted: 1, failed: 0 })
    expect(deletedNames(events)).toEqual([record.name])
    expect(ofType(events, 'delete-failed')).toEqual([])
    await expectSettled(world.vault, [record.name])
    expect(await recordOf(world, record.name)).toBeUndefined()
  })
})

describe('ownership', () => {
  it('never takes a 404 from the wrong collection for a deletion: tokens of another credential stay visible as failed', async () => {
    world = await makeWorld()
    const userToken = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:u', expiresAt: Date.now() - 1000 })
    // The minting credential is replaced by an account-owned one, which cannot manage user-owned tokens.
    const accountMinting = world.fake.seedToken({
      owner: { account: world.fake.account.id },
      permissions: [{ name: 'Account API Tokens Write', scope: PermissionScope.account }],
    })
    await setupMintingCredential(world.vault, accountMinting.value, { accountId: world.fake.account.id, env: world.env })
    const { reaper, events } = makeReaper(world)
    expect(await reaper.sweep()).toEqual({ deleted: 0, failed: 1 })
    expect(ofType(events, 'delete-failed')[0]).toMatchObject({ token: userToken.name, errorKind: 'permission' })
    expect(world.fake.getToken(userToken.tokenId as string)).toBeDefined()
    expect(await recordOf(world, userToken.name)).toMatchObject({ status: 'delete-failed' })
    expect((await recordOf(world, userToken.name))?.lastError).toMatch(/user-owned.*delete it in the dashboard/)
  })
})

describe('faults', () => {
  it('429 storm: waits out retry-after with every request held back, then deletes everything', async () => {
    world = await makeWorld()
    const records = [
      await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:r1', expiresAt: Date.now() - 1000 }),
      await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:r2', expiresAt: Date.now() - 1000 }),
    ]
    world.fake.clearRequests()
    world.fake.faults.rateLimit({ retryAfter: 1, count: 3 })
    const { reaper, events } = makeReaper(world)
    await reaper.start()
    await waitFor(() => deletedNames(events).length === 2, 10_000, 'deletions after the storm')
    expect(ofType(events, 'rate-limited').length).toBeGreaterThanOrEqual(1)
    const limited = world.fake.requests.filter((request) => request.status === 429)
    expect(limited).toHaveLength(3)
    // After each 429, nothing else was sent until retry-after had passed (requests already in flight aside).
    for (const hit of limited) {
      const sentDuringPause = world.fake.requests.filter((request) => request.at > hit.at + 100 && request.at < hit.at + 950)
      expect(sentDuringPause).toEqual([])
    }
    expect(world.fake.requests.length).toBeLessThanOrEqual(10)
    expect(pastDeadlineOnFake(world, records.map((r) => r.name))).toEqual([])
    await expectSettled(world.vault, records.map((r) => r.name))
  })

  it('5xx bursts: retries with backoff, keeps the failure visible meanwhile, then deletes', async () => {
    world = await makeWorld()
    const record = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:s', expiresAt: Date.now() - 1000 })
    world.fake.faults.serverError({ method: 'DELETE', count: 2 })
    world.fake.faults.serverError({ method: 'DELETE', count: 2, status: 502, html: true })
    const { reaper, events } = makeReaper(world, { retryBaseMs: 150, retryMaxMs: 1000 })
    const seenStatuses: string[] = []
    const watcher = setInterval(() => {
      void recordOf(world as TokenWorld, record.name).then((stored) => stored && seenStatuses.push(`${stored.status}:${stored.attempts ?? 0}`))
    }, 20)
    try {
      await reaper.start()
      await waitFor(() => deletedNames(events).length === 1, 10_000, 'deletion after the burst')
    } finally {
      clearInterval(watcher)
    }
    const failures = ofType(events, 'delete-failed')
    expect(failures.map((event) => event.attempts)).toEqual([1, 2, 3, 4])
    expect(failures.every((event) => event.errorKind === 'server' && !event.error.includes(world?.minting.value as string))).toBe(true)
    // Backoff: the gaps between attempts grow.
    const attempts = world.fake.requests.filter((request) => request.method === 'DELETE').map((request) => request.at)
    expect(attempts).toHaveLength(5)
    expect(attempts[4] as number - (attempts[3] as number)).toBeGreaterThan((attempts[1] as number) - (attempts[0] as number))
    expect(seenStatuses.some((status) => status.startsWith('delete-failed:'))).toBe(true)
    expect(pastDeadlineOnFake(world, [record.name])).toEqual([])
    await expectSettled(world.vault, [record.name])
  })

  it('API unreachable across the deadline: nothing is lost, and the token is deleted once the API is back', async () => {
    world = await makeWorld()
    const record = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:down', expiresAt: Date.now() + 1000 })
    await world.fake.faults.down()
    const { reaper, events } = makeReaper(world)
    await reaper.start()
    await waitFor(() => ofType(events, 'delete-failed').length >= 2, 8000, 'failed attempts while down')
    expect(ofType(events, 'delete-failed')[0]?.errorKind).toBe('network')
    const stored = await recordOf(world, record.name)
    expect(stored).toMatchObject({ status: 'delete-failed' })
    expect(stored?.lastError).toMatch(/cannot reach the Cloudflare API/)
    expect(stored?.attempts).toBeGreaterThanOrEqual(2)
    await expectSettled(world.vault, [record.name])
    await world.fake.faults.up()
    await waitFor(() => deletedNames(events).includes(record.name), 5000, 'deletion after the outage')
    expect(pastDeadlineOnFake(world, [record.name])).toEqual([])
    await expectSettled(world.vault, [record.name])
  })

  it('a 429 storm with retry-after: 0 costs a request per pause, not a request per token per millisecond', async () => {
    world = await makeWorld()
    const records = await Promise.all(
      Array.from({ length: 30 }, (_, i) => seedMintedToken(world as TokenWorld, { name: `cfwrap:demo:dev:workers-deploy:storm-${i}`, expiresAt: Date.now() - 1000 })),
    )
    world.fake.faults.rateLimit({ retryAfter: 0 })
    const { reaper, events } = makeReaper(world)
    // Not awaited, as the daemon does: the first pass lasts as long as the storm holds its requests back.
    void reaper.start()
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const during = world.fake.stats.rateLimitedResponses
    await world.fake.faults.clear()
    await waitFor(() => records.every((record) => deletedNames(events).includes(record.name)), 20_000, 'every deletion after the storm')
    // The first requests in flight together, then one probe after each pause (1, 2 s …): the issue saw 870 in 30 s.
    expect(during).toBeLessThanOrEqual(8 + 4)
    expect(ofType(events, 'rate-limited').length).toBeGreaterThanOrEqual(2)
  })

  it('after an outage, deletions resume within a sweep interval although every token backs off for a minute', async () => {
    world = await makeWorld()
    const records = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((suffix) => seedMintedToken(world as TokenWorld, { name: `cfwrap:demo:dev:workers-deploy:out-${suffix}`, expiresAt: Date.now() - 1000 })),
    )
    await world.fake.faults.down()
    const { reaper, events } = makeReaper(world, { retryBaseMs: 60_000, retryMaxMs: 60_000, sweepIntervalMs: 300 })
    await reaper.start()
    expect(ofType(events, 'delete-failed').length).toBeGreaterThanOrEqual(5)
    await world.fake.faults.up()
    const backAt = Date.now()
    // One probe per sweep finds the API back; its success cuts every other token's minute of backoff.
    await waitFor(() => records.every((record) => deletedNames(events).includes(record.name)), 5000, 'every deletion after the outage')
    expect(Date.now() - backAt).toBeLessThan(5000)
  })

  it('wake() retries at once instead of waiting out the backoff', async () => {
    world = await makeWorld()
    const record = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:wake', expiresAt: Date.now() - 1000 })
    await world.fake.faults.down()
    const { reaper, events } = makeReaper(world, { retryBaseMs: 60_000, retryMaxMs: 60_000 })
    await reaper.start()
    expect(ofType(events, 'delete-failed')).toHaveLength(1)
    await world.fake.faults.up()
    reaper.wake()
    await waitFor(() => deletedNames(events).includes(record.name), 3000, 'deletion after wake')
  })

  it('sleep: a clock jump past the deadlines is caught on wake() and by the periodic sweep', async () => {
    const clock = jumpingClock()
    world = await makeWorld({ fake: { now: clock.now } })
    const api = await world.api()
    const a = await mintToken({ vault: world.vault, api, now: clock.now, plan: planMint(mintRequest(world, { env: 'a', ttlSeconds: 3600 }), TEST_SETTINGS) })
    const { reaper, events } = makeReaper(world, { now: clock.now })
    await reaper.start()
    expect(deletedNames(events)).toEqual([])
    clock.advance(2 * 60 * 60 * 1000)
    reaper.wake()
    await waitFor(() => deletedNames(events).includes(a.record.name), 3000, 'deletion after wake')
    expect(pastDeadlineOnFake(world, [a.record.name])).toEqual([])
    await reaper.stop()

    // Without wake(): the periodic sweep notices the jump.
    const b = await mintToken({ vault: world.vault, api, now: clock.now, plan: planMint(mintRequest(world, { env: 'b', ttlSeconds: 3600 }), TEST_SETTINGS) })
    const periodic = makeReaper(world, { now: clock.now, sweepIntervalMs: 200 })
    await periodic.reaper.start()
    clock.advance(2 * 60 * 60 * 1000)
    await waitFor(() => deletedNames(periodic.events).includes(b.record.name), 3000, 'deletion by the periodic sweep')
    expect(pastDeadlineOnFake(world, [b.record.name])).toEqual([])
    await expectSettled(world.vault, [a.record.name, b.record.name])
  })

  it('quota reached: reaping expired orphans frees room, and minting works again', async () => {
    world = await makeWorld({ fake: { userTokenQuota: 4 } })
    for (const owner of ['x', 'y', 'z']) {
      world.fake.seedToken({ name: `cfwrap:old:dev:workers-deploy:${owner}`, permissions: [{ name: 'Workers Scripts Write' }], expiresOn: Date.now() - 60_000 })
    }
    const api = await world.api()
    await expect(mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world), TEST_SETTINGS) })).rejects.toThrow(/quota.*cfwrap --reap/)
    const { reaper, events } = makeReaper(world)
    const result = await reaper.reapOnce()
    expect(result.reconcile).toMatchObject({ ok: true, orphansDeleted: 3 })
    expect(ofType(events, 'orphan-deleted').map((event) => event.reason)).toEqual(['expired', 'expired', 'expired'])
    const minted = await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world), TEST_SETTINGS) })
    expect(minted.record.status).toBe('active')
  })
})

describe('reconcile racing a mint', () => {
  it('a token created while the list is on its way is not judged by that list (it stays active, not missing)', async () => {
    world = await makeWorld()
    const api = await world.api()
    // The create is slow to happen; the list is computed on arrival, before the create, and delivered after it.
    world.fake.faults.slow(1500, { method: 'POST', path: /^\/user\/tokens$/, count: 1 })
    world.fake.faults.slow(3000, { method: 'GET', path: /^\/user\/tokens$/, count: 1, answerFirst: true })
    const minting = mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world), TEST_SETTINGS) })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const { reaper, events } = makeReaper(world)
    const [minted, result] = await Promise.all([minting, reaper.reconcile()])
    expect(result.ok).toBe(true)
    expect(ofType(events, 'missing-on-cloudflare')).toEqual([])
    expect(await recordOf(world, minted.record.name)).toMatchObject({ status: 'active' })
    expect(world.fake.getToken(minted.record.tokenId as string)).toBeDefined()
  })
})

describe('reconcile failures', () => {
  it('without a minting credential, says so once per reconcile interval, not on every periodic sweep', async () => {
    world = await makeWorld({ skipSetup: true })
    const { reaper, events } = makeReaper(world, { sweepIntervalMs: 50 })
    await reaper.start()
    await new Promise((resolve) => setTimeout(resolve, 600))
    const failed = ofType(events, 'reconcile-failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ errorKind: 'no-credential' })
  })
})

describe('reconcile', () => {
  it('deletes crashed mints of this vault; leaves look-alikes, duplicates, dashboard and in-progress tokens and reports them; reports missing ones', async () => {
    world = await makeWorld()
    const fake = world.fake
    const seed = (name: string, expiresOn: number | null = Date.now() + 3_600_000) => fake.seedToken({ name, permissions: [{ name: 'Workers Scripts Write' }], expiresOn })
    const orphan = seed('cfwrap:demo:dev:workers-deploy:ghost')
    const foreign = seed('my ci token')
    const dashboardLookalike = seed('cfwrap:legacy:prod:workers-deploy:ci')
    await world.vault.addToken(
      { name: 'cfwrap:legacy:prod:workers-deploy:ci', tokenId: null, accountId: null, expiresAt: null, template: null, source: 'dashboard', role: 'command', temporary: false },
      dashboardLookalike.value,
    )
    const kept = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:kept', expiresAt: Date.now() + 3_600_000 })
    const duplicate = seed(kept.name)
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number
    const sleeper = spawn('sleep', ['60'])
    children.push(sleeper)
    const pending = (name: string, pid: number): TokenRecord => ({
      name,
      tokenId: null,
      accountId: fake.account.id,
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      template: 'workers-deploy',
      fingerprint: null,
      createdAt: new Date(Date.now() - 5000).toISOString(),
      source: 'minted',
      role: 'command',
      temporary: true,
      status: 'pending',
      owner: 'user',
      pendingPid: pid,
    })
    // The crashed mint's token carries the deadline its intent recorded; a same-named token with another deadline is someone else's.
    const crashedRecord = pending('cfwrap:demo:dev:workers-deploy:crashed', deadPid)
    const crashed = seed(crashedRecord.name, Date.parse(crashedRecord.expiresAt as string))
    const sameNameOtherVault = seed(crashedRecord.name, Date.parse(crashedRecord.expiresAt as string) + 3_600_000)
    const busyRecord = pending('cfwrap:demo:dev:workers-deploy:busy', sleeper.pid as number)
    const inProgress = seed(busyRecord.name, Date.parse(busyRecord.expiresAt as string))
    await world.vault.update((state) => {
      state.tokens.push(
        crashedRecord,
        pending('cfwrap:demo:dev:workers-deploy:nevercreated', deadPid),
        busyRecord,
      )
    })
    // A stored token deleted in the dashboard before its deadline, and one past its deadline that is gone too.
    const missing = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:missing', expiresAt: Date.now() + 3_600_000 })
    const gone = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:gone', expiresAt: Date.now() - 1000 })
    const api = await world.api()
    await api.deleteToken(missing.tokenId as string)
    await api.deleteToken(gone.tokenId as string)

    const { reaper, events } = makeReaper(world)
    const result = await reaper.reconcile()
    expect(result).toMatchObject({ ok: true, orphansDeleted: 1, missing: 1, pendingDropped: 2 })
    const orphanEvents = ofType(events, 'orphan-deleted').map((event) => `${event.reason} ${event.tokenId}`).sort()
    expect(orphanEvents).toEqual([`crashed-mint ${crashed.id}`])
    // Still there: the minting credential, a foreign token, the dashboard token named like ours, the kept one, the busy mint's,
    // and the live look-alikes no record of this vault names by id: another vault's, so reported and never deleted.
    for (const id of [world.minting.id, foreign.id, dashboardLookalike.id, kept.tokenId as string, inProgress.id, orphan.id, duplicate.id, sameNameOtherVault.id]) {
      expect(fake.getToken(id)).toBeDefined()
    }
    expect(fake.getToken(crashed.id)).toBeUndefined()
    expect(result.foreign.map((token) => token.id).sort()).toEqual([orphan.id, duplicate.id, sameNameOtherVault.id].sort())
    expect(ofType(events, 'foreign-tokens').flatMap((event) => event.tokens.map((token) => token.id)).sort()).toEqual(result.foreign.map((token) => token.id).sort())
    const names = (await world.vault.list()).map((token) => `${token.name} ${token.status}`)
    expect(names).toContain('cfwrap:demo:dev:workers-deploy:busy pending')
    expect(names).toContain('cfwrap:demo:dev:workers-deploy:missing missing')
    expect(names).not.toContain('cfwrap:demo:dev:workers-deploy:crashed pending')
    expect(names.some((name) => name.startsWith('cfwrap:demo:dev:workers-deploy:nevercreated'))).toBe(false)
    expect(names.some((name) => name.startsWith(gone.name))).toBe(false)
    expect((await recordOf(world, missing.name))?.lastError).toMatch(/not on Cloudflare any more/)
    expect(ofType(events, 'missing-on-cloudflare').map((event) => event.token)).toEqual([missing.name])
    expect(ofType(events, 'gone').map((event) => event.token)).toEqual([gone.name])
    expect(ofType(events, 'pending-dropped').map((event) => event.token).sort()).toEqual(['cfwrap:demo:dev:workers-deploy:crashed', 'cfwrap:demo:dev:workers-deploy:nevercreated'])
    expect(ofType(events, 'reconciled')).toHaveLength(1)
    expect(world.fake.requests.find((request) => request.method === 'GET' && request.path === '/user/tokens')?.query).toMatchObject({ include_expired: 'true' })
    expect(
      await consistencyProblems(world.vault, [kept.name, missing.name, gone.name, 'cfwrap:demo:dev:workers-deploy:crashed', 'cfwrap:demo:dev:workers-deploy:nevercreated']),
    ).toEqual([])
  })

  it('lists every page of tokens (more than 50)', async () => {
    world = await makeWorld()
    for (let i = 0; i < 120; i++) world.fake.seedToken({ name: `cfwrap:bulk:dev:workers-deploy:o${i}`, permissions: [{ name: 'Workers Scripts Write' }], expiresOn: Date.now() - 1000 })
    const { reaper } = makeReaper(world)
    const result = await reaper.reconcile()
    // Expired and named like cfwrap's: dead already, so deleted although this vault never recorded them.
    expect(result).toMatchObject({ ok: true, seen: 0, orphansDeleted: 120 })
    const pages = world.fake.requests.filter((request) => request.method === 'GET' && request.path === '/user/tokens').map((request) => request.query.page)
    expect(pages).toEqual(['1', '2', '3'])
    expect(world.fake.listTokens().map((token) => token.name)).toEqual(['dashboard minting token'])
  })
})
