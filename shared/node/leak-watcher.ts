import { existsSync, lstatSync, realpathSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import type { Finding } from '../common/scan'
import { gitIgnoredMapAsync, IGNORED_DIRS, isSkippedByName, scanFile, type SkippedFile } from './file-scan'
import { TreeWatcher } from './tree-watcher'

/** A finding the watcher currently sees, with the identity that survives saves. */
export interface WatchedFinding {
  /** file + kind + fingerprint: the same secret on another line after an edit is the same finding. */
  id: string
  finding: Finding
  firstSeen: string
}

/** What the watcher reports. */
export type LeakWatchEvent =
  | { type: 'finding'; finding: WatchedFinding }
  | { type: 'finding-resolved'; id: string; file: string }
  | { type: 'finding-moved'; finding: WatchedFinding }
  | { type: 'file-skipped'; skipped: SkippedFile }
  | { type: 'watch-error'; message: string }
  /** A watched file was (re)scanned; `atMs` is when the scan finished (for latency measurements). */
  | { type: 'file-scanned'; file: string; atMs: number }

/** Options of {@link LeakWatcher}. */
export interface LeakWatcherOptions {
  /** Shell start-up files (scanned as such; missing ones are picked up when created). */
  profiles: string[]
  /** Project roots, watched recursively. */
  roots: string[]
  onEvent: (event: LeakWatchEvent) => void
  /** Quiet time after the last change before a file is scanned: one event per save, not per write. */
  debounceMs?: number
  maxBytes?: number
  now?: () => number
}

/** Longest run of scanning before the watcher lets the event loop (timers, sockets) run. */
const SCAN_SLICE_MS = 8

/** Stable id of a finding across saves. */
export function findingId(finding: Finding): string {
  return `${finding.file}\u0000${finding.kind}\u0000${finding.fingerprint}`
}

/**
 * Watches shell start-up files and project roots (one watch per directory, see {@link TreeWatcher}) and keeps the set of current
 * findings: a secret written into a watched file is reported once, stays the same finding when
 * the file is saved again (even if it moves to another line), and is resolved when it goes away.
 */
export class LeakWatcher {
  private profileWatcher: TreeWatcher | null = null
  private rootWatcher: TreeWatcher | null = null
  private readonly current = new Map<string, Map<string, WatchedFinding>>()
  /** Files changed since the last scan; scanned together once the watched files are quiet for `debounceMs`. */
  private readonly pending = new Set<string>()
  private flushTimer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null
  private stopped = false
  /** While a tree is being listed, files are only queued: the whole listing is then scanned as one batch (one `git check-ignore` per repository). */
  private listing = 0
  private readonly profiles: Set<string>
  /** Where a profile that is a link (to a dotfiles repository, say) really lives, mapped back to the profile. */
  private readonly profileTargets = new Map<string, string>()
  private roots: string[]
  private readonly debounceMs: number
  private readonly now: () => number

  constructor(private readonly options: LeakWatcherOptions) {
    this.profiles = new Set(options.profiles.map((p) => resolve(p)))
    this.roots = options.roots.map((r) => resolve(r))
    this.debounceMs = options.debounceMs ?? 60
    this.now = options.now ?? Date.now
  }

  /** Starts watching; resolves once the initial scan of every existing file is done. */
  async start(): Promise<void> {
    // Shell start-up files are watched through their directories, everything else in them
    // ignored: a profile that does not exist yet is exactly what we look for when it appears.
    // A profile that is a link is also watched where it points, since editing the target does not
    // touch the link's directory.
    for (const profile of this.profiles) {
      try {
        if (lstatSync(profile).isSymbolicLink()) this.profileTargets.set(realpathSync(profile), profile)
      } catch {
        // Missing or dangling: watched through its directory.
      }
    }
    const watchedNames = new Set([...this.profiles, ...this.profileTargets.keys()])
    const dirs = [...new Set([...watchedNames].map((p) => dirname(p)))].filter((d) => existsSync(d))
    await this.listThenScan(async () => {
      if (dirs.length > 0) {
        const profileWatcher = this.treeWatcher((path) => !watchedNames.has(path), (path) => this.schedule(this.profileTargets.get(path) ?? path))
        this.profileWatcher = profileWatcher
        for (const dir of dirs) await profileWatcher.add(dir)
      }
      for (const root of this.roots) await this.ensureRootWatcher().add(root)
    })
  }

  /** Runs `list` (which queues files) and scans everything it queued as one batch, then waits for any later changes too. */
  private async listThenScan(list: () => Promise<void>): Promise<void> {
    this.listing++
    try {
      await list()
    } finally {
      this.listing--
    }
    if (this.listing === 0 && this.pending.size > 0 && this.flushTimer === null) await this.flush()
    await this.settle()
  }

  private ensureRootWatcher(): TreeWatcher {
    this.rootWatcher ??= this.treeWatcher((path) => this.isIgnored(path), (path) => this.schedule(path))
    return this.rootWatcher
  }

  private treeWatcher(ignored: (path: string) => boolean, onPath: (path: string) => void): TreeWatcher {
    return new TreeWatcher({
      ignored,
      onPath,
      onDirGone: (dir) => {
        const prefix = dir + sep
        for (const file of [...this.current.keys()]) if (file.startsWith(prefix)) this.forget(file)
      },
      onError: (message) => this.options.onEvent({ type: 'watch-error', message }),
    })
  }

  /** Stops watching and cancels pending scans. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = null
    this.pending.clear()
    this.profileWatcher?.close()
    this.rootWatcher?.close()
    this.profileWatcher = null
    this.rootWatcher = null
    await this.flushing
  }

  /** How many directories are watched (one inotify watch each on Linux): about one per directory, never one per file. */
  watchedDirectories(): number {
    return (this.profileWatcher?.size() ?? 0) + (this.rootWatcher?.size() ?? 0)
  }

  /** Every finding currently present in a watched file. */
  findings(): WatchedFinding[] {
    return [...this.current.values()].flatMap((byId) => [...byId.values()])
  }

  /** The watched project roots. */
  watchedRoots(): string[] {
    return [...this.roots]
  }

  /** Starts watching another project root (and scans it). */
  async addRoot(root: string): Promise<void> {
    const abs = resolve(root)
    if (this.roots.includes(abs)) return
    this.roots.push(abs)
    await this.listThenScan(() => this.ensureRootWatcher().add(abs))
  }

  /** Stops watching a project root; its findings are resolved. */
  async removeRoot(root: string): Promise<void> {
    const abs = resolve(root)
    this.roots = this.roots.filter((r) => r !== abs)
    const prefix = abs + sep
    this.rootWatcher?.remove(abs)
    for (const file of [...this.current.keys()]) {
      if ((file === abs || file.startsWith(prefix)) && this.isIgnored(file)) this.forget(file)
    }
    // A root that lay inside the removed one is still watched.
    for (const inner of this.roots) if (inner.startsWith(prefix)) await this.rootWatcher?.add(inner)
  }

  /** Waits until no scan is pending (tests and start-up use it). */
  async settle(): Promise<void> {
    while (this.pending.size > 0 || this.flushTimer !== null || this.flushing !== null) {
      await (this.flushing ?? new Promise((r) => setTimeout(r, this.debounceMs)))
    }
  }

  private isIgnored(path: string): boolean {
    const abs = resolve(path)
    if (this.profiles.has(abs)) return false
    // Only the part below a watched root counts: a root that itself lives under "build/" is fine.
    const root = this.roots.find((r) => abs === r || abs.startsWith(r + sep))
    if (root === undefined) return true
    const parts = abs.slice(root.length).split(sep)
    if (parts.some((part) => IGNORED_DIRS.has(part))) return true
    return isSkippedByName(abs)
  }

  /** Queues a changed file; the batch is scanned once nothing has changed for `debounceMs` (one event per save, not per write). */
  private schedule(path: string): void {
    if (this.stopped) return
    this.pending.add(resolve(path))
    if (this.listing > 0) return // scanned together when the listing is done
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null
      void this.flush()
    }, this.debounceMs)
  }

  /**
   * Scans every queued file: git is asked once per repository for the whole batch (asynchronously),
   * and the scanning yields to the event loop every few milliseconds, so a first scan of thousands of
   * files never delays the reaper's timers or API replies in the same process.
   */
  private async flush(): Promise<void> {
    if (this.flushing) {
      await this.flushing
      if (this.flushTimer === null && this.pending.size > 0) return this.flush()
      return
    }
    const run = (async () => {
      while (this.pending.size > 0 && !this.stopped) {
        const files = [...this.pending]
        this.pending.clear()
        const ignored = await gitIgnoredMapAsync(files.filter((file) => !this.profiles.has(file)))
        let sliceStart = Date.now()
        for (const file of files) {
          if (this.stopped) return
          this.rescan(file, ignored.get(file))
          if (Date.now() - sliceStart >= SCAN_SLICE_MS) {
            await new Promise((resolveSlice) => setImmediate(resolveSlice))
            sliceStart = Date.now()
          }
        }
      }
    })()
    this.flushing = run
    try {
      await run
    } finally {
      this.flushing = null
    }
  }

  private rescan(file: string, gitIgnored: boolean | undefined): void {
    const profile = this.profiles.has(file)
    const scanned = scanFile(file, { origin: profile ? 'shell-profile' : 'project', gitIgnored }, this.options.maxBytes)
    if (scanned.skipped) {
      if (scanned.skipped.reason === 'unreadable' && scanned.skipped.detail === 'ENOENT') {
        this.forget(file)
        return
      }
      this.options.onEvent({ type: 'file-skipped', skipped: scanned.skipped })
    }
    const previous = this.current.get(file) ?? new Map<string, WatchedFinding>()
    const next = new Map<string, WatchedFinding>()
    for (const finding of scanned.findings) {
      const id = findingId(finding)
      if (next.has(id)) continue // the same secret twice in one file is one finding
      const before = previous.get(id)
      next.set(id, { id, finding, firstSeen: before?.firstSeen ?? new Date(this.now()).toISOString() })
    }
    if (next.size > 0) this.current.set(file, next)
    else this.current.delete(file)
    // A finding is announced once; when lines above it move, it follows its line (same id, new
    // place) and listeners hear `finding-moved`, never a second `finding`.
    for (const [id, watched] of next) {
      const before = previous.get(id)
      if (before === undefined) this.options.onEvent({ type: 'finding', finding: watched })
      else if (before.finding.line !== watched.finding.line || before.finding.column !== watched.finding.column) this.options.onEvent({ type: 'finding-moved', finding: watched })
    }
    for (const id of previous.keys()) if (!next.has(id)) this.options.onEvent({ type: 'finding-resolved', id, file })
    this.options.onEvent({ type: 'file-scanned', file, atMs: this.now() })
  }

  private forget(file: string): void {
    const previous = this.current.get(file)
    this.current.delete(file)
    for (const id of previous?.keys() ?? []) this.options.onEvent({ type: 'finding-resolved', id, file })
  }
}
