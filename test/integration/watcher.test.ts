// The leak watcher on real files with real file watching (fs.watch over inotify, one watch per directory) in temp dirs.
import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LeakWatcher, type LeakWatchEvent } from '../../shared/node/leak-watcher'
import { fakeSecret } from '../support/cli'
import { inotifyWatches } from '../support/inotify'

let dir: string
let watcher: LeakWatcher | null = null
let events: (LeakWatchEvent & { at: number })[] = []

async function startWatcher(options: { profiles?: string[]; roots?: string[] }): Promise<LeakWatcher> {
  watcher = new LeakWatcher({ profiles: options.profiles ?? [], roots: options.roots ?? [], onEvent: (event) => events.push({ ...event, at: Date.now() }) })
  await watcher.start()
  return watcher
}

async function waitFor<T>(find: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = find()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error('timed out waiting for a watcher event')
    await new Promise((r) => setTimeout(r, 10))
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cfwrap-watch-'))
  events = []
})
afterEach(async () => {
  await watcher?.stop()
  watcher = null
  rmSync(dir, { recursive: true, force: true })
})

describe('LeakWatcher', () => {
  it('sees a secret written into a watched .env, with file and line, and measures the latency', async () => {
    const project = join(dir, 'project')
    mkdirSync(project)
    await startWatcher({ roots: [project] })
    const secret = fakeSecret()
    const writtenAt = Date.now()
    writeFileSync(join(project, '.env'), `# config\nCLOUDFLARE_API_TOKEN=${secret}\n`)
    const event = await waitFor(() => events.find((e) => e.type === 'finding'))
    if (event.type !== 'finding') throw new Error('unreachable')
    expect(event.finding.finding).toMatchObject({ file: join(project, '.env'), line: 2, kind: 'cloudflare-user-token' })
    expect(JSON.stringify(events)).not.toContain(secret)
    // Reported, not asserted: timing belongs to `npm run bench`.
    console.log(`watch latency: ${event.at - writtenAt} ms`)
  })

  it('reports a finding once across saves (even when it moves line) and resolves it when the line goes away', async () => {
    const project = join(dir, 'p')
    mkdirSync(project)
    const secret = fakeSecret()
    writeFileSync(join(project, '.env.local'), `A=1\nCLOUDFLARE_API_TOKEN=${secret}\n`)
    const w = await startWatcher({ roots: [project] })
    expect(events.filter((e) => e.type === 'finding')).toHaveLength(1)
    writeFileSync(join(project, '.env.local'), `A=1\nB=2\nCLOUDFLARE_API_TOKEN=${secret}\n`)
    await waitFor(() => (w.findings()[0]?.finding.line === 3 ? true : undefined))
    expect(events.filter((e) => e.type === 'finding')).toHaveLength(1)
    writeFileSync(join(project, '.env.local'), 'A=1\nB=2\n')
    const resolved = await waitFor(() => events.find((e) => e.type === 'finding-resolved'))
    expect(resolved).toMatchObject({ file: join(project, '.env.local') })
    expect(w.findings()).toEqual([])
  })

  it('debounces a file that changes very fast into one scan per save', async () => {
    const project = join(dir, 'fast')
    mkdirSync(project)
    await startWatcher({ roots: [project] })
    const file = join(project, '.env')
    writeFileSync(file, '')
    for (let i = 0; i < 200; i++) appendFileSync(file, `K${i}=v${i}\n`)
    appendFileSync(file, `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    await waitFor(() => events.find((e) => e.type === 'finding'))
    await watcher?.settle()
    await new Promise((r) => setTimeout(r, 200))
    const scans = events.filter((e) => e.type === 'file-scanned' && e.file === file)
    expect(scans.length).toBeLessThanOrEqual(3)
    expect(events.filter((e) => e.type === 'finding')).toHaveLength(1)
  })

  it('watches shell start-up files, also ones created later, as shell profiles', async () => {
    const zshrc = join(dir, '.zshrc')
    await startWatcher({ profiles: [zshrc] })
    writeFileSync(zshrc, `export CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    const event = await waitFor(() => events.find((e) => e.type === 'finding'))
    if (event.type !== 'finding') throw new Error('unreachable')
    expect(event.finding.finding).toMatchObject({ file: zshrc, severity: 'critical', exported: true })
  })

  it('ignores node_modules, .git and build output, and survives a symlink loop', async () => {
    const project = join(dir, 'loopy')
    mkdirSync(join(project, 'node_modules', 'pkg'), { recursive: true })
    mkdirSync(join(project, '.git'), { recursive: true })
    mkdirSync(join(project, 'dist'), { recursive: true })
    mkdirSync(join(project, 'a'), { recursive: true })
    symlinkSync(project, join(project, 'a', 'loop'))
    const secret = `ghp_${fakeSecret().slice(5, 41)}`
    writeFileSync(join(project, 'node_modules', 'pkg', '.env'), `GITHUB_TOKEN=${secret}\n`)
    writeFileSync(join(project, '.git', 'config'), `token=${secret}\n`)
    writeFileSync(join(project, 'dist', 'bundle.env'), `GITHUB_TOKEN=${secret}\n`)
    writeFileSync(join(project, 'a', '.env'), `GITHUB_TOKEN=${secret}\n`)
    const w = await startWatcher({ roots: [project] })
    expect(w.findings().map((f) => f.finding.file)).toEqual([join(project, 'a', '.env')])
  })

  it('reports binary and huge files as skipped instead of crashing', async () => {
    const project = join(dir, 'bin')
    mkdirSync(project)
    writeFileSync(join(project, 'blob.dat'), Buffer.from([0, 1, 2, 3, 0, 0, 255, 254]))
    writeFileSync(join(project, 'huge.env'), Buffer.alloc(6 * 1024 * 1024, 'a'))
    await startWatcher({ roots: [project] })
    const skipped = events.flatMap((e) => (e.type === 'file-skipped' ? [e.skipped.reason] : [])).sort()
    expect(skipped).toEqual(['binary', 'too-large'])
  })

  it('never opens a FIFO (which would block): it is reported as skipped and watching goes on', async () => {
    const project = join(dir, 'fifo')
    mkdirSync(project)
    execFileSync('mkfifo', [join(project, '.env.pipe')])
    await startWatcher({ roots: [project] })
    writeFileSync(join(project, '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    await waitFor(() => events.find((e) => e.type === 'finding'))
    const skipped = events.flatMap((e) => (e.type === 'file-skipped' ? [e.skipped] : []))
    expect(skipped).toEqual([expect.objectContaining({ file: join(project, '.env.pipe'), detail: 'not a regular file' })])
  }, 15_000)

  it('adds and removes project roots at run time', async () => {
    const project = join(dir, 'later')
    mkdirSync(project)
    writeFileSync(join(project, '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    const w = await startWatcher({ roots: [] })
    await w.addRoot(project)
    await waitFor(() => events.find((e) => e.type === 'finding'))
    await w.removeRoot(project)
    expect(w.findings()).toEqual([])
    expect(events.some((e) => e.type === 'finding-resolved')).toBe(true)
  })

  it('asks git once per repository for a whole batch, not once per file, and never blocks the event loop for long', async () => {
    // A `git` on PATH that logs each invocation, then runs the real one.
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    const log = join(dir, 'git.log')
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec /usr/bin/git "$@"\n`, { mode: 0o755 })
    const repos = ['a', 'b'].map((name) => join(dir, name))
    for (const repo of repos) {
      mkdirSync(join(repo, 'src'), { recursive: true })
      execFileSync('git', ['init', '-q', repo])
      for (let i = 0; i < 150; i++) writeFileSync(join(repo, 'src', `f${i}.ts`), `export const value${i} = ${i}\n`)
      writeFileSync(join(repo, '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    }
    const path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
    let longestStall = 0
    let last = Date.now()
    const ticker = setInterval(() => {
      longestStall = Math.max(longestStall, Date.now() - last)
      last = Date.now()
    }, 5)
    try {
      await startWatcher({ roots: repos })
    } finally {
      clearInterval(ticker)
      process.env.PATH = path
    }
    expect(events.filter((event) => event.type === 'finding')).toHaveLength(2)
    const checks = readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('check-ignore'))
    // 302 files in 2 repositories, listed and then scanned as one batch: exactly one check per repository.
    expect(checks).toHaveLength(2)
    expect(checks.map((line) => line.split(' ')[1]).sort()).toEqual([...repos].sort())
    // The timer kept ticking while 302 files were scanned: no long synchronous stretch.
    expect(longestStall).toBeLessThan(1000)
  })

  it('holds one inotify watch per directory, not per file, and still sees a new .env in a watched folder and in a new one', async () => {
    const project = join(dir, 'many')
    for (let d = 0; d < 8; d++) {
      mkdirSync(join(project, `pkg${d}`, 'src'), { recursive: true })
      for (let f = 0; f < 40; f++) writeFileSync(join(project, `pkg${d}`, 'src', `f${f}.ts`), `export const v${f} = ${f}\n`)
    }
    mkdirSync(join(project, 'node_modules', 'dep'), { recursive: true })
    for (let f = 0; f < 40; f++) writeFileSync(join(project, 'node_modules', 'dep', `f${f}.js`), '1\n')
    const before = inotifyWatches()
    const w = await startWatcher({ roots: [project] })
    // 17 directories (the root, 8 packages, their 8 src folders; node_modules ignored), 320 files.
    expect(w.watchedDirectories()).toBe(17)
    expect(inotifyWatches() - before).toBeLessThanOrEqual(17)

    writeFileSync(join(project, 'pkg3', 'src', '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    await waitFor(() => events.find((e) => e.type === 'finding' && e.finding.finding.file === join(project, 'pkg3', 'src', '.env')))
    // A folder created after start-up (with a file written at once) is watched from then on.
    mkdirSync(join(project, 'fresh', 'deeper'), { recursive: true })
    writeFileSync(join(project, 'fresh', 'deeper', '.env'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    await waitFor(() => events.find((e) => e.type === 'finding' && e.finding.finding.file === join(project, 'fresh', 'deeper', '.env')))
    writeFileSync(join(project, 'fresh', 'deeper', '.env.local'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    await waitFor(() => events.find((e) => e.type === 'finding' && e.finding.finding.file === join(project, 'fresh', 'deeper', '.env.local')))
    expect(w.watchedDirectories()).toBe(19)
    // An editor's atomic save (write a temporary file, rename it over the original) is seen as a change.
    writeFileSync(join(project, 'pkg5', '.env.tmp'), `CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    renameSync(join(project, 'pkg5', '.env.tmp'), join(project, 'pkg5', '.env'))
    await waitFor(() => events.find((e) => e.type === 'finding' && e.finding.finding.file === join(project, 'pkg5', '.env')))
    // A deleted folder takes its findings and its watches with it.
    rmSync(join(project, 'fresh'), { recursive: true })
    await waitFor(() => (events.filter((e) => e.type === 'finding-resolved' && e.file.startsWith(join(project, 'fresh'))).length === 2 ? true : undefined))
    await waitFor(() => (w.watchedDirectories() === 17 ? true : undefined))
    expect(w.findings().map((f) => f.finding.file).sort()).toEqual([join(project, 'pkg3', 'src', '.env'), join(project, 'pkg5', '.env')])
  })

  it('a profile that is a link (to a dotfiles folder) is watched where it points', async () => {
    const dotfiles = join(dir, 'dotfiles')
    mkdirSync(dotfiles)
    writeFileSync(join(dotfiles, 'zshrc'), 'export EDITOR=vim\n')
    const zshrc = join(dir, '.zshrc')
    symlinkSync(join(dotfiles, 'zshrc'), zshrc)
    await startWatcher({ profiles: [zshrc] })
    appendFileSync(join(dotfiles, 'zshrc'), `export CLOUDFLARE_API_TOKEN=${fakeSecret()}\n`)
    const event = await waitFor(() => events.find((e) => e.type === 'finding'))
    if (event.type !== 'finding') throw new Error('unreachable')
    expect(event.finding.finding).toMatchObject({ file: zshrc, severity: 'critical', exported: true })
  })
})
