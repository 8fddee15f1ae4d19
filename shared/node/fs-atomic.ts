import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, basename, join } from 'node:path'

let tempCounter = 0

/**
 * Replaces `path` with `data` atomically: readers see the old file or the new one, never a torn
 * write, and a crash leaves at worst a stray temp file. The file is created with mode 0600.
 * Synchronous on purpose: the files are small, and `node:fs/promises` alone costs the CLI ~1.5 ms
 * of start-up.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  // New directories are 0700; an existing one is left as it is (the vault checks its own with checkPrivateDir).
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  replaceFileAtomic(path, data, 0o600)
}

/**
 * Replaces the file at `path` (in an existing directory) with `data` atomically, with permission
 * bits `mode`: used to rewrite a person's own file (`--adopt`) keeping its mode. The rename
 * replaces a link at `path` rather than writing through it; callers refuse links first.
 */
export function replaceFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  // Unique per process and call; 'wx' refuses to reuse a name, so no randomness is needed.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.${Date.now()}.tmp`)
  const fd = openSync(temp, 'wx', 0o600)
  try {
    // Set after creation: the umask narrows the mode given to open.
    if (mode !== 0o600) fchmodSync(fd, mode)
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(temp, path)
  } catch (error) {
    try {
      unlinkSync(temp)
    } catch {
      // The temp file is already gone; the rename error is what matters.
    }
    throw error
  }
}
