// `cfwrap --daemon` on real project trees: time until it is ready (reaper swept, first leak scan
// done), its idle memory and the inotify watches it holds, read from /proc as the kernel counts them.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { inotifyWatches } from '../test/support/inotify'

const CLI = join(resolve(__dirname, '..'), 'out', 'main', 'cfwrap.js')

/** Writes `roots` git repositories of `filesPerRoot` files each (50 per folder); returns their paths and the folder count. */
function makeRoots(dir: string, roots: number, filesPerRoot: number): { paths: string[]; directories: number } {
  const paths: string[] = []
  let directories = 0
  for (let r = 0; r < roots; r++) {
    const root = join(dir, `project${r}`)
    for (let f = 0; f < filesPerRoot; f++) {
      const folder = join(root, 'src', `part${Math.floor(f / 50)}`)
      if (f % 50 === 0) {
        mkdirSync(folder, { recursive: true })
        directories++
      }
      writeFileSync(join(folder, `module${f}.ts`), `export const value${f} = compute(${f}, "${'x'.repeat(40)}")\n`.repeat(8))
    }
    writeFileSync(join(root, '.gitignore'), 'dist/\n.env.local\n')
    writeFileSync(join(root, '.env'), 'APP_MODE=production\n')
    execFileSync('git', ['init', '-q', root])
    directories += 2 // the root and src/
    paths.push(root)
  }
  return { paths, directories }
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? 'VmRSS: 0 kB'
  return Number(line.replace(/\D+/g, '')) / 1024
}

/** Figures of one daemon run. */
export interface DaemonFigures {
  roots: number
  files: number
  directories: number
  readyMs: number
  idleRssMb: number
  inotify: number
}

/** Starts `cfwrap --daemon --json --watch ROOT…` on a fresh home and measures it; `idleMs` after ready, RSS and watches are read. */
export async function benchDaemon(roots = 20, filesPerRoot = 500, idleMs = 5000): Promise<DaemonFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-daemon-bench-'))
  const home = join(dir, 'home')
  mkdirSync(home, { mode: 0o700 })
  try {
    const { paths, directories } = makeRoots(dir, roots, filesPerRoot)
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), CFWRAP_HOME: join(home, 'cfwrap'), CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4', NO_COLOR: '1' }
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, [CLI, '--daemon', '--json', ...paths.flatMap((path) => ['--watch', path])], { env, stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      const readyMs = await new Promise<number>((ready, fail) => {
        const lines = createInterface({ input: child.stdout })
        lines.on('line', (line) => {
          if (line.includes('"daemon-started"')) ready(Number(process.hrtime.bigint() - started) / 1e6)
        })
        child.once('exit', (code) => fail(new Error(`the daemon exited (${code}) before it was ready`)))
      })
      await new Promise((wait) => setTimeout(wait, idleMs))
      return { roots, files: roots * filesPerRoot, directories, readyMs, idleRssMb: rssMb(child.pid as number), inotify: inotifyWatches(child.pid as number) }
    } finally {
      child.kill('SIGTERM')
      await new Promise((done) => child.once('close', done))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Lines of figures beside their goals. */
export function formatDaemon(small: DaemonFigures, large: DaemonFigures | null): string {
  const line = (f: DaemonFigures, readyGoalS: number, rssGoalMb: number): string =>
    `daemon with ${f.roots} git root(s), ${f.files.toLocaleString('en-US')} files in ${f.directories} folders: ready in ${(f.readyMs / 1000).toFixed(2)} s (goal <= ${readyGoalS} s); idle RSS ${f.idleRssMb.toFixed(0)} MB (goal <= ${rssGoalMb} MB); inotify watches ${f.inotify} (goal about one per folder plus the profile folders)`
  return [line(small, 5, 80), ...(large ? [line(large, 30, 250)] : [])].join('\n')
}

if (require.main === module) {
  void (async () => {
    const small = await benchDaemon(Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 500))
    console.log(formatDaemon(small, null))
  })()
}
