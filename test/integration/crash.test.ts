// Crash consistency: a real process minting or reaping is SIGKILLed at each step; a fresh reaper
// run must then leave no token alive past its deadline, no orphan on Cloudflare, and no keychain
// secret without its state record (or the reverse).
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TokenEvent } from '../../shared/common/events'
import { isOwnToken } from '../../shared/common/token-name'
import { readAudit } from '../../shared/node/audit'
import { mintingApiProvider } from '../../shared/node/minting-credential'
import { Reaper } from '../../shared/node/reaper'
import { cliEnv } from '../support/cli'
import { consistencyProblems, makeWorld, seedMintedToken, type TokenWorld } from '../support/token-harness'

const ROOT = resolve(__dirname, '..', '..')
// tsx as an import hook, not its CLI: the CLI runs the script in a child process, which would hide the SIGKILL.
const TSX_IMPORT = ['--import', 'tsx']
const HELPER = resolve(ROOT, 'test', 'support', 'mint-crash-helper.ts')

/** Runs `test` in a world of its own, cleaned up afterwards. */
async function inWorld(test: (world: TokenWorld) => Promise<void>): Promise<void> {
  const world = await makeWorld()
  try {
    await test(world)
  } finally {
    await world.cleanup()
  }
}

function runHelper(target: TokenWorld, args: string[]): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [...TSX_IMPORT, HELPER, ...args], {
      env: cliEnv(target.home, { CLOUDFLARE_API_BASE_URL: target.fake.url }),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status, signal) => done({ status, signal, stderr }))
  })
}

/** A fresh reaper run, as after a restart. */
async function restart(target: TokenWorld): Promise<TokenEvent[]> {
  const events: TokenEvent[] = []
  const reaper = new Reaper({ vault: target.vault, api: mintingApiProvider(target.vault, { env: target.env }), onEvent: (event) => events.push(event) })
  const result = await reaper.reapOnce()
  expect(result.failed).toBe(0)
  expect(result.reconcile.ok).toBe(true)
  return events
}

/** No own token on the fake without a matching active record, and none alive past its deadline. */
async function expectNoOrphansOrOverdue(target: TokenWorld): Promise<void> {
  const state = await target.vault.readState()
  const now = Date.now()
  for (const token of target.fake.listTokens()) {
    if (!isOwnToken(token.name, 'cfwrap')) continue
    const record = state.tokens.find((candidate) => candidate.tokenId === token.id)
    expect(record, `orphan on Cloudflare: ${token.name}`).toBeDefined()
    expect(record?.status).toBe('active')
    if (token.expiresOn) expect(Date.parse(token.expiresOn), `${token.name} alive past its deadline`).toBeGreaterThan(now)
  }
}

const TOKEN_NAME = 'cfwrap:crash:dev:workers-deploy:crash'

describe('killed while minting', () => {
  it.each(['intent-recorded', 'created', 'secret-stored'] as const)('at %s: the restart deletes the half-made token everywhere', (step) =>
    inWorld(async (world) => {
    const run = await runHelper(world, ['mint', step, world.fake.account.id, 'dev'])
    expect(run.signal, run.stderr).toBe('SIGKILL')
    const before = await world.vault.find(TOKEN_NAME)
    expect(before?.status).toBe('pending')
    // The crash left what the step implies: a token on Cloudflare from "created" on.
    expect(world.fake.listTokens().some((token) => token.name === TOKEN_NAME)).toBe(step !== 'intent-recorded')

    const events = await restart(world)
    expect(events.filter((event) => event.type === 'pending-dropped').map((event) => (event as { token: string }).token)).toEqual([TOKEN_NAME])
    expect(world.fake.listTokens().filter((token) => token.name === TOKEN_NAME)).toEqual([])
    expect(await world.vault.find(TOKEN_NAME)).toBeUndefined()
    expect(await consistencyProblems(world.vault, [TOKEN_NAME])).toEqual([])
    await expectNoOrphansOrOverdue(world)
    }),
  )

  it('at activated: the token is complete and the restart keeps it', () =>
    inWorld(async (world) => {
    const run = await runHelper(world, ['mint', 'activated', world.fake.account.id, 'dev'])
    expect(run.signal, run.stderr).toBe('SIGKILL')
    await restart(world)
    const record = await world.vault.find(TOKEN_NAME)
    expect(record?.status).toBe('active')
    expect(world.fake.getToken(record?.tokenId as string)?.name).toBe(TOKEN_NAME)
    expect(await consistencyProblems(world.vault, [TOKEN_NAME])).toEqual([])
    await expectNoOrphansOrOverdue(world)
    }),
  )
})

describe('killed while reaping', () => {
  it.each(['marked-deleting', 'deleted-on-cloudflare', 'secret-deleted', 'record-removed'] as const)(
    'at %s: the restart finishes the deletion',
    (step) =>
      inWorld(async (world) => {
      const overdue = await seedMintedToken(world, { name: 'cfwrap:crash:dev:workers-deploy:due', expiresAt: Date.now() - 1000 })
      const bystander = await seedMintedToken(world, { name: 'cfwrap:crash:dev:workers-deploy:later', expiresAt: Date.now() + 3_600_000 })
      const run = await runHelper(world, ['reap', step, overdue.name])
      expect(run.signal, run.stderr).toBe('SIGKILL')
      const onFake = world.fake.getToken(overdue.tokenId as string) !== undefined
      expect(onFake).toBe(step === 'marked-deleting')
      // Audit first: once Cloudflare confirmed, the deletion is in the audit log whatever is killed after it.
      const audited = readAudit(world.vault.paths.audit).some((event) => event.event === 'deleted' && event.token === overdue.name)
      expect(audited).toBe(step !== 'marked-deleting')

      await restart(world)
      expect(world.fake.getToken(overdue.tokenId as string)).toBeUndefined()
      expect(await world.vault.find(overdue.name)).toBeUndefined()
      expect(await world.vault.find(bystander.name)).toMatchObject({ status: 'active' })
      expect(await consistencyProblems(world.vault, [overdue.name, bystander.name])).toEqual([])
      await expectNoOrphansOrOverdue(world)
      }),
  )
})
