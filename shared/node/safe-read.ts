/**
 * Reading files cfwrap did not write (a project's `.env`, a shell profile, Wrangler's config) as
 * safely as the leak scanner must: a cloned repository can ship `.env` as a FIFO (an ordinary open
 * blocks until someone writes) or as a link to `/dev/zero` (an ordinary read never ends). So: open
 * non-blocking, check on the open descriptor that it is a regular file, and read at most a cap.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

/** Why a file was not read. */
export interface UnreadFile {
  reason: 'unreadable' | 'too-large'
  /** An errno code, `not a regular file`, or the size. */
  detail: string
}

/** Reads `path` (links followed unless `followLinks` is false) if it is a regular file of at most `maxBytes`; otherwise says why not. Never blocks, never throws. */
export function readRegularFile(path: string, maxBytes: number, { followLinks = true } = {}): { bytes: Buffer } | UnreadFile {
  let fd: number
  try {
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (followLinks ? 0 : (constants.O_NOFOLLOW ?? 0)))
  } catch (error) {
    return { reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? 'cannot open' }
  }
  try {
    const stat = fstatSync(fd)
    // Checked on the descriptor, not the path: the file cannot be swapped for a FIFO in between.
    if (!stat.isFile()) return { reason: 'unreadable', detail: 'not a regular file' }
    if (stat.size > maxBytes) return { reason: 'too-large', detail: `${stat.size} bytes, over the ${maxBytes}-byte limit` }
    // At most maxBytes + 1 even if the file grew since the fstat.
    const bytes = Buffer.allocUnsafe(stat.size + 1)
    let length = 0
    for (let n = 1; n > 0 && length < bytes.length; length += n) n = readSync(fd, bytes, length, bytes.length - length, null)
    if (length > maxBytes) return { reason: 'too-large', detail: `grew past the ${maxBytes}-byte limit while being read` }
    return { bytes: bytes.subarray(0, length) }
  } catch (error) {
    return { reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? 'cannot read' }
  } finally {
    closeSync(fd)
  }
}
