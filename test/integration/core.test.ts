// The core the tray app and the daemon share, over the fake API, the real keychain and real files.
import { serveRequest } from '../../shared/node/ipc-adapter'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTRACT, type CoreSnapshot } from '../../shared/common/ipc'
import { readAudit } from '../../shared/node/audit'
import type { CoreEvent } from '../../shared/node/core-api'
import { createCore } from '../../shared/node/core'
import { KeychainUnavailableError } from '../../shared/node/keychain'
import { Vault } from '../../shared/node/vault'
import type { Core } from '../../shared/node/core-api'
import { fakeSecret } from '../support/cli'
import { makeWorld, type TokenWorld } from '../support/token-harness'

async function waitFor<T>(find: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = find()
    if (found) return found
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('core', () => {
  let world: TokenWorld
  let core: Core
  let userHome: string
  const events: CoreEvent[] = []
  const pushed: string[] = []

  beforeAll(async () => {
    world = await makeWorld()
    userHome = mkdtempSync(join(tmpdir(), 'cfwrap-core-home-'))
    mkdirSync(join(userHome, '.config', '.wrangler', 'config'), { recursive: true })
    writeFileSync(join(userHome, '.config', '.wrangler', 'config', 'default.toml'), 'oauth_token = "cfoat_x"\n')
    core = createCore({ vault: world.vault, env: world.env, home: userHome, profiles: [join(userHome, '.zshrc')], reaper: { sweepIntervalMs: 500 } })
    core.onEvent((event) => events.push(event))
    core.subscribe((snapshot) => pushed.push(JSON.stringify(snapshot)))
    await core.start()
  })
  afterAll(async () => {
    await core.stop()
    await world.cleanup()
    rmSync(userHome, { recursive: true, force: true })
  })

  it('rejects payloads that do not match the channel schema, before doing anything', async () => {
    expect(await serveRequest(core, 'revoke', { name: 42 })).toMatchObject({ ok: false })
    expect(await serveRequest(core, 'mint', { template: 'workers-deploy' })).toMatchObject({ ok: false, error: 'Invalid mint request: project should be a string; env should be a string.' })
    expect(await serveRequest(core, 'setupMinting', { secret: 'short' })).toMatchObject({ ok: false })
    expect(await serveRequest(core, 'updateSettings', { namePrefix: 'Has Spaces' })).toMatchObject({ ok: false })
    expect(await serveRequest(core, 'addWatchedRoot', { path: join(userHome, 'missing') })).toMatchObject({ ok: false, error: expect.stringContaining('not a directory') })
  })

  it('previews a mint (name, policies, deadline) and explains guard refusals', async () => {
    const preview = await serveRequest(core, 'previewMint', { template: 'workers-deploy', project: 'shop', env: 'prod', owner: 'jane', accountId: world.fake.account.id, ttlSeconds: 900 })
    if (!preview.ok) throw new Error(preview.error)
    expect(preview.value.name).toBe('cfwrap:shop:prod:workers-deploy:jane')
    expect(preview.value.policies.join('\n')).toContain('Workers Scripts Write')
    expect(Date.parse(preview.value.expiresAt as string) - Date.now()).toBeGreaterThan(890_000)
    const refused = await serveRequest(core, 'previewMint', { template: 'dns-edit', project: 'shop', env: 'prod', owner: 'claude-agent', zoneId: world.fake.account.id, ttlSeconds: 99_999 })
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.refusals?.map((r) => r.rule)).toContain('ttl-bounds')
  })

  it('mints through the minting credential, shows the token with scopes and fingerprint, then revokes it', async () => {
    const minted = await serveRequest(core, 'mint', { template: 'read-only', project: 'shop', env: 'dev', owner: 'jane', accountId: world.fake.account.id, ttlSeconds: 600 })
    if (!minted.ok) throw new Error(minted.error)
    const name = minted.value.name
    const view = await waitFor(() => core.currentSnapshot().tokens.find((t) => t.name === name))
    expect(view).toMatchObject({ template: 'read-only', temporary: true, status: 'active' })
    expect(view.fingerprint).toMatch(/^[0-9a-f]{12}$/)
    expect(view.scopes.join(' ')).toContain('Account Analytics Read')
    expect(world.fake.tokensAlive().map((t) => t.name)).toContain(name)
    expect(core.liveTemporaryTokens()).toContain(name)
    expect(core.currentSnapshot().settings.recentTemplates[0]).toBe('read-only')
    expect(events.some((e) => e.type === 'token' && e.event.type === 'minted' && e.event.token === name)).toBe(true)
    // Every response is exactly what the contract says it is.
    expect(CONTRACT.mint.response.parse(minted.value)).toEqual(minted.value)
    const revoked = await serveRequest(core, 'revoke', { name })
    expect(revoked).toEqual({ ok: true, value: { name, outcome: 'deleted' } })
    expect(CONTRACT.snapshot.response.safeParse(core.currentSnapshot()).success).toBe(true)
    // The audit log heard it from the event bus: one line each, typed names, never a secret.
    const audited = readAudit(world.vault.paths.audit).filter((line) => line.token === name).map((line) => line.event)
    expect(audited).toEqual(['minted', 'deleted'])
    expect(world.fake.tokensAlive().map((t) => t.name)).not.toContain(name)
    await waitFor(() => !core.currentSnapshot().tokens.some((t) => t.name === name))
    // The window and the notifications hear of it like of a deletion at the deadline.
    expect(events.find((e) => e.type === 'token' && e.event.type === 'deleted' && e.event.token === name)).toMatchObject({ event: { reason: 'revoked' } })
  })

  it('revoke-all emits a deleted event for every token it deleted', async () => {
    const names: string[] = []
    for (const env of ['a', 'b']) {
      const minted = await serveRequest(core, 'mint', { template: 'read-only', project: 'all', env, owner: 'jane', accountId: world.fake.account.id, ttlSeconds: 600 })
      if (!minted.ok) throw new Error(minted.error)
      names.push(minted.value.name)
    }
    const result = await serveRequest(core, 'revokeAll', {})
    if (!result.ok) throw new Error(result.error)
    expect(CONTRACT.revokeAll.response.parse(result.value)).toEqual(result.value)
    expect(readAudit(world.vault.paths.audit).filter((line) => line.event === 'revoke-all')).toHaveLength(1)
    const deleted = events.flatMap((e) => (e.type === 'token' && e.event.type === 'deleted' && e.event.reason === 'revoke-all' ? [e.event.token] : []))
    expect(deleted.sort()).toEqual(expect.arrayContaining(names.sort()))
  })

  it('deletes a temporary token at its deadline and the snapshot follows', async () => {
    const minted = await serveRequest(core, 'mint', { template: 'read-only', project: 'shop', env: 'ttl', owner: 'jane', accountId: world.fake.account.id, ttlSeconds: 10 })
    if (!minted.ok) throw new Error(minted.error)
    const name = minted.value.name
    await waitFor(() => events.find((e) => e.type === 'token' && e.event.type === 'deleted' && e.event.token === name), 20_000)
    expect(world.fake.tokensAlive().map((t) => t.name)).not.toContain(name)
    await waitFor(() => !core.currentSnapshot().tokens.some((t) => t.name === name))
  })

  it('watches an added root: a secret in its .env becomes a finding, a known token is named, dismiss hides it', async () => {
    const project = mkdtempSync(join(tmpdir(), 'cfwrap-core-proj-'))
    try {
      const added = await serveRequest(core, 'addWatchedRoot', { path: project })
      if (!added.ok) throw new Error(added.error)
      expect(added.value.watchedRoots).toContain(project)
      // The minting credential's own secret pasted into a project file: "this is your token".
      writeFileSync(join(project, '.env'), `X=1\nCLOUDFLARE_API_TOKEN=${world.minting.value}\n`)
      const finding = await waitFor(() => core.currentSnapshot().findings.find((f) => f.finding.file === join(project, '.env')))
      expect(finding.finding.line).toBe(2)
      expect(finding.knownToken).toBe('cfwrap-minting')
      expect(events.some((e) => e.type === 'finding' && e.finding.id === finding.id)).toBe(true)
      // Lines added above it: the window is sent the finding at its new line, same id.
      writeFileSync(join(project, '.env'), `# a\n# b\nX=1\nCLOUDFLARE_API_TOKEN=${world.minting.value}\n`)
      await waitFor(() => pushed.some((json) => (JSON.parse(json) as CoreSnapshot).findings.some((f) => f.id === finding.id && f.finding.line === 4)))
      expect(events.filter((e) => e.type === 'finding' && e.finding.id === finding.id)).toHaveLength(1)
      // The .env also shadows the Wrangler login when Wrangler runs there.
      await waitFor(() => core.currentSnapshot().shadows.find((s) => s.source === 'dotenv' && s.file === join(project, '.env')))
      expect(await serveRequest(core, 'dismissFinding', { id: finding.id })).toMatchObject({ ok: true })
      await waitFor(() => !core.currentSnapshot().findings.some((f) => f.id === finding.id))
      const removed = await serveRequest(core, 'removeWatchedRoot', { path: project })
      expect(removed.ok && removed.value.watchedRoots).toEqual([])
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })

  it('asks Cloudflare whether a leaked token is alive only when the setting is on', async () => {
    const project = mkdtempSync(join(tmpdir(), 'cfwrap-core-verify-'))
    try {
      expect(core.currentSnapshot().settings.verifyFindings).toBe(false)
      await serveRequest(core, 'addWatchedRoot', { path: project })
      const verifyCalls = () => world.fake.requests.filter((request) => request.path.endsWith('/tokens/verify')).length
      const before = verifyCalls()
      writeFileSync(join(project, '.env'), `CLOUDFLARE_API_TOKEN=${world.minting.value}\n`)
      const found = await waitFor(() => core.currentSnapshot().findings.find((f) => f.finding.file === join(project, '.env')))
      await new Promise((r) => setTimeout(r, 300))
      expect(found.verified).toBeUndefined()
      expect(verifyCalls()).toBe(before)
      // Opt in: the finding already there is checked, and says the token still works.
      const on = await serveRequest(core, 'updateSettings', { verifyFindings: true })
      expect(on.ok && on.value.verifyFindings).toBe(true)
      const verified = await waitFor(() => core.currentSnapshot().findings.find((f) => f.finding.file === join(project, '.env') && f.verified !== undefined))
      expect(verified.verified).toMatchObject({ status: 'active' })
      // Listeners hear it too (the tray's notification, the daemon's JSON).
      expect(events.some((e) => e.type === 'finding-verified' && e.finding.id === verified.id && e.finding.verified?.status === 'active')).toBe(true)
      expect(verifyCalls()).toBe(before + 1)
      expect(JSON.stringify(core.currentSnapshot())).not.toContain(world.minting.value)
      await serveRequest(core, 'updateSettings', { verifyFindings: false })
      await serveRequest(core, 'removeWatchedRoot', { path: project })
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })

  it('watches shell start-up files and reports a shadowing export', async () => {
    writeFileSync(join(userHome, '.zshrc'), `export CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    const finding = await waitFor(() => core.currentSnapshot().findings.find((f) => f.finding.file === join(userHome, '.zshrc')))
    expect(finding.finding.severity).toBe('critical')
    const shadow = await waitFor(() => events.find((e) => e.type === 'shadow' && e.warning.source === 'shell-profile'))
    expect(shadow).toBeTruthy()
  })

  it('pauses and resumes watching, and updates settings', async () => {
    const paused = await serveRequest(core, 'setWatchPaused', { paused: true })
    expect(paused.ok && paused.value.watchPaused).toBe(true)
    expect(core.currentSnapshot().findings).toEqual([])
    const resumed = await serveRequest(core, 'setWatchPaused', { paused: false })
    expect(resumed.ok && resumed.value.watchPaused).toBe(false)
    const settings = await serveRequest(core, 'updateSettings', { namePrefix: 'acme', defaultOwner: 'ci-bot' })
    expect(settings).toMatchObject({ ok: true, value: { namePrefix: 'acme', defaultOwner: 'ci-bot' } })
  })

  it('never puts a secret in a snapshot or an event', () => {
    const everything = JSON.stringify([core.currentSnapshot(), events, pushed])
    expect(everything).not.toContain(world.minting.value)
    expect(pushed.length).toBeGreaterThan(0)
  })
})

describe('load problems in the snapshot', () => {
  it('an unreachable API and a keychain that cannot be reached are states the window and the tray show, each one sentence', async () => {
    const world = await makeWorld()
    try {
      // Cloudflare unreachable: the mint fails with one sentence, and the snapshot keeps the state.
      const offline = createCore({ vault: world.vault, env: { CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9' }, home: world.home, profiles: [] })
      const failed = await serveRequest(offline, 'mint', { template: 'read-only', project: 'p', env: 'e', accountId: world.fake.account.id, ttlSeconds: 600 })
      expect(failed).toMatchObject({ ok: false, error: expect.stringMatching(/cannot reach the Cloudflare API \(127\.0\.0\.1:9\)/) })
      if (!failed.ok) expect(failed.error.split('\n')).toHaveLength(1)
      await waitFor(() => offline.currentSnapshot().problems.some((problem) => problem.kind === 'api'))
      expect(offline.currentSnapshot().problems.find((problem) => problem.kind === 'api')?.message).toMatch(/cannot reach the Cloudflare API/)

      // The keychain refuses: the same, as a keychain problem.
      const locked = Vault.open({
        dir: join(world.home, 'locked'),
        secrets: {
          get: async () => null,
          set: async () => {
            throw new KeychainUnavailableError('The keychain is locked: unlock it (or log in again) and try again.')
          },
          delete: async () => false,
        },
      })
      const lockedCore = createCore({ vault: locked, env: world.env, home: world.home, profiles: [] })
      const refused = await serveRequest(lockedCore, 'setupMinting', { secret: world.minting.value })
      expect(refused).toEqual({ ok: false, error: 'The keychain is locked: unlock it (or log in again) and try again.' })
      await waitFor(() => lockedCore.currentSnapshot().problems.some((problem) => problem.kind === 'keychain'))
      expect(JSON.stringify(lockedCore.currentSnapshot())).not.toContain(world.minting.value)
    } finally {
      await world.cleanup()
    }
  })
})
