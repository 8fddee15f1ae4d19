// `cfwrap --daemon --json --watch DIR`: the headless core emits finding, finding-resolved and shadow events.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { cliEnv, fakeSecret, makeHome, startCli } from '../support/cli'

describe('cfwrap --daemon --watch', () => {
  const home = makeHome('cfwrap-daemon-watch-')
  afterAll(() => home.cleanup())

  it('reports leaks and shadowing as JSON lines and stops cleanly on SIGTERM', async () => {
    const project = join(home.dir, 'project')
    mkdirSync(project)
    mkdirSync(join(home.dir, '.config', '.wrangler', 'config'), { recursive: true })
    writeFileSync(join(home.dir, '.config', '.wrangler', 'config', 'default.toml'), 'oauth_token = "cfoat_x"\n')
    const env = cliEnv(home.dir, { HOME: home.dir, XDG_CONFIG_HOME: join(home.dir, '.config'), CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4' })
    const child = startCli(['--daemon', '--json', '--watch', project], { env })
    const lines: Record<string, unknown>[] = []
    const waiters: (() => void)[] = []
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(JSON.parse(line))
      for (const wake of waiters.splice(0)) wake()
    })
    const next = (type: string): Promise<Record<string, unknown>> => nextWhere((l) => l.type === type, type)
    const nextWhere = async (test: (line: Record<string, unknown>) => boolean, what = 'matching'): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 10_000
      for (;;) {
        const found = lines.find(test)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no ${what} event; got ${lines.map((l) => l.type).join(', ')}`)
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 200)
        })
      }
    }
    await next('daemon-started')
    const secret = fakeSecret()
    writeFileSync(join(project, '.env'), `APP=1\nCLOUDFLARE_API_TOKEN=${secret}\n`)
    const finding = await next('finding')
    expect(finding).toMatchObject({ file: join(project, '.env'), line: 2, kind: 'cloudflare-user-token', severity: 'high' })
    const shadow = await next('shadow')
    expect(shadow).toMatchObject({ variable: 'CLOUDFLARE_API_TOKEN', source: 'dotenv', file: join(project, '.env') })
    // Lines added above: the same finding (same id) follows its line; it is not announced again.
    writeFileSync(join(project, '.env'), `# settings\n\nAPP=1\nCLOUDFLARE_API_TOKEN=${secret}\n`)
    const moved = await next('finding-moved')
    expect(moved).toMatchObject({ id: finding.id, file: join(project, '.env'), line: 4 })
    expect(lines.filter((l) => l.type === 'finding')).toHaveLength(1)
    writeFileSync(join(project, '.env'), 'APP=1\n')
    expect(await next('finding-resolved')).toMatchObject({ id: finding.id })
    // The cause of the shadowing is gone too, and the daemon says so.
    expect(await next('shadow-resolved')).toMatchObject({ id: shadow.id, variable: 'CLOUDFLARE_API_TOKEN', file: join(project, '.env') })
    child.kill('SIGTERM')
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)))
    expect(status).toBe(0)
    expect(JSON.stringify(lines)).not.toContain(secret)
  })
})
