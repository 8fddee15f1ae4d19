// `cfwrap --mcp` driven by the MCP SDK's own client over stdio, in front of a running
// `cfwrap --daemon` (the broker) and the fake API: the six tools, approval, real wrangler, hostile
// calls, and not a secret anywhere in what comes back.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cliEnv, runCli, startCli } from '../support/cli'
import { makeWorld, waitFor, type TokenWorld } from '../support/token-harness'

type ToolResult = { content: Array<{ type: string; text: string }>; structuredContent?: Record<string, unknown>; isError?: boolean }

describe('cfwrap --mcp', () => {
  let world: TokenWorld
  let env: NodeJS.ProcessEnv
  let daemon: ReturnType<typeof startCli>
  let client: Client
  let serverStderr = ''
  const seen: string[] = []

  const call = async (name: string, args: Record<string, unknown>, onprogress?: (message: string) => void): Promise<ToolResult> => {
    const result = (await client.callTool({ name, arguments: args }, undefined, {
      timeout: 120_000,
      resetTimeoutOnProgress: true,
      ...(onprogress ? { onprogress: (progress: { message?: string }) => onprogress(progress.message ?? '') } : {}),
    })) as ToolResult
    seen.push(JSON.stringify(result))
    return result
  }
  const pendingId = async (): Promise<string> => {
    let id = ''
    await waitFor(async () => {
      id = (JSON.parse((await runCli(['--pending', '--json'], { env })).stdout || '{"requests":[]}') as { requests: Array<{ id: string }> }).requests[0]?.id ?? ''
      return id !== ''
    }, 20_000, 'a pending request')
    return id
  }

  beforeAll(async () => {
    world = await makeWorld({ approvalPolicy: 'default' })
    // node too, so a test can make 10 MB of output through an allowed command.
    await world.vault.update((state) => {
      state.settings = { ...state.settings, runAllowlist: [['wrangler'], ['npx', 'wrangler'], ['node']] }
    })
    env = { ...cliEnv(world.home, { CLOUDFLARE_API_BASE_URL: world.fake.url }), WRANGLER_SEND_METRICS: 'false', CI: '1' }
    daemon = startCli(['--daemon', '--json'], { env })
    const lines: string[] = []
    createInterface({ input: daemon.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line))
    await waitFor(() => lines.some((line) => line.includes('daemon-started')), 20_000, 'the daemon')
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--mcp'], env: env as Record<string, string>, cwd: world.home, stderr: 'pipe' })
    transport.stderr?.on('data', (chunk: Buffer) => (serverStderr += chunk.toString('utf8')))
    client = new Client({ name: 'cfwrap-test', version: '1.0.0' })
    await client.connect(transport)
  }, 60_000)

  afterAll(async () => {
    await client?.close()
    daemon?.kill('SIGTERM')
    await new Promise((resolve) => daemon?.once('close', resolve))
    await world?.cleanup()
  })

  it('lists the six tools, each with an input schema', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(['list_templates', 'list_tokens', 'request_token', 'revoke_token', 'run_with_token', 'scan_for_leaks'])
    for (const tool of tools) expect(tool.inputSchema.type).toBe('object')
    expect(Object.keys(tools.find((tool) => tool.name === 'request_token')?.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['template', 'ttl', 'project', 'env', 'account', 'zone', 'bucket', 'reason']))
    const templates = await call('list_templates', {})
    const listed = (templates.structuredContent?.templates ?? []) as Array<{ name: string; approval: string }>
    expect(listed.find((template) => template.name === 'workers-deploy')?.approval).toBe('always: its risk is high')
    expect(listed.find((template) => template.name === 'read-only')?.approval).toMatch(/^only for prod/)
  })

  it('request_token: read-only is granted at once; workers-deploy waits (with progress) until approved, and a denial is a tool error in words', async () => {
    const easy = await call('request_token', { template: 'read-only', project: 'shop', env: 'dev', account: world.fake.account.id })
    expect(easy.isError).toBeFalsy()
    expect(easy.structuredContent?.token).toMatchObject({ name: 'cfwrap:shop:dev:read-only:agent' })
    const progress: string[] = []
    const waiting = call('request_token', { template: 'workers-deploy', project: 'shop', env: 'prod', account: world.fake.account.id, reason: 'deploy' }, (message) => progress.push(message))
    const id = await pendingId()
    expect((await runCli(['--approve', id], { env })).status).toBe(0)
    const granted = await waiting
    expect(granted.structuredContent?.token).toMatchObject({ name: 'cfwrap:shop:prod:workers-deploy:agent' })
    expect(progress[0]).toBe(`waiting for a person to approve request ${id}`)
    const denied = call('request_token', { template: 'dns-edit', project: 'shop', env: 'prod', zone: world.fake.account.id })
    const other = await pendingId()
    await runCli(['--deny', other], { env })
    const refusal = await denied
    expect(refusal.isError).toBe(true)
    expect(refusal.content[0]?.text).toBe(`A person denied request ${other} (cfwrap:shop:prod:dns-edit:agent); nothing was minted.`)
  }, 60_000)

  it('run_with_token runs the real wrangler with exactly the granted token; the result never holds it', async () => {
    const name = 'cfwrap:shop:dev:read-only:agent'
    const token = world.fake.tokensAlive().find((candidate) => candidate.name === name)
    world.fake.clearRequests()
    const result = await call('run_with_token', { token: name, argv: ['wrangler', 'whoami'], cwd: world.home })
    expect(result.isError, result.content[0]?.text).toBeFalsy()
    expect(result.structuredContent?.exitCode).toBe(0)
    const bearers = new Set(world.fake.requests.map((request) => (request.credential.kind === 'bearer' ? request.credential.token : request.credential.kind)))
    expect([...bearers]).toEqual([token?.value])
    const echoed = await call('run_with_token', { token: name, argv: ['node', '-e', 'process.stdout.write(process.env.CLOUDFLARE_API_TOKEN)'] })
    expect(echoed.structuredContent?.stdout).toBe('[cfwrap:masked]')
  }, 60_000)

  it('refuses what it must: off the allowlist, a token not held, malformed arguments; cuts 10 MB of output', async () => {
    const off = await call('run_with_token', { token: 'cfwrap:shop:dev:read-only:agent', argv: ['sh', '-c', 'env'] })
    expect(off.isError).toBe(true)
    expect(off.content[0]?.text).toMatch(/^only these commands may run with a token: wrangler; npx wrangler; node \(got "sh"\)\.$/)
    const minting = (await world.vault.list()).find((record) => record.role === 'minting')?.name as string
    const notHeld = await call('run_with_token', { token: minting, argv: ['wrangler', 'whoami'] })
    expect(notHeld.isError).toBe(true)
    expect(notHeld.content[0]?.text).toMatch(/is not a token the broker granted/)
    const malformed = await client.callTool({ name: 'run_with_token', arguments: { token: 42, argv: 'wrangler whoami' } }).then(
      (result) => result as ToolResult,
      (error: Error) => ({ content: [{ type: 'text', text: error.message }], isError: true }),
    )
    expect(malformed.isError).toBe(true)
    const big = await call('run_with_token', { token: 'cfwrap:shop:dev:read-only:agent', argv: ['node', '-e', 'process.stdout.write("x".repeat(10 * 1024 * 1024))'] })
    expect(big.isError).toBeFalsy()
    expect((big.structuredContent?.stdout as string).length).toBe(256 * 1024)
    expect(big.structuredContent?.note).toMatch(/cut to 262144 bytes/)
    // The server is still there after all of it.
    expect((await client.listTools()).tools).toHaveLength(6)
  }, 60_000)

  it('list_tokens, scan_for_leaks and revoke_token; no secret in any result, progress, log or audit line', async () => {
    const tokens = (await call('list_tokens', {})).structuredContent?.tokens as Array<{ name: string; scopes: string[]; secondsLeft: number }>
    expect(tokens.map((token) => token.name).sort()).toEqual(['cfwrap:shop:dev:read-only:agent', 'cfwrap:shop:prod:workers-deploy:agent'])
    expect(tokens[0]?.scopes.length).toBeGreaterThan(0)
    const scan = await call('scan_for_leaks', { path: world.home })
    expect(scan.isError).toBeFalsy()
    const deploy = world.fake.tokensAlive().find((token) => token.name === 'cfwrap:shop:prod:workers-deploy:agent')
    const revoked = await call('revoke_token', { token: 'cfwrap:shop:prod:workers-deploy:agent' })
    expect(revoked.isError).toBeFalsy()
    expect(world.fake.getToken(deploy?.id as string)).toBeUndefined()
    const secrets = [world.minting.value, ...world.fake.listTokens({ includeExpired: true }).map((token) => token.value)]
    const everything = [...seen, serverStderr, readFileSync(world.vault.paths.audit, 'utf8')].join('\n')
    for (const secret of secrets) expect(everything).not.toContain(secret)
    expect(readFileSync(world.vault.paths.audit, 'utf8')).toMatch(/"event":"mcp-call".*run_with_token/)
  }, 60_000)
})

describe('cfwrap --mcp without a broker, and at the end of stdin', () => {
  it('says in one sentence that a broker is needed; exits 0 when its client closes stdin', async () => {
    const world = await makeWorld()
    try {
      const env = cliEnv(world.home)
      const none = await runCli(['--mcp'], { env })
      expect(none.status).toBe(1)
      expect(none.stderr).toBe('cfwrap: cfwrap --mcp needs a running broker: start the tray app or `cfwrap --daemon` first.\n')
      const daemon = startCli(['--daemon'], { env })
      await waitFor(() => runCli(['--pending'], { env }).then((result) => result.status === 0), 20_000, 'the broker')
      const server = startCli(['--mcp'], { env })
      server.stdin?.end()
      const status = await new Promise<number | null>((resolve) => server.once('close', resolve))
      expect(status).toBe(0)
      daemon.kill('SIGTERM')
      await new Promise((resolve) => daemon.once('close', resolve))
    } finally {
      await world.cleanup()
    }
  }, 60_000)
})
