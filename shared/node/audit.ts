import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { dirname } from 'node:path'
import { AuditEventSchema, type AuditEvent } from '../common/records'
import { appendPrivateFile, ensurePrivateDir } from './private-files'

/**
 * Appends one event to the JSON-lines audit log (mode 0600). Appending, not rewriting: each event
 * is a single write with O_APPEND, which concurrent processes cannot interleave, so no lock is needed.
 * Never through a link: a planted `audit.jsonl` symlink into a shell profile must not become a way
 * to write text (a cwd named `$(…)`) into a file that a shell later runs.
 */
export function appendAudit(auditPath: string, event: Omit<AuditEvent, 'time'> & { time?: string }): void {
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`
  ensurePrivateDir(dirname(auditPath))
  appendPrivateFile(auditPath, line)
}

// The log only grows; the app re-reads it on every change, so only its end is read.
const TAIL_BYTES = 512 * 1024

/** The last `bytes` of a file as text, starting at a line boundary. */
function readTail(path: string, bytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0))
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) return ''
    const size = stats.size
    const start = Math.max(0, size - bytes)
    const buffer = Buffer.alloc(size - start)
    readSync(fd, buffer, 0, buffer.length, start)
    const text = buffer.toString('utf8')
    // Mid-file: the first line is cut; the parser would skip it anyway, but drop it explicitly.
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text
  } finally {
    closeSync(fd)
  }
}

/** The newest `limit` events of the audit log; malformed lines are skipped, not fatal. */
export function readAudit(auditPath: string, limit = 200): AuditEvent[] {
  let text: string
  try {
    text = readTail(auditPath, TAIL_BYTES)
  } catch (error) {
    // Absent, or a link or FIFO planted in its place (which is never read): no events to show.
    if (['ENOENT', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? '')) return []
    throw error
  }
  const events: AuditEvent[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const parsed = AuditEventSchema.safeParse(JSON.parse(line))
      if (parsed.success) events.push(parsed.data)
    } catch {
      // A torn or hand-edited line: skip it, keep the rest.
    }
  }
  return events.slice(-limit)
}
