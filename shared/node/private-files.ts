/**
 * cfwrap's own files (state, audit log, caches) are checked the way ssh checks `~/.ssh`: a state
 * directory another user could write to is refused (they could swap `state.json` and steer what the
 * reaper deletes, or plant an `audit.jsonl` link into a shell profile); looser read modes are
 * tightened; and no file of ours is ever opened through a symbolic link (`O_NOFOLLOW`), so a link
 * planted in the directory cannot make cfwrap read or append to a file it does not own.
 *
 * Opens use `O_NONBLOCK` too: if a FIFO is put where a file should be, the open returns at once and
 * the type check refuses it, instead of blocking until someone writes.
 */
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs'
import { UserError } from '../common/errors'

/** Largest state or cache file cfwrap reads (a state with 10,000 tokens is about 5 MB). */
const MAX_PRIVATE_FILE_BYTES = 32 * 1024 * 1024

// Windows has neither O_NOFOLLOW nor uids; there the per-user profile directory's ACLs do this job.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = constants.O_NONBLOCK ?? 0
const myUid = typeof process.getuid === 'function' ? process.getuid() : null

const checkedDirs = new Set<string>()

/** The error for a file of ours that is a symbolic link. */
function linkRefused(path: string): UserError {
  return new UserError(`${path} is a symbolic link; cfwrap never follows links for its own files. Replace it with the file itself (or remove it).`)
}

/**
 * Checks (once per process) that `dir` is a directory of this user that nobody else can write to,
 * and tightens it to 0700 when others may read it. Refuses a group- or world-writable directory.
 */
export function checkPrivateDir(dir: string): void {
  if (checkedDirs.has(dir)) return
  let stats
  try {
    stats = statSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return // created 0700 when first written
    throw new UserError(`cfwrap cannot use its directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'cannot stat'}.`)
  }
  if (!stats.isDirectory()) throw new UserError(`cfwrap's directory ${dir} is not a directory; move that file away.`)
  if (myUid !== null && process.platform !== 'win32') {
    if (stats.uid !== myUid) {
      throw new UserError(`cfwrap refuses to use ${dir}: it belongs to another user (uid ${stats.uid}). Use a directory of your own (CFWRAP_HOME).`)
    }
    if ((stats.mode & 0o022) !== 0) {
      throw new UserError(
        `cfwrap refuses to use ${dir}: other users can write to it (mode ${(stats.mode & 0o777).toString(8)}), so they could change which tokens cfwrap trusts and deletes. Run \`chmod 700 ${dir}\`.`,
      )
    }
    if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700)
  }
  checkedDirs.add(dir)
}

/** Creates `dir` (and parents) readable only by the owner, then checks it like {@link checkPrivateDir}. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  checkPrivateDir(dir)
}

/** Checks an open descriptor of ours: a regular file of this user; tightens a looser mode to 0600. */
function checkOpenFile(fd: number, path: string): { size: number } {
  const stats = fstatSync(fd)
  if (!stats.isFile()) throw new UserError(`${path} is not a regular file; cfwrap keeps only plain files there. Move it away.`)
  if (myUid !== null && process.platform !== 'win32') {
    if (stats.uid !== myUid) throw new UserError(`${path} belongs to another user (uid ${stats.uid}); cfwrap will not use it. Move it away.`)
    if ((stats.mode & 0o077) !== 0) fchmodSync(fd, 0o600)
  }
  return { size: stats.size }
}

function openNoFollow(path: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags | O_NOFOLLOW | O_NONBLOCK, mode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw linkRefused(path)
    throw error
  }
}

/**
 * Reads one of cfwrap's own files as UTF-8, never through a link, never a FIFO or device, at most
 * `maxBytes`. A missing file throws the ENOENT error as `fs` does, so callers can tell "absent".
 */
export function readPrivateFile(path: string, maxBytes = MAX_PRIVATE_FILE_BYTES): string {
  const fd = openNoFollow(path, constants.O_RDONLY)
  try {
    const { size } = checkOpenFile(fd, path)
    if (size > maxBytes) throw new UserError(`${path} is ${size} bytes, more than cfwrap ever writes (${maxBytes}); move it away.`)
    const buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1)
    let length = 0
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null)
    if (length > maxBytes) throw new UserError(`${path} grew past ${maxBytes} bytes while being read; move it away.`)
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}

/** Appends `text` to one of cfwrap's own files (created 0600), in one write with O_APPEND, never through a link. */
export function appendPrivateFile(path: string, text: string): void {
  const fd = openNoFollow(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600)
  try {
    checkOpenFile(fd, path)
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}
