import { watch, type FSWatcher } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join, sep } from 'node:path'

/** Options of {@link TreeWatcher}. */
export interface TreeWatcherOptions {
  /** A file (or a link, or something that just went away) at `path` may have changed. */
  onPath: (path: string) => void
  /** The directory `dir` and everything below it went away. */
  onDirGone: (dir: string) => void
  onError: (message: string) => void
  /** True for a path that is neither watched nor reported (ignored directories, binary files, paths outside every root). */
  ignored: (path: string) => boolean
}

/**
 * Watches directory trees with one inotify watch (one `fs.watch`) per directory, never one per file.
 *
 * Why not chokidar: on Linux it also puts an `fs.watch` on every file, about 12 KB of memory and one
 * inotify watch each, so 100k project files cost 800 MB and half the user's inotify limit. A
 * directory's watch already reports every entry created, written, renamed or deleted in it, which is
 * all a leak watcher needs: the path is handed to `onPath`, and the reader (which treats a vanished
 * file as "no findings") decides what it is. Links are reported, never followed into, so a link loop
 * cannot trap the walk and a link to a home directory does not widen what is watched.
 */
export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>()
  private closed = false

  constructor(private readonly options: TreeWatcherOptions) {}

  /** Watches `dir` and every directory below it, and reports each file found there via `onPath`. */
  async add(dir: string): Promise<void> {
    try {
      if (!(await lstat(dir)).isDirectory()) {
        this.options.onPath(dir)
        return
      }
    } catch {
      return // not there (yet): nothing to watch
    }
    const stack = [dir]
    while (stack.length > 0 && !this.closed) {
      const current = stack.pop() as string
      if (this.watchers.has(current) || !this.watchDirectory(current)) continue
      let entries
      try {
        entries = await readdir(current, { withFileTypes: true })
      } catch (error) {
        // Gone or unreadable since it was listed: a later event (or none) says the rest.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.options.onError(`cannot list ${current}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
        continue
      }
      for (const entry of entries) {
        const full = join(current, entry.name)
        if (this.options.ignored(full)) continue
        if (entry.isDirectory()) stack.push(full)
        else this.options.onPath(full)
      }
    }
  }

  /** Stops watching `dir` and every directory below it. */
  remove(dir: string): void {
    const prefix = dir + sep
    for (const [watched, watcher] of this.watchers) {
      if (watched === dir || watched.startsWith(prefix)) {
        watcher.close()
        this.watchers.delete(watched)
      }
    }
  }

  /** How many directories are watched (each is one inotify watch on Linux). */
  size(): number {
    return this.watchers.size
  }

  /** Stops every watch. */
  close(): void {
    this.closed = true
    for (const watcher of this.watchers.values()) watcher.close()
    this.watchers.clear()
  }

  private watchDirectory(dir: string): boolean {
    let watcher: FSWatcher
    try {
      watcher = watch(dir, { persistent: true }, (_event, name) => void this.changed(dir, name))
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.options.onError(`cannot watch ${dir}: ${code ?? 'error'}`)
      return false
    }
    // The directory itself was deleted or moved away (its parent's watch, if any, reports it too).
    watcher.on('error', () => this.gone(dir))
    this.watchers.set(dir, watcher)
    return true
  }

  private async changed(dir: string, name: string | Buffer | null): Promise<void> {
    if (this.closed) return
    if (name === null) {
      // The kernel dropped the name (queue overflow): every entry of the directory may have changed.
      await this.relist(dir)
      return
    }
    const path = join(dir, name.toString())
    if (this.options.ignored(path)) return
    let isDirectory = false
    try {
      isDirectory = (await lstat(path)).isDirectory()
    } catch {
      // Gone: a deleted file, or a deleted directory (below).
    }
    if (isDirectory) {
      if (!this.watchers.has(path)) await this.add(path)
      return
    }
    if (this.watchers.has(path)) this.gone(path)
    else this.options.onPath(path)
  }

  private async relist(dir: string): Promise<void> {
    this.remove(dir)
    await this.add(dir)
  }

  private gone(dir: string): void {
    if (!this.watchers.has(dir)) return
    this.remove(dir)
    this.options.onDirGone(dir)
  }
}
