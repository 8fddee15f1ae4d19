// `cfwrap --sandbox` for real: bubblewrap, a running `cfwrap --daemon` (the broker) over the fake
// API and the real keychain, and `cfwrap` and Wrangler inside. What an agent must not reach, the
// test tries to reach from inside; what it may get, it gets only through the broker.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MASK_MARKER } from '../../shared/node/mask'
import { brokerPaths } from '../../shared/node/broker/paths'
import { CLI, cliEnv, runCli, startCli, type CliResult } from '../support/cli'
import { makeWorld, waitFor, type TokenWorld } from '../support/token-harness'

const WRANGLER = resolve(__dirname, '..', '..', 'node_modules', '.bin', 'wrangler')
const HAS_BWRAP = spawnSync('sh', ['-c', 'command -v bwrap']).status === 0
const CREDENTIAL_VARS = ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL', 'CF_API_KEY', 'CF_EMAIL']

describe.runIf(process.platform === 'linux' && HAS_BWRAP)('cfwrap --sandbox', () => {
  let world: TokenWorld
  let env: NodeJS.ProcessEnv
  let daemon: ReturnType<typeof startCli> | null = null
  let project: string
  let userHome: string
  const cfwrapInside = `${process.execPath} ${CLI}`

  /** Runs `cfwrap --sandbox -- sh -c SCRIPT` from the project, with `extra` variables outside. */
  const inside = (script: string, extra: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
    runCli(['--sandbox', '--', 'sh', '-c', script], { env: { ...env, ...extra }, cwd: project })

  /** Starts `cfwrap --sandbox -- cfwrap ARGS…` without waiting for it. */
  const startInside = (args: string[]) => {
    const child = spawn(process.execPath, [CLI, '--sandbox', '--', process.execPath, CLI, ...args], { env, cwd: project, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const done = new Promise<number | null>((resolvePromise) => child.on('close', (code) => resolvePromise(code)))
    return { done, output: () => ({ stdout, stderr }) }
  }

  /** The one pending request, once it is there (asked for outside, over control.sock). */
  const pendingId = async (): Promise<string> => {
    let id = ''
    await waitFor(async () => {
      const listed = await runCli(['--pending', '--json'], { env })
      id = (JSON.parse(listed.stdout || '{"requests":[]}') as { requests: Array<{ id: string }> }).requests[0]?.id ?? ''
      return id !== ''
    }, 20_000, 'a pending request')
    return id
  }

  beforeAll(async () => {
    world = await makeWorld({ approvalPolicy: 'default' })
    project = realpathSync(mkdtempSync(join(tmpdir(), 'cfwrap-sandbox-project-')))
    userHome = realpathSync(mkdtempSync(join(tmpdir(), 'cfwrap-sandbox-user-')))
    // The person's shell profile exports a token, as in the issue: an agent must not read it.
    writeFileSync(join(userHome, '.zshrc'), 'export CLOUDFLARE_API_TOKEN=cfut_profileSecretProfileSecretProfileSecret000000\n')
    env = { ...cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url }), HOME: userHome }
    daemon = startCli(['--daemon', '--json'], { env })
    const lines: string[] = []
    createInterface({ input: daemon.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line))
    await waitFor(() => lines.some((line) => line.includes('daemon-started')), 20_000, 'the daemon and its broker')
  }, 40_000)

  afterAll(async () => {
    if (daemon) {
      daemon.kill('SIGTERM')
      await new Promise((resolvePromise) => daemon?.once('close', resolvePromise))
    }
    await world?.cleanup()
    for (const dir of [project, userHome]) if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('inside: no keychain (not even with the bus address), no keyring files, no profile, no state, no control socket, no credential in the environment', async () => {
    const keyringDir = join(process.env.XDG_DATA_HOME ?? join(process.env.HOME ?? '', '.local', 'share'), 'keyrings')
    const keyringFile = join(keyringDir, readdirSync(keyringDir)[0] as string)
    const paths = brokerPaths(env)
    const result = await inside(
      [
        'secret-tool search --all service cfwrap >/dev/null 2>&1 && echo KEYCHAIN-OPEN || echo keychain-closed',
        'DBUS_SESSION_BUS_ADDRESS="$HOST_BUS" secret-tool search --all service cfwrap >/dev/null 2>&1 && echo BUS-OPEN || echo bus-closed',
        'cat "$KEYRING_FILE" >/dev/null 2>&1 && echo KEYRING-READ || echo keyring-closed',
        'cat "$HOME/.zshrc" >/dev/null 2>&1 && echo PROFILE-READ || echo profile-closed',
        'cat "$STATE" >/dev/null 2>&1 && echo STATE-READ || echo state-closed',
        'test -e "$CONTROL" && echo CONTROL-THERE || echo control-absent',
        `env | grep -E '^(${CREDENTIAL_VARS.join('|')}|DBUS_SESSION_BUS_ADDRESS)=' && echo CREDENTIAL-IN-ENV || echo env-clean`,
        'test -S "$CFWRAP_BROKER" && echo broker-there',
        'touch ./written-inside && echo project-writable',
        'exit 7',
      ].join('; '),
      {
        // Host paths and the host's bus address, handed in as plain variables: knowing them must not help.
        HOST_BUS: process.env.DBUS_SESSION_BUS_ADDRESS,
        KEYRING_FILE: keyringFile,
        STATE: world.vault.paths.state,
        CONTROL: paths.control,
        CLOUDFLARE_API_TOKEN: 'cfut_exportedOutsideExportedOutsideExported00000',
      },
    )
    expect(result.stdout.trim().split('\n')).toEqual([
      'keychain-closed',
      'bus-closed',
      'keyring-closed',
      'profile-closed',
      'state-closed',
      'control-absent',
      'env-clean',
      'broker-there',
      'project-writable',
    ])
    // The exit status is the command's.
    expect(result.status).toBe(7)
    // Outside, the same files are there (the test did not just look in the wrong place).
    expect(spawnSync('cat', [keyringFile]).status).toBe(0)
    expect(spawnSync('test', ['-S', paths.control]).status).toBe(0)
  })

  it('inside: a production deploy waits until it is approved outside, then prints the name', async () => {
    const minting = startInside(['--mint', 'workers-deploy', '--project', 'shop', '--env', 'prod', '--account', world.fake.account.id, '--reason', 'deploy the fix', '--name-only'])
    const id = await pendingId()
    const pending = JSON.parse((await runCli(['--pending', '--json'], { env })).stdout) as { requests: Array<{ id: string; reason: string; chain: Array<{ name: string }> }> }
    expect(pending.requests[0]).toMatchObject({ id, reason: 'deploy the fix' })
    expect(pending.requests[0]?.chain.map((link) => link.name)).toContain('bwrap')
    expect((await runCli(['--approve', id], { env })).status).toBe(0)
    expect(await minting.done).toBe(0)
    expect(minting.output().stdout.trim()).toBe('cfwrap:shop:prod:workers-deploy:agent')
    expect(minting.output().stderr).toMatch(`waiting for a person to approve request ${id}`)
  })

  it('inside: a denied request exits 1 with one sentence; a low-risk read-only token within its defaults is granted at once', async () => {
    const denied = startInside(['--mint', 'dns-edit', '--project', 'shop', '--env', 'staging', '--zone', world.fake.account.id])
    const id = await pendingId()
    expect((await runCli(['--deny', id], { env })).status).toBe(0)
    expect(await denied.done).toBe(1)
    expect(denied.output().stderr).toMatch(`cfwrap: A person denied request ${id} (cfwrap:shop:staging:dns-edit:agent); nothing was minted.`)
    const granted = await inside(`${cfwrapInside} --mint read-only --project shop --env dev --account ${world.fake.account.id} --name-only`)
    expect(granted.status, granted.stderr).toBe(0)
    expect(granted.stdout.trim()).toBe('cfwrap:shop:dev:read-only:agent')
    expect(granted.stderr).not.toMatch(/waiting/)
  })

  it('inside: --token gets a lease from the broker, injects it and masks it; real wrangler authenticates with exactly that token', async () => {
    const name = 'cfwrap:shop:dev:read-only:agent'
    const leased = world.fake.tokensAlive().find((token) => token.name === name)
    if (!leased) throw new Error('the granted token is not on the fake')
    const echoed = await inside(`${cfwrapInside} --token ${name} sh -c 'echo "token=$CLOUDFLARE_API_TOKEN"' | cat`)
    expect(echoed.status, echoed.stderr).toBe(0)
    expect(echoed.stdout).toBe(`token=${MASK_MARKER}\n`)
    world.fake.clearRequests()
    const whoami = await inside(`${cfwrapInside} --token ${name} ${WRANGLER} whoami`, { WRANGLER_SEND_METRICS: 'false', CI: '1' })
    expect(whoami.status, whoami.stderr).toBe(0)
    const bearers = new Set(world.fake.requests.map((request) => (request.credential.kind === 'bearer' ? request.credential.token : request.credential.kind)))
    expect([...bearers]).toEqual([leased.value])
    expect(`${whoami.stdout}${whoami.stderr}`).not.toContain(leased.value)
  })

  it('inside: only the broker\'s commands work, and the person\'s own tokens are not the agent\'s', async () => {
    const listed = await inside(`${cfwrapInside} --list`)
    expect(listed.stdout).toMatch(/cfwrap:shop:dev:read-only:agent/)
    expect(listed.stdout).not.toMatch(/minting/)
    const setup = await inside(`${cfwrapInside} --doctor`)
    expect(setup.status).toBe(2)
    expect(setup.stderr).toMatch(/--doctor is not available inside cfwrap's sandbox/)
    const minting = (await world.vault.list()).find((record) => record.role === 'minting')?.name as string
    const lease = await inside(`${cfwrapInside} --token ${minting} true`)
    expect(lease.status).toBe(1)
    expect(lease.stderr).toMatch(/is not a token the broker granted/)
  })
})
