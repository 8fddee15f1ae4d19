// Minting against the fake Cloudflare API over real HTTP, with the real keychain.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { toCloudflareTimestamp } from '../../shared/common/duration'
import type { TokenEvent } from '../../shared/common/events'
import { fingerprint } from '../../shared/common/fingerprint'
import { TEMPLATES, type TokenTemplate } from '../../shared/common/templates'
import { CloudflareClient, PermissionGroupCache } from '../../shared/node/cloudflare'
import { auditSubscriber } from '../../shared/node/audit-events'
import { mintToken, MintRefusedError, planMint, uniqueTokenName } from '../../shared/node/mint'
import { findMintingRecord, setupMintingCredential } from '../../shared/node/minting-credential'
import { PERMISSION_GROUP_CATALOG, PermissionScope, type RecordedRequest } from '../support/fake-cloudflare'
import { consistencyProblems, makeWorld, mintRequest, TEST_SETTINGS, type TokenWorld } from '../support/token-harness'

const ZONE_ID = 'fedcba9876543210fedcba9876543210'
let world: TokenWorld | null = null

afterEach(async () => {
  await world?.cleanup()
  world = null
})

function creates(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.method === 'POST' && /\/tokens$/.test(request.path))
}

interface CreateBody {
  name: string
  expires_on?: string
  policies: Array<{ effect: string; resources: Record<string, string>; permission_groups: Array<{ id: string }> }>
}

function groupName(id: string): string {
  const group = PERMISSION_GROUP_CATALOG.find((candidate) => candidate.id === id)
  if (!group) throw new Error(`the fake has no permission group ${id}`)
  return `${group.scopes[0]} ${group.name}`
}

/** What the template should grant, as "scope name" strings, and on which resource key per scope. */
function expectedPolicies(template: TokenTemplate, accountId: string): Array<{ resource: string; groups: string[] }> {
  const byScope = new Map<string, string[]>()
  for (const permission of template.permissions) byScope.set(permission.scope, [...(byScope.get(permission.scope) ?? []), `${permission.scope} ${permission.name}`])
  return [...byScope].map(([scope, groups]) => ({
    resource:
      scope === PermissionScope.account
        ? `com.cloudflare.api.account.${accountId}`
        : scope === PermissionScope.zone
          ? `com.cloudflare.api.account.zone.${ZONE_ID}`
          : `com.cloudflare.edge.r2.bucket.${accountId}_default_assets`,
    groups: groups.sort(),
  }))
}

describe('minting credential (--setup)', () => {
  it('verifies a user token at /user/tokens/verify, checks it can manage tokens, stores it with role minting', async () => {
    world = await makeWorld({ skipSetup: true })
    const { record, owner } = await setupMintingCredential(world.vault, world.minting.value, { env: world.env, onEvent: auditSubscriber(world.vault.paths.audit) })
    expect(owner).toBe('user')
    expect(record).toMatchObject({ role: 'minting', source: 'setup', tokenId: world.minting.id, fingerprint: fingerprint(world.minting.value) })
    const paths = world.fake.requests.map((request) => `${request.method} ${request.path}`)
    expect(paths[0]).toBe('GET /user/tokens/verify')
    expect(paths).toContain('GET /user/tokens/permission_groups')
    expect(await world.vault.readSecret(record.name)).toBe(world.minting.value)
    // The secret is in the keychain only: not in the state file, not in the audit log.
    for (const file of ['state.json', 'audit.jsonl']) expect(readFileSync(join(world.home, file), 'utf8')).not.toContain(world.minting.value)
  })

  it('verifies an account token (cfat_) at the account path and refuses it without --account', async () => {
    world = await makeWorld({ owner: 'account', skipSetup: true })
    await expect(setupMintingCredential(world.vault, world.minting.value, { env: world.env })).rejects.toMatchObject({ exitCode: 2 })
    const { owner, record } = await setupMintingCredential(world.vault, world.minting.value, { env: world.env, accountId: world.fake.account.id })
    expect(owner).toBe('account')
    expect(record.accountId).toBe(world.fake.account.id)
    expect(world.fake.requests.map((request) => request.path)).toContain(`/accounts/${world.fake.account.id}/tokens/verify`)
    expect(world.fake.requests.map((request) => request.path)).not.toContain('/user/tokens/verify')
  })

  it('refuses a token that cannot manage tokens, and one that can only read them', async () => {
    world = await makeWorld({ skipSetup: true })
    const deployOnly = world.fake.seedToken({ permissions: [{ name: 'Workers Scripts Write' }] })
    await expect(setupMintingCredential(world.vault, deployOnly.value, { env: world.env })).rejects.toThrow(/cannot manage API tokens.*API Tokens Write/)
    const readOnly = world.fake.seedToken({ permissions: [{ name: 'API Tokens Read', scope: PermissionScope.user }] })
    await expect(setupMintingCredential(world.vault, readOnly.value, { env: world.env })).rejects.toThrow(/cannot manage API tokens/)
    await expect(setupMintingCredential(world.vault, 'cfut_notarealtokennotarealtokennotarealtoken00000000', { env: world.env })).rejects.toThrow(
      /does not accept this token/,
    )
    expect(await findMintingRecord(world.vault)).toBeUndefined()
  })

  it('replaces the previous minting credential when run again', async () => {
    world = await makeWorld()
    const second = world.fake.seedToken({ permissions: [{ name: 'API Tokens Write', scope: PermissionScope.user }] })
    const { replaced, record } = await setupMintingCredential(world.vault, second.value, { env: world.env })
    expect(replaced.map((old) => old.fingerprint)).toEqual([fingerprint(world.minting.value)])
    expect((await world.vault.list()).filter((token) => token.role === 'minting')).toEqual([record])
    expect(await world.vault.readSecret(record.name)).toBe(second.value)
  })
})

describe('mintToken', () => {
  it.each(TEMPLATES.map((template) => [template.name, template] as const))('%s: the fake receives exactly the template\'s policies', async (_name, template) => {
    world ??= await makeWorld()
    world.fake.clearRequests()
    const api = await world.api()
    const before = Date.now()
    const result = await mintToken({
      vault: world.vault,
      api,
      plan: planMint(mintRequest(world, { template: template.name, ttlSeconds: 600, zoneId: ZONE_ID, bucket: 'assets', project: `p-${template.name}` }), TEST_SETTINGS),
    })
    const [create, ...more] = creates(world.fake.requests)
    expect(more).toEqual([])
    const body = create?.body as CreateBody
    expect(body.name).toBe(`cfwrap:p-${template.name}:dev:${template.name}:tester`)
    const received = body.policies.map((policy) => {
      expect(policy.effect).toBe('allow')
      expect(Object.values(policy.resources)).toEqual(['*'])
      return { resource: Object.keys(policy.resources)[0], groups: policy.permission_groups.map((group) => groupName(group.id)).sort() }
    })
    expect(received).toEqual(expectedPolicies(template, world.fake.account.id))
    // Deadline: whole UTC seconds, never later than asked for, and the same instant in the record.
    expect(body.expires_on).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const deadline = Date.parse(body.expires_on as string)
    expect(deadline).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 600_000 - 1000)
    expect(deadline).toBeLessThanOrEqual(Date.now() + 600_000)
    expect(Date.parse(result.record.expiresAt as string)).toBe(deadline)
    // The secret is in the keychain and matches the token the fake made.
    const onFake = world.fake.getToken(result.record.tokenId as string)
    expect(onFake?.name).toBe(result.record.name)
    expect(result.record.fingerprint).toBe(fingerprint(onFake?.value as string))
    expect(await consistencyProblems(world.vault, [result.record.name])).toEqual([])
    expect(result.record).toMatchObject({ status: 'active', temporary: true, source: 'minted', role: 'command', template: template.name })
    expect(result.record.pendingPid).toBeUndefined()
  })

  it('resolves permission groups by name and scope at run time and caches them in memory and on disk', async () => {
    world = await makeWorld()
    const cacheFile = join(world.home, 'permission-groups.json')
    // --setup filled the cache from the full list; start from nothing to see the look-ups.
    new PermissionGroupCache(cacheFile).invalidate(world.fake.url)
    world.fake.clearRequests()
    const api = await world.api()
    await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world, { template: 'read-only' }), TEST_SETTINGS) })
    const lookups = world.fake.requests.filter((request) => request.path.endsWith('/permission_groups'))
    expect(lookups.map((request) => request.query).sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: 'Account Analytics Read', scope: PermissionScope.account },
      { name: 'Logs Read', scope: PermissionScope.account },
      { name: 'Workers Tail Read', scope: PermissionScope.account },
    ])
    // "Logs Read" exists at zone scope too: the account one must be used.
    const body = creates(world.fake.requests)[0]?.body as CreateBody
    expect(body.policies[0]?.permission_groups.map((group) => groupName(group.id))).toContain(`${PermissionScope.account} Logs Read`)
    expect(existsSync(cacheFile)).toBe(true)

    world.fake.clearRequests()
    await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world, { template: 'read-only', env: 'prod' }), TEST_SETTINGS) })
    const fresh = await CloudflareClient.create({
      apiToken: world.minting.value,
      owner: 'user',
      baseURL: world.fake.url,
      permissionGroups: new PermissionGroupCache(cacheFile),
    })
    await fresh.resolvePermissionGroups([{ name: 'Logs Read', scope: PermissionScope.account }])
    expect(world.fake.requests.filter((request) => request.path.endsWith('/permission_groups'))).toEqual([])
  })

  it('mints account-owned tokens at the account path with an account minting credential', async () => {
    world = await makeWorld({ owner: 'account' })
    const result = await mintToken({ vault: world.vault, api: await world.api(), plan: planMint(mintRequest(world), TEST_SETTINGS) })
    expect(creates(world.fake.requests).map((request) => request.path)).toEqual([`/accounts/${world.fake.account.id}/tokens`])
    expect(result.record.owner).toBe('account')
    expect(world.fake.getToken(result.record.tokenId as string)?.owner).toEqual({ account: world.fake.account.id })
    expect(world.fake.getToken(result.record.tokenId as string)?.value.startsWith('cfat_')).toBe(true)
    await expect(
      mintToken({ vault: world.vault, api: await world.api(), plan: planMint(mintRequest(world, { accountId: 'ab'.repeat(16) }), TEST_SETTINGS) }),
    ).rejects.toThrow(/owned by account .* can only mint tokens for that account/)
  })

  it('gives a second mint of the same job its own name, and records each step in order', async () => {
    world = await makeWorld()
    const api = await world.api()
    const steps: string[] = []
    const events: TokenEvent[] = []
    const first = await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world), TEST_SETTINGS), onStep: (step) => steps.push(step), onEvent: (e) => events.push(e) })
    const second = await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world), TEST_SETTINGS) })
    expect(steps).toEqual(['intent-recorded', 'created', 'secret-stored', 'activated'])
    expect(events).toEqual([expect.objectContaining({ type: 'minted', token: first.record.name, tokenId: first.record.tokenId, fingerprint: first.record.fingerprint })])
    expect(first.record.name).toBe('cfwrap:demo:dev:workers-deploy:tester')
    expect(second.record.name).toBe('cfwrap:demo:dev:workers-deploy:tester-2')
    expect(uniqueTokenName({ prefix: 'a', project: 'b', env: 'c', purpose: 'd', owner: 'e' }, new Set(['a:b:c:d:e', 'a:b:c:d:e-2']))).toBe('a:b:c:d:e-3')
    expect(await consistencyProblems(world.vault, [first.record.name, second.record.name])).toEqual([])
  })

  it('mints a permanent token only when asked, without expires_on', async () => {
    world = await makeWorld()
    const result = await mintToken({ vault: world.vault, api: await world.api(), plan: planMint(mintRequest(world, { ttlSeconds: undefined, permanent: true }), TEST_SETTINGS) })
    expect((creates(world.fake.requests)[0]?.body as CreateBody).expires_on).toBeUndefined()
    expect(result.record).toMatchObject({ temporary: false, expiresAt: null })
    expect(result.warnings.join(' ')).toMatch(/never expires/)
  })

  it('refuses guard violations before any request, with every reason', async () => {
    world = await makeWorld()
    world.fake.clearRequests()
    let refusal: unknown
    try {
      planMint(mintRequest(world, { template: 'dns-edit', ttlSeconds: 5, accountId: undefined }), TEST_SETTINGS)
    } catch (error) {
      refusal = error
    }
    // A refused request never gets a plan, and mintToken takes nothing else: nothing can be sent.
    if (!(refusal instanceof MintRefusedError)) throw new Error('expected a MintRefusedError')
    expect(refusal.refusals.map((r) => r.rule).sort()).toEqual(['resource-required', 'ttl-bounds'])
    expect(world.fake.requests).toEqual([])
    expect(await world.vault.list()).toHaveLength(1)
  })

  it('refuses clearly when the 50-token quota is reached, suggests --reap, and leaves nothing behind', async () => {
    world = await makeWorld({ fake: { userTokenQuota: 3 } })
    const api = await world.api()
    // The minting credential itself is the first of the three.
    await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world, { env: 'a' }), TEST_SETTINGS) })
    await mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world, { env: 'b' }), TEST_SETTINGS) })
    const failed = mintToken({ vault: world.vault, api, plan: planMint(mintRequest(world, { env: 'c' }), TEST_SETTINGS) })
    await expect(failed).rejects.toThrow(/quota is used up.*expired tokens count until deleted.*cfwrap --reap/)
    const names = (await world.vault.list()).map((token) => token.name)
    expect(names).not.toContain('cfwrap:demo:c:workers-deploy:tester')
    expect(await consistencyProblems(world.vault, ['cfwrap:demo:c:workers-deploy:tester'])).toEqual([])
  })

  it('after a 5xx on create, checks by name that nothing was made and drops the intent', async () => {
    world = await makeWorld()
    world.fake.faults.serverError({ method: 'POST', count: 1 })
    await expect(mintToken({ vault: world.vault, api: await world.api(), plan: planMint(mintRequest(world), TEST_SETTINGS) })).rejects.toThrow(/was not created/)
    expect(world.fake.requests.some((request) => request.method === 'GET' && request.path === '/user/tokens')).toBe(true)
    expect((await world.vault.list()).map((token) => token.role)).toEqual(['minting'])
    expect(world.fake.listTokens().map((token) => token.name)).toEqual(['dashboard minting token'])
  })

  it('never puts the secret in the state file, the audit log or an error', async () => {
    world = await makeWorld()
    // With the audit log subscribed, as the service wires it: its line for the mint must not carry the secret either.
    const result = await mintToken({ vault: world.vault, api: await world.api(), plan: planMint(mintRequest(world), TEST_SETTINGS), onEvent: auditSubscriber(world.vault.paths.audit) })
    const secret = await world.vault.readSecret(result.record.name)
    expect(readFileSync(join(world.home, 'audit.jsonl'), 'utf8')).toContain('"event":"minted"')
    for (const file of ['state.json', 'audit.jsonl']) expect(readFileSync(join(world.home, file), 'utf8')).not.toContain(secret)
    expect(JSON.stringify(result)).not.toContain(secret)
    expect(toCloudflareTimestamp(new Date(result.record.expiresAt as string))).toBe((creates(world.fake.requests).at(-1)?.body as CreateBody).expires_on)
  })
})
