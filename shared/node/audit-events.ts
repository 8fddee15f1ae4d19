// The audit log as a subscriber of the service's typed token events: which events it records and
// what each line says, decided here once. Kept apart from audit.ts, which the wrapper's start-up
// path loads (it writes the one line of a wrapped run) and which should stay small.
import type { TokenEvent } from '../common/events'
import type { AuditEvent, AuditEventName } from '../common/state'
import { appendAudit } from './audit'

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
    case 'broker-request':
      return {
        ...base,
        token: event.name,
        cwd: event.cwd,
        detail: `${event.requestId}; ${event.chain}; ${event.needsApproval.length > 0 ? `needs approval: ${event.needsApproval.join(', ')}` : 'granted by the policy'}; reason (the requester's words): ${JSON.stringify(event.reason.slice(0, 200))}`,
      }
    case 'broker-decision':
      return { ...base, detail: `${event.requestId} ${event.approved ? `approved${event.until ? ` until ${event.until}` : ''}` : 'denied'}` }
    case 'leased':
      return { ...base, ...token, detail: event.chain }
    case 'mcp-call':
      return { ...base, detail: `${event.tool}: ${event.detail}; ${event.chain}` }
    case 'daemon-started':
    case 'daemon-stopped':
      return { ...base, detail: `pid ${event.pid}` }
    case 'rolled':
      return { ...base, ...token, detail: `previous fingerprint ${event.previousFingerprint ?? '-'}` }
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
