/**
 * A small world for token tests: a fake Cloudflare API on loopback, a temp cfwrap home, the real
 * keychain, and a stored minting credential. Used by the mint, reaper, crash and CLI tests and the
 * reaper benchmark.
 */
import { rmSync } from 'node:fs'
import { fingerprint } from '../../shared/common/fingerprint'
import type { MintRequest } from '../../shared/common/guards'
import type { TokenRecord } from '../../shared/common/state'
import { CloudflareClient } from '../../shared/node/cloudflare'
import { openMintingClient, setupMintingCredential } from '../../shared/node/minting-credential'
import type { RequestGate } from '../../shared/node/request-gate'
import { Vault } from '../../shared/node/vault'
import { makeHome } from './cli'
import { PermissionScope, startFakeCloudflare, type FakeCloudflare, type FakeCloudflareOptions } from './fake-cloudflare'

/** A clock tests move by hand; shared by the fake and the code under test so "sleep" can be simulated. */
export interface ManualClock {
  now: () => number
  advance: (ms: number) => void
}

/** A clock that follows real time plus whatever `advance` added (jumps forward like a machine waking up). */
export function jumpingClock(): ManualClock {
  let offset = 0
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) }
}

/** Everything a token test needs. */
export interface TokenWorld {
  fake: FakeCloudflare
  home: string
  vault: Vault
  env: NodeJS.ProcessEnv
  /** The minting credential as seeded on the fake (its secret is in the vault too). */
  minting: { id: string; value: string }
  owner: 'user' | 'account'
  /** A client for the stored minting credential. */
  api: (gate?: RequestGate) => Promise<CloudflareClient>
  /** Deletes every keychain item of this home that a record names, closes the fake, removes the home. */
  cleanup: () => Promise<void>
}

/** Options of {@link makeWorld}. */
export interface WorldOptions {
  fake?: FakeCloudflareOptions
  /** Keychain writes on a worker thread, as the daemon and the tray app do. */
  writeKeychainOffThread?: boolean
  owner?: 'user' | 'account'
  /** Skip storing the minting credential (for tests of --setup itself). */
  skipSetup?: boolean
  /**
   * The approval policy of the vault. Tests of other behaviour mint whatever they need without a
   * person (`'none'`, the default here: no rule asks); the broker's and the CLI's approval tests
   * use the product's default (`'default'`).
   */
  approvalPolicy?: 'none' | 'default'
}

/** A policy under which no mint needs a person. */
export const NO_APPROVAL_POLICY = { risks: [], envs: [], aboveDefaultTtl: false, permanent: false }

/** Starts a fake, makes a home and stores a minting credential in its vault. */
export async function makeWorld(options: WorldOptions = {}): Promise<TokenWorld> {
  const fake = await startFakeCloudflare({ rateLimit: false, ...options.fake })
  const { dir } = makeHome('cfwrap-tokens-')
  const vault = Vault.open({ dir, writeKeychainOffThread: options.writeKeychainOffThread })
  const env: NodeJS.ProcessEnv = { CLOUDFLARE_API_BASE_URL: fake.url }
  const owner = options.owner ?? 'user'
  const minting =
    owner === 'user'
      ? fake.seedToken({ name: 'dashboard minting token', permissions: [{ name: 'API Tokens Write', scope: PermissionScope.user }] })
      : fake.seedToken({
          name: 'dashboard account minting token',
          owner: { account: fake.account.id },
          permissions: [{ name: 'Account API Tokens Write', scope: PermissionScope.account }],
        })
  if (!options.skipSetup) await setupMintingCredential(vault, minting.value, { accountId: fake.account.id, env })
  if ((options.approvalPolicy ?? 'none') === 'none') {
    await vault.update((state) => {
      state.settings = { ...state.settings, approvalPolicy: NO_APPROVAL_POLICY }
    })
  }
  return {
    fake,
    home: dir,
    vault,
    env,
    minting,
    owner,
    api: (gate) => openMintingClient(vault, { env, ...(gate ? { gate } : {}) }),
    cleanup: async () => {
      try {
        for (const record of await vault.list()) await vault.secrets.delete(vault.keychainAccount(record.name))
      } catch {
        // The state may be corrupt on purpose in some tests; the throwaway keyring is discarded anyway.
      }
      await fake.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A workers-deploy request for the fake's account, 15 minutes unless overridden. */
export function mintRequest(world: TokenWorld, overrides: Partial<MintRequest> = {}): MintRequest {
  return { template: 'workers-deploy', project: 'demo', env: 'dev', owner: 'tester', ttlSeconds: 900, accountId: world.fake.account.id, ...overrides }
}

/** Settings as the CLI would pass them. */
export const TEST_SETTINGS = { namePrefix: 'cfwrap', defaultOwner: 'tester' }

/**
 * Puts a minted-looking token straight into the fake and the vault (record first, then secret, as
 * cfwrap does), bypassing the guards: for deadlines closer than the 10 s minimum and for bulk set-ups.
 */
export async function seedMintedToken(
  world: TokenWorld,
  options: { name: string; expiresAt: number | null; temporary?: boolean; createdAt?: number },
): Promise<TokenRecord> {
  const seeded = world.fake.seedToken({
    name: options.name,
    owner: world.owner === 'user' ? 'user' : { account: world.fake.account.id },
    permissions: [{ name: 'Workers Scripts Write' }],
    expiresOn: options.expiresAt,
  })
  const expiresOn = world.fake.getToken(seeded.id)?.expiresOn ?? null
  const record: TokenRecord = {
    name: options.name,
    tokenId: seeded.id,
    accountId: world.fake.account.id,
    zoneId: null,
    bucket: null,
    expiresAt: expiresOn === null ? null : new Date(expiresOn).toISOString(),
    template: 'workers-deploy',
    fingerprint: fingerprint(seeded.value),
    createdAt: new Date(options.createdAt ?? Date.now() - 60_000).toISOString(),
    source: 'minted',
    role: 'command',
    temporary: options.temporary ?? true,
    status: 'active',
    owner: world.owner,
  }
  await world.vault.update((state) => {
    state.tokens.push(record)
  })
  await world.vault.secrets.set(world.vault.keychainAccount(record.name), seeded.value)
  return record
}

/**
 * The crash-consistency invariant for the given names: a keychain secret exists exactly when a
 * record exists, and an active record's secret matches its fingerprint. Returns the problems found.
 */
export async function consistencyProblems(vault: Vault, names: Iterable<string>): Promise<string[]> {
  const state = await vault.readState()
  const problems: string[] = []
  for (const name of new Set(names)) {
    const record = state.tokens.find((token) => token.name === name)
    const secret = await vault.secrets.get(vault.keychainAccount(name))
    if (secret !== null && !record) problems.push(`${name}: secret without a record`)
    if (secret === null && record) problems.push(`${name}: record (${record.status}) without a secret`)
    if (secret !== null && record && record.status === 'active' && record.fingerprint !== fingerprint(secret)) {
      problems.push(`${name}: secret does not match the record's fingerprint`)
    }
  }
  return problems
}

/** Waits until `condition` holds, polling every 25 ms; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * Asserts that the vault settles into a consistent state for `names` (see `consistencyProblems`).
 * A `deleted` event means Cloudflare confirmed the deletion; the local secret and record go right
 * after it, so a test that waited for the event waits here for that local part, at most `timeoutMs`.
 */
export async function expectSettled(vault: Vault, names: Iterable<string>, timeoutMs = 5000): Promise<void> {
  const list = [...names]
  const deadline = Date.now() + timeoutMs
  let problems = await consistencyProblems(vault, list)
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    problems = await consistencyProblems(vault, list)
  }
  if (problems.length > 0) throw new Error(`the vault did not settle: ${problems.join('; ')}`)
}
