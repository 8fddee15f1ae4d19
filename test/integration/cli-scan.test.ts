// `cfwrap --scan` and `cfwrap --doctor` through the built CLI on real files.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { addTokenSync, CLI, cliEnv, fakeSecret, makeHome, runCli } from '../support/cli'

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

  it('explains each finding as the window does: why it matters, how to fix it, and the one-step fix', async () => {
    const dir = join(home.dir, 'explain')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\nGROQ_API_KEY=gsk_${'Ab1Cd2Ef3Gh4'.repeat(4)}Zz9x\n`)
    const result = await runCli(['--scan', 'explain'], { env, cwd: home.dir })
    expect(result.status).toBe(1)
    const lines = result.stdout.split('\n')
    const cloudflare = lines.findIndex((line) => line.startsWith('explain/.env:1:'))
    expect(lines[cloudflare + 1]).toMatch(/^ {4}why: It acts as you on every account and zone/)
    expect(lines[cloudflare + 2]).toMatch(/^ {4}fix: Roll or delete it in the Cloudflare dashboard/)
    expect(lines[cloudflare + 3]).toBe('    or in one step: cfwrap --adopt explain/.env:1  (moves it to the keychain and leaves a comment)')
    const groq = lines.findIndex((line) => line.startsWith('explain/.env:2:'))
    expect(lines[groq]).toContain('Groq API key (GROQ_API_KEY)')
    expect(lines[groq + 2]).toMatch(/^ {4}fix: Delete it at console.groq.com/)
    expect(lines[groq + 3] ?? '').not.toContain('--adopt')
  })

  it('ends quietly, as cat does, when its reader goes away (`cfwrap --scan --json … | head -c 100`)', async () => {
    const dir = join(home.dir, 'many')
    mkdirSync(dir, { recursive: true })
    // Far more output than a pipe buffers, so the write after the reader left fails with EPIPE.
    writeFileSync(join(dir, '.env'), Array.from({ length: 4000 }, (_, i) => `TOKEN_${i}_CLOUDFLARE_API_TOKEN=${fakeSecret()}`).join('\n'))
    const child = spawn(process.execPath, [CLI, '--scan', '--json', 'many'], { env, cwd: home.dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    child.stdout.destroy()
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    expect(stderr).toBe('')
    expect(status).toBe(141)
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

describe('cfwrap --scan --staged and the pre-commit hook, in a real git repository', () => {
  it('refuses a commit that adds a secret and lets a clean one through; keeps an existing hook and core.hooksPath; uninstalls cleanly', () => {
    const home = makeHome('cfwrap-git-')
    try {
      const repo = join(home.dir, 'repo')
      mkdirSync(repo)
      const env = { ...cliEnv(home.dir), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' }
      const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' })
      git('init', '-q')
      // A hook of the person's own, already there: it must keep running.
      mkdirSync(join(repo, '.git', 'hooks'), { recursive: true })
      writeFileSync(join(repo, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\necho own-hook-ran >&2\n', { mode: 0o755 })
      const install = spawnSync(process.execPath, [CLI, '--install-git-hook'], { cwd: repo, env, encoding: 'utf8' })
      expect(install.status, install.stderr).toBe(0)
      expect(install.stdout).toMatch(/installed .*pre-commit: every commit here is scanned first.*the hook that was there runs first/)

      writeFileSync(join(repo, 'README.md'), '# hello\n')
      git('add', 'README.md')
      const clean = git('commit', '-q', '-m', 'clean')
      expect(clean.status, clean.stderr).toBe(0)
      expect(clean.stderr).toContain('own-hook-ran')

      const secret = fakeSecret()
      writeFileSync(join(repo, '.env'), `CLOUDFLARE_API_TOKEN=${secret}\n`)
      git('add', '-f', '.env')
      // The work tree no longer holds it, the index does: --staged reads the index.
      writeFileSync(join(repo, '.env'), 'CLOUDFLARE_API_TOKEN=\n')
      const staged = spawnSync(process.execPath, [CLI, '--scan', '--staged', '--json'], { cwd: repo, env, encoding: 'utf8' })
      expect(staged.status).toBe(1)
      expect(JSON.parse(staged.stdout).findings).toMatchObject([{ file: '.env', line: 1 }])
      expect(staged.stdout).not.toContain(secret)
      const refused = git('commit', '-q', '-m', 'leak')
      expect(refused.status).not.toBe(0)
      expect(refused.stderr).toMatch(/the commit is refused: the staged changes hold a secret/)
      expect(git('log', '--oneline').stdout.trim().split('\n')).toHaveLength(1)

      const uninstall = spawnSync(process.execPath, [CLI, '--uninstall-git-hook'], { cwd: repo, env, encoding: 'utf8' })
      expect(uninstall.stdout).toMatch(/the previous hook is back/)
      expect(readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe('#!/bin/sh\necho own-hook-ran >&2\n')

      // core.hooksPath is where git looks, so that is where the hook goes.
      git('config', 'core.hooksPath', 'githooks')
      expect(spawnSync(process.execPath, [CLI, '--install-git-hook'], { cwd: repo, env, encoding: 'utf8' }).status).toBe(0)
      expect(readFileSync(join(repo, 'githooks', 'pre-commit'), 'utf8')).toContain('--scan --staged')
      expect(git('commit', '-q', '-m', 'leak again').status).not.toBe(0)
      // Outside a repository: one sentence, exit 2.
      const outside = spawnSync(process.execPath, [CLI, '--scan', '--staged'], { cwd: home.dir, env, encoding: 'utf8' })
      expect(outside.status).toBe(2)
      expect(outside.stderr).toMatch(/is not in a git repository/)
    } finally {
      home.cleanup()
    }
  })
})

describe('scanning on every core', () => {
  const home = makeHome('cfwrap-scan-pool-')
  afterAll(() => home.cleanup())

  it('a large tree scanned by the built CLI (worker threads) gives the report the in-process scan (one thread) gives', async () => {
    const { scanPaths, profileTest } = await import('../../shared/node/file-scan')
    const tree = join(home.dir, 'tree')
    const secrets: string[] = []
    // 1,200 files, about 10 MB: over the pool's threshold (1,000 files).
    for (let i = 0; i < 1200; i++) {
      const dir = join(tree, `pkg${i % 40}`)
      mkdirSync(dir, { recursive: true })
      const lines = Array.from({ length: 120 }, (_, line) => `const value${line} = compute(${i * line}, "${'x'.repeat(50)}")`)
      if (i % 97 === 0) {
        const secret = fakeSecret()
        secrets.push(secret)
        lines.splice(i % 120, 0, `CLOUDFLARE_API_TOKEN=${secret}`)
      }
      writeFileSync(join(dir, `file${i}.env`), `${lines.join('\n')}\n`)
    }
    const byCli = await runCli(['--scan', '--json', tree], { env: cliEnv(home.dir) })
    expect(byCli.status, byCli.stderr).toBe(1)
    const cli = JSON.parse(byCli.stdout) as { findings: Array<{ file: string; line: number; fingerprint: string }> }
    const inProcess = await scanPaths([tree], profileTest([]))
    expect(inProcess.filesScanned).toBe(1200)
    expect(cli.findings.map((f) => [f.file, f.line, f.fingerprint])).toEqual(inProcess.findings.map((f) => [f.file, f.line, f.fingerprint]))
    expect(new Set(cli.findings.map((f) => f.fingerprint))).toEqual(new Set(secrets.map(fp)))
  })

  it('a worker that cannot start hands its batches back: every file is scanned on this thread', async () => {
    const { ScanPool } = await import('../../shared/node/scan-pool')
    const pool = ScanPool.start('/nonexistent/scan-worker.js')
    expect(pool).not.toBeNull()
    const entries = Array.from({ length: 600 }, (_, i) => ({ path: `f${i}`, origin: 'project' as const, gitIgnored: undefined }))
    const scanned: string[] = []
    const results = await (pool as NonNullable<typeof pool>).run(entries, 1 << 20, (entry) => {
      scanned.push(entry.path)
      return { findings: [], bytes: 100 }
    })
    pool?.close()
    expect(results).toHaveLength(600)
    expect(results.every((result) => result !== undefined)).toBe(true)
    expect(new Set(scanned).size).toBe(600)
  })
})
