/** Shortest lifetime a minted token may have; enforced by the guards, not by `parseDuration`. */
export const MIN_TTL_SECONDS = 10

/** Seconds in each unit `parseDuration` accepts, largest first (the order units must appear in). */
const SECONDS_PER_UNIT = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const

type DurationUnit = (typeof SECONDS_PER_UNIT)[number][0]

/** Thrown by `parseDuration` when the text is not a duration it understands; the message says what to type. */
export class DurationParseError extends Error {
  override readonly name = 'DurationParseError'
}

const DURATION_EXAMPLES = 'for example 90s, 15m, 1h, 1h30m or 2d'

/**
 * Parses a duration such as `90s`, `15m`, `1h`, `1h30m` or `2d` into whole seconds.
 * Units are d, h, m, s, each used at most once and largest first, so `30m1h` and `1h1h`
 * are refused rather than guessed at. A bare number is refused because "15" could mean
 * seconds or minutes, and guessing wrong on a token lifetime is worse than asking.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase()
  if (trimmed === '') throw new DurationParseError(`Empty duration: give a number with a unit, ${DURATION_EXAMPLES}.`)
  if (/^\d+$/.test(trimmed)) {
    throw new DurationParseError(
      `"${text}" has no unit: write ${trimmed}s for seconds or ${trimmed}m for minutes (${DURATION_EXAMPLES}).`,
    )
  }
  const parts = [...trimmed.matchAll(/(\d+)([a-z]+)/g)]
  // The parts must cover the whole text; anything left over (signs, decimals, spaces, stray letters) is an error.
  if (parts.map((part) => part[0]).join('') !== trimmed) {
    throw new DurationParseError(
      `"${text}" is not a duration: use whole numbers followed by d, h, m or s, with no spaces (${DURATION_EXAMPLES}).`,
    )
  }
  let totalSeconds = 0
  let previousUnitIndex = -1
  for (const [, digits = '', unit = ''] of parts) {
    const unitIndex = SECONDS_PER_UNIT.findIndex(([name]) => name === unit)
    if (unitIndex === -1) {
      throw new DurationParseError(`"${text}" uses the unknown unit "${unit}": use d, h, m or s (${DURATION_EXAMPLES}).`)
    }
    if (unitIndex <= previousUnitIndex) {
      throw new DurationParseError(
        `"${text}" repeats a unit or puts a smaller unit first: write units once each, largest first, like 1h30m.`,
      )
    }
    previousUnitIndex = unitIndex
    const [, secondsPerUnit] = SECONDS_PER_UNIT[unitIndex] as readonly [DurationUnit, number]
    totalSeconds += Number(digits) * secondsPerUnit
  }
  if (!Number.isSafeInteger(totalSeconds)) {
    throw new DurationParseError(`"${text}" is too long to be a token lifetime.`)
  }
  return totalSeconds
}

/**
 * Formats seconds for the UI with at most two units, largest first: "14m 59s", "1h 2m", "2d 3h", "45s".
 * Remainders below the second unit are dropped (floored), so a countdown never shows more time than is left.
 * Negative or non-finite input shows as "0s": the UI only formats remaining time, which cannot be below zero.
 */
export function formatDuration(seconds: number): string {
  const wholeSeconds = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0
  const leadingIndex = SECONDS_PER_UNIT.findIndex(([, size]) => wholeSeconds >= size)
  if (leadingIndex === -1) return '0s'
  const [leadingUnit, leadingSize] = SECONDS_PER_UNIT[leadingIndex] as readonly [DurationUnit, number]
  const leadingCount = Math.floor(wholeSeconds / leadingSize)
  const next = SECONDS_PER_UNIT[leadingIndex + 1]
  if (next === undefined) return `${leadingCount}${leadingUnit}`
  const [nextUnit, nextSize] = next
  const nextCount = Math.floor((wholeSeconds % leadingSize) / nextSize)
  return nextCount === 0 ? `${leadingCount}${leadingUnit}` : `${leadingCount}${leadingUnit} ${nextCount}${nextUnit}`
}

/**
 * Formats a date the way Cloudflare's `expires_on` / `not_before` expect: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`.
 * Milliseconds are truncated toward the past (floored), never rounded: rounding up could put `expires_on`
 * after the deadline the user asked for, and a token must not outlive its deadline even by a second.
 */
export function toCloudflareTimestamp(date: Date): string {
  const milliseconds = date.getTime()
  if (!Number.isFinite(milliseconds)) throw new RangeError('Cannot format an invalid date as a Cloudflare timestamp.')
  const flooredToSecond = Math.floor(milliseconds / 1000) * 1000
  // toISOString always prints ".sss" for years 0..9999; after flooring that part is ".000".
  return new Date(flooredToSecond).toISOString().replace(/\.000Z$/, 'Z')
}
