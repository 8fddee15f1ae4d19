// The audit log is a subscriber of the service's typed events: which events become lines, and what
// a line says, decided in one place (auditEntryOf).
import { describe, expect, it } from 'vitest'
import type { TokenEvent } from '../../shared/common/events'
import { AuditEventSchema } from '../../shared/common/state'
import { auditEntryOf } from '../../shared/node/audit-events'

const time = '2026-12-01T09:00:00.000Z'
const token = { time, token: 'cfwrap:shop:prod:workers-deploy:jane', tokenId: 't1', fingerprint: '0123456789ab' }

describe('auditEntryOf', () => {
  it('records history and skips status', () => {
    expect(auditEntryOf({ type: 'reconciled', time, seen: 1, orphansDeleted: 0, missing: 0, pendingDropped: 0 })).toBeNull()
    expect(auditEntryOf({ type: 'rate-limited', time, retryAfterSeconds: 1, until: time })).toBeNull()
    expect(auditEntryOf({ type: 'deleted', ...token, reason: 'revoked', lateMs: null })).toEqual({ ...token, event: 'deleted', detail: 'revoked' })
  })

  it('records a repeated report once, and a failing deletion at attempts 1, 2, 4, 8…', () => {
    const foreign = [{ id: 'f', name: 'cfwrap:x:y:z:w', status: 'active' as const, expiresOn: null }]
    expect(auditEntryOf({ type: 'foreign-tokens', time, tokens: foreign })).toMatchObject({ event: 'foreign-tokens' })
    expect(auditEntryOf({ type: 'foreign-tokens', time, tokens: foreign, repeat: true })).toBeNull()
    const failure = (attempts: number): TokenEvent => ({ type: 'delete-failed', ...token, error: 'HTTP 500', errorKind: 'server', attempts, retryAt: time })
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempts) => auditEntryOf(failure(attempts)) !== null)).toEqual([true, true, false, true, false, false, false, true])
  })

  it('every line it makes is a valid audit line with a typed name', () => {
    const events: TokenEvent[] = [
      { type: 'minted', ...token, expiresAt: time, template: 'workers-deploy', policies: ['Workers Scripts Write on account 0123abcd…'], host: 'laptop' },
      { type: 'added', ...token },
      { type: 'removed', ...token, via: 'revoke' },
      { type: 'setup', ...token, owner: 'user', replaced: ['fedcba987654'] },
      { type: 'revoke-all', time, deleted: 2, alreadyGone: 1, failed: 0, foreign: [] },
      { type: 'daemon-started', time, pid: 42 },
    ]
    for (const event of events) {
      const entry = auditEntryOf(event)
      expect(AuditEventSchema.safeParse(entry).success, event.type).toBe(true)
      expect(entry?.event).toBe(event.type)
    }
    expect(auditEntryOf(events[0] as TokenEvent)?.detail).toBe('workers-deploy; deadline 2026-12-01T09:00:00.000Z; Workers Scripts Write on account 0123abcd…; on laptop')
  })
})
