import { describe, expect, it } from 'vitest'
import {
  DEFAULT_AGENT_OWNER_PATTERN,
  MintRequestSchema,
  SettingsSchema,
  checkMintRequest,
  isAgentOwner,
  r2BucketNameProblem,
  type MintCheck,
  type MintPlan,
  type MintRequest,
  type Refusal,
  type SettingsInput,
} from '../../shared/common/guards'
import { describeIssues } from '../../shared/common/schema-issues'
import { SCOPES } from '../../shared/common/templates'

const ACCOUNT_ID = '0123456789abcdef0123456789abcdef'
const ZONE_ID = 'fedcba9876543210fedcba9876543210'
const SETTINGS: SettingsInput = { defaultOwner: 'jane' }

function check(request: Partial<MintRequest> & { template: string }, settings: SettingsInput = SETTINGS): MintCheck {
  return checkMintRequest({ project: 'client-app', env: 'prod', ...request }, settings)
}

function refusalsOf(result: MintCheck): Refusal[] {
  if (result.ok) throw new Error(`expected a refusal, got a plan for ${result.plan.tokenName}`)
  return result.refusals
}

function planOf(result: MintCheck): MintPlan {
  if (!result.ok) throw new Error(result.refusals.map((refusal) => `${refusal.rule}: ${refusal.message}`).join('\n'))
  return result.plan
}

function onlyRefusal(result: MintCheck): Refusal {
  const refusals = refusalsOf(result)
  expect(refusals.map((refusal) => refusal.rule)).toHaveLength(1)
  return refusals[0] as Refusal
}

describe('a request that passes', () => {
  it('returns a plan with the default TTL, the token name and normalized resources', () => {
    const plan = planOf(check({ template: 'workers-deploy', accountId: ACCOUNT_ID.toUpperCase(), project: 'Client-App' }))
    expect(plan).toMatchObject({
      templates: ['workers-deploy'],
      tokenName: 'cfwrap:client-app:prod:workers-deploy:jane',
      owner: 'jane',
      ownerIsAgent: false,
      permanent: false,
      temporary: true,
      ttlSeconds: 900,
      maxTtlSeconds: 7200,
      risk: 'high',
      resources: { accountId: ACCOUNT_ID },
    })
  })

  it('uses the request prefix and owner over the settings, and the settings prefix over the default', () => {
    expect(planOf(check({ template: 'read-only', accountId: ACCOUNT_ID, owner: 'ci', prefix: 'acme' })).tokenName).toBe(
      'acme:client-app:prod:read-only:ci',
    )
    expect(planOf(check({ template: 'read-only', accountId: ACCOUNT_ID }, { defaultOwner: 'jane', namePrefix: 'corp' })).tokenName).toBe(
      'corp:client-app:prod:read-only:jane',
    )
  })

  it('combines compatible templates into one token whose purpose lists them', () => {
    const plan = planOf(check({ template: 'read-only', extraTemplates: ['kv-write'], accountId: ACCOUNT_ID }))
    expect(plan.templates).toEqual(['read-only', 'kv-write'])
    expect(plan.nameParts.purpose).toBe('read-only.kv-write')
    // Smallest default (kv-write 15m) and smallest maximum (kv-write 1h).
    expect(plan.ttlSeconds).toBe(900)
    expect(plan.maxTtlSeconds).toBe(3600)
    expect(plan.risk).toBe('medium')
  })

  it('warns, without refusing, when an agent gets a template not meant for agents', () => {
    const plan = planOf(check({ template: 'kv-write', accountId: ACCOUNT_ID, owner: 'claude-code' }))
    expect(plan.ownerIsAgent).toBe(true)
    expect(plan.warnings.join(' ')).toMatch(/kv-write.*not meant for unattended agents/)
  })
})

describe('rule (a): no DNS permission in a deploy token', () => {
  it('refuses combining the dns-edit template with workers-deploy', () => {
    const refusal = onlyRefusal(
      check({ template: 'workers-deploy', extraTemplates: ['dns-edit'], accountId: ACCOUNT_ID, zoneId: ZONE_ID, ttlSeconds: 600 }),
    )
    expect(refusal.rule).toBe('dns-with-deploy')
    expect(refusal.message).toContain('DNS Write')
    expect(refusal.message).toContain('Workers Scripts Write')
    expect(refusal.message).toMatch(/hijack/)
    expect(refusal.message).toMatch(/separate dns-edit token/)
  })

  it('refuses an extra DNS permission on pages-deploy', () => {
    const refusal = onlyRefusal(
      check({
        template: 'pages-deploy',
        accountId: ACCOUNT_ID,
        zoneId: ZONE_ID,
        extraPermissions: [{ name: 'DNS Write', scope: SCOPES.zone }],
      }),
    )
    expect(refusal.rule).toBe('dns-with-deploy')
    expect(refusal.message).toContain('Pages Write')
  })

  it('refuses an extra deploy permission on dns-edit', () => {
    const refusal = onlyRefusal(
      check({
        template: 'dns-edit',
        accountId: ACCOUNT_ID,
        zoneId: ZONE_ID,
        extraPermissions: [{ name: 'Workers Scripts Write', scope: SCOPES.account }],
      }),
    )
    expect(refusal.rule).toBe('dns-with-deploy')
  })

  it('allows DNS with non-deploy permissions', () => {
    const plan = planOf(check({ template: 'dns-edit', extraTemplates: ['read-only'], accountId: ACCOUNT_ID, zoneId: ZONE_ID }))
    expect(plan.permissions.map((permission) => permission.name)).toContain('DNS Write')
  })

  it('keeps D1 migrations out of deploy tokens too', () => {
    const refusal = onlyRefusal(check({ template: 'workers-deploy', extraTemplates: ['d1-migrations'], accountId: ACCOUNT_ID }))
    expect(refusal.rule).toBe('d1-with-deploy')
    expect(refusal.message).toMatch(/D1 Write.*destroy data.*separate d1-migrations token/)
  })
})

describe('rule (b): no administration permissions for agents', () => {
  const adminRequest = {
    template: 'read-only',
    accountId: ACCOUNT_ID,
    extraPermissions: [{ name: 'Account Settings Write', scope: SCOPES.account }],
  }

  it.each(['claude-code', 'github-copilot', 'release-bot', 'agent-broker', 'Cursor', 'my-llm', 'codex', 'openai'])(
    'refuses Account Settings Write for agent owner %s',
    (owner) => {
      const refusal = onlyRefusal(check({ ...adminRequest, owner }))
      expect(refusal.rule).toBe('admin-for-agent')
      expect(refusal.message).toContain('Account Settings Write')
      expect(refusal.message).toContain('looks like an agent')
      expect(refusal.message).toContain('allowAdminForAgent: true')
    },
  )

  it.each([
    ['User Details Write', SCOPES.user],
    ['API Tokens Write', SCOPES.user],
    ['Account API Tokens Write', SCOPES.account],
  ] as const)('refuses %s for an agent owner taken from the settings', (name, scope) => {
    const refusal = onlyRefusal(
      check(
        { template: 'read-only', accountId: ACCOUNT_ID, userId: ZONE_ID, extraPermissions: [{ name, scope }] },
        { defaultOwner: 'ci-bot' },
      ),
    )
    expect(refusal.rule).toBe('admin-for-agent')
    expect(refusal.message).toContain(name)
  })

  it('allows it for an agent only with allowAdminForAgent: true, and warns', () => {
    const plan = planOf(check({ ...adminRequest, owner: 'claude-code', allowAdminForAgent: true }))
    expect(plan.permissions).toContainEqual({ name: 'Account Settings Write', scope: SCOPES.account })
    expect(plan.warnings.join(' ')).toMatch(/administer.*allowed explicitly/)
  })

  it('allows it for a human owner', () => {
    expect(planOf(check({ ...adminRequest, owner: 'jane' })).ownerIsAgent).toBe(false)
  })

  it('uses the agent pattern from the settings when one is set', () => {
    const settings: SettingsInput = { defaultOwner: 'jane', agentOwnerPattern: '^robo' }
    expect(onlyRefusal(check({ ...adminRequest, owner: 'robo-deployer' }, settings)).rule).toBe('admin-for-agent')
    // "claude" is no longer an agent marker under this pattern.
    expect(planOf(check({ ...adminRequest, owner: 'claude' }, settings)).ownerIsAgent).toBe(false)
  })

  it('refuses settings whose agent pattern is not a regular expression', () => {
    const refusal = onlyRefusal(check(adminRequest as MintRequest, { defaultOwner: 'jane', agentOwnerPattern: '(' }))
    expect(refusal.rule).toBe('invalid-settings')
    expect(refusal.message).toContain('agentOwnerPattern is not a valid regular expression')
  })

  it('matches agent owners case-insensitively with the default list', () => {
    expect(DEFAULT_AGENT_OWNER_PATTERN).toBe('agent|bot|ai|claude|codex|copilot|cursor|llm')
    expect(isAgentOwner('Claude')).toBe(true)
    expect(isAgentOwner('jane')).toBe(false)
  })
})

describe('rule (c): one scope type per policy', () => {
  it('refuses an extra policy that mixes account and zone permissions', () => {
    const refusal = onlyRefusal(
      check({
        template: 'read-only',
        accountId: ACCOUNT_ID,
        zoneId: ZONE_ID,
        extraPolicies: [
          {
            permissions: [
              { name: 'Workers KV Storage Write', scope: SCOPES.account },
              { name: 'Logs Read', scope: SCOPES.zone },
            ],
          },
        ],
      }),
    )
    expect(refusal.rule).toBe('mixed-scopes')
    expect(refusal.message).toContain('account: Workers KV Storage Write; zone: Logs Read')
    expect(refusal.message).toContain('one policy per scope type')
  })

  it('accepts extra policies that each stay within one scope', () => {
    const plan = planOf(
      check({
        template: 'read-only',
        accountId: ACCOUNT_ID,
        zoneId: ZONE_ID,
        extraPolicies: [
          { permissions: [{ name: 'Workers KV Storage Write', scope: SCOPES.account }] },
          { permissions: [{ name: 'Logs Read', scope: SCOPES.zone }] },
        ],
      }),
    )
    expect(plan.permissions).toContainEqual({ name: 'Logs Read', scope: SCOPES.zone })
  })
})

describe('rule (d): TTL within the template bounds', () => {
  it('refuses a TTL above the template maximum and says what is allowed', () => {
    const refusal = onlyRefusal(check({ template: 'workers-deploy', accountId: ACCOUNT_ID, ttlSeconds: 3 * 3600 }))
    expect(refusal.rule).toBe('ttl-bounds')
    expect(refusal.message).toContain('3h is longer than the 2h maximum for workers-deploy')
    expect(refusal.message).toContain('Ask for 2h or less')
  })

  it('accepts exactly the maximum and exactly the 10 s floor', () => {
    expect(planOf(check({ template: 'workers-deploy', accountId: ACCOUNT_ID, ttlSeconds: 7200 })).ttlSeconds).toBe(7200)
    expect(planOf(check({ template: 'workers-deploy', accountId: ACCOUNT_ID, ttlSeconds: 10 })).ttlSeconds).toBe(10)
  })

  it('refuses a TTL below 10 seconds', () => {
    const refusal = onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, ttlSeconds: 9 }))
    expect(refusal.rule).toBe('ttl-bounds')
    expect(refusal.message).toContain('below the 10s minimum')
  })

  it('refuses a fractional TTL', () => {
    expect(onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, ttlSeconds: 60.5 })).rule).toBe('ttl-bounds')
  })

  it('gives combined templates the smallest maximum', () => {
    // read-only alone allows 8h; with kv-write the limit is kv-write's 1h.
    expect(planOf(check({ template: 'read-only', accountId: ACCOUNT_ID, ttlSeconds: 4 * 3600 })).ttlSeconds).toBe(14400)
    const refusal = onlyRefusal(
      check({ template: 'read-only', extraTemplates: ['kv-write'], accountId: ACCOUNT_ID, ttlSeconds: 4 * 3600 }),
    )
    expect(refusal.rule).toBe('ttl-bounds')
    expect(refusal.message).toContain('1h maximum for kv-write')
    expect(refusal.message).toContain('combined templates get the smallest maximum')
  })

  it('shows inexact TTLs in seconds so the message does not round', () => {
    const refusal = onlyRefusal(check({ template: 'dns-edit', zoneId: ZONE_ID, ttlSeconds: 3661 }))
    expect(refusal.message).toContain('3661s (about 1h 1m)')
  })
})

describe('rule (e): a deadline unless permanent is asked for', () => {
  it('refuses a TTL of 0, which would mean no deadline', () => {
    const refusal = onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, ttlSeconds: 0 }))
    expect(refusal.rule).toBe('deadline-required')
    expect(refusal.message).toContain('without a deadline')
    expect(refusal.message).toContain('permanent: true')
  })

  it('mints a non-temporary token only when permanent: true is asked for', () => {
    const plan = planOf(check({ template: 'read-only', accountId: ACCOUNT_ID, permanent: true }))
    expect(plan).toMatchObject({ permanent: true, temporary: false, ttlSeconds: null })
    expect(plan.warnings.join(' ')).toContain('never expires')
  })

  it('keeps a deadline when permanent is false or absent', () => {
    expect(planOf(check({ template: 'read-only', accountId: ACCOUNT_ID, permanent: false }))).toMatchObject({
      permanent: false,
      temporary: true,
      ttlSeconds: 3600,
    })
  })

  it('refuses permanent together with a TTL', () => {
    const refusal = onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, permanent: true, ttlSeconds: 900 }))
    expect(refusal.rule).toBe('permanent-conflict')
    expect(refusal.message).toContain('permanent token and also for a TTL of 15m')
  })
})

describe('rule (f): the resource is present and well-formed', () => {
  it('refuses an account-scoped template without an account id', () => {
    const refusal = onlyRefusal(check({ template: 'workers-deploy' }))
    expect(refusal.rule).toBe('resource-required')
    expect(refusal.message).toContain('Workers Scripts Write, Account Settings Read must be narrowed to one account')
    expect(refusal.message).toContain('account id')
  })

  it('refuses dns-edit without a zone id', () => {
    const refusal = onlyRefusal(check({ template: 'dns-edit', accountId: ACCOUNT_ID }))
    expect(refusal.rule).toBe('resource-required')
    expect(refusal.message).toContain('DNS Write must be narrowed to one zone')
  })

  it('refuses r2-upload without a bucket, and without an account id', () => {
    const refusals = refusalsOf(check({ template: 'r2-upload' }))
    expect(refusals.map((refusal) => refusal.rule)).toEqual(['resource-required', 'resource-required'])
    expect(refusals.map((refusal) => refusal.message).join(' ')).toMatch(/one account.*one R2 bucket/)
  })

  it('refuses a user-scope permission without a user id', () => {
    const refusal = onlyRefusal(
      check({ template: 'read-only', accountId: ACCOUNT_ID, extraPermissions: [{ name: 'User Details Read', scope: SCOPES.user }] }),
    )
    expect(refusal.rule).toBe('resource-required')
    expect(refusal.message).toContain('user id')
  })

  it.each([
    ['too short', '0123456789abcdef'],
    ['not hex', 'g123456789abcdef0123456789abcdef'],
    ['too long (a pasted token)', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123'],
  ])('refuses an account id that is %s without repeating it', (_label, accountId) => {
    const refusal = onlyRefusal(check({ template: 'kv-write', accountId }))
    expect(refusal.rule).toBe('resource-invalid')
    expect(refusal.message).toContain('32 hex characters')
    expect(refusal.message).not.toContain(accountId)
  })

  it('refuses a malformed zone id', () => {
    const refusal = onlyRefusal(check({ template: 'dns-edit', zoneId: 'example.com' }))
    expect(refusal.rule).toBe('resource-invalid')
    expect(refusal.message).toContain('zone id')
  })

  it.each([
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['My-Bucket', /capital letters/],
    ['my_bucket', /other than lowercase letters, digits and hyphens/],
    ['my.bucket', /other than lowercase letters, digits and hyphens/],
    ['-bucket', /start and end with a letter or digit/],
    ['bucket-', /start and end with a letter or digit/],
  ])('refuses the bucket name %s', (bucket, why) => {
    const refusal = onlyRefusal(check({ template: 'r2-upload', accountId: ACCOUNT_ID, bucket }))
    expect(refusal.rule).toBe('resource-invalid')
    expect(refusal.message).toMatch(why)
  })

  it('accepts bucket names at both length limits', () => {
    expect(r2BucketNameProblem('abc')).toBeNull()
    expect(r2BucketNameProblem(`a${'-'.repeat(61)}z`)).toBeNull()
  })

  it('refuses a malformed jurisdiction', () => {
    const refusal = onlyRefusal(check({ template: 'r2-upload', accountId: ACCOUNT_ID, bucket: 'site-assets', jurisdiction: 'EU!' }))
    expect(refusal.rule).toBe('resource-invalid')
    expect(refusal.message).toContain('jurisdiction')
  })
})

describe('other refusals', () => {
  it('refuses an unknown template and lists the known ones', () => {
    const refusal = onlyRefusal(check({ template: 'everything' }))
    expect(refusal.rule).toBe('unknown-template')
    expect(refusal.message).toContain('"everything"')
    expect(refusal.message).toContain('"workers-deploy"')
  })

  it('a malformed request is stopped by the schema every surface parses with, naming the fields, not the values', () => {
    const typo = MintRequestSchema.safeParse({ template: 'read-only', project: 'p', env: 'e', accountId: ACCOUNT_ID, ttl: 60 })
    expect(typo.success).toBe(false)
    expect(describeIssues(typo.error?.issues ?? [])).toContain('unknown field "ttl"')
    const wrongType = MintRequestSchema.safeParse({ template: 'read-only', project: 'p', env: 'e', ttlSeconds: 'secret-looking-15m' })
    const words = describeIssues(wrongType.error?.issues ?? [])
    expect(words).toContain('ttlSeconds should be a number')
    expect(words).not.toContain('secret-looking')
  })

  it('each refusal names the one request field to fix, so the window marks it without reading the message', () => {
    expect(onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, project: 'a:b' })).field).toBe('project')
    expect(onlyRefusal(check({ template: 'read-only', accountId: undefined })).field).toBe('accountId')
    expect(onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, ttlSeconds: 5 })).field).toBe('ttlSeconds')
    expect(onlyRefusal(check({ template: 'everything' })).field).toBe('template')
  })

  it('refuses a token name segment with ":" or a name over 120 characters', () => {
    const colon = onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, project: 'a:b' }))
    expect(colon.rule).toBe('token-name')
    expect(colon.message).toContain('project')
    const long = onlyRefusal(check({ template: 'read-only', accountId: ACCOUNT_ID, project: 'p'.repeat(100) }))
    expect(long.rule).toBe('token-name')
    expect(long.message).toContain('Cloudflare allows 120')
  })

  it('reports every broken rule at once', () => {
    const rules = refusalsOf(
      check({ template: 'workers-deploy', extraTemplates: ['dns-edit'], ttlSeconds: 99_999, owner: 'bad owner' }),
    ).map((refusal) => refusal.rule)
    expect(rules).toEqual(['dns-with-deploy', 'ttl-bounds', 'resource-required', 'resource-required', 'token-name'])
  })
})

describe('SettingsSchema', () => {
  it('defaults the name prefix to cfwrap', () => {
    expect(SettingsSchema.parse({ defaultOwner: 'jane' })).toEqual({ namePrefix: 'cfwrap', defaultOwner: 'jane' })
  })
})
