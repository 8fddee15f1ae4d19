import { describe, expect, it } from 'vitest'
import {
  TOKEN_NAME_MAX_LENGTH,
  TokenNameError,
  formatTokenName,
  isOwnToken,
  normalizeTokenNameSegment,
  parseTokenName,
  slugifyTokenNameSegment,
  tokenNameSegmentProblem,
  type TokenNameParts,
} from '../../shared/common/token-name'

const PARTS: TokenNameParts = {
  prefix: 'acme',
  project: 'client-app',
  env: 'prod',
  purpose: 'workers-deploy',
  owner: 'github-actions',
}

describe('formatTokenName', () => {
  it('joins the five parts with ":" in order', () => {
    expect(formatTokenName(PARTS)).toBe('acme:client-app:prod:workers-deploy:github-actions')
  })

  it('accepts digits, ".", "_" and "-" after the first character', () => {
    expect(formatTokenName({ ...PARTS, owner: 'jane.doe_2-x', env: '0dev' })).toBe(
      'acme:client-app:0dev:workers-deploy:jane.doe_2-x',
    )
  })

  it.each([
    ['project', '', /project part .* is empty/],
    ['env', 'pr:od', /env part "pr:od" contains ":"/],
    ['owner', 'Jane', /capital letters.*use "jane"/],
    ['owner', 'jane doe', /must start with a letter or digit/],
    ['prefix', '-acme', /must start with a letter or digit/],
    ['purpose', '.hidden', /must start with a letter or digit/],
    ['project', 'café', /must start with a letter or digit and contain only/],
  ] as const)('refuses %s = %j', (segment, value, message) => {
    expect(() => formatTokenName({ ...PARTS, [segment]: value })).toThrow(TokenNameError)
    expect(() => formatTokenName({ ...PARTS, [segment]: value })).toThrow(message)
  })

  it('accepts exactly 120 characters and refuses 121', () => {
    const fixedLength = formatTokenName({ ...PARTS, project: 'p' }).length
    const exactly = { ...PARTS, project: 'p'.repeat(TOKEN_NAME_MAX_LENGTH - fixedLength + 1) }
    expect(formatTokenName(exactly)).toHaveLength(120)
    const tooLong = { ...exactly, project: `${exactly.project}p` }
    expect(() => formatTokenName(tooLong)).toThrow(/121 characters; Cloudflare allows 120/)
  })
})

describe('parseTokenName', () => {
  it('round-trips formatTokenName', () => {
    const combined = { ...PARTS, purpose: 'read-only.kv-write', owner: 'agent-broker' }
    expect(parseTokenName(formatTokenName(PARTS))).toEqual(PARTS)
    expect(parseTokenName(formatTokenName(combined))).toEqual(combined)
  })

  it.each([
    ['too few parts', 'acme:client-app:prod:workers-deploy'],
    ['too many parts', 'acme:client-app:prod:workers-deploy:ci:extra'],
    ['an empty part', 'acme::prod:workers-deploy:ci'],
    ['capital letters', 'ACME:client-app:prod:workers-deploy:ci'],
    ['a space', 'acme:client app:prod:workers-deploy:ci'],
    ['a dashboard-made name', 'Edit zone DNS'],
    ['over 120 characters', `acme:${'p'.repeat(100)}:prod:workers-deploy:ci`],
  ])('returns null for %s', (_label, name) => {
    expect(parseTokenName(name)).toBeNull()
  })
})

describe('isOwnToken', () => {
  it('recognises well-formed names with the given prefix only', () => {
    expect(isOwnToken('cfwrap:app:dev:read-only:jane', 'cfwrap')).toBe(true)
    expect(isOwnToken('cfwrap:app:dev:read-only:jane', 'CFWrap')).toBe(true)
    expect(isOwnToken('acme:app:dev:read-only:jane', 'cfwrap')).toBe(false)
    expect(isOwnToken('cfwrapper:app:dev:read-only:jane', 'cfwrap')).toBe(false)
    expect(isOwnToken('cfwrap:app:dev:read-only', 'cfwrap')).toBe(false)
    expect(isOwnToken('cfwrap token for jane', 'cfwrap')).toBe(false)
    expect(isOwnToken('cfwrap:app:dev:read-only:jane', '')).toBe(false)
  })
})

describe('segment helpers', () => {
  it('normalizes case and surrounding blanks only', () => {
    expect(normalizeTokenNameSegment('  Client-App ')).toBe('client-app')
    expect(normalizeTokenNameSegment('a b')).toBe('a b')
  })

  it('slugifies free text into a valid segment, or null when nothing is left', () => {
    expect(slugifyTokenNameSegment('Jane Doe')).toBe('jane-doe')
    expect(slugifyTokenNameSegment('DOMAIN\\jane')).toBe('domain-jane')
    expect(slugifyTokenNameSegment('__jane!!')).toBe('jane')
    expect(slugifyTokenNameSegment('!!!')).toBeNull()
    const slug = slugifyTokenNameSegment('Ünïcode User')
    expect(slug).not.toBeNull()
    expect(tokenNameSegmentProblem('owner', slug ?? '')).toBeNull()
  })

  it('explains problems per segment and accepts good values', () => {
    expect(tokenNameSegmentProblem('env', 'prod')).toBeNull()
    expect(tokenNameSegmentProblem('env', 'Prod')).toContain('env part "Prod" has capital letters')
  })
})
