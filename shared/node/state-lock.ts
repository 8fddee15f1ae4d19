/**
 * The cross-process lock around every state-file write. A lock file created with O_EXCL holds the
 * holder's pid and start time. Holds last milliseconds (read, change, write), so:
 *
 * - a lock whose holder is dead, or that is older than {@link STALE_AFTER_MS}, is broken at once:
 *   a `cfwrap` killed while writing must not make every later command wait (proper-lockfile, used
 *   before, can only judge by age, at least 5 s, and waited 10 s);
 * - a live holder is waited for, up to a timeout, then the error names the lock file, the pid and
 *   the fix.
 *
 * Breaking a stale lock renames it aside first (atomic: of two processes breaking the same lock, one
 * wins) and checks that what it moved is the lock it judged stale; a fresh lock moved by mistake is
 * put back with link(), which never overwrites.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { UserError } from '../common/errors'

/** A lock older than this is stale whatever its pid says (pid reuse, a hung holder). */
const STALE_AFTER_MS = 30_000

/** How long to wait for a live holder before giving up with a clear error. */
const DEFAULT_LOCK_TIMEOUT_MS = 10_000

/** Options of {@link acquireLock}. */
export interface LockOptions {
  timeoutMs?: number
  /** Whether a pid is a running process (default: `process.kill(pid, 0)`). */
  isAlive?: (pid: number) => boolean
}

let asideCounter = 0

/** Whether `pid` is a running process (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** What a lock file says, or null when it is gone. */
function readHolder(path: string): { text: string; pid: number | null; ageMs: number } | null {
  try {
    const text = readFileSync(path, 'utf8')
    const ageMs = Date.now() - statSync(path).mtimeMs
    const pid = Number.parseInt(text.split('\n')[0] ?? '', 10)
    return { text, pid: Number.isSafeInteger(pid) && pid > 0 ? pid : null, ageMs }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function isStale(holder: { pid: number | null; ageMs: number }, isAlive: (pid: number) => boolean): boolean {
  if (holder.ageMs > STALE_AFTER_MS) return true
  // No pid yet: the holder is between creating the file and writing it; give it a moment.
  if (holder.pid === null) return holder.ageMs > 2_000
  return holder.pid !== process.pid && !isAlive(holder.pid)
}

function breakStale(path: string, judged: string): void {
  const aside = `${path}.stale-${process.pid}-${++asideCounter}`
  try {
    renameSync(path, aside)
  } catch {
    return // someone else broke it first
  }
  let moved = ''
  try {
    moved = readFileSync(aside, 'utf8')
  } catch {
    // unreadable: treat as what we judged
    moved = judged
  }
  if (moved !== judged) {
    // We moved a fresh lock taken after our look: put it back (link never replaces an existing file).
    try {
      linkSync(aside, path)
    } catch {
      // A third process holds the lock now; the one we moved was released meanwhile or is re-taken.
    }
  }
  try {
    unlinkSync(aside)
  } catch {
    // already gone
  }
}

/** Takes the lock at `path`; resolves to its release function. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<() => void> {
  const isAlive = options.isAlive ?? isProcessAlive
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
  const started = Date.now()
  const mine = `${process.pid}\n${started}-${Math.random().toString(36).slice(2)}\n`
  for (let attempt = 0; ; attempt++) {
    let fd: number | null = null
    try {
      fd = openSync(path, 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (fd !== null) {
      try {
        writeSync(fd, mine)
      } finally {
        closeSync(fd)
      }
      return () => {
        try {
          if (readFileSync(path, 'utf8') === mine) unlinkSync(path)
        } catch {
          // Gone already (broken as stale after a very long hold): nothing to release.
        }
      }
    }
    const holder = readHolder(path)
    if (holder === null) continue
    if (isStale(holder, isAlive)) {
      breakStale(path, holder.text)
      continue
    }
    if (Date.now() - started >= timeoutMs) {
      throw new UserError(
        `cfwrap's state is locked by another cfwrap process (pid ${holder.pid ?? 'unknown'}) and has been for ${Math.round(holder.ageMs / 1000)} s ` +
          `(lock file ${path}). Wait for it to finish; if no cfwrap is running, delete that file.`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(2 + attempt * 2, 50)))
  }
}
