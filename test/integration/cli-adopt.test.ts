// `cfwrap --adopt FILE:LINE` through the built CLI: real files, the real keychain, byte for byte.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cliEnv, fakeSecret, makeHome, runCli } from '../support/cli'

const fp = (value: string): string => createHash('sha256').update(value).digest('hex').slice(0, 12)

describe('cfwrap --adopt', () => {
  const home = makeHome()
  const env = cliEnv(home.dir, { HOME: home.dir })
  const adoptedNames: string[] = []
  afterAll(async () => {
    for (const name of adoptedNames) await runCli(['--remove', name], { env })
    home.cleanup()
  })

  /** A git project with one file, scanned first as a person would. */
  async function projectWith(dir: string, file: string, bytes: Buffer, mode = 0o644): Promise<string> {
    const project = join(home.dir, dir)
    mkdirSync(project, { recursive: true })
    execFileSync('git', ['init', '-q', project])
    const path = join(project, file)
    writeFileSync(path, bytes)
    chmodSync(path, mode)
    const scan = await runCli(['--scan', '--json', path], { env, cwd: project })
    expect(scan.status).toBe(1)
    return path
  }

  /** The fingerprint of what `cfwrap --token NAME` hands a child, printed by the child (never the value). */
  async function injectedFingerprint(name: string): Promise<string> {
    const child = await runCli(['--token', name, '--', process.execPath, '-e', "process.stdout.write(require('crypto').createHash('sha256').update(process.env.CLOUDFLARE_API_TOKEN).digest('hex').slice(0, 12))"], { env })
    expect(child.status, child.stderr).toBe(0)
    return child.stdout
  }

  const cases: { name: string; file: string; encode: (text: string) => Buffer; decode: (bytes: Buffer) => string; newline: string; finalNewline: boolean }[] = [
    { name: 'LF', file: '.env', encode: (t) => Buffer.from(t), decode: (b) => b.toString('utf8'), newline: '\n', finalNewline: true },
    { name: 'CRLF without a final newline', file: '.env', encode: (t) => Buffer.from(t), decode: (b) => b.toString('utf8'), newline: '\r\n', finalNewline: false },
    {
      name: 'UTF-8 with a BOM and a Latin-1 byte elsewhere',
      file: '.env',
      encode: (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t.replace('Zurich', 'Z\u00fcrich'), 'latin1')]),
      decode: (b) => b.subarray(3).toString('latin1'),
      newline: '\n',
      finalNewline: true,
    },
    {
      name: 'UTF-16LE with a BOM and CRLF (Windows PowerShell)',
      file: 'profile.ps1',
      encode: (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]),
      decode: (b) => b.subarray(2).toString('utf16le'),
      newline: '\r\n',
      finalNewline: true,
    },
  ]

  it.each(cases)('$name: only the line changes, the mode is kept, the secret is in the keychain and the project bound', async (kase) => {
    const secret = fakeSecret()
    const lines = ['# deploy settings for Zurich', 'APP_NAME=shop', `export CLOUDFLARE_API_TOKEN="${secret}"`, 'REGION=eu']
    const text = lines.join(kase.newline) + (kase.finalNewline ? kase.newline : '')
    const dir = `proj-${kase.name.replace(/[^a-z0-9]+/gi, '-')}`
    const path = await projectWith(dir, kase.file, kase.encode(text), 0o640)

    const result = await runCli(['--adopt', `${kase.file}:3`, '--name', `${dir}-token`, '--json'], { env, cwd: join(home.dir, dir) })
    expect(result.status, result.stderr).toBe(0)
    adoptedNames.push(`${dir}-token`)
    const adopted = JSON.parse(result.stdout)
    expect(adopted).toMatchObject({ name: `${dir}-token`, fingerprint: fp(secret), line: 3, boundDir: join(home.dir, dir), alreadyStored: false })
    expect(result.stdout).not.toContain(secret)

    // Byte for byte: the expected file is the original with line 3 replaced, in the same encoding.
    const after = readFileSync(path)
    const comment = `# CLOUDFLARE_API_TOKEN was moved to the OS keychain by cfwrap as ${dir}-token; run commands with \`cfwrap --token ${dir}-token -- <command>\`.`
    const expected = [...lines.slice(0, 2), comment, lines[3]].join(kase.newline) + (kase.finalNewline ? kase.newline : '')
    expect(after.equals(kase.encode(expected))).toBe(true)
    expect(kase.decode(after)).not.toContain(secret)
    expect(statSync(path).mode & 0o777).toBe(0o640)

    // The backup holds the original bytes, private to the user.
    expect(readFileSync(adopted.backup).equals(kase.encode(text))).toBe(true)
    expect(statSync(adopted.backup).mode & 0o777).toBe(0o600)
    expect(statSync(join(adopted.backup, '..')).mode & 0o777).toBe(0o700)

    expect(await injectedFingerprint(`${dir}-token`)).toBe(fp(secret))
    const list = await runCli(['--list'], { env })
    expect(list.stdout).toContain(join(home.dir, dir))
  })

  it('refuses a line that changed since the scan, and leaves the file and the vault alone', async () => {
    const first = fakeSecret()
    const path = await projectWith('changed', '.env', Buffer.from(`CLOUDFLARE_API_TOKEN=${first}\n`))
    const second = fakeSecret()
    writeFileSync(path, `CLOUDFLARE_API_TOKEN=${second}\n`)
    const result = await runCli(['--adopt', '.env:1'], { env, cwd: join(home.dir, 'changed') })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/line 1 of .*\.env changed since the scan/)
    expect(readFileSync(path, 'utf8')).toBe(`CLOUDFLARE_API_TOKEN=${second}\n`)
    // An explicit --fingerprint that does not match is refused the same way.
    const explicit = await runCli(['--adopt', '.env:1', '--fingerprint', fp(first)], { env, cwd: join(home.dir, 'changed') })
    expect(explicit.stderr).toMatch(/changed since the scan/)
    expect((await runCli(['--list', '--json'], { env })).stdout).not.toContain(fp(second))
  })

  it('refuses what it must not rewrite, in one sentence each, changing nothing', async () => {
    const dir = join(home.dir, 'refusals')
    mkdirSync(dir, { recursive: true })
    const secret = fakeSecret()
    writeFileSync(join(dir, 'real.env'), `CLOUDFLARE_API_TOKEN=${secret}\n`)
    symlinkSync(join(dir, 'real.env'), join(dir, 'link.env'))
    writeFileSync(join(dir, 'two.env'), `A=1; export CLOUDFLARE_API_TOKEN=${secret}\n`)
    writeFileSync(join(dir, 'openai.env'), `OPENAI_API_KEY=sk-proj-${'Ab1'.repeat(20)}Xy9\n`)
    writeFileSync(join(dir, 'wrangler.json'), `{ "vars": { "CLOUDFLARE_API_TOKEN": "${secret}" } }\n`)
    execFileSync('mkfifo', [join(dir, 'fifo.env')])
    const refusals: [string, RegExp, number][] = [
      ['link.env:1', /symbolic link; cfwrap rewrites only regular files/, 1],
      ['fifo.env:1', /not a regular file/, 1],
      ['two.env:1', /holds more than the assignment/, 1],
      ['openai.env:1', /OpenAI API key, not a Cloudflare API token/, 1],
      ['wrangler.json:1', /is JSON, which has no comments/, 1],
      ['real.env:7', /has no line 7/, 1],
      ['missing.env:1', /no such file/, 1],
      ['real.env:0', /takes FILE:LINE/, 2],
      ['real.env', /takes FILE:LINE/, 2],
    ]
    const before = readdirSync(dir).filter((name) => name !== 'fifo.env').map((name) => [name, readFileSync(join(dir, name)).toString('hex')])
    for (const [target, message, status] of refusals) {
      const result = await runCli(['--adopt', target], { env, cwd: dir })
      expect(result.stderr, target).toMatch(message)
      expect(result.stderr.trim().split('\n'), target).toHaveLength(1)
      expect(result.status, target).toBe(status)
      expect(result.stderr).not.toContain(secret)
    }
    expect(readdirSync(dir).filter((name) => name !== 'fifo.env').map((name) => [name, readFileSync(join(dir, name)).toString('hex')])).toEqual(before)
    expect(lstatSync(join(dir, 'link.env')).isSymbolicLink()).toBe(true)
  })

  it('adopting a second copy of a stored token rewrites the file and adds nothing', async () => {
    const secret = fakeSecret()
    const a = await projectWith('copy-a', '.env', Buffer.from(`CLOUDFLARE_API_TOKEN=${secret}\n`))
    const b = await projectWith('copy-b', '.env', Buffer.from(`export CLOUDFLARE_API_TOKEN='${secret}'\n`))
    const first = JSON.parse((await runCli(['--adopt', `${a}:1`, '--json'], { env })).stdout)
    adoptedNames.push(first.name)
    expect(first.name).toBe('copy-a:CLOUDFLARE_API_TOKEN')
    const second = await runCli(['--adopt', `${b}:1`, '--json'], { env })
    expect(second.status, second.stderr).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({ name: first.name, alreadyStored: true })
    expect(readFileSync(b, 'utf8')).not.toContain(secret)
    const tokens = JSON.parse((await runCli(['--list', '--json'], { env })).stdout).tokens as { fingerprint: string }[]
    expect(tokens.filter((token) => token.fingerprint === fp(secret))).toHaveLength(1)
  })
})
