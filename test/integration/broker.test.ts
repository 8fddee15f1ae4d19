// The broker over its real sockets, in front of the real core (fake API, real keychain, real
// files): what is granted at once, what waits for a person, leases, and hostile input.
import net from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROKER_PROTOCOL_VERSION, type GrantedToken, type PendingRequest } from '../../shared/common/broker/protocol'
import { BrokerRefusedError, brokerCall } from '../../shared/node/broker/client'
import { brokerPaths, type BrokerPaths } from '../../shared/node/broker/paths'
import { createCore } from '../../shared/node/core'
import type { Core } from '../../shared/node/core-api'
import { makeWorld, waitFor, type TokenWorld } from '../support/token-harness'

const requester = { pid: process.pid, cwd: process.cwd() }

/** Sends raw bytes on a fresh connection and collects what comes back until the broker closes it or `ms` pass. */
function raw(path: string, payload: string | Buffer, ms = 1500): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.createConnection(path)
    let text = ''
    let closed = false
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('close', () => {
      closed = true
      finish()
    })
    socket.on('error', () => undefined)
    socket.on('connect', () => socket.write(payload))
    const timer = setTimeout(() => finish(), ms)
    let done = false
    function finish(): void {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ lines: text.split('\n').filter(Boolean), closed })
    }
  })
}

describe('the broker', () => {
  let world: TokenWorld
  let core: Core
  let paths: BrokerPaths
  const ask = (overrides: Record<string, unknown> = {}) => ({ template: 'read-only', project: 'shop', env: 'dev', accountId: world.fake.account.id, ...overrides })

  beforeAll(async () => {
    world = await makeWorld({ fake: { userTokenQuota: 1000 }, approvalPolicy: 'default' })
    core = createCore({ vault: world.vault, env: world.env, home: world.home, profiles: [] })
    await core.start()
    paths = brokerPaths(world.env, world.vault.dir)
  })
  afterAll(async () => {
    await core.stop()
    await world.cleanup()
  })

  it('serves two sockets, 0600 in a 0700 directory, and refuses a second broker for the same vault, naming the first', async () => {
    const { statSync } = await import('node:fs')
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700)
    expect(statSync(paths.agent).mode & 0o777).toBe(0o600)
    expect(statSync(paths.control).mode & 0o777).toBe(0o600)
    const second = createCore({ vault: world.vault, env: world.env, home: world.home, profiles: [] })
    await expect(second.start()).rejects.toThrow(`a cfwrap broker already runs for this vault (pid ${process.pid}`)
    await second.stop()
    expect(await brokerCall(paths.agent, { op: 'hello' })).toEqual({ pid: process.pid, protocol: 1 })
  })

  it('grants a low-risk token within its defaults at once, marked as the broker\'s, and the audit log names the requester', async () => {
    const granted = (await brokerCall(paths.agent, { op: 'request', ask: ask(), reason: 'tail the logs', requester })) as GrantedToken
    expect(granted.name).toBe('cfwrap:shop:dev:read-only:agent')
    expect(await world.vault.find(granted.name)).toMatchObject({ grantedBy: 'broker', status: 'active' })
    const audit = readFileSync(world.vault.paths.audit, 'utf8')
    expect(audit).toMatch(/"event":"broker-request".*granted by the policy/)
    expect(audit).toMatch(/node \(\d+\)/)
  })

  it('a production deploy waits for a person: listed on control.sock, approved there, then granted', async () => {
    let pendingId = ''
    const waiting = brokerCall(paths.agent, { op: 'request', ask: ask({ template: 'workers-deploy', env: 'prod' }), reason: 'deploy the fix', requester }, { onPending: (id) => (pendingId = id) })
    await waitFor(() => pendingId !== '', 5000, 'the pending answer')
    const { requests } = (await brokerCall(paths.control, { op: 'pending' })) as { requests: PendingRequest[] }
    const request = requests.find((candidate) => candidate.id === pendingId)
    expect(request).toMatchObject({ name: 'cfwrap:shop:prod:workers-deploy:agent', risk: 'high', reason: 'deploy the fix' })
    expect(request?.needsApprovalBecause).toEqual(['its risk is high', 'it is for prod'])
    expect(request?.chain[0]).toMatchObject({ pid: process.pid })
    expect(core.currentSnapshot().pending.map((item) => item.id)).toContain(pendingId)
    // The agent socket cannot approve: control messages are not part of its protocol.
    await expect(brokerCall(paths.agent, { op: 'approve', requestId: pendingId })).rejects.toThrow(/invalid message/)
    await brokerCall(paths.control, { op: 'approve', requestId: pendingId })
    const granted = (await waiting) as GrantedToken
    expect(granted.name).toBe('cfwrap:shop:prod:workers-deploy:agent')
    expect(core.currentSnapshot().pending).toEqual([])
  })

  it('a denial ends the request with one sentence and mints nothing', async () => {
    let pendingId = ''
    const before = world.fake.tokensAlive().length
    const waiting = brokerCall(paths.agent, { op: 'request', ask: ask({ template: 'dns-edit', zoneId: world.fake.account.id, env: 'staging' }), reason: 'r', requester }, { onPending: (id) => (pendingId = id) })
    await waitFor(() => pendingId !== '', 5000, 'the pending answer')
    await serveDeny(pendingId)
    await expect(waiting).rejects.toBeInstanceOf(BrokerRefusedError)
    await expect(waiting).rejects.toThrow(`A person denied request ${pendingId}`)
    expect(world.fake.tokensAlive()).toHaveLength(before)
  })

  async function serveDeny(id: string): Promise<void> {
    await brokerCall(paths.control, { op: 'deny', requestId: id })
  }

  it('leases only what the broker granted, and lists only that', async () => {
    const granted = (await brokerCall(paths.agent, { op: 'request', ask: ask({ env: 'lease' }), reason: '', requester })) as GrantedToken
    const lease = (await brokerCall(paths.agent, { op: 'lease', name: granted.name, requester })) as GrantedToken & { secret: string }
    expect(world.fake.tokensAlive().find((token) => token.name === granted.name)?.value).toBe(lease.secret)
    const listed = (await brokerCall(paths.agent, { op: 'list' })) as GrantedToken[]
    expect(listed.map((token) => token.name)).toContain(granted.name)
    // The person's own tokens (the minting credential among them) are not the agent's to lease or revoke.
    const minting = (await world.vault.list()).find((record) => record.role === 'minting')?.name as string
    expect(listed.map((token) => token.name)).not.toContain(minting)
    await expect(brokerCall(paths.agent, { op: 'lease', name: minting })).rejects.toThrow(/not a token the broker granted/)
    await expect(brokerCall(paths.agent, { op: 'revoke', name: minting })).rejects.toThrow(/an agent cannot revoke it/)
    expect(readFileSync(world.vault.paths.audit, 'utf8')).not.toContain(lease.secret)
    expect(readFileSync(world.vault.paths.audit, 'utf8')).toMatch(/"event":"leased"/)
  })

  it('a standing approval grants the same template, project and env until it ends, then asks again', async () => {
    let pendingId = ''
    const first = brokerCall(paths.agent, { op: 'request', ask: ask({ template: 'kv-write', env: 'prod' }), reason: '', requester }, { onPending: (id) => (pendingId = id) })
    await waitFor(() => pendingId !== '', 5000, 'the pending answer')
    await brokerCall(paths.control, { op: 'approve', requestId: pendingId, forMs: 1500 })
    await first
    // Within the window: granted at once.
    await brokerCall(paths.agent, { op: 'request', ask: ask({ template: 'kv-write', env: 'prod' }), reason: '', requester }, { onPending: () => expect.unreachable('no approval needed within the window') })
    await new Promise((resolve) => setTimeout(resolve, 1600))
    let again = ''
    const after = brokerCall(paths.agent, { op: 'request', ask: ask({ template: 'kv-write', env: 'prod' }), reason: '', requester }, { onPending: (id) => (again = id) })
    await waitFor(() => again !== '', 5000, 'a new pending answer after the window')
    await serveDeny(again)
    await expect(after).rejects.toThrow(/denied/)
    await expect(brokerCall(paths.control, { op: 'approve', requestId: again, forMs: 9 * 3_600_000 })).rejects.toThrow(/no pending request/)
  })

  it('survives hostile input: garbage, oversize, half and wrong-version messages, floods; nothing changes and it keeps serving', async () => {
    const before = JSON.stringify((await world.vault.list()).map((record) => record.name).sort())
    const cases: Array<string | Buffer> = [
      'not json\n',
      '{"v":1,"id":1,"op":"lease"}\n',
      '{"v":2,"id":1,"op":"hello"}\n',
      `${'x'.repeat(20_000)}\n`,
      `{"v":1,"id":1,"op":"request","ask":${'['.repeat(5000)}\n`,
      Buffer.from([0xff, 0xfe, 0x00, 0x0a]),
      '{"v":1,"id":-1,"op":"hello"}\n',
      '{"v":1,"id":1,"op":"request","ask":{"template":"read-only","project":"p","env":"e","extraPermissions":[{"name":"API Tokens Write","scope":"com.cloudflare.api.user"}]},"reason":"","requester":{"pid":1,"cwd":"/"}}\n',
      `${'{"v":1,"id":1,"op":"list"}\n'.repeat(200)}`,
      '["v",1]\n',
      'null\n',
    ]
    let answered = 0
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(cases.map((payload) => raw(paths.agent, payload, 300)))
      for (const result of results) {
        // Each hostile message gets an error line, or the connection is closed, or both.
        expect(result.lines.length > 0 || result.closed).toBe(true)
        for (const line of result.lines) expect(JSON.parse(line)).toMatchObject({ v: BROKER_PROTOCOL_VERSION })
        answered++
      }
    }
    expect(answered).toBe(10 * cases.length)
    expect(await brokerCall(paths.agent, { op: 'hello' })).toMatchObject({ pid: process.pid })
    expect(JSON.stringify((await world.vault.list()).map((record) => record.name).sort())).toBe(before)
    expect(core.currentSnapshot().pending).toEqual([])
  })

  it('answers 200 concurrent requests: each waits, each gets its own decision', async () => {
    const ids = new Set<string>()
    const waiting = Array.from({ length: 200 }, (_, i) =>
      brokerCall(paths.agent, { op: 'request', ask: ask({ template: 'workers-deploy', env: 'prod', project: `p${i}` }), reason: `job ${i}`, requester }, { onPending: (id) => ids.add(id) }).then(
        () => 'granted',
        (error: Error) => error.message,
      ),
    )
    await waitFor(() => ids.size === 200, 20_000, '200 pending answers')
    expect(core.currentSnapshot().pending).toHaveLength(200)
    for (const id of ids) await brokerCall(paths.control, { op: 'deny', requestId: id })
    const outcomes = await Promise.all(waiting)
    expect(outcomes.every((outcome) => /^A person denied request [0-9a-f]{12} \(cfwrap:p\d+:prod:workers-deploy:agent\)/.test(outcome))).toBe(true)
    expect(core.currentSnapshot().pending).toEqual([])
  }, 60_000)

  it('a requester that goes away takes its pending request with it', async () => {
    let pendingId = ''
    const socket = net.createConnection(paths.agent)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      const match = /"pending":"([0-9a-f]+)"/.exec(chunk)
      if (match) pendingId = match[1] as string
    })
    socket.write(`${JSON.stringify({ v: 1, id: 7, op: 'request', ask: ask({ template: 'workers-deploy', env: 'prod', project: 'gone' }), reason: '', requester })}\n`)
    await waitFor(() => pendingId !== '', 5000, 'the pending answer')
    socket.destroy()
    await waitFor(() => !core.currentSnapshot().pending.some((item) => item.id === pendingId), 5000, 'the request to go')
  })
})

describe('the socket server under the broker', () => {
  it('closes a connection that leaves half a message hanging, or sits idle, and one flooding it with messages in flight', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'cfwrap-sock-'))
    const { serveSocket } = await import('../../shared/node/broker/ndjson-server')
    const { AgentMessageSchema } = await import('../../shared/common/broker/protocol')
    // A handler that never answers: every message stays in flight.
    const server = await serveSocket(join(dir, 's.sock'), AgentMessageSchema, () => new Promise(() => undefined), { partialLineTimeoutMs: 200, idleTimeoutMs: 300, maxInFlight: 4 })
    try {
      const half = await raw(server.path, '{"v":1,"id":1,"op":"hel', 2000)
      expect(half.closed).toBe(true)
      expect(half.lines.map((line) => JSON.parse(line).error)).toEqual(['closed: half a message, and the rest never came.'])
      const idle = await raw(server.path, '', 2000)
      expect(idle.closed).toBe(true)
      const flood = await raw(server.path, '{"v":1,"id":1,"op":"hello"}\n'.repeat(10), 2000)
      expect(flood.closed).toBe(true)
      expect(flood.lines.map((line) => JSON.parse(line).error)).toEqual(['closed: more than 4 messages at once.'])
      await waitFor(() => server.connections() === 0, 3000, 'every connection closed')
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
