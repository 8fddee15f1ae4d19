import { describe, expect, it } from 'vitest'
import {
  DurationParseError,
  MIN_TTL_SECONDS,
  formatDuration,
  parseDuration,
  toCloudflareTimestamp,
} from '../../shared/common/duration'

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2d', 172_800],
    ['1d2h3m4s', 93_784],
    ['0s', 0],
    [' 15M ', 900],
  ])('parses %j as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.each([
    ['', /Empty duration/],
    ['   ', /Empty duration/],
    ['15', /has no unit: write 15s for seconds or 15m for minutes/],
    ['1.5h', /not a duration/],
    ['-5m', /not a duration/],
    ['1h 30m', /not a duration.*no spaces/],
    ['h', /not a duration/],
    ['5x', /unknown unit "x"/],
    ['5min', /unknown unit "min"/],
    ['30m1h', /smaller unit first/],
    ['1h1h', /repeats a unit/],
    ['9'.repeat(20) + 'd', /too long/],
  ])('refuses %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(DurationParseError)
    expect(() => parseDuration(text)).toThrow(message)
  })

  it('leaves the 10 second floor to the guards', () => {
    expect(MIN_TTL_SECONDS).toBe(10)
    expect(parseDuration('5s')).toBe(5)
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m'],
    [899, '14m 59s'],
    [3600, '1h'],
    [3720, '1h 2m'],
    [3725, '1h 2m'],
    [3605, '1h'],
    [86_400, '1d'],
    [93_784, '1d 2h'],
    [59.9, '59s'],
    [-5, '0s'],
    [Number.NaN, '0s'],
  ])('formats %d seconds as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })

  it('round-trips through parseDuration when no unit is dropped', () => {
    for (const seconds of [90, 900, 5400, 172_800, 90_000]) {
      expect(parseDuration(formatDuration(seconds).replace(' ', ''))).toBe(seconds)
    }
  })
})

describe('toCloudflareTimestamp', () => {
  it('formats UTC with whole seconds and a Z', () => {
    expect(toCloudflareTimestamp(new Date(Date.UTC(2026, 10, 22, 10, 0, 0)))).toBe('2026-11-22T10:00:00Z')
  })

  it('truncates milliseconds instead of rounding, so expires_on is never after the deadline', () => {
    expect(toCloudflareTimestamp(new Date('2026-11-22T10:59:59.999Z'))).toBe('2026-11-22T10:59:59Z')
    expect(toCloudflareTimestamp(new Date('2026-11-22T10:59:59.001Z'))).toBe('2026-11-22T10:59:59Z')
  })

  it('uses UTC whatever the offset of the input', () => {
    expect(toCloudflareTimestamp(new Date('2026-11-22T12:30:15.500+02:00'))).toBe('2026-11-22T10:30:15Z')
  })

  it('refuses an invalid date', () => {
    expect(() => toCloudflareTimestamp(new Date('not a date'))).toThrow(RangeError)
  })
})
