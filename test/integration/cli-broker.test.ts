// The person's side of the broker from the CLI, and `cfwrap --mint` when no broker runs: a mint the
// policy reserves for a person is confirmed on the terminal (typed), refused without one.
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { CLI, cliEnv, runCli, startCli } from '../support/cli'
import { makeWorld, waitFor, type TokenWorld } from '../support/token-harness'

let world: TokenWorld | null = null
let daemon: ReturnType<typeof startCli> | null = null
afterEach(async () => {
  if (daemon) {
    daemon.kill('SIGTERM')
    await new Promise((resolve) => daemon?.once('close', resolve))
    daemon = null
  }
  await world?.cleanup()
  world = null
})

const HAS_SCRIPT = spawnSync('sh', ['-c', 'command -v script']).status === 0

describe('cfwrap --mint without a broker', () => {
  it('refuses a production deploy off a terminal, with the way to approve it; a low-risk mint within defaults needs nobody', async () => {
    world = await makeWorld({ approvalPolicy: 'default' })
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    // The attack: a prompt-injected agent picks a human owner and prod.
    const refused = await runCli(['--mint', 'workers-deploy', '--ttl', '2h', '--owner', 'jane', '--project', 'shop', '--env', 'prod'], { env, cwd: world.home })
    expect(refused.status).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/needs a person's approval \(its risk is high, it is for prod, its lifetime is above the template's default\), and there is neither a broker to ask nor a terminal/)
    expect(world.fake.tokensAlive().filter((token) => token.name.includes('workers-deploy'))).toEqual([])
    const easy = await runCli(['--mint', 'read-only', '--project', 'shop', '--env', 'dev', '--name-only'], { env, cwd: world.home })
    expect(easy.status, easy.stderr).toBe(0)
    expect(easy.stdout.trim()).toBe('cfwrap:shop:dev:read-only:' + easy.stdout.trim().split(':').pop())
  })

  it.runIf(HAS_SCRIPT)('on a terminal, the word "mint" has to be typed; anything else mints nothing', async () => {
    world = await makeWorld({ approvalPolicy: 'default' })
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    const command = `${process.execPath} ${CLI} --mint workers-deploy --project shop --env prod --name-only`
    // Not spawnSync: the fake API answers from this very process, which must keep running meanwhile.
    const typed = (answer: string) =>
      new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], { env, cwd: world?.home, stdio: ['pipe', 'pipe', 'inherit'] })
        let stdout = ''
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
        child.on('close', (status) => resolve({ status, stdout }))
        child.stdin.end(`${answer}\n`)
      })
    const no = await typed('y')
    expect(no.status).toBe(1)
    expect(no.stdout).toMatch(/Type "mint" to create it/)
    expect(no.stdout).toMatch(/not confirmed; nothing was minted/)
    expect(world.fake.tokensAlive().filter((token) => token.name.includes('workers-deploy'))).toEqual([])
    const yes = await typed('mint')
    expect(yes.status, yes.stdout).toBe(0)
    expect(yes.stdout).toMatch(/cfwrap:shop:prod:workers-deploy:\S+/)
  })
})

describe('the person\'s commands', () => {
  it('say in one sentence that no broker runs', async () => {
    world = await makeWorld()
    const env = cliEnv(world.home)
    for (const args of [['--pending'], ['--approve', 'abc'], ['--deny', 'abc'], ['--policy']]) {
      const result = await runCli(args, { env })
      expect(result.status, args.join(' ')).toBe(1)
      expect(result.stderr).toMatch(/^cfwrap: cannot reach the cfwrap broker at \S+control\.sock: none is running there\. Start the tray app or `cfwrap --daemon`\.\n$/)
    }
    expect((await runCli(['--approve', 'abc', '--for', 'soon'], { env })).status).toBe(2)
  })

  it('with the daemon running: --mint waits; --pending shows it; --approve --for grants it and the next one at once; --policy changes the rules', async () => {
    world = await makeWorld({ approvalPolicy: 'default' })
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    daemon = startCli(['--daemon', '--json'], { env })
    const lines: string[] = []
    createInterface({ input: daemon.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line))
    await waitFor(() => lines.some((line) => line.includes('daemon-started')), 20_000, 'the daemon')
    // One broker per vault: a second daemon says which process serves, and starts nothing.
    const second = await runCli(['--daemon', '--json'], { env })
    expect(second.status).toBe(1)
    expect(second.stdout).toBe('')
    expect(second.stderr).toMatch(/^cfwrap: a cfwrap broker already runs for this vault \(pid \d+: the tray app or `cfwrap --daemon`\); use that one, or stop it first\.\n$/)
    const minting = runCli(['--mint', 'kv-write', '--project', 'shop', '--env', 'prod', '--reason', 'seed the cache', '--name-only'], { env, cwd: world.home })
    let id = ''
    await waitFor(async () => {
      const pending = await runCli(['--pending'], { env })
      id = /^([0-9a-f]{12}) {2}cfwrap:shop:prod:kv-write:agent/m.exec(pending.stdout)?.[1] ?? ''
      if (id) expect(pending.stdout).toMatch(/its reason \(untrusted\): "seed the cache"/)
      return id !== ''
    }, 20_000, 'the request')
    const approved = await runCli(['--approve', id, '--for', '1h'], { env })
    expect(approved.status, approved.stderr).toBe(0)
    expect(approved.stdout).toMatch(/^approved [0-9a-f]{12}; the same template, project and env are granted until \d{4}-/)
    const first = await minting
    expect(first.status, first.stderr).toBe(0)
    expect(first.stdout.trim()).toBe('cfwrap:shop:prod:kv-write:agent')
    const again = await runCli(['--mint', 'kv-write', '--project', 'shop', '--env', 'prod', '--name-only'], { env, cwd: world.home })
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).not.toMatch(/waiting/)
    const policy = await runCli(['--policy', '--set', 'risks=', '--set', 'envs=', '--json'], { env })
    expect(JSON.parse(policy.stdout)).toMatchObject({ risks: [], envs: [] })
    const free = await runCli(['--mint', 'dns-edit', '--project', 'shop', '--env', 'prod', '--zone', world.fake.account.id, '--name-only'], { env, cwd: world.home })
    expect(free.status, free.stderr).toBe(0)
    expect((await runCli(['--policy', '--set', 'envs=prod', '--set', 'speed=fast'], { env })).status).toBe(2)
  }, 60_000)
})

describe('templates of your own', () => {
  it('are imported from a file, listed, minted with exactly their permissions, and held to the same guard rules', async () => {
    world = await makeWorld()
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    const { writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const file = (name: string, body: unknown): string => {
      const path = join(world?.home as string, name)
      writeFileSync(path, JSON.stringify(body))
      return path
    }
    const kvAndQueues = {
      name: 'kv-and-queues',
      title: 'KV and Queues',
      permissions: [
        { name: 'Workers KV Storage Write', scope: 'com.cloudflare.api.account' },
        { name: 'Queues Write', scope: 'com.cloudflare.api.account' },
      ],
      resource: 'account',
      risk: 'medium',
      defaultTtlSeconds: 900,
      maxTtlSeconds: 3600,
    }
    const imported = await runCli(['--templates', '--import', file('kv.json', kvAndQueues)], { env })
    expect(imported.status, imported.stderr).toBe(0)
    const listed = JSON.parse((await runCli(['--templates', '--json'], { env })).stdout) as { builtIn: Array<{ name: string }>; custom: Array<{ name: string }> }
    expect(listed.custom.map((template) => template.name)).toEqual(['kv-and-queues'])
    expect(listed.builtIn.length).toBeGreaterThanOrEqual(8)
    world.fake.clearRequests()
    const minted = await runCli(['--mint', 'kv-and-queues', '--project', 'shop', '--json'], { env, cwd: world.home })
    expect(minted.status, minted.stderr).toBe(0)
    expect(JSON.parse(minted.stdout).policies).toEqual([expect.stringMatching(/Workers KV Storage Write and Queues Write on account 023e105f/)])
    const create = world.fake.requests.find((request) => request.method === 'POST' && request.path === '/user/tokens')
    const groups = (create?.body as { policies: Array<{ permission_groups: Array<{ id: string }> }> }).policies.flatMap((policy) => policy.permission_groups)
    expect(groups).toHaveLength(2)
    // The TTL bounds are the template's own.
    const long = await runCli(['--mint', 'kv-and-queues', '--ttl', '2h'], { env, cwd: world.home })
    expect(long.status).toBe(1)
    expect(long.stderr).toMatch(/longer than the 1h maximum for kv-and-queues/)
    // DNS with deploy can never be minted, so such a template is refused when it is imported.
    const bad = await runCli(['--templates', '--import', file('bad.json', { ...kvAndQueues, name: 'deploy-and-dns', permissions: [{ name: 'Workers Scripts Write', scope: 'com.cloudflare.api.account' }, { name: 'DNS Write', scope: 'com.cloudflare.api.account.zone' }] })], { env })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/template deploy-and-dns: Refused: DNS permissions/)
    // Administration for an agent-like owner is refused as for a built-in template.
    await runCli(['--templates', '--import', file('admin.json', { ...kvAndQueues, name: 'token-admin', permissions: [{ name: 'API Tokens Write', scope: 'com.cloudflare.api.user' }] })], { env })
    const agent = await runCli(['--mint', 'token-admin', '--owner', 'claude-bot'], { env, cwd: world.home })
    expect(agent.status).toBe(1)
    expect(agent.stderr).toMatch(/administration permissions \(API Tokens Write\) for owner "claude-bot"/)
    // A name that is a built-in's, or a malformed file, is a usage error.
    expect((await runCli(['--templates', '--import', file('clash.json', { ...kvAndQueues, name: 'read-only' })], { env })).status).toBe(2)
    expect((await runCli(['--templates', '--drop', 'kv-and-queues'], { env })).status).toBe(0)
    expect((await runCli(['--templates', '--drop', 'kv-and-queues'], { env })).status).toBe(1)
  })
})

describe('the daemon\'s own terminal', () => {
  it.runIf(HAS_SCRIPT)('announces a request that waits and takes "approve ID" typed there', async () => {
    world = await makeWorld({ approvalPolicy: 'default' })
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    const { brokerCall } = await import('../../shared/node/broker/client')
    const { brokerPaths } = await import('../../shared/node/broker/paths')
    // Its own process group, so the daemon under `script` is stopped with it and nothing else is.
    const terminal = spawn('script', ['-qec', `${process.execPath} ${CLI} --daemon`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'inherit'], detached: true })
    let screen = ''
    terminal.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk))
    try {
      await waitFor(() => /daemon started/.test(screen), 20_000, 'the daemon on its terminal')
      const agent = brokerPaths(env).agent
      const waiting = brokerCall(agent, { op: 'request', ask: { template: 'workers-deploy', project: 'shop', env: 'prod', accountId: world.fake.account.id }, reason: '', requester: { pid: process.pid, cwd: '/' } })
      let id = ''
      await waitFor(() => {
        id = /type "approve ([0-9a-f]{12})"/.exec(screen)?.[1] ?? ''
        return id !== ''
      }, 20_000, 'the prompt')
      terminal.stdin.write(`approve ${id}\n`)
      expect(((await waiting) as { name: string }).name).toBe('cfwrap:shop:prod:workers-deploy:agent')
      await waitFor(() => screen.includes(`approved ${id}`), 10_000, 'the answer on the terminal')
    } finally {
      if (terminal.pid) process.kill(-terminal.pid, 'SIGTERM')
      await new Promise((resolve) => terminal.once('close', resolve))
    }
  }, 60_000)
})

describe('cfwrap --roll', () => {
  it('rolls a minted token on Cloudflare: the old secret is dead, the new one is in the keychain; a dashboard token is refused', async () => {
    world = await makeWorld()
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    const minted = await runCli(['--mint', 'read-only', '--project', 'shop', '--name-only'], { env, cwd: world.home })
    const name = minted.stdout.trim()
    const before = world.fake.tokensAlive().find((token) => token.name === name)?.value as string
    const rolled = await runCli(['--roll', name], { env })
    expect(rolled.status, rolled.stderr).toBe(0)
    const after = world.fake.tokensAlive().find((token) => token.name === name)?.value as string
    expect(after).not.toBe(before)
    expect(await world.vault.readSecret(name)).toBe(after)
    const { fingerprint } = await import('../../shared/common/fingerprint')
    expect(rolled.stdout).toBe(`rolled ${name}: the old secret (fingerprint ${fingerprint(before)}) no longer works; the new one (fingerprint ${fingerprint(after)}) is in the keychain.\n`)
    expect((await world.vault.find(name))?.fingerprint).toBe(fingerprint(after))
    expect(`${rolled.stdout}${rolled.stderr}`).not.toContain(after)
    // The old secret no longer verifies; the new one does.
    const verify = (secret: string) => fetch(`${world?.fake.url}/user/tokens/verify`, { headers: { authorization: `Bearer ${secret}` } }).then((response) => response.status)
    expect(await verify(before)).toBe(401)
    expect(await verify(after)).toBe(200)
    // A token made in the dashboard is not cfwrap's to roll.
    const add = spawnSync(process.execPath, [CLI, '--add', 'from-dashboard'], { env, input: 'cfut_fromTheDashboardFromTheDashboardFromThe000000', encoding: 'utf8' })
    expect(add.status).toBe(0)
    const dashboard = await runCli(['--roll', 'from-dashboard'], { env })
    expect(dashboard.status).toBe(1)
    expect(dashboard.stderr).toMatch(/was not minted by cfwrap, so cfwrap cannot roll it: roll it in the dashboard/)
  })
})

describe('cfwrap --scan --verify', () => {
  it('asks Cloudflare whether each token found is alive (and whether it is this vault\'s), once an hour per value; never without --verify', async () => {
    world = await makeWorld()
    const env = cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url })
    const { mkdirSync, writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const minted = (await runCli(['--mint', 'read-only', '--project', 'shop', '--name-only'], { env, cwd: world.home })).stdout.trim()
    const revoked = (await runCli(['--mint', 'read-only', '--project', 'blog', '--name-only'], { env, cwd: world.home })).stdout.trim()
    const alive = world.fake.tokensAlive().find((token) => token.name === minted)?.value as string
    const dead = world.fake.tokensAlive().find((token) => token.name === revoked)?.value as string
    expect((await runCli(['--revoke', revoked], { env })).status).toBe(0)
    const elsewhere = world.fake.seedToken({ name: 'dashboard token', permissions: [{ name: 'Workers Scripts Write' }] })
    const project = join(world.home, 'project')
    mkdirSync(project)
    writeFileSync(join(project, '.env'), `A=${alive}\nB=${dead}\nC=${elsewhere.value}\n`)

    world.fake.clearRequests()
    const plain = await runCli(['--scan', '--json', project], { env })
    expect(JSON.parse(plain.stdout).findings.every((finding: { verified?: unknown }) => finding.verified === undefined)).toBe(true)
    expect(world.fake.requests).toEqual([])

    const checked = await runCli(['--scan', '--verify', '--json', project], { env })
    const byLine = new Map((JSON.parse(checked.stdout).findings as Array<{ line: number; verified: { status: string; inVault: boolean } }>).map((finding) => [finding.line, finding.verified]))
    expect(byLine.get(1)).toMatchObject({ status: 'active', inVault: true })
    expect(byLine.get(2)).toMatchObject({ status: 'invalid', inVault: false })
    expect(byLine.get(3)).toMatchObject({ status: 'active', inVault: false })
    expect(world.fake.requests.filter((request) => request.path === '/user/tokens/verify')).toHaveLength(3)
    expect(`${checked.stdout}${checked.stderr}`).not.toContain(alive)

    // Within the hour: from the cache, nothing sent; and the cache holds fingerprints, never values.
    world.fake.clearRequests()
    const human = await runCli(['--scan', '--verify', project], { env })
    expect(human.stdout).toMatch(/:1:\d+ .*ALIVE, no deadline|:1:\d+ .*ALIVE until/)
    expect(world.fake.requests).toEqual([])
    const { readFileSync } = await import('node:fs')
    const cache = readFileSync(join(world.home, 'verify-cache.json'), 'utf8')
    for (const value of [alive, dead, elsewhere.value]) expect(cache).not.toContain(value)
    expect((await runCli(['--scan', '--staged', '--verify'], { env, cwd: project })).status).toBe(2)
  })
})
