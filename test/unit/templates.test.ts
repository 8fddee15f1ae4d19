import { describe, expect, it } from 'vitest'
import { checkMintRequest, type MintPlan, type MintRequest } from '../../shared/common/guards'
import {
  PolicyBuildError,
  buildPolicies,
  describePolicies,
  permissionGroupKey,
  resourceKeyFor,
  type PermissionGroupResolver,
} from '../../shared/common/policy'
import { CustomTemplateSchema, SCOPES, TEMPLATES, TEMPLATE_NAMES, findTemplate, templateCatalog, templatesInRecentOrder, type ScopeId } from '../../shared/common/templates'

const ACCOUNT_ID = '0123456789abcdef0123456789abcdef'
const ZONE_ID = 'fedcba9876543210fedcba9876543210'
const USER_ID = 'aaaabbbbccccddddeeeeffff00001111'

// Made-up ids standing in for what the permission_groups endpoint returns; distinct per (scope, name)
// so a test notices when the wrong scope's "Logs Read" is picked.
const PERMISSION_GROUP_IDS: Record<string, string> = {
  [permissionGroupKey('Workers Scripts Write', SCOPES.account)]: 'e086da7e2179491d91ee5f35b3ca210a',
  [permissionGroupKey('Account Settings Read', SCOPES.account)]: 'c1fde68c7bcc44588cbb6ddbc16d6480',
  [permissionGroupKey('Pages Write', SCOPES.account)]: '8d28297797f24fb8a0c332fe0866ec89',
  [permissionGroupKey('D1 Write', SCOPES.account)]: '09b2857d1c31407795e75e3fed8617a1',
  [permissionGroupKey('Workers R2 Storage Bucket Item Write', SCOPES.r2Bucket)]: '2efd5506f9c8494dacb1fa10a3e7d5b6',
  [permissionGroupKey('Workers KV Storage Write', SCOPES.account)]: 'f7f0eda5697f475c90846e879bab8666',
  [permissionGroupKey('Queues Write', SCOPES.account)]: '366f57075ffc42689627bcf8242a1b6d',
  [permissionGroupKey('Account Analytics Read', SCOPES.account)]: 'b89a480218d04ceb98b4fe57ca29dc1f',
  [permissionGroupKey('Logs Read', SCOPES.account)]: '6a315a56f18441e59ed03352369ae956',
  [permissionGroupKey('Logs Read', SCOPES.zone)]: 'c4a30cd58c5d42619c86a3c36c441e2d',
  [permissionGroupKey('Workers Tail Read', SCOPES.account)]: '05880cd1bdc24d8bae0be2136972816b',
  [permissionGroupKey('DNS Write', SCOPES.zone)]: '4755a26eedb94da69e1066d98aa820be',
  [permissionGroupKey('API Tokens Write', SCOPES.user)]: '686d18d5ac6c441c867cbf6771e58a0a',
}

function idOf(name: string, scope: ScopeId): string {
  const id = PERMISSION_GROUP_IDS[permissionGroupKey(name, scope)]
  if (id === undefined) throw new Error(`test table lacks ${name} at ${scope}`)
  return id
}

function planFor(request: Partial<MintRequest> & { template: string }): MintPlan {
  const check = checkMintRequest({ project: 'client-app', env: 'prod', ...request }, { defaultOwner: 'jane' })
  if (!check.ok) throw new Error(check.refusals.map((refusal) => refusal.message).join('\n'))
  return check.plan
}

describe('template table', () => {
  it('has exactly the eight job templates, each once', () => {
    expect(TEMPLATES.map((template) => template.name)).toEqual([
      'workers-deploy',
      'pages-deploy',
      'd1-migrations',
      'r2-upload',
      'kv-write',
      'queues',
      'read-only',
      'dns-edit',
    ])
    expect(TEMPLATE_NAMES).toEqual(TEMPLATES.map((template) => template.name))
  })

  it('gives every template a default lifetime within its own bounds and plain-words texts', () => {
    for (const template of TEMPLATES) {
      expect(template.defaultTtlSeconds, template.name).toBeGreaterThanOrEqual(10)
      expect(template.defaultTtlSeconds, template.name).toBeLessThanOrEqual(template.maxTtlSeconds)
      expect(template.title.length, template.name).toBeGreaterThan(0)
      expect(template.description.length, template.name).toBeGreaterThan(0)
      expect(template.scopeSummary.length, template.name).toBeGreaterThan(0)
    }
  })

  it('uses the lifetimes the design settled on', () => {
    const lifetimes = Object.fromEntries(TEMPLATES.map((t) => [t.name, [t.defaultTtlSeconds, t.maxTtlSeconds]]))
    expect(lifetimes).toEqual({
      'workers-deploy': [900, 7200],
      'pages-deploy': [900, 7200],
      'd1-migrations': [900, 3600],
      'r2-upload': [1800, 14400],
      'kv-write': [900, 3600],
      queues: [900, 7200],
      'read-only': [3600, 28800],
      'dns-edit': [900, 3600],
    })
  })

  it('marks only read-only and r2-upload safe for agents, and rates deploy, D1 and DNS high risk', () => {
    expect(TEMPLATES.filter((t) => t.agentSafe).map((t) => t.name)).toEqual(['r2-upload', 'read-only'])
    expect(TEMPLATES.filter((t) => t.risk === 'high').map((t) => t.name)).toEqual([
      'workers-deploy',
      'pages-deploy',
      'd1-migrations',
      'dns-edit',
    ])
    expect(findTemplate('read-only')?.risk).toBe('low')
    expect(findTemplate('nope')).toBeUndefined()
  })
})

describe('each template yields its least-privilege policies', () => {
  const accountKey = `com.cloudflare.api.account.${ACCOUNT_ID}`

  it('workers-deploy: Workers Scripts Write + Account Settings Read on one account', () => {
    const plan = planFor({ template: 'workers-deploy', accountId: ACCOUNT_ID })
    expect(plan.permissions).toEqual([
      { name: 'Workers Scripts Write', scope: 'com.cloudflare.api.account' },
      { name: 'Account Settings Read', scope: 'com.cloudflare.api.account' },
    ])
    expect(buildPolicies(plan, PERMISSION_GROUP_IDS)).toEqual([
      {
        effect: 'allow',
        resources: { [accountKey]: '*' },
        permission_groups: [{ id: 'e086da7e2179491d91ee5f35b3ca210a' }, { id: 'c1fde68c7bcc44588cbb6ddbc16d6480' }],
      },
    ])
  })

  it.each([
    ['pages-deploy', 'Pages Write'],
    ['d1-migrations', 'D1 Write'],
    ['kv-write', 'Workers KV Storage Write'],
    ['queues', 'Queues Write'],
  ])('%s: %s on one account', (template, permissionName) => {
    const plan = planFor({ template, accountId: ACCOUNT_ID })
    expect(plan.permissions).toEqual([{ name: permissionName, scope: 'com.cloudflare.api.account' }])
    expect(buildPolicies(plan, PERMISSION_GROUP_IDS)).toEqual([
      {
        effect: 'allow',
        resources: { [accountKey]: '*' },
        permission_groups: [{ id: idOf(permissionName, SCOPES.account) }],
      },
    ])
  })

  it('read-only: Account Analytics Read, account-scope Logs Read and Workers Tail Read on one account', () => {
    const plan = planFor({ template: 'read-only', accountId: ACCOUNT_ID })
    expect(buildPolicies(plan, PERMISSION_GROUP_IDS)).toEqual([
      {
        effect: 'allow',
        resources: { [accountKey]: '*' },
        permission_groups: [
          { id: 'b89a480218d04ceb98b4fe57ca29dc1f' },
          // The account "Logs Read", not the zone one (c4a30cd5...).
          { id: '6a315a56f18441e59ed03352369ae956' },
          { id: '05880cd1bdc24d8bae0be2136972816b' },
        ],
      },
    ])
  })

  it('r2-upload: Workers R2 Storage Bucket Item Write on one bucket, default jurisdiction', () => {
    const plan = planFor({ template: 'r2-upload', accountId: ACCOUNT_ID, bucket: 'site-assets' })
    expect(plan.permissions).toEqual([
      { name: 'Workers R2 Storage Bucket Item Write', scope: 'com.cloudflare.edge.r2.bucket' },
    ])
    expect(buildPolicies(plan, PERMISSION_GROUP_IDS)).toEqual([
      {
        effect: 'allow',
        resources: { [`com.cloudflare.edge.r2.bucket.${ACCOUNT_ID}_default_site-assets`]: '*' },
        permission_groups: [{ id: '2efd5506f9c8494dacb1fa10a3e7d5b6' }],
      },
    ])
  })

  it('r2-upload: the jurisdiction goes into the bucket resource key', () => {
    const plan = planFor({ template: 'r2-upload', accountId: ACCOUNT_ID, bucket: 'eu-logs', jurisdiction: 'eu' })
    expect(Object.keys(buildPolicies(plan, PERMISSION_GROUP_IDS)[0]?.resources ?? {})).toEqual([
      `com.cloudflare.edge.r2.bucket.${ACCOUNT_ID}_eu_eu-logs`,
    ])
  })

  it('dns-edit: DNS Write on one zone', () => {
    const plan = planFor({ template: 'dns-edit', zoneId: ZONE_ID })
    expect(plan.permissions).toEqual([{ name: 'DNS Write', scope: 'com.cloudflare.api.account.zone' }])
    expect(buildPolicies(plan, PERMISSION_GROUP_IDS)).toEqual([
      {
        effect: 'allow',
        resources: { [`com.cloudflare.api.account.zone.${ZONE_ID}`]: '*' },
        permission_groups: [{ id: '4755a26eedb94da69e1066d98aa820be' }],
      },
    ])
  })
})

describe('buildPolicies', () => {
  it('makes one policy per scope type, in account, zone, R2, user order, never mixing scopes', () => {
    const plan = planFor({
      template: 'read-only',
      extraTemplates: ['r2-upload'],
      accountId: ACCOUNT_ID,
      bucket: 'site-assets',
      zoneId: ZONE_ID,
      userId: USER_ID,
      extraPermissions: [
        { name: 'API Tokens Write', scope: SCOPES.user },
        { name: 'Logs Read', scope: SCOPES.zone },
      ],
    })
    const policies = buildPolicies(plan, PERMISSION_GROUP_IDS)
    expect(policies.map((policy) => Object.keys(policy.resources))).toEqual([
      [`com.cloudflare.api.account.${ACCOUNT_ID}`],
      [`com.cloudflare.api.account.zone.${ZONE_ID}`],
      [`com.cloudflare.edge.r2.bucket.${ACCOUNT_ID}_default_site-assets`],
      [`com.cloudflare.api.user.${USER_ID}`],
    ])
    expect(policies[1]?.permission_groups).toEqual([{ id: 'c4a30cd58c5d42619c86a3c36c441e2d' }])
    expect(policies[3]?.permission_groups).toEqual([{ id: '686d18d5ac6c441c867cbf6771e58a0a' }])
    expect(policies.every((policy) => policy.effect === 'allow')).toBe(true)
  })

  it('accepts a resolver function and a Map as well as a record, and asks by name and scope', () => {
    const asked: string[] = []
    const resolver: PermissionGroupResolver = (name, scope) => {
      asked.push(`${scope}|${name}`)
      return idOf(name, scope)
    }
    const plan = planFor({ template: 'workers-deploy', accountId: ACCOUNT_ID })
    const fromFunction = buildPolicies(plan, resolver)
    const fromMap = buildPolicies(plan, new Map(Object.entries(PERMISSION_GROUP_IDS)))
    expect(asked).toEqual([
      'com.cloudflare.api.account|Workers Scripts Write',
      'com.cloudflare.api.account|Account Settings Read',
    ])
    expect(fromMap).toEqual(fromFunction)
    expect(fromFunction[0]?.permission_groups).toEqual([
      { id: 'e086da7e2179491d91ee5f35b3ca210a' },
      { id: 'c1fde68c7bcc44588cbb6ddbc16d6480' },
    ])
  })

  it('throws a PolicyBuildError naming the permission group Cloudflare does not know', () => {
    const plan = planFor({ template: 'queues', accountId: ACCOUNT_ID })
    expect(() => buildPolicies(plan, {})).toThrow(PolicyBuildError)
    expect(() => buildPolicies(plan, {})).toThrow(/"Queues Write" at scope com\.cloudflare\.api\.account/)
    // An inherited key is not an id.
    expect(() => buildPolicies({ permissions: [{ name: 'constructor', scope: SCOPES.account }], resources: { accountId: ACCOUNT_ID } }, {})).toThrow(
      PolicyBuildError,
    )
  })

  it('throws when a resource id is missing rather than emitting an unscoped key', () => {
    expect(() => resourceKeyFor(SCOPES.zone, {})).toThrow(/zone id/)
    expect(() => resourceKeyFor(SCOPES.r2Bucket, { accountId: ACCOUNT_ID })).toThrow(/bucket name/)
    expect(resourceKeyFor(SCOPES.user, { userId: USER_ID })).toBe(`com.cloudflare.api.user.${USER_ID}`)
  })
})

describe('describePolicies', () => {
  it('previews each policy in plain words with shortened ids', () => {
    expect(describePolicies(planFor({ template: 'workers-deploy', accountId: ACCOUNT_ID }))).toEqual([
      'Workers Scripts Write and Account Settings Read on account 01234567…',
    ])
    expect(describePolicies(planFor({ template: 'read-only', accountId: ACCOUNT_ID }))).toEqual([
      'Account Analytics Read, Logs Read and Workers Tail Read on account 01234567…',
    ])
    expect(describePolicies(planFor({ template: 'dns-edit', zoneId: ZONE_ID }))).toEqual(['DNS Write on zone fedcba98…'])
    expect(
      describePolicies(planFor({ template: 'r2-upload', accountId: ACCOUNT_ID, bucket: 'eu-logs', jurisdiction: 'eu' })),
    ).toEqual(['Workers R2 Storage Bucket Item Write on bucket eu-logs (account 01234567…, jurisdiction eu)'])
  })
})

describe('templates of your own', () => {
  const own = {
    name: 'kv-and-queues',
    title: 'KV and Queues',
    permissions: [{ name: 'Workers KV Storage Write', scope: SCOPES.account }],
    resource: 'account',
    risk: 'medium',
    defaultTtlSeconds: 900,
    maxTtlSeconds: 3600,
  }
  it('are validated: a built-in name, a "." in the name or a default above the maximum is refused', () => {
    expect(CustomTemplateSchema.safeParse(own).success).toBe(true)
    expect(CustomTemplateSchema.safeParse({ ...own, name: 'read-only' }).success).toBe(false)
    expect(CustomTemplateSchema.safeParse({ ...own, name: 'a.b' }).success).toBe(false)
    expect(CustomTemplateSchema.safeParse({ ...own, defaultTtlSeconds: 7200 }).success).toBe(false)
    expect(CustomTemplateSchema.safeParse({ ...own, permissions: [] }).success).toBe(false)
  })
  it('are found and listed after the built-in ones, and never shadow one', () => {
    const parsed = CustomTemplateSchema.parse(own)
    expect(findTemplate('kv-and-queues', [parsed])).toBe(parsed)
    expect(findTemplate('kv-and-queues')).toBeUndefined()
    expect(templateCatalog([parsed]).map((template) => template.name).at(-1)).toBe('kv-and-queues')
    expect(templatesInRecentOrder(['kv-and-queues'], [parsed]).recent.map((template) => template.name)).toEqual(['kv-and-queues'])
  })
})
