// Small pieces of wording the rules share.
import { formatDuration, parseDuration } from '../duration'
import { SCOPES, type ScopeId } from '../templates'

/** A TTL for a message: short form when it is exact ("2h"), otherwise whole seconds too ("7201s (about 2h)"). */
export function describeTtl(seconds: number): string {
  const short = formatDuration(seconds)
  try {
    if (parseDuration(short.replace(' ', '')) === seconds) return short
  } catch {
    // Fractional or negative input does not survive the round trip; fall through to seconds.
  }
  return `${seconds}s (about ${short})`
}

/** A scope id in plain words. */
export const SCOPE_WORDS: Record<ScopeId, string> = {
  [SCOPES.account]: 'account',
  [SCOPES.zone]: 'zone',
  [SCOPES.r2Bucket]: 'R2 bucket',
  [SCOPES.user]: 'user',
}
