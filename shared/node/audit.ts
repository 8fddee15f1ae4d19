import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { dirname } from 'node:path'
import { AuditEventSchema, type AuditEvent } from '../common/state'
import { ensurePrivateDir } from './fs-atomic'

/**
 * Appends one event to the JSON-lines audit log (mode 0600). Appending, not rewriting: each event
 * is a single write with O_APPEND, which concurrent processes cannot interleave, so no lock is needed.
 */
export function appendAudit(auditPath: string, event: Omit<AuditEvent, 'time'> & { time?: string }): void {
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`
  try {
    appendFileSync(auditPath, line, { mode: 0o600 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    ensurePrivateDir(dirname(auditPath))
    appendFileSync(auditPath, line, { mode: 0o600 })
  }
}

// The log only grows; the app re-reads it on every change, so only its end is read.
const TAIL_BYTES = 512 * 1024

/** The last `bytes` of a file as text, starting at a line boundary. */
function readTail(path: string, bytes: number): string {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
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
