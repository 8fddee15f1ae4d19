// The wrapper end to end: the built CLI, the real keychain, real child processes, real files.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, openSync, readFileSync, readdirSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { resolve, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addTokenSync, CLI, cliEnv, fakeSecret, filesBelow, makeHome, runCli, startCli } from '../support/cli'
import { runInPrivateKeyring } from '../support/private-keyring'

const CHILD = resolve(__dirname, '..', 'support', 'child-script.cjs')
const fp = (value: string): string => createHash('sha256').update(value).digest('hex').slice(0, 12)
const ACCOUNT = '0123456789abcdef0123456789abcdef'

describe('cfwrap <command>', () => {
  const home = makeHome()
  const secret = fakeSecret()
  const otherSecret = fakeSecret()
  const env = cliEnv(home.dir)

  beforeAll(() => {
    addTokenSync(home.dir, 'deploy', secret, ['--account', ACCOUNT])
    addTokenSync(home.dir, 'other', otherSecret)
  })
  afterAll(async () => {
    await runCli(['--remove', 'deploy'], { env })
    await runCli(['--remove', 'other'], { env })
    await runCli(['--remove', 'old'], { env })
    home.cleanup()
  })

  it('gives the child exactly the chosen token and strips every other Cloudflare credential', async () => {
    const parentEnv = cliEnv(home.dir, {
      CLOUDFLARE_API_TOKEN: 'parent-token-should-not-pass',
      CF_API_TOKEN: 'legacy-token-should-not-pass',
      CLOUDFLARE_API_KEY: 'parentglobalkey',
      CLOUDFLARE_EMAIL: 'parent@example.com',
      CF_API_KEY: 'legacy-key',
      CF_EMAIL: 'legacy@example.com',
      CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4',
      CFWRAP_TEST_PASSTHROUGH: 'kept',
    })
    const result = await runCli(['--token', 'deploy', 'node', CHILD, 'env', 'a b', '$HOME', '"quoted"'], { env: parentEnv })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const seen = JSON.parse(result.stdout)
    expect(seen.tokenFingerprint).toBe(fp(secret))
    expect(seen.present).toEqual(['CLOUDFLARE_API_TOKEN'])
    expect(seen.accountId).toBe(ACCOUNT)
    expect(seen.baseUrl).toBe('http://127.0.0.1:9/client/v4')
    expect(seen.other).toBe('kept')
    // argv reaches the child unchanged: no shell ever saw it.
    expect(seen.argv).toEqual(['env', 'a b', '$HOME', '"quoted"'])
  })

  it('--oauth removes every Cloudflare credential and injects none', async () => {
    const parentEnv = cliEnv(home.dir, { CLOUDFLARE_API_TOKEN: 'parent', CLOUDFLARE_API_KEY: 'k', CLOUDFLARE_EMAIL: 'e@x', CF_API_TOKEN: 'l' })
    const result = await runCli(['--oauth', 'node', CHILD, 'env'], { env: parentEnv })
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout).present).toEqual([])
  })

  it('passes exit statuses through', async () => {
    for (const code of [0, 1, 42]) {
      const result = await runCli(['--token', 'deploy', 'node', CHILD, 'exit', String(code)], { env })
      expect(result.status).toBe(code)
    }
  })

  it('a path that cannot be run (./file/) is one clear sentence, exit 126, and the audit names the command as given', async () => {
    const dir = makeHome('cfwrap-spawn-')
    writeFileSync(join(dir.dir, 'x'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    const result = await runCli(['--oauth', './x/'], { env, cwd: dir.dir })
    expect(result.status).toBe(126)
    expect(result.stderr).toBe('cfwrap: cannot run ./x/: a part of its path is not a directory.\n')
    const dot = await runCli(['--oauth', './'], { env, cwd: dir.dir })
    expect(dot.status).toBe(126)
    const audit = readFileSync(join(home.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(audit.slice(-2).map((event) => event.command)).toEqual(['x', './'])
    dir.cleanup()
  })

  it('exits 127 with a clear message when the command does not exist', async () => {
    const result = await runCli(['--token', 'deploy', 'no-such-command-cfwrap-test'], { env })
    expect(result.status).toBe(127)
    expect(result.stderr).toContain('command not found')
  })

  it('dies by the same signal as a child killed by SIGTERM', async () => {
    const result = await runCli(['--token', 'deploy', 'sh', '-c', 'kill -TERM $$'], { env })
    expect(result.signal).toBe('SIGTERM')
  })

  it('forwards SIGINT, SIGTERM and SIGHUP to the child', async () => {
    for (const [signal, code] of [['SIGINT', 3], ['SIGTERM', 4], ['SIGHUP', 5]] as const) {
      const child = startCli(['--token', 'deploy', 'node', CHILD, 'wait-signal', String(code)], { env })
      let out = ''
      await new Promise<void>((ready) => child.stdout?.on('data', (d: Buffer) => ((out += d.toString()), out.includes('ready') && ready())))
      child.kill(signal)
      const status = await new Promise<number | null>((done) => child.on('close', (c) => done(c)))
      expect(out).toContain(`got ${signal}`)
      expect(status).toBe(code)
    }
  })

  it('masks the secret in piped stdout and stderr, also when split across chunks', async () => {
    const result = await runCli(['--token', 'deploy', 'node', CHILD, 'print-secret'], { env })
    expect(result.status).toBe(0)
    expect(result.stdout).toBe('start [cfwrap:masked] end\n')
    expect(result.stderr).toBe('err [cfwrap:masked]\n')
    expect(result.stdout + result.stderr).not.toContain(secret.slice(5, 25))
  })

  it('masks every occurrence in megabytes of fast output', async () => {
    const result = await runCli(['--token', 'deploy', 'node', CHILD, 'bulk-secret', '500'], { env })
    expect(result.status).toBe(0)
    expect(result.stdout.length).toBeGreaterThan(10_000_000)
    expect(result.stdout.split('[cfwrap:masked]').length - 1).toBe(500)
    expect(result.stdout).not.toContain(secret.slice(0, 20))
  })

  it('stdout and stderr into one file or one pipe are masked as one stream: half a secret on each is not reassembled', async () => {
    const halves = `printf %s "$CLOUDFLARE_API_TOKEN" | cut -c1-12 | tr -d '\\n'; printf %s "$CLOUDFLARE_API_TOKEN" | cut -c13- | tr -d '\\n' >&2`
    const elsewhere = makeHome('cfwrap-out-')
    const file = join(elsewhere.dir, 'both.txt')
    const fd = openSync(file, 'w')
    try {
      const ran = spawnSync(process.execPath, [CLI, '--token', 'deploy', 'sh', '-c', halves], { env, stdio: ['ignore', fd, fd] })
      expect(ran.status).toBe(0)
    } finally {
      closeSync(fd)
    }
    expect(readFileSync(file, 'utf8')).toBe('[cfwrap:masked]')
    elsewhere.cleanup()
    // One pipe for both (`2>&1 | cat`).
    const piped = spawnSync('sh', ['-c', `"$0" "$1" --token deploy sh -c "$2" 2>&1 | cat`, process.execPath, CLI, halves], { env, encoding: 'utf8' })
    expect(piped.stdout).toBe('[cfwrap:masked]')
    // Apart (two different files), each half is its own harmless fragment.
    const apart = spawnSync(process.execPath, [CLI, '--token', 'deploy', 'sh', '-c', halves], { env, encoding: 'utf8' })
    expect(`${apart.stdout}${apart.stderr}`).toBe(secret)
  })

  it('into a file (written at once) and into a pipe whose reader is slow (written in the background, reading paused past 8 MB): the same bytes, masked, in order', async () => {
    const elsewhere = makeHome('cfwrap-out-')
    try {
      const direct = join(elsewhere.dir, 'direct.txt')
      const throughSlowPipe = join(elsewhere.dir, 'slow.txt')
      const intoFile = spawnSync('sh', ['-c', '"$0" "$1" --token deploy node "$2" bulk-secret 500 > "$3"', process.execPath, CLI, CHILD, direct], { env })
      expect(intoFile.status).toBe(0)
      // The reader sleeps before reading anything: the wrapper's writes wait, its queue fills and the child's pipe is paused.
      const intoPipe = spawnSync('sh', ['-c', '"$0" "$1" --token deploy node "$2" bulk-secret 500 | (sleep 1; cat > "$3")', process.execPath, CLI, CHILD, throughSlowPipe], { env })
      expect(intoPipe.status).toBe(0)
      const a = readFileSync(direct)
      const b = readFileSync(throughSlowPipe)
      expect(a.length).toBeGreaterThan(10_000_000)
      expect(b.equals(a)).toBe(true)
      expect(a.toString('latin1').split('[cfwrap:masked]').length - 1).toBe(500)
      expect(a.includes(secret.slice(0, 20))).toBe(false)
    } finally {
      elsewhere.cleanup()
    }
  })

  it('a child that exits while its pipe is paused (the reader has not started): what was buffered comes out once, in order', async () => {
    const elsewhere = makeHome('cfwrap-out-')
    try {
      const out = join(elsewhere.dir, 'paused.txt')
      const ran = spawnSync('sh', ['-c', '"$0" "$1" --token deploy node "$2" bulk-then-tail 8300 | (sleep 2; cat > "$3")', process.execPath, CLI, CHILD, out], { env })
      expect(ran.status).toBe(0)
      const tail = Array.from({ length: 2000 }, (_, i) => `tail ${i} [cfwrap:masked]\n`).join('')
      const text = readFileSync(out, 'latin1')
      // 8,300 KiB: just past the 8 MiB queue mark, so the rest fits in the child's pipe and it can exit.
      expect(text.length).toBe(8300 * 1024 + tail.length)
      expect(text.endsWith(tail)).toBe(true)
    } finally {
      elsewhere.cleanup()
    }
  })

  it('returns when the command exits, after draining what it wrote, even if a background child keeps the pipes open', async () => {
    const started = Date.now()
    const result = await runCli(['--token', 'deploy', 'sh', '-c', 'sleep 30 & echo "done $CLOUDFLARE_API_TOKEN"; exit 3'], { env })
    expect(result.status).toBe(3)
    expect(result.stdout).toBe('done [cfwrap:masked]\n')
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('--no-mask leaves piped output alone', async () => {
    const result = await runCli(['--token', 'deploy', '--no-mask', 'node', CHILD, 'print-secret'], { env })
    expect(result.stdout).toBe(`start ${secret} end\n`)
  })

  it('refuses a token past its deadline and says how to get a new one', async () => {
    const oldSecret = fakeSecret()
    addTokenSync(home.dir, 'old', oldSecret, ['--expires', new Date(Date.now() + 1500).toISOString()])
    await new Promise((r) => setTimeout(r, 1600))
    const result = await runCli(['--token', 'old', 'node', CHILD, 'env'], { env })
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/token old expired .* ago/)
    expect(result.stderr).toContain('cfwrap --add')
  })

  it('uses the token bound to the directory or its nearest parent', async () => {
    const project = join(home.dir, 'project')
    mkdirSync(join(project, 'sub'), { recursive: true })
    expect((await runCli(['node', CHILD, 'env'], { env, cwd: project })).status).toBe(2)
    expect((await runCli(['--bind', 'other'], { env, cwd: project })).status).toBe(0)
    const result = await runCli(['node', CHILD, 'env'], { env, cwd: join(project, 'sub') })
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout).tokenFingerprint).toBe(fp(otherSecret))
    expect((await runCli(['--unbind'], { env, cwd: project })).status).toBe(0)
    const unbound = await runCli(['node', CHILD, 'env'], { env, cwd: project })
    expect(unbound.status).toBe(2)
    expect(unbound.stderr).toContain('cfwrap --bind NAME')
  })

  it('warns before running when a .env in the directory would override the injected token', async () => {
    const project = join(home.dir, 'dotenv-project')
    mkdirSync(project, { recursive: true })
    writeFileSync(join(project, '.env'), 'CLOUDFLARE_API_KEY=abc123\nCLOUDFLARE_EMAIL=me@example.com\nOTHER=1\n')
    const result = await runCli(['--token', 'deploy', 'node', CHILD, 'env'], { env, cwd: project })
    expect(result.status).toBe(0)
    expect(result.stderr).toContain('.env:1 sets CLOUDFLARE_API_KEY')
    expect(result.stderr).toContain('instead of the token cfwrap injects')
    const oauth = await runCli(['--oauth', 'node', CHILD, 'env'], { env, cwd: project })
    expect(oauth.stderr).toContain('instead of your OAuth login')
  })

  it('a hostile .env (a FIFO, a link to /dev/zero, a huge file) neither hangs the wrapper nor eats memory', async () => {
    // Not under the state dir: the file checks below read every file there.
    const projects = makeHome('cfwrap-dotenv-')
    for (const [name, make] of [
      ['fifo', (file: string) => execFileSync('mkfifo', [file])],
      ['zero', (file: string) => symlinkSync('/dev/zero', file)],
      ['huge', (file: string) => writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 'A'))],
    ] as const) {
      const dir = join(projects.dir, `dotenv-${name}`)
      mkdirSync(dir)
      make(join(dir, '.env'))
      const result = await runCli(['--oauth', 'true'], { env, cwd: dir })
      expect(result.status, name).toBe(0)
      expect(result.stderr, name).toMatch(/\.env was not checked for credentials \((not a regular file|.*over the \d+-byte limit)\)/)
    }
    projects.cleanup()
  })

  it('appends one audit event per run, with fingerprint and command name but no arguments or secret', async () => {
    await runCli(['--token', 'deploy', 'node', CHILD, 'exit', '7'], { env })
    const lines = readFileSync(join(home.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const last = lines.at(-1)
    expect(last).toMatchObject({ event: 'run', token: 'deploy', fingerprint: fp(secret), command: 'node', exit: 7 })
    expect(JSON.stringify(last)).not.toContain(CHILD)
  })

  it('keeps the secret out of every file under the state dir, and files are mode 0600', () => {
    const files = filesBelow(home.dir).filter((f) => !f.path.includes('project'))
    expect(files.map((f) => f.path.split('/').pop())).toEqual(expect.arrayContaining(['state.json', 'audit.jsonl']))
    for (const file of files) {
      expect(file.bytes.includes(Buffer.from(secret)), file.path).toBe(false)
      expect(file.bytes.includes(Buffer.from(otherSecret)), file.path).toBe(false)
      if (!file.path.endsWith('.lock')) expect(file.mode, file.path).toBe(0o600)
    }
  })

  it('never puts the secret in any process argv', async () => {
    const child = startCli(['--token', 'deploy', 'node', CHILD, 'wait-forever'], { env })
    await new Promise<void>((ready) => child.stdout?.on('data', () => ready()))
    const cmdlines = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`)
      } catch {
        return Buffer.alloc(0)
      }
    })
    child.kill('SIGTERM')
    await new Promise((done) => child.on('close', done))
    expect(cmdlines.length).toBeGreaterThan(3)
    expect(cmdlines.some((c) => c.includes(Buffer.from(CHILD)))).toBe(true)
    expect(cmdlines.some((c) => c.includes(Buffer.from(secret)))).toBe(false)
  })
})

describe('cfwrap usage and vault management', () => {
  const home = makeHome()
  const env = cliEnv(home.dir)
  afterAll(() => home.cleanup())

  it('--help and --version answer with exit 0', async () => {
    const help = await runCli(['--help'], { env })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage:')
    const version = await runCli(['--version'], { env })
    expect(version.stdout).toMatch(/^cfwrap \d+\.\d+\.\d+\n$/)
  })

  it('usage errors exit 2 with one clear line', async () => {
    for (const args of [[], ['--bogus', 'ls'], ['--token'], ['--list', 'ls'], ['--token', 'a', '--oauth', 'ls'], ['--add', 'bad name!'], ['--add', 'x', '--account', 'nothex'], ['--list', '--remove', 'x']]) {
      const result = await runCli(args, { env })
      expect(result.status, args.join(' ')).toBe(2)
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(result.stderr).toMatch(/^cfwrap: /)
    }
  })

  it('a bare word is always the command, even one named like an option of another tool', async () => {
    const result = await runCli(['--oauth', 'echo', '--list'], { env })
    expect(result.status).toBe(0)
    expect(result.stdout).toBe('--list\n')
  })

  it('--add reads the secret from stdin, --list shows metadata only, --remove forgets it', async () => {
    const secret = fakeSecret()
    const added = await runCli(['--add', 'dash', '--account', ACCOUNT], { env, input: `${secret}\n` })
    expect(added.status).toBe(0)
    expect(added.stdout).toContain(fp(secret))
    expect(added.stdout).not.toContain(secret)
    const list = await runCli(['--list', '--json'], { env })
    const parsed = JSON.parse(list.stdout)
    expect(parsed.tokens).toHaveLength(1)
    expect(parsed.tokens[0]).toMatchObject({ name: 'dash', fingerprint: fp(secret), accountId: ACCOUNT, role: 'command', status: 'active' })
    expect(list.stdout).not.toContain(secret)
    const table = await runCli(['--list'], { env })
    expect(table.stdout).toMatch(/dash\s+command\s+no deadline\s+[0-9a-f]{12}\s+active/)
    expect((await runCli(['--add', 'dash'], { env, input: secret })).status).toBe(1)
    expect((await runCli(['--add', 'empty'], { env, input: '\n' })).status).toBe(1)
    expect((await runCli(['--remove', 'dash'], { env })).status).toBe(0)
    expect(JSON.parse((await runCli(['--list', '--json'], { env })).stdout).tokens).toEqual([])
    expect((await runCli(['--remove', 'dash'], { env })).status).toBe(1)
  })

  it('keeps every record when several cfwrap processes write the state file at once (cross-process lock)', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `parallel-${i}`)
    const results = await Promise.all(names.map((name) => runCli(['--add', name], { env, input: fakeSecret() })))
    expect(results.map((r) => r.status)).toEqual(names.map(() => 0))
    const listed = JSON.parse((await runCli(['--list', '--json'], { env })).stdout).tokens.map((t: { name: string }) => t.name).sort()
    expect(listed).toEqual([...names].sort())
    await Promise.all(names.map((name) => runCli(['--remove', name], { env })))
    expect(JSON.parse((await runCli(['--list', '--json'], { env })).stdout).tokens).toEqual([])
  })

  it('reports a corrupt state file, moves it aside, and never loses it', async () => {
    const stateFile = join(home.dir, 'state.json')
    writeFileSync(stateFile, '{"version":1,"tokens":[{"name":', { mode: 0o600 })
    const result = await runCli(['--list'], { env })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('corrupt')
    const moved = readdirSync(home.dir).filter((f) => f.startsWith('state.json.corrupt-'))
    expect(moved).toHaveLength(1)
    expect(readFileSync(join(home.dir, moved[0] as string), 'utf8')).toBe('{"version":1,"tokens":[{"name":')
    expect(result.stderr).toContain(moved[0])
    // The next run starts from an empty state, the corrupt copy stays.
    expect((await runCli(['--list'], { env })).status).toBe(0)
  })
})

describe('keychain unavailable', () => {
  it('says in one sentence what is wrong and how to fix it, exit 1', () => {
    const home = makeHome()
    try {
      // The state names a token, but no Secret Service answers on this bus address.
      const env = cliEnv(home.dir, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/cfwrap-test-bus' })
      writeFileSync(join(home.dir, 'state.json'), JSON.stringify({ version: 1, bindings: {}, tokens: [{ name: 't', tokenId: null, accountId: null, expiresAt: null, template: null, fingerprint: '000000000000', createdAt: new Date().toISOString(), source: 'dashboard', role: 'command', temporary: false, status: 'active' }] }))
      const result = spawnSync(process.execPath, [resolve(__dirname, '..', '..', 'out', 'main', 'cfwrap.js'), '--token', 't', 'true'], { env, encoding: 'utf8' })
      expect(result.status).toBe(1)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toContain('keychain')
      expect(result.stderr).toMatch(/unlock|start/)
      // One error model: a condition cfwrap can name is never an "unexpected error".
      expect(result.stderr).toMatch(/^cfwrap: cfwrap cannot use the keychain/)
      const add = spawnSync(process.execPath, [resolve(__dirname, '..', '..', 'out', 'main', 'cfwrap.js'), '--add', 'x'], { env, input: fakeSecret(), encoding: 'utf8' })
      expect(add.status).toBe(1)
      expect(add.stderr).toContain('keychain')
      // Nothing half-written: the failed add left no record behind.
      expect(JSON.parse(readFileSync(join(home.dir, 'state.json'), 'utf8')).tokens.map((t: { name: string }) => t.name)).toEqual(['t'])
    } finally {
      home.cleanup()
    }
  })

  it('a locked keyring is reported the same way', () => {
    const home = makeHome()
    try {
      const cli = resolve(__dirname, '..', '..', 'out', 'main', 'cfwrap.js')
      // A keyring of its own (see runInPrivateKeyring): unlocked to store a token, then locked before the run.
      const script = `
        printf %s "$SECRET" | "$NODE" "$CLI" --add locked >/dev/null || exit 98
        gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null || exit 99
        "$NODE" "$CLI" --token locked true`
      const result = runInPrivateKeyring(script, cliEnv(home.dir, { SECRET: fakeSecret(), NODE: process.execPath, CLI: cli }), 30_000)
      expect(result.status).toBe(1)
      const ours = result.stderr.split('\n').filter((l) => l.startsWith('cfwrap:'))
      expect(ours).toHaveLength(1)
      expect(ours[0]).toMatch(/keychain .* locked/)
    } finally {
      home.cleanup()
    }
  })
})

void execFileSync
