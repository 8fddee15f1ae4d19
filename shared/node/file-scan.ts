import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { DEFAULT_MAX_SCAN_BYTES, scanBytes, type Finding, type ScanContext } from '../common/scan'
import { readRegularFile } from './safe-read'
import { ScanPool, type ScanEntry } from './scan-pool'

/** Directories never scanned or watched: dependencies, VCS data, build output, caches. */
export const IGNORED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', '.next', '.nuxt', '.svelte-kit', '.output',
  '.wrangler', 'coverage', '.cache', '.turbo', '.parcel-cache', 'target', '.venv', 'venv', '__pycache__', '.terraform',
])

const BINARY_EXTENSIONS = /\.(png|jpe?g|gif|webp|ico|icns|bmp|tiff?|pdf|zip|gz|tgz|bz2|xz|7z|rar|jar|class|o|a|so|dylib|dll|exe|bin|wasm|node|woff2?|ttf|otf|eot|mp[34]|mov|avi|mkv|webm|ogg|wav|flac|sqlite3?|db|pyc|lockb)$/i

/** True for paths the scanner and watcher skip by name (binary formats). */
export function isSkippedByName(path: string): boolean {
  return BINARY_EXTENSIONS.test(path)
}

/** A file that was not scanned, and why. */
export interface SkippedFile {
  file: string
  reason: 'binary' | 'too-large' | 'invalid-utf8' | 'unreadable'
  detail: string
}

/** Findings and skipped files of one scan. */
export interface FileScanReport {
  findings: Finding[]
  skipped: SkippedFile[]
  /** Files read other than they claimed to be (a stray UTF-16 byte-order mark): scanned, and said. */
  notices: Array<{ file: string; detail: string }>
  filesScanned: number
  bytesScanned: number
}

/**
 * Reads and scans one file. The size is checked before reading, so a huge file costs a stat,
 * not a read. `displayPath` is what findings report (paths as the person gave them).
 */
export function scanFile(
  path: string,
  ctx: Omit<ScanContext, 'file'> & { displayPath?: string },
  maxBytes = DEFAULT_MAX_SCAN_BYTES,
): { findings: Finding[]; skipped?: SkippedFile; notice?: string; bytes: number } {
  const file = ctx.displayPath ?? path
  // A FIFO, socket or device: opening a FIFO for reading blocks until someone writes, which would
  // freeze the watcher (and the app's main process) — only regular files are read, non-blocking.
  const read = readRegularFile(path, maxBytes)
  if (!('bytes' in read)) return { findings: [], skipped: { file, ...read }, bytes: 0 }
  const bytes = read.bytes
  const result = scanBytes(bytes, { file, origin: ctx.origin, gitIgnored: ctx.gitIgnored }, { maxBytes })
  return { findings: result.findings, skipped: result.skipped ? { file, ...result.skipped } : undefined, notice: result.notice, bytes: bytes.length }
}

/** Files below `root` (or `root` itself), skipping ignored directories and symlinked directories (no loops). */
export function listFiles(root: string, onUnreadable: (path: string, code: string) => void = () => undefined, onListed: (file: string, viaLink: boolean) => void = () => undefined): string[] {
  const out: string[] = []
  let rootStat
  try {
    rootStat = statSync(root)
  } catch (error) {
    onUnreadable(root, (error as NodeJS.ErrnoException).code ?? 'ENOENT')
    return out
  }
  if (!rootStat.isDirectory()) return [root]
  const stack = [root]
  while (stack.length > 0) {
    const dir = stack.pop() as string
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (error) {
      onUnreadable(dir, (error as NodeJS.ErrnoException).code ?? 'EACCES')
      continue
    }
    for (const entry of entries) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name)) stack.push(full)
      } else if (entry.isFile()) {
        if (!isSkippedByName(entry.name)) {
          out.push(full)
          onListed(full, false)
        }
      } else if (entry.isSymbolicLink()) {
        // Follow links to files, never to directories: a link cycle cannot trap the walk.
        try {
          if (statSync(full).isFile() && !isSkippedByName(entry.name)) {
            out.push(full)
            onListed(full, true)
          }
        } catch {
          // A dangling link: nothing to scan.
        }
      }
    }
  }
  return out
}

/**
 * Which of `files` git would ignore, asked of git itself (`git check-ignore --stdin`), grouped
 * by repository. Files outside any repository map to undefined ("would be committed" is moot,
 * and the scanner treats undefined as committed, the safer reading).
 */
export function gitIgnoredMap(files: string[]): Map<string, boolean | undefined> {
  const { result, byTop } = groupByRepository(files)
  for (const [top, list] of byTop) {
    const check = spawnSync('git', checkIgnoreArgs(top), { input: checkIgnoreInput(list), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    recordCheckIgnore(result, list, check.status, check.stdout)
  }
  return result
}

/**
 * {@link gitIgnoredMap} without blocking: one `git check-ignore` process per repository, run one
 * after another off the main thread, so a watcher's first scan of many repositories never holds up
 * the reaper's timers and replies.
 */
export async function gitIgnoredMapAsync(files: string[]): Promise<Map<string, boolean | undefined>> {
  const { result, byTop } = groupByRepository(files)
  for (const [top, list] of byTop) {
    const { status, stdout } = await new Promise<{ status: number | null; stdout: string }>((done) => {
      const child = spawn('git', checkIgnoreArgs(top), { stdio: ['pipe', 'pipe', 'ignore'] })
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
      child.on('error', () => done({ status: null, stdout: '' }))
      child.on('close', (code) => done({ status: code, stdout: out }))
      child.stdin.on('error', () => undefined)
      child.stdin.end(checkIgnoreInput(list))
    })
    recordCheckIgnore(result, list, status, stdout)
  }
  return result
}

function checkIgnoreArgs(top: string): string[] {
  return ['-C', top, 'check-ignore', '--stdin', '-z']
}

function checkIgnoreInput(files: string[]): string {
  return files.map((f) => resolve(f)).join('\0')
}

/** Exit 0: some are ignored (listed); 1: none is; anything else: git could not say (undefined, read as committed). */
function recordCheckIgnore(result: Map<string, boolean | undefined>, files: string[], status: number | null, stdout: string): void {
  const ignored = new Set(status === 0 ? stdout.split('\0').filter(Boolean) : [])
  for (const file of files) result.set(file, status === 0 || status === 1 ? ignored.has(resolve(file)) : undefined)
}

/** Files grouped by the repository that holds them; files outside any repository map to undefined in `result`. */
function groupByRepository(files: string[]): { result: Map<string, boolean | undefined>; byTop: Map<string, string[]> } {
  const result = new Map<string, boolean | undefined>()
  const byTop = new Map<string, string[]>()
  const topOf = new Map<string, string | null>()
  // The repository of a directory is the nearest ancestor holding `.git` (a directory, or a file
  // for worktrees and submodules): found with stat calls and cached per directory, instead of one
  // `git rev-parse` process per directory, which dominated the time of scanning a large tree.
  const repositoryOf = (dir: string): string | null => {
    const cached = topOf.get(dir)
    if (cached !== undefined) return cached
    let top: string | null
    if (existsSync(join(dir, '.git'))) top = dir
    else {
      const parent = dirname(dir)
      top = parent === dir ? null : repositoryOf(parent)
    }
    topOf.set(dir, top)
    return top
  }
  for (const file of files) {
    const top = repositoryOf(dirname(resolve(file)))
    if (!top) {
      result.set(file, undefined)
      continue
    }
    const list = byTop.get(top) ?? []
    list.push(file)
    byTop.set(top, list)
  }
  return { result, byTop }
}

/** True when `path` is one of the shell start-up files (decides the scan's origin). */
export type ProfileTest = (path: string) => boolean

/** Files listed before a walk starts the scan workers. */
const POOL_START_FILES = 1000

/**
 * Scans files and directories as given on a command line. Shell start-up files (per `isProfile`)
 * are scanned as such; everything else as project files, with git asked what it would ignore.
 * Findings report paths as given (a directory's files joined onto the given directory). The files
 * are scanned on every core (see {@link ScanPool}); the report is the same either way.
 */
export async function scanPaths(paths: string[], isProfile: ProfileTest, maxBytes = DEFAULT_MAX_SCAN_BYTES): Promise<FileScanReport> {
  // The workers start as soon as the walk shows a large tree: their start-up (a few hundred ms on
  // a busy 2-core machine) then overlaps the rest of the listing; started after it, they came too
  // late to help. A small tree never starts one.
  const started: { pool: ScanPool | null } = { pool: null }
  let listed = 0
  const links = new Set<string>()
  const onListed = (file: string, viaLink: boolean): void => {
    if (viaLink) links.add(file)
    if (++listed === POOL_START_FILES) started.pool = ScanPool.start()
  }
  try {
    const report: FileScanReport = { findings: [], skipped: [], notices: [], filesScanned: 0, bytesScanned: 0 }
    const files: string[] = []
    // The same file reached by two spellings (`.` and `./x`, a link, `../here`) is scanned and listed once.
    const seen = new Set<string>()
    for (const given of paths) {
      // A walk follows no directory link, so below the given path a file's real path is the given
      // path's real path joined with the rest: one system call per given path, and one per file link.
      let realGiven: string | null = null
      try {
        realGiven = realpathSync.native(given)
      } catch {
        // Unreadable: listFiles reports it.
      }
      for (const file of listFiles(given, (path, code) => report.skipped.push({ file: path, reason: 'unreadable', detail: code }), onListed)) {
        let identity = realGiven === null ? resolve(file) : join(realGiven, relative(given, file))
        if (links.has(file)) {
          try {
            identity = realpathSync.native(file)
          } catch {
            // Unreadable: keep its spelling; scanFile reports it.
          }
        }
        if (seen.has(identity)) continue
        seen.add(identity)
        files.push(file)
      }
    }
    const projectFiles = files.filter((f) => !isProfile(resolve(f)))
    const ignored = gitIgnoredMap(projectFiles)
    const entries: ScanEntry[] = files.map((file) => {
      const profile = isProfile(resolve(file))
      return { path: file, origin: profile ? 'shell-profile' : 'project', gitIgnored: profile ? undefined : ignored.get(file) }
    })
    const scan = (entry: ScanEntry): ReturnType<typeof scanFile> => scanFile(entry.path, { origin: entry.origin, gitIgnored: entry.gitIgnored }, maxBytes)
    const results = started.pool ? await started.pool.run(entries, maxBytes, scan) : entries.map(scan)
    results.forEach((scanned, index) => {
      if (scanned.skipped) report.skipped.push(scanned.skipped)
      else report.filesScanned++
      if (scanned.notice) report.notices.push({ file: (entries[index] as ScanEntry).path, detail: scanned.notice })
      report.bytesScanned += scanned.bytes
      report.findings.push(...scanned.findings)
    })
    return report
  } finally {
    started.pool?.close()
  }
}

/** A predicate recognising the given shell start-up files by absolute path. */
export function profileTest(profiles: string[]): ProfileTest {
  const set = new Set(profiles.map((p) => resolve(p)))
  return (path) => set.has(path)
}
