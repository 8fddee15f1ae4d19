import { formatDuration } from '../../shared/common/duration'

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

/** A timestamp for people: just the time when it is today, date and time otherwise. */
export function formatWhen(iso: string, now: number = Date.now()): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return new Date(now).toDateString() === date.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date)
}

/** Time left until `iso` in words for a countdown ("14m 59s"), or null once it has passed. */
export function remaining(iso: string, now: number): string | null {
  const seconds = Math.floor((Date.parse(iso) - now) / 1000)
  return seconds > 0 ? formatDuration(seconds) : null
}

/** A duration for a form hint, in the exact syntax the TTL field accepts ("1h30m", not "1h 30m"). */
export function durationInput(seconds: number): string {
  return formatDuration(seconds).replace(' ', '')
}

/** The message of anything thrown, for showing next to the action that failed. */
export function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason)
}
