import { useNow } from '../hooks'
import { formatWhen, remaining } from '../format'

/**
 * Time left until a token's deadline, ticking every second, with the deadline itself beside it.
 * Past the deadline it says what happens next: `overdue` tells it the reaper is on it already.
 */
export function Countdown({ expiresAt, overdue = 'deleting now' }: { expiresAt: string | null; overdue?: string }) {
  const now = useNow()
  if (expiresAt === null) return <span className="countdown countdown-none">No deadline: stays until revoked</span>
  const left = remaining(expiresAt, now)
  const soon = Date.parse(expiresAt) - now < 60_000
  return (
    <span className={`countdown${soon ? ' countdown-soon' : ''}`} data-testid="countdown">
      {left === null ? (
        <span className="countdown-left">Deadline passed: {overdue}</span>
      ) : (
        <>
          Deleted in <span className="countdown-left">{left}</span>
        </>
      )}{' '}
      <span className="muted">
        (at <time dateTime={expiresAt}>{formatWhen(expiresAt, now)}</time>)
      </span>
    </span>
  )
}
