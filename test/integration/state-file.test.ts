// The state file under damage and attack: truncated while the reaper runs, partly invalid, lost with
// nobody to restore it, planted links, FIFOs, loose modes, and a lock left by a killed process. Real
// files, the real keychain, the fake API over HTTP and the built CLI.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { TokenEvent } from '../../shared/common/events'
import { mintingApiProvider } from '../../shared/node/minting-credential'
import { Reaper } from '../../shared/node/reaper'
import { RequestGate } from '../../shared/node/request-gate'
import { acquireLock } from '../../shared/node/state-lock'
import { Vault } from '../../shared/node/vault'
import { cliEnv, makeHome, runCli } from '../support/cli'
import { makeWorld, seedMintedToken, waitFor, type TokenWorld } from '../support/token-harness'

let world: TokenWorld | null = null
const reapers: Reaper[] = []
const cleanups: Array<() => void> = []

afterEach(async () => {
  for (const reaper of reapers.splice(0)) await reaper.stop()
  await world?.cleanup()
  world = null
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function startReaper(target: TokenWorld, vault: Vault = target.vault) {
  const events: TokenEvent[] = []
  const gate = new RequestGate()
  const reaper = new Reaper({ vault, api: mintingApiProvider(vault, { env: target.env, gate }), onEvent: (event) => events.push(event), sweepIntervalMs: 100 })
  reapers.push(reaper)
  return { reaper, events }
}

function home(): string {
  const made = makeHome('cfwrap-state-')
  cleanups.push(made.cleanup)
  return made.dir
}

describe('a damaged state file', () => {
  it('truncated while the reaper runs: the last good state is written back, the token is still deleted at its deadline', async () => {
    world = await makeWorld()
    const due = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:due', expiresAt: Date.now() + 1500 })
    const { reaper, events } = startReaper(world)
    await reaper.start()
    writeFileSync(world.vault.paths.state, '{"version": 1, "tok')
    await waitFor(() => events.some((event) => event.type === 'deleted' && event.token === due.name), 6000, 'the deletion at the deadline')
    expect(world.fake.getToken(due.tokenId as string)).toBeUndefined()
    const problems = events.filter((event) => event.type === 'state-problem')
    expect(problems[0]).toMatchObject({ kind: 'restored' })
    // The damaged bytes are kept for the person; the state itself is whole again.
    expect(readdirSync(world.home).filter((entry) => entry.startsWith('state.json.damaged-'))).toHaveLength(1)
    // `deleted` is announced once Cloudflare confirmed; the record goes right after it.
    await waitFor(async () => (await (world as TokenWorld).vault.list()).length === 1, 5000, 'the record to go')
    expect((await world.vault.list()).map((record) => record.name)).toEqual(['cfwrap-minting'])
  })

  it('the wrapper validates only the record it runs with: another invalid record neither stops it nor is touched; an invalid chosen one takes the full path', async () => {
    world = await makeWorld()
    const good = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:good', expiresAt: Date.now() + 600_000 })
    const bad = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:bad', expiresAt: Date.now() + 600_000 })
    const state = JSON.parse(readFileSync(world.vault.paths.state, 'utf8'))
    for (let i = 0; i < 50; i++) state.tokens.push({ ...state.tokens.find((record: { name: string }) => record.name === good.name), name: `filler-${i}` })
    state.tokens.find((record: { name: string }) => record.name === bad.name).status = 'exploded'
    writeFileSync(world.vault.paths.state, JSON.stringify(state), { mode: 0o600 })
    const before = readFileSync(world.vault.paths.state, 'utf8')

    const ran = await runCli(['--token', good.name, 'sh', '-c', 'test -n "$CLOUDFLARE_API_TOKEN" && echo ran'], { env: cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url }) })
    expect(ran.stderr).toBe('')
    expect(ran.stdout).toBe('ran\n')
    const after = readFileSync(world.vault.paths.state, 'utf8')
    // Compared as a boolean: a failing diff of two long one-line strings takes long to print.
    expect(after === before).toBe(true)
    const view = await Vault.open({ dir: world.home }).readForRun(() => good.name)
    expect(view.record).toEqual(good)

    // The invalid record is the one asked for: the full reader repairs the file (dropping it) and the wrapper says there is no such token.
    const refused = await runCli(['--token', bad.name, 'true'], { env: cliEnv(world.home) })
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(new RegExp(`no token named ${bad.name}`))
    expect(readFileSync(world.vault.paths.state, 'utf8').includes(bad.name)).toBe(false)
  })

  it('records that fail validation are dropped together with their keychain items; the rest is kept', async () => {
    world = await makeWorld()
    const good = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:good', expiresAt: Date.now() + 600_000 })
    const bad = await seedMintedToken(world, { name: 'cfwrap:demo:dev:workers-deploy:bad', expiresAt: Date.now() + 600_000 })
    const state = JSON.parse(readFileSync(world.vault.paths.state, 'utf8'))
    state.tokens.find((record: { name: string }) => record.name === bad.name).status = 'exploded'
    writeFileSync(world.vault.paths.state, JSON.stringify(state))
    const fresh = Vault.open({ dir: world.home })
    expect((await fresh.list()).map((record) => record.name).sort()).toEqual(['cfwrap-minting', good.name].sort())
    expect(await fresh.secrets.get(fresh.keychainAccount(bad.name))).toBeNull()
    expect(await fresh.secrets.get(fresh.keychainAccount(good.name))).not.toBeNull()
    expect(fresh.problems().map((problem) => problem.kind)).toContain('repaired')
  })

  it('with no good copy at hand the damage is moved aside and reported on every sweep and by the CLI until it is moved away', async () => {
    world = await makeWorld()
    writeFileSync(world.vault.paths.state, 'not json at all')
    const fresh = Vault.open({ dir: world.home })
    await expect(fresh.readState()).rejects.toThrow(/damaged .* moved to .*state\.json\.corrupt-/)
    const { reaper, events } = startReaper(world, fresh)
    await reaper.start()
    await waitFor(() => events.filter((event) => event.type === 'state-problem' && event.kind === 'damaged').length >= 3, 3000, 'repeated alerts')
    const listed = await runCli(['--list'], { env: cliEnv(world.home) })
    expect(listed.stderr).toMatch(/state file was damaged and no good copy was at hand/)
    for (const entry of readdirSync(world.home).filter((name) => name.startsWith('state.json.corrupt-'))) {
      spawnSync('mv', [join(world.home, entry), join(world.home, 'kept-elsewhere.json')])
    }
    const after = await runCli(['--list'], { env: cliEnv(world.home) })
    expect(after.stderr).toBe('')
  })
})

describe('the state directory and its files', () => {
  it('refuses a directory other users can write to, as ssh does, and tightens one they can read', async () => {
    const dir = home()
    chmodSync(dir, 0o777)
    const refused = await runCli(['--list'], { env: cliEnv(dir) })
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/refuses to use .*other users can write to it \(mode 777\).*chmod 700/)
    chmodSync(dir, 0o755)
    expect((await runCli(['--list'], { env: cliEnv(dir) })).status).toBe(0)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  })

  it('tightens an existing 0644 audit log, and never appends through a planted link', async () => {
    const dir = home()
    const env = cliEnv(dir)
    writeFileSync(join(dir, 'audit.jsonl'), '', { mode: 0o644 })
    chmodSync(join(dir, 'audit.jsonl'), 0o644)
    expect((await runCli(['--oauth', 'true'], { env })).status).toBe(0)
    expect(statSync(join(dir, 'audit.jsonl')).mode & 0o777).toBe(0o600)

    const profile = join(dir, 'bashrc')
    writeFileSync(profile, '# my profile\n')
    spawnSync('rm', [join(dir, 'audit.jsonl')])
    symlinkSync(profile, join(dir, 'audit.jsonl'))
    const cwd = join(dir, '$(touch PWNED)')
    mkdirSync(cwd)
    const run = await runCli(['--oauth', 'true'], { env, cwd })
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/could not write the audit log: .*audit\.jsonl is a symbolic link/)
    expect(readFileSync(profile, 'utf8')).toBe('# my profile\n')
    expect(lstatSync(join(dir, 'audit.jsonl')).isSymbolicLink()).toBe(true)
  })

  it('never reads state.json through a link, and never blocks on a FIFO in its place', async () => {
    const dir = home()
    const elsewhere = join(home(), 'state.json')
    writeFileSync(elsewhere, JSON.stringify({ version: 1, tokens: [], bindings: {} }))
    symlinkSync(elsewhere, join(dir, 'state.json'))
    const linked = await runCli(['--list'], { env: cliEnv(dir) })
    expect(linked.status).toBe(1)
    expect(linked.stderr).toMatch(/state\.json is a symbolic link; cfwrap never follows links/)

    const fifoHome = home()
    spawnSync('mkfifo', [join(fifoHome, 'state.json')])
    const fifo = await runCli(['--list'], { env: cliEnv(fifoHome) })
    expect(fifo.status).toBe(1)
    expect(fifo.stderr).toMatch(/state\.json is not a regular file/)
  })
})

describe('the state lock', () => {
  it('a lock left by a killed process is broken at once; a live holder makes the writer fail with the path and the fix', async () => {
    const dir = home()
    const vault = Vault.open({ dir })
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number
    writeFileSync(vault.paths.lock, `${deadPid}\n0\n`)
    const started = Date.now()
    await vault.update((state) => {
      state.bindings['/x'] = 'y'
    })
    // A dead holder's lock used to cost 10 s (proper-lockfile's stale time); now it is broken on sight.
    expect(Date.now() - started).toBeLessThan(3000)
    expect(existsSync(vault.paths.lock)).toBe(false)

    const sleeper = spawn('sleep', ['30'])
    cleanups.push(() => sleeper.kill('SIGKILL'))
    writeFileSync(vault.paths.lock, `${sleeper.pid}\n0\n`)
    await expect(acquireLock(vault.paths.lock, { timeoutMs: 300 })).rejects.toThrow(
      new RegExp(`locked by another cfwrap process \\(pid ${sleeper.pid}\\).*lock file ${vault.paths.lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*delete that file`),
    )
  })

  it('keeps every write of 20 concurrent writers in one process', async () => {
    const dir = home()
    const vault = Vault.open({ dir })
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        vault.update((state) => {
          state.bindings[`/dir/${i}`] = `token-${i}`
        }),
      ),
    )
    expect(Object.keys((await vault.readState()).bindings)).toHaveLength(20)
  })
})

describe('one change check for the state file', () => {
  it('onDidChange tells every listener of a write by another process, from one poller, and stops when the last one leaves', async () => {
    const dir = home()
    const vault = Vault.open({ dir })
    let a = 0
    let b = 0
    const offA = vault.onDidChange(() => a++)
    const offB = vault.onDidChange(() => b++)
    // Another process writes (a second Vault object on the same directory stands in for it).
    await Vault.open({ dir }).update((state) => {
      state.bindings['/p'] = 'x'
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect([a, b]).toEqual([1, 1])
    offA()
    offB()
    await Vault.open({ dir }).update((state) => {
      state.bindings['/q'] = 'y'
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect([a, b]).toEqual([1, 1])
  })
})
