import { appendFileSync, readFileSync } from 'node:fs'
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

/** The newest `limit` events of the audit log; malformed lines are skipped, not fatal. */
export function readAudit(auditPath: string, limit = 200): AuditEvent[] {
  let text: string
  try {
    text = readFileSync(auditPath, 'utf8')
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
