// Ownership end to end: the built CLI in two vaults on one Cloudflare user (a laptop and CI), the
// fake API over HTTP, the real keychain. cfwrap deletes only what its own vault recorded; a token that
// merely looks like cfwrap's is reported as foreign and stays alive.
import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { cliEnv, makeHome, runCli, type CliResult } from '../support/cli'
import { makeWorld, type TokenWorld } from '../support/token-harness'

let world: TokenWorld | null = null
const homes: string[] = []

afterEach(async () => {
  await world?.cleanup()
  world = null
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

function cfwrap(target: TokenWorld, home: string, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, { env: cliEnv(home, { CLOUDFLARE_API_BASE_URL: target.fake.url }), input, cwd: home })
}

function mintArgs(target: TokenWorld, extra: string[]): string[] {
  return ['--mint', 'workers-deploy', '--account', target.fake.account.id, '--project', 'shop', '--env', 'dev', '--owner', 'jane', '--name-only', ...extra]
}

describe('ownership', () => {
  it('a dashboard token named like cfwrap\'s with a prefix this vault used is reported, never deleted', async () => {
    world = await makeWorld()
    const minted = await cfwrap(world, world.home, mintArgs(world, ['--ttl', '1h', '--prefix', 'ci']))
    expect(minted.status, minted.stderr).toBe(0)
    const alice = world.fake.seedToken({ name: 'ci:web:prod:deploy:alice', permissions: [{ name: 'Workers Scripts Write' }] })

    const reap = await cfwrap(world, world.home, ['--reap', '--json'])
    expect(reap.status, reap.stderr).toBe(0)
    expect(world.fake.getToken(alice.id)).toBeDefined()
    const report = JSON.parse(reap.stdout)
    expect(report.foreign).toEqual([expect.objectContaining({ id: alice.id, name: 'ci:web:prod:deploy:alice' })])
    expect(report.events.map((event: { type: string }) => event.type)).toContain('foreign-tokens')
  })

  it('two vaults on one Cloudflare user never delete each other\'s live tokens, --permanent ones included', async () => {
    world = await makeWorld()
    const laptop = world.home
    const mintedTemporary = await cfwrap(world, laptop, mintArgs(world, ['--ttl', '1h']))
    const mintedPermanent = await cfwrap(world, laptop, mintArgs(world, ['--permanent']))
    expect(mintedTemporary.status, mintedTemporary.stderr).toBe(0)
    expect(mintedPermanent.status, mintedPermanent.stderr).toBe(0)
    const [temporary, permanent] = [mintedTemporary.stdout.trim(), mintedPermanent.stdout.trim()]
    const ids = (await world.vault.list()).filter((record) => record.source === 'minted').map((record) => record.tokenId as string)
    expect(ids).toHaveLength(2)

    const ci = makeHome('cfwrap-ci-').dir
    homes.push(ci)
    const setup = await cfwrap(world, ci, ['--setup', '--account', world.fake.account.id], world.minting.value)
    expect(setup.status, setup.stderr).toBe(0)
    const reap = await cfwrap(world, ci, ['--reap', '--json'])
    expect(reap.status, reap.stderr).toBe(0)
    expect(JSON.parse(reap.stdout).foreign.map((token: { name: string }) => token.name).sort()).toEqual([permanent, temporary].sort())
    const revokeAll = await cfwrap(world, ci, ['--revoke-all', '--yes'])
    expect(revokeAll.status, revokeAll.stderr).toBe(0)
    expect(revokeAll.stdout).toMatch(/deleted 0 tokens on Cloudflare/)

    for (const id of ids) expect(world.fake.getToken(id), `token ${id} of the other vault`).toBeDefined()
    const listed = JSON.parse((await cfwrap(world, laptop, ['--list', '--json'])).stdout)
    expect(listed.tokens.filter((token: { status: string; source: string }) => token.source === 'minted').map((token: { status: string }) => token.status)).toEqual([
      'active',
      'active',
    ])
  })

  it('after the state file is lost, --setup and --reap in the same home delete nothing that is alive', async () => {
    world = await makeWorld()
    const name = (await cfwrap(world, world.home, mintArgs(world, ['--ttl', '1h']))).stdout.trim()
    const id = (await world.vault.find(name))?.tokenId as string
    rmSync(world.vault.paths.state)
    expect((await cfwrap(world, world.home, ['--setup', '--account', world.fake.account.id], world.minting.value)).status).toBe(0)
    const reap = await cfwrap(world, world.home, ['--reap', '--json'])
    expect(reap.status, reap.stderr).toBe(0)
    expect(world.fake.getToken(id)).toBeDefined()
    expect(JSON.parse(reap.stdout).foreign.map((token: { id: string }) => token.id)).toEqual([id])
  })
})
