import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { dirname } from 'node:path'
import type { TokenEvent } from '../common/events'
import { AuditEventSchema, type AuditEvent, type AuditEventName } from '../common/state'
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

/** Names the foreign tokens of an event in one line. */
function foreignList(tokens: readonly { name: string; id: string }[]): string {
  return tokens.map((token) => `${token.name} (${token.id})`).join(', ')
}

/**
 * The audit line a token event becomes, or null for status that is not history (`reconciled`,
 * `rate-limited`, and repeats of a report already logged). The one place that decides what the
 * audit log records about tokens: it subscribes to the service's events instead of each operation
 * writing its own line.
 */
export function auditEntryOf(event: TokenEvent): AuditEvent | null {
  if (event.type === 'reconciled' || event.type === 'rate-limited') return null
  const name: AuditEventName = event.type
  const base = { time: event.time, event: name }
  const token = 'token' in event ? { token: event.token, tokenId: event.tokenId, fingerprint: event.fingerprint } : {}
  switch (event.type) {
    case 'foreign-tokens':
      return event.repeat ? null : { ...base, detail: `not this vault's, left alone: ${foreignList(event.tokens)}` }
    case 'state-problem':
      return event.repeat ? null : { ...base, detail: event.message }
    case 'minted':
      return {
        ...base,
        ...token,
        detail: [event.template ?? 'token', event.expiresAt ? `deadline ${event.expiresAt}` : 'permanent', ...(event.policies ?? []), ...(event.host ? [`on ${event.host}`] : [])].join('; '),
      }
    case 'deleted':
    case 'orphan-deleted':
      return { ...base, ...token, detail: event.reason }
    case 'delete-failed':
      // The first failure and then at 2, 4, 8… attempts: visible, without flooding the log in an outage.
      return (event.attempts & (event.attempts - 1)) === 0 ? { ...base, ...token, detail: event.error } : null
    case 'reconcile-failed':
    case 'sweep-failed':
      return { ...base, detail: event.error }
    case 'removed':
      return { ...base, ...token, ...(event.via === 'revoke' ? { detail: 'revoke of a dashboard token' } : {}) }
    case 'setup':
      return { ...base, ...token, detail: `${event.owner}-owned minting credential${event.replaced.length > 0 ? ' (replaced the previous one)' : ''}` }
    case 'revoke-all':
      return {
        ...base,
        detail:
          `${event.deleted} deleted on Cloudflare, ${event.alreadyGone} already gone, ${event.failed} failed` +
          (event.foreign.length > 0 ? `; left alone (not this vault's): ${foreignList(event.foreign)}` : ''),
      }
    case 'daemon-started':
    case 'daemon-stopped':
      return { ...base, detail: `pid ${event.pid}` }
    case 'added':
    case 'gone':
    case 'missing-on-cloudflare':
    case 'pending-dropped':
      return { ...base, ...token }
  }
}

/**
 * A subscriber that appends each token event's audit line. The log is a record, not a
 * precondition: a full disk must not stop a deletion or fail a mint that succeeded, so a write
 * failure goes to `onError` (the CLI prints a warning) and never to the operation.
 */
export function auditSubscriber(auditPath: string, onError: (error: unknown) => void = () => undefined): (event: TokenEvent) => void {
  return (event) => {
    const entry = auditEntryOf(event)
    if (entry === null) return
    try {
      appendAudit(auditPath, entry)
    } catch (error) {
      onError(error)
    }
  }
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
