// What cfwrap trusts about the API it talks to: where the minting credential may be sent, and whether
// a created token holds exactly the template's permissions (the permission-group cache is a file an
// attacker with the user's rights can edit). The built CLI against the fake API over HTTP, the real keychain.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkApiBaseUrl } from '../../shared/node/cloudflare'
import { cliEnv, runCli } from '../support/cli'
import { findPermissionGroup, PermissionScope } from '../support/fake-cloudflare'
import { makeWorld, type TokenWorld } from '../support/token-harness'

let world: TokenWorld | null = null
afterEach(async () => {
  await world?.cleanup()
  world = null
})

describe('the API base URL', () => {
  it('refuses plain http to anything but loopback, and warns whenever the base is not Cloudflare\'s', async () => {
    world = await makeWorld()
    const before = world.fake.requests.length
    for (const base of ['http://api.example.com/client/v4', 'http://10.0.0.1/client/v4', 'ftp://127.0.0.1/x', 'not a url']) {
      const result = await runCli(['--reap'], { env: cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: base }) })
      expect(result.status, base).toBe(1)
      expect(`${result.stdout}${result.stderr}`, base).toMatch(/will not send the minting credential to|is not a URL/)
    }
    expect(world.fake.requests.length).toBe(before)
    const local = await runCli(['--reap'], { env: cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url }) })
    expect(local.status, local.stderr).toBe(0)
    expect(local.stderr).toMatch(/warning: the Cloudflare API base is http:\/\/127\.0\.0\.1:\d+ \(CLOUDFLARE_API_BASE_URL\), not api\.cloudflare\.com/)
    expect(checkApiBaseUrl('https://api.cloudflare.com/client/v4')).toBeNull()
    expect(checkApiBaseUrl('https://api.cloudflare.com/client/v4/')).toBeNull()
    expect(checkApiBaseUrl('https://proxy.corp.example/client/v4')).toMatch(/not api\.cloudflare\.com/)
  })
})

describe('the permissions a created token really holds', () => {
  it('a poisoned permission-group cache: the stronger token is deleted at once and the mint refused', async () => {
    world = await makeWorld()
    const cacheFile = join(world.home, 'permission-groups.json')
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8'))
    const tokensWrite = findPermissionGroup('Account API Tokens Write', PermissionScope.account)?.id as string
    const entries = cache.apis[world.fake.url] as Record<string, { id: string }>
    const key = Object.keys(entries).find((entry) => entry.includes('Account Analytics Read')) as string
    expect(key).toBeDefined()
    entries[key] = { ...entries[key], id: tokensWrite }
    writeFileSync(cacheFile, JSON.stringify(cache))

    const alive = world.fake.tokensAlive().length
    const result = await runCli(['--mint', 'read-only', '--ttl', '1h', '--account', world.fake.account.id], {
      env: cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url }),
      cwd: world.home,
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/Refused: Cloudflare created .* with permissions other than the template's \(granted Account API Tokens Write; without Account Analytics Read\); it was deleted at once/)
    expect(result.stdout).not.toMatch(/can: /)
    expect(world.fake.tokensAlive()).toHaveLength(alive)
    expect((await world.vault.list()).map((record) => record.name)).toEqual(['cfwrap-minting'])
    // The poisoned ids are gone: the next mint looks them up afresh and gets what it asked for.
    const again = await runCli(['--mint', 'read-only', '--ttl', '1h', '--account', world.fake.account.id, '--json'], {
      env: cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url }),
      cwd: world.home,
    })
    expect(again.status, again.stderr).toBe(0)
    const minted = world.fake.getToken(JSON.parse(again.stdout).tokenId)
    expect(minted?.policies.flatMap((policy) => policy.permission_groups.map((group) => group.name)).sort()).toEqual(
      ['Account Analytics Read', 'Logs Read', 'Workers Tail Read'].sort(),
    )
  })
})
