// `cfwrap --scan` and `cfwrap --doctor` through the built CLI on real files.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { addTokenSync, cliEnv, fakeSecret, makeHome, runCli } from '../support/cli'

const fp = (value: string): string => createHash('sha256').update(value).digest('hex').slice(0, 12)

describe('cfwrap --scan', () => {
  const home = makeHome()
  const env = cliEnv(home.dir, { HOME: home.dir })
  afterAll(async () => {
    await runCli(['--remove', 'mine'], { env })
    home.cleanup()
  })

  it('prints findings as JSON with paths as given, and exits 1', async () => {
    const project = join(home.dir, 'proj')
    mkdirSync(join(project, 'sub'), { recursive: true })
    execFileSync('git', ['init', '-q', project])
    writeFileSync(join(project, '.gitignore'), '.env.local\n')
    const committed = fakeSecret()
    const ignored = fakeSecret()
    writeFileSync(join(project, '.env'), `CLOUDFLARE_API_TOKEN=${committed}\n`)
    writeFileSync(join(project, '.env.local'), `# CLOUDFLARE_API_TOKEN=${fakeSecret()}\nCLOUDFLARE_API_TOKEN=${ignored}\n`)
    writeFileSync(join(project, 'sub', 'notes.txt'), 'nothing here\n')
    const result = await runCli(['--scan', '--json', 'proj'], { env, cwd: home.dir })
    expect(result.status).toBe(1)
    const parsed = JSON.parse(result.stdout)
    const rows = parsed.findings.map((f: Record<string, unknown>) => `${f.file}:${f.line}:${f.severity}:${f.kind}`).sort()
    expect(rows).toEqual(['proj/.env.local:1:low:cloudflare-user-token', 'proj/.env.local:2:medium:cloudflare-user-token', 'proj/.env:1:high:cloudflare-user-token'])
    expect(Object.keys(parsed.findings[0]).slice(0, 6)).toEqual(['file', 'line', 'column', 'kind', 'severity', 'fingerprint'])
    expect(parsed.findings.find((f: { fingerprint: string }) => f.fingerprint === fp(committed))).toBeTruthy()
    expect(result.stdout).not.toContain(committed)
    expect(result.stdout).not.toContain(ignored)
  })

  it('a UTF-16 byte-order mark before 8-bit text is not believed: the token is found and the file noted', async () => {
    const dir = join(home.dir, 'bom')
    mkdirSync(dir, { recursive: true })
    const secret = fakeSecret()
    for (const [name, bom] of [['le.env', [0xff, 0xfe]], ['be.env', [0xfe, 0xff]]] as const) {
      writeFileSync(join(dir, name), Buffer.concat([Buffer.from(bom), Buffer.from(`export CLOUDFLARE_API_TOKEN=${secret}\n`)]))
    }
    // A real UTF-16LE file with the same line is still read as UTF-16.
    writeFileSync(join(dir, 'real.ps1'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`$env:CLOUDFLARE_API_TOKEN = "${secret}"\r\n`, 'utf16le')]))
    const result = await runCli(['--scan', '--json', 'bom'], { env, cwd: home.dir })
    const parsed = JSON.parse(result.stdout)
    expect(parsed.findings.map((f: { file: string }) => f.file).sort()).toEqual(['bom/be.env', 'bom/le.env', 'bom/real.ps1'])
    expect(parsed.notices.map((n: { file: string }) => n.file).sort()).toEqual(['bom/be.env', 'bom/le.env'])
    expect(parsed.notices[0].detail).toMatch(/byte-order mark, but what follows is 8-bit text; read as UTF-8/)
  })

  it('--scan on a path that does not exist exits 2; a file reached by two spellings is listed once', async () => {
    const missing = await runCli(['--scan', join(home.dir, 'typo')], { env, cwd: home.dir })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/--scan: .*typo does not exist/)
    const dir = join(home.dir, 'twice')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    const result = await runCli(['--scan', '--json', 'twice', './twice/.env', `${home.dir}/twice/../twice`], { env, cwd: home.dir })
    expect(JSON.parse(result.stdout).findings).toHaveLength(1)
  })

  it('exits 0 on a clean tree and handles binary, huge and invalid UTF-8 files', async () => {
    const clean = join(home.dir, 'clean')
    mkdirSync(clean)
    writeFileSync(join(clean, 'a.dat'), Buffer.from([0, 159, 146, 150, 0, 1]))
    writeFileSync(join(clean, 'latin1.env'), Buffer.from([0x41, 0x3d, 0xe9, 0xff, 0x0a]))
    writeFileSync(join(clean, 'big.log'), Buffer.alloc(6 * 1024 * 1024, 0x61))
    const result = await runCli(['--scan', '--json', 'clean'], { env, cwd: home.dir })
    expect(result.status).toBe(0)
    const parsed = JSON.parse(result.stdout)
    expect(parsed.findings).toEqual([])
    expect(parsed.skipped.map((s: { reason: string }) => s.reason).sort()).toEqual(['binary', 'too-large'])
  })

  it('says when a finding is one of your own tokens', async () => {
    const secret = fakeSecret()
    addTokenSync(home.dir, 'mine', secret)
    const dir = join(home.dir, 'leaky')
    mkdirSync(dir)
    writeFileSync(join(dir, 'deploy.sh'), `curl -H "Authorization: Bearer ${secret}" https://api.cloudflare.com/client/v4/user/tokens/verify\n`)
    const json = JSON.parse((await runCli(['--scan', '--json', 'leaky'], { env, cwd: home.dir })).stdout)
    expect(json.findings[0]).toMatchObject({ knownToken: 'mine', fingerprint: fp(secret) })
    const text = await runCli(['--scan', 'leaky'], { env, cwd: home.dir })
    expect(text.stdout).toContain('this is your token mine')
    expect(text.stdout).toContain('cfwrap --revoke mine')
  })

  it('a missing path is a usage error (exit 2) in one sentence, not a crash and not a clean scan', async () => {
    const result = await runCli(['--scan', '--json', 'does-not-exist'], { env, cwd: home.dir })
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('cfwrap: --scan: does-not-exist does not exist.\n')
  })
})

describe('cfwrap --doctor', () => {
  it('reports profile leaks, shadowing of the Wrangler login, and vault health', async () => {
    const home = makeHome()
    try {
      const env = cliEnv(home.dir, { HOME: home.dir, XDG_CONFIG_HOME: join(home.dir, '.config') })
      mkdirSync(join(home.dir, '.config', '.wrangler', 'config'), { recursive: true })
      writeFileSync(join(home.dir, '.config', '.wrangler', 'config', 'default.toml'), 'oauth_token = "cfoat_x"\n')
      writeFileSync(join(home.dir, '.bashrc'), `export CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
      const result = await runCli(['--doctor', '--json'], { env })
      expect(result.status).toBe(1)
      const report = JSON.parse(result.stdout)
      expect(report.findings).toMatchObject([{ file: join(home.dir, '.bashrc'), line: 1, severity: 'critical' }])
      expect(report.shadows).toMatchObject([{ variable: 'CLOUDFLARE_API_TOKEN', source: 'shell-profile', line: 1 }])
      expect(report.vault.keychain).toBe('ok')
      const text = await runCli(['--doctor'], { env })
      expect(text.stdout).toContain('shadowed:')
      expect(text.stdout).toContain('cfwrap --oauth')
    } finally {
      home.cleanup()
    }
  })
})
