import type { AuditEvent } from '../../../shared/common/state'
import { describeTokenEvent, type TokenEvent } from '../../../shared/common/events'
import { Prose } from '../components/Prose'
import { formatWhen } from '../format'
import type { ViewProps } from '../App'

interface Row {
  key: string
  time: string
  source: 'Audit' | 'Lifecycle'
  what: string
  token: string | null
  detail: string
}

function auditRow(event: AuditEvent, index: number): Row {
  const parts: string[] = []
  if (event.command !== undefined) parts.push(`ran ${event.command}`)
  if (event.cwd !== undefined) parts.push(`in ${event.cwd}`)
  if (event.exit !== undefined && event.exit !== null) parts.push(`exit ${event.exit}`)
  if (event.signal !== undefined && event.signal !== null) parts.push(`killed by ${event.signal}`)
  if (event.fingerprint) parts.push(`fingerprint ${event.fingerprint}`)
  if (event.detail !== undefined) parts.push(event.detail)
  return { key: `a${index}:${event.time}`, time: event.time, source: 'Audit', what: event.event, token: event.token ?? null, detail: parts.join(' · ') }
}

function lifecycleRow(event: TokenEvent, index: number): Row {
  return {
    key: `l${index}:${event.time}`,
    time: event.time,
    source: 'Lifecycle',
    what: event.type,
    token: 'token' in event ? event.token : null,
    detail: describeTokenEvent(event),
  }
}

// The two records of one happening are written moments apart, by the same process.
const SAME_HAPPENING_MS = 2000

function sameHappening(a: Row, b: Row): boolean {
  return a.what === b.what && a.token === b.token && Math.abs(Date.parse(a.time) - Date.parse(b.time)) <= SAME_HAPPENING_MS
}

/** A token name that may wrap after each ":" rather than in the middle of a word. */
function BreakableName({ name }: { name: string }) {
  const parts = name.split(':')
  return (
    <code>
      {parts.map((part, index) => (
        <span key={index} className="name-part">
          {part}
          {index < parts.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </span>
      ))}
    </code>
  )
}

/** The audit log (commands run, tokens minted and revoked) and lifecycle events, newest first. */
export function AuditView({ snapshot }: ViewProps) {
  const now = Date.now()
  const audit = snapshot.audit.map(auditRow)
  // The core writes most lifecycle events to the audit log too; show each happening once, keeping
  // the audit line (it carries more detail: policies, host).
  const lifecycle = snapshot.events.map(lifecycleRow).filter((row) => !audit.some((other) => sameHappening(row, other)))
  // Both lists come oldest first; reversed before the (stable) sort, same-second entries stay newest first.
  const rows = [...audit, ...lifecycle].reverse().sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
  return (
    <>
      <header className="view-header">
        <div>
          <h1>Audit log</h1>
          <p className="muted">
            What cfwrap did with your tokens, newest first: <span className="badge badge-event-audit">audit log</span> entries (commands run,
            tokens minted and revoked; the full log is audit.jsonl in cfwrap&apos;s folder) and{' '}
            <span className="badge badge-event-lifecycle">lifecycle</span> events of this session (deadlines, retries, reconciling).
          </p>
        </div>
      </header>
      {rows.length === 0 ? (
        <p className="empty">Nothing has happened yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="audit">
            <caption className="visually-hidden">Recent events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Token</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key}>
                  <td className="nowrap">
                    <time dateTime={row.time}>{formatWhen(row.time, now)}</time>
                  </td>
                  <td>
                    <span className={`badge badge-event-${row.source === 'Audit' ? 'audit' : 'lifecycle'}`}>
                      {row.what}
                      <span className="visually-hidden"> ({row.source === 'Audit' ? 'audit log' : 'lifecycle event'})</span>
                    </span>
                  </td>
                  <td className="token-cell">{row.token === null ? <span className="muted">—</span> : <BreakableName name={row.token} />}</td>
                  <td>
                    <Prose text={row.detail} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}
