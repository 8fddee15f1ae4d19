// The token name: each part valid and the whole within Cloudflare's length limit.
import { TOKEN_NAME_SEGMENTS, TokenNameError, formatTokenName, tokenNameSegmentProblem, type TokenNameParts } from '../../token-name'
import type { Refusal, RefusalField } from '../schemas'

/** The request field each name part comes from (the purpose is the templates' names). */
const NAME_FIELDS = { prefix: 'prefix', project: 'project', env: 'env', purpose: 'template', owner: 'owner' } as const satisfies Record<keyof TokenNameParts, RefusalField>

/** The token name: each segment valid and the whole within Cloudflare's length limit. */
export function checkTokenName(parts: TokenNameParts): { refusals: Refusal[]; tokenName: string } {
  const refusals: Refusal[] = []
  for (const segment of TOKEN_NAME_SEGMENTS) {
    const problem = tokenNameSegmentProblem(segment, parts[segment])
    if (problem !== null) refusals.push({ rule: 'token-name', field: NAME_FIELDS[segment], message: `Refused: ${problem}` })
  }
  if (refusals.length > 0) return { refusals, tokenName: '' }
  try {
    return { refusals: [], tokenName: formatTokenName(parts) }
  } catch (error) {
    // Segments were checked above, so what is left is the length limit.
    if (!(error instanceof TokenNameError)) throw error
    return { refusals: [{ rule: 'token-name', message: `Refused: ${error.message}` }], tokenName: '' }
  }
}
