// The real `wrangler` from npm, run through the built `cfwrap`, against the fake Cloudflare API.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCloudflare, type FakeCloudflare } from '../support/fake-cloudflare'
import { CLI, addTokenSync, cliEnv, makeHome } from '../support/cli'

const execFileAsync = promisify(execFile)
const WRANGLER = resolve(__dirname, '..', '..', 'node_modules', 'wrangler', 'bin', 'wrangler.js')

describe('wrangler through cfwrap', () => {
  let fake: FakeCloudflare
  const home = makeHome('cfwrap-wrangler-')
  let injected: { id: string; value: string }
  let parentToken: { id: string; value: string }
  let legacyToken: { id: string; value: string }
  let globalKey: { email: string; key: string }

  beforeAll(async () => {
    fake = await startFakeCloudflare()
    const permissions = [{ name: 'User Details Read' }, { name: 'Memberships Read' }, { name: 'Workers Scripts Write' }]
    injected = fake.seedToken({ name: 'injected', permissions })
    parentToken = fake.seedToken({ name: 'parent', permissions })
    legacyToken = fake.seedToken({ name: 'legacy', permissions })
    globalKey = fake.seedGlobalApiKey()
    addTokenSync(home.dir, 'deploy', injected.value, ['--account', fake.account.id])
  })
  afterAll(async () => {
    await execFileAsync(process.execPath, [CLI, '--remove', 'deploy'], { env: cliEnv(home.dir) }).catch(() => undefined)
    await fake.close()
    home.cleanup()
  })

  /** Runs `cfwrap <args> wrangler whoami` asynchronously (the fake answers from this process). */
  async function wrapped(cfwrapArgs: string[], extraEnv: NodeJS.ProcessEnv, userHome: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const runDir = mkdtempSync(join(userHome, 'run-'))
    const env = cliEnv(home.dir, {
      HOME: userHome,
      XDG_CONFIG_HOME: join(userHome, '.config'),
      WRANGLER_SEND_METRICS: 'false',
      CI: '1',
      CLOUDFLARE_API_BASE_URL: fake.url,
      ...extraEnv,
    })
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...cfwrapArgs, process.execPath, WRANGLER, 'whoami'], { cwd: runDir, env, timeout: 60_000 })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string }
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
    }
  }

  it('the API receives only the injected token although the parent exports three other credentials', async () => {
    fake.clearRequests()
    const userHome = mkdtempSync(join(tmpdir(), 'cfwrap-wrangler-home-'))
    try {
      const result = await wrapped(['--token', 'deploy'], {
        CLOUDFLARE_API_TOKEN: parentToken.value,
        CLOUDFLARE_API_KEY: globalKey.key,
        CLOUDFLARE_EMAIL: globalKey.email,
        CF_API_TOKEN: legacyToken.value,
      }, userHome)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toContain(fake.user.email)
      expect(fake.requests.length).toBeGreaterThan(0)
      const credentials = new Set(fake.requests.map((r) => (r.credential.kind === 'bearer' ? `bearer:${r.credential.token}` : r.credential.kind)))
      expect([...credentials]).toEqual([`bearer:${injected.value}`])
      // wrangler prints the token it was given nowhere we can see: masked even if it did.
      expect(result.stdout + result.stderr).not.toContain(injected.value)
    } finally {
      rmSync(userHome, { recursive: true, force: true })
    }
  })

  it('--oauth sends no environment credential: Wrangler falls back to its stored OAuth login', async () => {
    fake.clearRequests()
    const userHome = mkdtempSync(join(tmpdir(), 'cfwrap-wrangler-home-'))
    try {
      // A stored `wrangler login` in the fake home (Linux layout).
      const oauthToken = `cfoat_${'x'.repeat(20)}fakeoauthtoken`
      mkdirSync(join(userHome, '.config', '.wrangler', 'config'), { recursive: true })
      writeFileSync(
        join(userHome, '.config', '.wrangler', 'config', 'default.toml'),
        `oauth_token = "${oauthToken}"\nexpiration_time = "${new Date(Date.now() + 3600_000).toISOString()}"\nrefresh_token = "r"\nscopes = ["account:read", "user:read"]\n`,
      )
      await wrapped(['--oauth'], { CLOUDFLARE_API_TOKEN: parentToken.value, CLOUDFLARE_API_KEY: globalKey.key, CLOUDFLARE_EMAIL: globalKey.email, CF_API_TOKEN: legacyToken.value }, userHome)
      expect(fake.requests.length).toBeGreaterThan(0)
      const sent = new Set(fake.requests.map((r) => (r.credential.kind === 'bearer' ? r.credential.token : r.credential.kind)))
      expect([...sent]).toEqual([oauthToken])
    } finally {
      rmSync(userHome, { recursive: true, force: true })
    }
  })
})
