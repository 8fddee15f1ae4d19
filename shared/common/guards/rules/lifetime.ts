// Rules (d) and (e): a deadline unless a permanent token is asked for, and a TTL inside the templates' bounds.
import { formatDuration, MIN_TTL_SECONDS } from '../../duration'
import type { TokenTemplate } from '../../templates'
import type { MintRequest, Refusal } from '../schemas'
import { describeTtl } from '../wording'

/** Rules (d) and (e): a deadline unless permanent is asked for, and a TTL inside the templates' bounds. */
export function checkLifetime(
  request: MintRequest,
  templates: readonly TokenTemplate[],
  warnings: string[],
): { refusals: Refusal[]; ttlSeconds: number | null; maxTtlSeconds: number } {
  const maxTtlSeconds = Math.min(...templates.map((template) => template.maxTtlSeconds))
  const defaultTtlSeconds = Math.min(...templates.map((template) => template.defaultTtlSeconds))
  const requested = request.ttlSeconds
  if (request.permanent === true) {
    if (requested !== undefined) {
      return {
        refusals: [
          {
            rule: 'permanent-conflict',
            field: 'ttlSeconds',
            message:
              `Refused: the request asks for a permanent token and also for a TTL of ${describeTtl(requested)}. ` +
              'Drop "permanent" to get a token that expires, or drop the TTL to get one that never expires.',
          },
        ],
        ttlSeconds: null,
        maxTtlSeconds,
      }
    }
    warnings.push('This token never expires: it stays valid until you delete it.')
    return { refusals: [], ttlSeconds: null, maxTtlSeconds }
  }
  if (requested === 0) {
    return {
      refusals: [
        {
          rule: 'deadline-required',
          field: 'ttlSeconds',
          message:
            'Refused: a TTL of 0 would mint a token without a deadline. cfwrap tokens expire unless you explicitly ' +
            `ask for permanent: true. Give a TTL between ${formatDuration(MIN_TTL_SECONDS)} and ${formatDuration(maxTtlSeconds)}, ` +
            'or ask for a permanent token if you really need one.',
        },
      ],
      ttlSeconds: null,
      maxTtlSeconds,
    }
  }
  const ttlSeconds = requested ?? defaultTtlSeconds
  const limitedBy = templates.filter((template) => template.maxTtlSeconds === maxTtlSeconds).map((t) => t.name)
  const refuse = (message: string) => ({ refusals: [{ rule: 'ttl-bounds' as const, field: 'ttlSeconds' as const, message }], ttlSeconds, maxTtlSeconds })
  if (!Number.isInteger(ttlSeconds)) {
    return refuse(`Refused: a TTL of ${ttlSeconds} seconds is not a whole number of seconds. Give whole seconds (or a duration such as 15m).`)
  }
  if (ttlSeconds < MIN_TTL_SECONDS) {
    return refuse(
      `Refused: a TTL of ${ttlSeconds}s is below the ${MIN_TTL_SECONDS}s minimum; the token would expire before the command gets going. ` +
        `Ask for at least ${MIN_TTL_SECONDS}s.`,
    )
  }
  if (ttlSeconds > maxTtlSeconds) {
    return refuse(
      `Refused: a TTL of ${describeTtl(ttlSeconds)} is longer than the ${formatDuration(maxTtlSeconds)} maximum for ${limitedBy.join(', ')}` +
        `${templates.length > 1 ? ' (combined templates get the smallest maximum)' : ''}. ` +
        `Ask for ${formatDuration(maxTtlSeconds)} or less and mint a fresh token when it runs out.`,
    )
  }
  return { refusals: [], ttlSeconds, maxTtlSeconds }
}
