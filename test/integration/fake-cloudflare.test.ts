import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import Cloudflare, { AuthenticationError, PermissionDeniedError, RateLimitError } from 'cloudflare'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  API_BASE_PATH,
  ErrorCode,
  PERMISSION_GROUP_CATALOG,
  PermissionScope,
  findPermissionGroup,
  hasValidSecretChecksum,
  startFakeCloudflare,
  type FakeCloudflare,
  type FakeCloudflareOptions,
} from '../support/fake-cloudflare'

const execFileAsync = promisify(execFile)
const repoRoot = path.resolve(import.meta.dirname, '../..')
const START = Date.parse('2026-11-22T10:00:00Z')
const MINUTE = 60_000

interface ApiResult {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- envelopes are inspected loosely in tests
  body: any
}

/** A raw request against the fake, for checking exact status codes and envelopes. */
async function call(
  fake: FakeCloudflare,
  method: string,
  apiPath: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined = options.rawBody
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  const response = await fetch(`${fake.url}${apiPath}`, { method, headers, body })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Edge error pages are HTML.
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

function expectFailure(result: ApiResult, status: number, code: number): void {
  expect(result.status).toBe(status)
  expect(result.body).toMatchObject({ success: false, result: null, messages: [] })
  expect(result.body.errors[0].code).toBe(code)
  expect(typeof result.body.errors[0].message).toBe('string')
}

function groupId(name: string, scope: PermissionScope): string {
  const group = findPermissionGroup(name, scope)
  if (!group) throw new Error(`no group ${name}`)
  return group.id
}

/** Body of a create request for a token that may deploy Workers on the fake's account. */
function workersDeployBody(fake: FakeCloudflare, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    policies: [
      {
        effect: 'allow',
        resources: { [`com.cloudflare.api.account.${fake.account.id}`]: '*' },
        permission_groups: [{ id: groupId('Workers Scripts Write', PermissionScope.account) }],
      },
    ],
    ...extra,
  }
}

let fake: FakeCloudflare
let clock: number
let mintingToken: string

async function startWith(options: FakeCloudflareOptions = {}): Promise<void> {
  await fake?.close()
  clock = START
  fake = await startFakeCloudflare({ now: () => clock, ...options })
  mintingToken = fake.seedToken({
    name: 'minting',
    permissions: [
      { name: 'API Tokens Write', scope: PermissionScope.user },
      { name: 'Account API Tokens Write', scope: PermissionScope.account },
    ],
  }).value
}

beforeEach(async () => {
  await startWith()
})

afterEach(async () => {
  await fake.close()
})

describe('envelope and routing', () => {
  it('answers in the v4 envelope under /client/v4', async () => {
    expect(fake.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${API_BASE_PATH}$`))
    const result = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expect(result.status).toBe(200)
    expect(result.headers.get('content-type')).toBe('application/json')
    expect(result.body).toEqual({ success: true, errors: [], messages: [], result: { id: expect.stringMatching(/^[0-9a-f]{32}$/), status: 'active' } })
  })

  it('rejects unknown routes, bad identifiers, wrong methods and malformed JSON', async () => {
    expectFailure(await call(fake, 'GET', '/nope', { token: mintingToken }), 404, ErrorCode.noRoute)
    expectFailure(await call(fake, 'GET', '/user/tokens/not-an-id', { token: mintingToken }), 400, ErrorCode.invalidIdentifier)
    expectFailure(await call(fake, 'DELETE', '/user/tokens/verify', { token: mintingToken }), 405, ErrorCode.methodNotAllowed)
    expectFailure(
      await call(fake, 'POST', '/user/tokens', { token: mintingToken, rawBody: '{"name":', headers: { 'content-type': 'application/json' } }),
      400,
      ErrorCode.malformedJson,
    )
  })

  it('records what it received', async () => {
    await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'recorded') })
    await call(fake, 'GET', '/user/tokens?per_page=5')
    const [create, list] = fake.requests
    expect(create).toMatchObject({
      method: 'POST',
      path: '/user/tokens',
      body: { name: 'recorded' },
      credential: { kind: 'bearer', token: mintingToken },
      status: 200,
      at: START,
    })
    expect(list).toMatchObject({ path: '/user/tokens', query: { per_page: '5' }, credential: { kind: 'none' }, status: 400 })
  })
})

describe('authentication', () => {
  it('answers missing, malformed and unknown credentials with the documented codes', async () => {
    expectFailure(await call(fake, 'GET', '/user/tokens'), 400, ErrorCode.missingAuthorization)
    const malformed = await call(fake, 'GET', '/user/tokens', { headers: { authorization: 'Basic abc' } })
    expectFailure(malformed, 400, ErrorCode.invalidRequestHeaders)
    expect(malformed.body.errors[0].error_chain[0].code).toBe(ErrorCode.invalidAuthorizationFormat)
    expect(fake.requests.at(-1)?.credential).toEqual({ kind: 'malformed', authorization: 'Basic abc' })
    expectFailure(await call(fake, 'GET', '/user/tokens', { token: `cfut_${'a'.repeat(48)}` }), 401, ErrorCode.invalidApiToken)
  })

  it('treats expired and not-yet-valid tokens as invalid (401 / 1000)', async () => {
    const expiring = fake.seedToken({ permissions: [{ name: 'API Tokens Write' }], expiresOn: START + MINUTE })
    const future = fake.seedToken({ permissions: [{ name: 'API Tokens Write' }], notBefore: START + MINUTE })
    expect((await call(fake, 'GET', '/user/tokens', { token: expiring.value })).status).toBe(200)
    expectFailure(await call(fake, 'GET', '/user/tokens', { token: future.value }), 401, ErrorCode.invalidApiToken)
    clock += MINUTE
    expectFailure(await call(fake, 'GET', '/user/tokens', { token: expiring.value }), 401, ErrorCode.invalidApiToken)
    expectFailure(await call(fake, 'GET', '/user/tokens/verify', { token: expiring.value }), 401, ErrorCode.invalidApiToken)
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: future.value })).status).toBe(200)
  })

  it('can answer verify of an expired token with status "expired" instead', async () => {
    await startWith({ expiredVerifyStyle: 'status' })
    const expiring = fake.seedToken({ permissions: [{ name: 'API Tokens Write' }], expiresOn: START + MINUTE })
    clock += 2 * MINUTE
    const verify = await call(fake, 'GET', '/user/tokens/verify', { token: expiring.value })
    expect(verify.status).toBe(200)
    expect(verify.body.result).toEqual({ id: expiring.id, status: 'expired', expires_on: '2026-11-22T10:01:00Z' })
    // Everywhere else it is still invalid.
    expectFailure(await call(fake, 'GET', '/user/tokens', { token: expiring.value }), 401, ErrorCode.invalidApiToken)
  })

  it('refuses token management without the right permission (403)', async () => {
    const deployOnly = fake.seedToken({ permissions: [{ name: 'Workers Scripts Write' }] })
    expectFailure(await call(fake, 'GET', '/user/tokens', { token: deployOnly.value }), 403, ErrorCode.unauthorized)
    expectFailure(await call(fake, 'POST', '/user/tokens', { token: deployOnly.value, body: workersDeployBody(fake, 'x') }), 403, ErrorCode.unauthorized)
    expectFailure(await call(fake, 'GET', `/accounts/${fake.account.id}/tokens`, { token: deployOnly.value }), 403, ErrorCode.authenticationError)
    // Read is enough to list, not to create.
    const reader = fake.seedToken({ permissions: [{ name: 'API Tokens Read' }] })
    expect((await call(fake, 'GET', '/user/tokens', { token: reader.value })).status).toBe(200)
    expectFailure(await call(fake, 'POST', '/user/tokens', { token: reader.value, body: workersDeployBody(fake, 'x') }), 403, ErrorCode.unauthorized)
    // An explicit deny beats the allow.
    const denied = fake.seedToken({
      permissions: [{ name: 'API Tokens Write' }, { name: 'API Tokens Write', effect: 'deny' }],
    })
    expectFailure(await call(fake, 'GET', '/user/tokens', { token: denied.value }), 403, ErrorCode.unauthorized)
    // Verify needs no permission.
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: deployOnly.value })).status).toBe(200)
  })

  it('accepts a seeded Global API Key and rejects a wrong one', async () => {
    const { email, key } = fake.seedGlobalApiKey()
    expect(key).toMatch(/^cfk_[A-Za-z0-9]{40}[0-9a-f]{8}$/)
    const listed = await call(fake, 'GET', '/user/tokens', { headers: { 'x-auth-key': key, 'x-auth-email': email } })
    expect(listed.status).toBe(200)
    expect(fake.requests.at(-1)?.credential).toEqual({ kind: 'global-key', email, key })
    expectFailure(await call(fake, 'GET', '/user/tokens', { headers: { 'x-auth-key': `${key}x`, 'x-auth-email': email } }), 403, ErrorCode.unknownGlobalApiKey)
    expectFailure(await call(fake, 'GET', '/user/tokens', { headers: { 'x-auth-key': key } }), 400, ErrorCode.invalidRequestHeaders)
  })

  it('enforces a request_ip condition', async () => {
    const elsewhere = fake.seedToken({ permissions: [{ name: 'API Tokens Write' }], condition: { request_ip: { in: ['203.0.113.0/24'] } } })
    const here = fake.seedToken({ permissions: [{ name: 'API Tokens Write' }], condition: { request_ip: { in: ['127.0.0.0/8'] } } })
    const failure = await call(fake, 'GET', '/user/tokens', { token: elsewhere.value })
    expectFailure(failure, 403, ErrorCode.unauthorized)
    expect(failure.body.errors[0].message).toBe('Cannot use the access token from location: 127.0.0.1')
    expect((await call(fake, 'GET', '/user/tokens', { token: here.value })).status).toBe(200)
  })
})

describe('account-owned tokens', () => {
  it('verify only at the account path; /user/tokens/verify answers 401 / 1000', async () => {
    const accountToken = fake.seedToken({ owner: { account: fake.account.id }, permissions: [{ name: 'Workers Scripts Write' }] })
    expect(accountToken.value).toMatch(/^cfat_[A-Za-z0-9]{40}[0-9a-f]{8}$/)
    expectFailure(await call(fake, 'GET', '/user/tokens/verify', { token: accountToken.value }), 401, ErrorCode.invalidApiToken)
    const verified = await call(fake, 'GET', `/accounts/${fake.account.id}/tokens/verify`, { token: accountToken.value })
    expect(verified.status).toBe(200)
    expect(verified.body.result).toEqual({ id: accountToken.id, status: 'active' })
    // A user token is not found among the account's tokens, and vice versa.
    expectFailure(await call(fake, 'GET', `/accounts/${fake.account.id}/tokens/verify`, { token: mintingToken }), 401, ErrorCode.invalidApiToken)
    // /memberships has no user to answer for.
    expectFailure(await call(fake, 'GET', '/memberships', { token: accountToken.value }), 400, ErrorCode.authenticationFailed)
  })

  it('lets an account token with Account API Tokens Write mint account tokens, but not user tokens', async () => {
    const manager = fake.seedToken({ owner: { account: fake.account.id }, permissions: [{ name: 'Account API Tokens Write' }] })
    const created = await call(fake, 'POST', `/accounts/${fake.account.id}/tokens`, { token: manager.value, body: workersDeployBody(fake, 'acct') })
    expect(created.status).toBe(200)
    expect(created.body.result.value).toMatch(/^cfat_/)
    expectFailure(await call(fake, 'POST', '/user/tokens', { token: manager.value, body: workersDeployBody(fake, 'u') }), 403, ErrorCode.unauthorized)
    const other = fake.seedAccount({ name: 'Other' })
    expectFailure(await call(fake, 'GET', `/accounts/${other.id}/tokens`, { token: manager.value }), 403, ErrorCode.authenticationError)
    // Its resources can only name its own account.
    const foreign = await call(fake, 'POST', `/accounts/${fake.account.id}/tokens`, {
      token: manager.value,
      body: { ...workersDeployBody(fake, 'x'), policies: [{ effect: 'allow', resources: { [`com.cloudflare.api.account.${other.id}`]: '*' }, permission_groups: [{ id: groupId('Workers Scripts Write', PermissionScope.account) }] }] },
    })
    expectFailure(foreign, 400, ErrorCode.invalidRequest)
  })
})

describe('token lifecycle', () => {
  it('creates with a realistic secret, hides it afterwards, rolls and deletes', async () => {
    const created = await call(fake, 'POST', '/user/tokens', {
      token: mintingToken,
      body: workersDeployBody(fake, 'acme:app:dev:workers-deploy:test', { expires_on: '2026-11-22T11:00:00Z' }),
    })
    expect(created.status).toBe(200)
    const token = created.body.result
    expect(token).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: 'acme:app:dev:workers-deploy:test',
      status: 'active',
      issued_on: '2026-11-22T10:00:00Z',
      modified_on: '2026-11-22T10:00:00Z',
      expires_on: '2026-11-22T11:00:00Z',
      condition: {},
      policies: [
        {
          id: expect.stringMatching(/^[0-9a-f]{32}$/),
          effect: 'allow',
          resources: { [`com.cloudflare.api.account.${fake.account.id}`]: '*' },
          permission_groups: [{ id: groupId('Workers Scripts Write', PermissionScope.account), name: 'Workers Scripts Write' }],
        },
      ],
    })
    expect(token.value).toMatch(/^cfut_[A-Za-z0-9]{40}[0-9a-f]{8}$/)
    expect(token.value).toHaveLength(53)
    expect(hasValidSecretChecksum(token.value)).toBe(true)

    const fetched = await call(fake, 'GET', `/user/tokens/${token.id}`, { token: mintingToken })
    expect(fetched.body.result.value).toBeUndefined()
    expect((await call(fake, 'GET', '/user/tokens', { token: mintingToken })).body.result.every((t: { value?: string }) => t.value === undefined)).toBe(true)

    // Using the token stamps last_used_on.
    clock += MINUTE
    await call(fake, 'GET', '/user/tokens/verify', { token: token.value })
    expect((await call(fake, 'GET', `/user/tokens/${token.id}`, { token: mintingToken })).body.result.last_used_on).toBe('2026-11-22T10:01:00Z')

    const rolled = await call(fake, 'PUT', `/user/tokens/${token.id}/value`, { token: mintingToken, body: {} })
    expect(rolled.status).toBe(200)
    expect(rolled.body.result).toMatch(/^cfut_/)
    expect(rolled.body.result).not.toBe(token.value)
    expectFailure(await call(fake, 'GET', '/user/tokens/verify', { token: token.value }), 401, ErrorCode.invalidApiToken)
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: rolled.body.result })).status).toBe(200)

    const updated = await call(fake, 'PUT', `/user/tokens/${token.id}`, {
      token: mintingToken,
      body: { ...workersDeployBody(fake, 'renamed'), status: 'disabled' },
    })
    expect(updated.body.result).toMatchObject({ name: 'renamed', status: 'disabled', expires_on: '2026-11-22T11:00:00Z' })
    expectFailure(await call(fake, 'GET', '/user/tokens/verify', { token: rolled.body.result }), 401, ErrorCode.invalidApiToken)

    const deleted = await call(fake, 'DELETE', `/user/tokens/${token.id}`, { token: mintingToken })
    expect(deleted.body).toEqual({ success: true, errors: [], messages: [], result: { id: token.id } })
    expectFailure(await call(fake, 'GET', `/user/tokens/${token.id}`, { token: mintingToken }), 404, ErrorCode.tokenNotFound)
    expect(fake.getToken(token.id)).toBeUndefined()
  })

  it('validates create bodies', async () => {
    const post = (body: unknown): Promise<ApiResult> => call(fake, 'POST', '/user/tokens', { token: mintingToken, body })
    const accountKey = `com.cloudflare.api.account.${fake.account.id}`
    const scriptsWrite = groupId('Workers Scripts Write', PermissionScope.account)
    expectFailure(await post(workersDeployBody(fake, 'x'.repeat(121))), 400, ErrorCode.invalidRequest)
    expect((await post(workersDeployBody(fake, 'x'.repeat(120)))).status).toBe(200)
    expectFailure(await post({ name: 'no policies', policies: [] }), 400, ErrorCode.invalidRequest)
    expectFailure(await post({ name: 'e', policies: [{ effect: 'maybe', resources: { [accountKey]: '*' }, permission_groups: [{ id: scriptsWrite }] }] }), 400, ErrorCode.invalidRequest)
    const unknownGroup = await post({ name: 'u', policies: [{ effect: 'allow', resources: { [accountKey]: '*' }, permission_groups: [{ id: 'f'.repeat(32) }] }] })
    expectFailure(unknownGroup, 400, ErrorCode.invalidRequest)
    expect(unknownGroup.body.errors[0].message).toContain('does not exist')
    const mixed = await post({
      name: 'mixed',
      policies: [
        {
          effect: 'allow',
          resources: { [accountKey]: '*', [`com.cloudflare.api.account.zone.${'a'.repeat(32)}`]: '*' },
          permission_groups: [{ id: scriptsWrite }],
        },
      ],
    })
    expectFailure(mixed, 400, ErrorCode.invalidRequest)
    expect(mixed.body.errors[0].message).toContain('mixes scope types')
    // A zone permission group on account resources.
    expectFailure(
      await post({ name: 'z', policies: [{ effect: 'allow', resources: { [accountKey]: '*' }, permission_groups: [{ id: groupId('DNS Write', PermissionScope.zone) }] }] }),
      400,
      ErrorCode.invalidRequest,
    )
    expectFailure(await post(workersDeployBody(fake, 'past', { expires_on: '2026-11-22T09:00:00Z' })), 400, ErrorCode.invalidRequest)
    expectFailure(await post(workersDeployBody(fake, 'date', { expires_on: 'tomorrow' })), 400, ErrorCode.invalidRequest)
    expectFailure(await post(workersDeployBody(fake, 'cidr', { condition: { request_ip: { in: ['300.1.1.1/8'] } } })), 400, ErrorCode.invalidRequest)
    // One policy per scope type, including the nested all-zones-of-an-account form and an R2 bucket.
    const good = await post({
      name: 'split',
      policies: [
        { effect: 'allow', resources: { [accountKey]: '*' }, permission_groups: [{ id: scriptsWrite }] },
        { effect: 'allow', resources: { [accountKey]: { 'com.cloudflare.api.account.zone.*': '*' } }, permission_groups: [{ id: groupId('DNS Write', PermissionScope.zone) }] },
        {
          effect: 'allow',
          resources: { [`com.cloudflare.edge.r2.bucket.${fake.account.id}_default_assets`]: '*' },
          permission_groups: [{ id: groupId('Workers R2 Storage Bucket Item Write', PermissionScope.r2Bucket) }],
        },
      ],
    })
    expect(good.status).toBe(200)
  })

  it('paginates, orders and hides expired tokens unless include_expired', async () => {
    for (let i = 1; i <= 11; i++) {
      const expiresOn = i <= 3 ? '2026-11-22T10:30:00Z' : undefined
      const created = await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, `t${i}`, expiresOn ? { expires_on: expiresOn } : {}) })
      expect(created.status).toBe(200)
    }
    // 12 tokens including the minting token.
    const first = await call(fake, 'GET', '/user/tokens?per_page=5', { token: mintingToken })
    expect(first.body.result_info).toEqual({ page: 1, per_page: 5, count: 5, total_count: 12, total_pages: 3 })
    expect(first.body.result.map((t: { name: string }) => t.name)).toEqual(['minting', 't1', 't2', 't3', 't4'])
    const last = await call(fake, 'GET', '/user/tokens?per_page=5&page=3', { token: mintingToken })
    expect(last.body.result_info).toEqual({ page: 3, per_page: 5, count: 2, total_count: 12, total_pages: 3 })
    const beyond = await call(fake, 'GET', '/user/tokens?per_page=5&page=4', { token: mintingToken })
    expect(beyond.body.result).toEqual([])
    const defaults = await call(fake, 'GET', '/user/tokens', { token: mintingToken })
    expect(defaults.body.result_info.per_page).toBe(20)
    const descending = await call(fake, 'GET', '/user/tokens?per_page=5&direction=desc', { token: mintingToken })
    expect(descending.body.result[0].name).toBe('t11')
    expectFailure(await call(fake, 'GET', '/user/tokens?per_page=4', { token: mintingToken }), 400, ErrorCode.invalidRequest)
    expectFailure(await call(fake, 'GET', '/user/tokens?per_page=51', { token: mintingToken }), 400, ErrorCode.invalidRequest)
    expectFailure(await call(fake, 'GET', '/user/tokens?page=0', { token: mintingToken }), 400, ErrorCode.invalidRequest)
    expectFailure(await call(fake, 'GET', '/user/tokens?direction=up', { token: mintingToken }), 400, ErrorCode.invalidRequest)

    clock = Date.parse('2026-11-22T10:30:00Z')
    const hidden = await call(fake, 'GET', '/user/tokens?per_page=50', { token: mintingToken })
    expect(hidden.body.result_info.total_count).toBe(9)
    const shown = await call(fake, 'GET', '/user/tokens?per_page=50&include_expired=true', { token: mintingToken })
    expect(shown.body.result_info.total_count).toBe(12)
    expect(shown.body.result.filter((t: { status: string }) => t.status === 'expired').map((t: { name: string }) => t.name)).toEqual(['t1', 't2', 't3'])
    expect(fake.tokensAlive()).toHaveLength(9)
    expect(fake.listTokens()).toHaveLength(12)
    expect(fake.listTokens({ includeExpired: false }).every((t) => t.value.startsWith('cfut_'))).toBe(true)
  })

  it('enforces the per-user quota, counting expired tokens until deleted', async () => {
    await startWith({ userTokenQuota: 3, accountTokenQuota: 1 })
    // The minting token is one of the three.
    const a = await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'a', { expires_on: '2026-11-22T10:05:00Z' }) })
    expect((await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'b') })).status).toBe(200)
    clock += 10 * MINUTE
    const refused = await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'c') })
    expectFailure(refused, 400, ErrorCode.tokenQuotaExceeded)
    expect(refused.body.errors[0].message).toMatch(/at most 3 API tokens \(expired tokens count until deleted\)/)
    expect((await call(fake, 'DELETE', `/user/tokens/${a.body.result.id}`, { token: mintingToken })).status).toBe(200)
    expect((await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'c') })).status).toBe(200)

    const accountPath = `/accounts/${fake.account.id}/tokens`
    expect((await call(fake, 'POST', accountPath, { token: mintingToken, body: workersDeployBody(fake, 'acct-1') })).status).toBe(200)
    expectFailure(await call(fake, 'POST', accountPath, { token: mintingToken, body: workersDeployBody(fake, 'acct-2') }), 400, ErrorCode.tokenQuotaExceeded)
  })

  it('lists permission groups filtered exactly by name and scope', async () => {
    const all = await call(fake, 'GET', '/user/tokens/permission_groups', { token: mintingToken })
    expect(all.body.result).toHaveLength(PERMISSION_GROUP_CATALOG.length)
    const logs = await call(fake, 'GET', '/user/tokens/permission_groups?name=Logs%20Read', { token: mintingToken })
    expect(logs.body.result.map((g: { scopes: string[] }) => g.scopes[0]).sort()).toEqual([PermissionScope.account, PermissionScope.zone])
    const zoneLogs = await call(fake, 'GET', `/user/tokens/permission_groups?name=Logs%20Read&scope=${encodeURIComponent(PermissionScope.zone)}`, { token: mintingToken })
    expect(zoneLogs.body.result).toEqual([{ id: groupId('Logs Read', PermissionScope.zone), name: 'Logs Read', scopes: [PermissionScope.zone] }])
    const partial = await call(fake, 'GET', '/user/tokens/permission_groups?name=Logs', { token: mintingToken })
    expect(partial.body.result).toEqual([])
    const accountPath = await call(fake, 'GET', `/accounts/${fake.account.id}/tokens/permission_groups`, { token: mintingToken })
    expect(accountPath.body.result.some((g: { scopes: string[] }) => g.scopes.includes(PermissionScope.user))).toBe(false)
    // Ids are stable and unique.
    expect(new Set(PERMISSION_GROUP_CATALOG.map((g) => g.id)).size).toBe(PERMISSION_GROUP_CATALOG.length)
    expect(PERMISSION_GROUP_CATALOG.every((g) => /^[0-9a-f]{32}$/.test(g.id))).toBe(true)
  })
})

describe('faults', () => {
  it('rate-limits on demand with retry-after and code 971, then recovers', async () => {
    fake.faults.rateLimit({ retryAfter: 2, count: 2 })
    for (let i = 0; i < 2; i++) {
      const limited = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
      expectFailure(limited, 429, ErrorCode.rateLimited)
      expect(limited.headers.get('retry-after')).toBe('2')
      expect(limited.body.errors[0].message).toBe('Please wait and consider throttling your request speed')
    }
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
    expect(fake.requests.map((r) => r.fault)).toEqual(['rate-limit', 'rate-limit', undefined])
  })

  it('answers 5xx as JSON or as an edge HTML page', async () => {
    fake.faults.serverError({ status: 502, count: 1 })
    fake.faults.serverError({ status: 503, count: 1, html: true })
    const json = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expectFailure(json, 502, ErrorCode.internalError)
    const html = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expect(html.status).toBe(503)
    expect(html.headers.get('content-type')).toBe('text/html')
    expect(String(html.body)).toContain('cloudflare')
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
  })

  it('scopes faults to a method and path', async () => {
    fake.faults.serverError({ method: 'POST', path: /^\/user\/tokens$/ })
    expect((await call(fake, 'GET', '/user/tokens', { token: mintingToken })).status).toBe(200)
    expect((await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'x') })).status).toBe(500)
    expect((await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'x') })).status).toBe(500)
    await fake.faults.clear()
    expect((await call(fake, 'POST', '/user/tokens', { token: mintingToken, body: workersDeployBody(fake, 'x') })).status).toBe(200)
  })

  it('slows answers down', async () => {
    fake.faults.slow(300, { count: 1 })
    const started = performance.now()
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    const again = performance.now()
    await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expect(performance.now() - again).toBeLessThan(250)
  })

  it('drops connections without answering', async () => {
    fake.faults.drop({ count: 1 })
    await expect(call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).rejects.toThrow()
    expect(fake.requests[0]).toMatchObject({ status: 0, fault: 'drop' })
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
  })

  it('goes down (refusing or dropping connections) and comes back on the same port', async () => {
    const url = fake.url
    await fake.faults.down()
    await expect(call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })
    await fake.faults.up()
    expect(fake.url).toBe(url)
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
    await fake.faults.down('drop')
    await expect(call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).rejects.toThrow()
    await fake.faults.clear()
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
  })
})

describe('automatic rate limiter', () => {
  it('allows 1,200 requests per 5 minutes per user across credentials, then blocks every call for 5 minutes', async () => {
    const { email, key } = fake.seedGlobalApiKey()
    const otherUser = fake.seedUser()
    const otherToken = fake.seedToken({ owner: { user: otherUser.id }, permissions: [{ name: 'API Tokens Write' }] })
    // Spread over 4 minutes of fake time, half with the token and half with the Global API Key.
    for (let batch = 0; batch < 24; batch++) {
      clock = START + batch * 10_000
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call(fake, 'GET', '/user/tokens?per_page=5', i % 2 === 0 ? { token: mintingToken } : { headers: { 'x-auth-key': key, 'x-auth-email': email } }).then((r) =>
            expect(r.status).toBe(200),
          ),
        ),
      )
    }
    expect(fake.stats).toMatchObject({ totalRequests: 1200, maxRequestsInWindow: 1200, rateLimitedResponses: 0 })

    const over = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expectFailure(over, 429, ErrorCode.rateLimited)
    expect(over.headers.get('retry-after')).toBe('300')
    // Every credential of that user is blocked; another user is not.
    expect((await call(fake, 'GET', '/user/tokens', { headers: { 'x-auth-key': key, 'x-auth-email': email } })).status).toBe(429)
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: otherToken.value })).status).toBe(200)
    clock += 4 * MINUTE
    const still = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expect(still.status).toBe(429)
    expect(still.headers.get('retry-after')).toBe('60')
    clock += MINUTE
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
    expect(fake.stats.rateLimitedResponses).toBe(3)
  })

  it('uses a rolling window', async () => {
    await startWith({ rateLimit: { limit: 3, windowMs: 10_000, blockMs: 20_000 } })
    for (const offset of [0, 4000, 8000]) {
      clock = START + offset
      expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
    }
    // At 10.5 s the first request has left the window.
    clock = START + 10_500
    expect((await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })).status).toBe(200)
    clock = START + 11_000
    const blocked = await call(fake, 'GET', '/user/tokens/verify', { token: mintingToken })
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('retry-after')).toBe('20')
    expect(fake.stats.maxRequestsInWindow).toBe(4)
  })
})

describe('the cloudflare SDK against the fake', () => {
  function sdk(apiToken: string, maxRetries = 0): Cloudflare {
    return new Cloudflare({ apiToken, apiKey: null, apiEmail: null, userServiceKey: null, baseURL: fake.url, maxRetries })
  }

  it('creates, lists, reads, verifies, rolls and deletes user tokens', async () => {
    const client = sdk(mintingToken)
    const groups = await client.user.tokens.permissionGroups.list({ name: 'Workers Scripts Write', scope: PermissionScope.account })
    const writeGroup = groups.result[0]
    expect(writeGroup?.id).toBe(groupId('Workers Scripts Write', PermissionScope.account))
    const created = []
    for (let i = 0; i < 7; i++) {
      created.push(
        await client.user.tokens.create({
          name: `sdk-${i}`,
          policies: [{ effect: 'allow', resources: { [`com.cloudflare.api.account.${fake.account.id}`]: '*' }, permission_groups: [{ id: writeGroup?.id ?? '' }] }],
          expires_on: '2026-11-22T11:00:00Z',
        }),
      )
    }
    const names: string[] = []
    for await (const token of client.user.tokens.list({ per_page: 5 })) names.push(token.name ?? '')
    expect(names).toEqual(['minting', ...created.map((t) => t.name)])

    const first = created[0]
    if (!first?.id || !first.value) throw new Error('create returned no id/value')
    expect((await client.user.tokens.get(first.id)).name).toBe('sdk-0')
    expect(await sdk(first.value).user.tokens.verify()).toEqual({ id: first.id, status: 'active', expires_on: '2026-11-22T11:00:00Z' })
    const rolled = await client.user.tokens.value.update(first.id)
    expect(rolled).toMatch(/^cfut_/)
    await expect(sdk(first.value).user.tokens.verify()).rejects.toBeInstanceOf(AuthenticationError)
    expect(await client.user.tokens.delete(first.id)).toEqual({ id: first.id })
    expect(fake.getToken(first.id)).toBeUndefined()
  })

  it('manages account-owned tokens', async () => {
    const client = sdk(mintingToken)
    const accountId = fake.account.id
    const groups = await client.accounts.tokens.permissionGroups.list({ account_id: accountId, name: 'D1 Write', scope: PermissionScope.account })
    const created = await client.accounts.tokens.create({
      account_id: accountId,
      name: 'd1',
      policies: [{ effect: 'allow', resources: { [`com.cloudflare.api.account.${accountId}`]: '*' }, permission_groups: [{ id: groups.result[0]?.id ?? '' }] }],
    })
    expect(created.value).toMatch(/^cfat_/)
    const id = created.id ?? ''
    expect(await sdk(created.value ?? '').accounts.tokens.verify({ account_id: accountId })).toMatchObject({ id, status: 'active' })
    const listed = []
    for await (const token of client.accounts.tokens.list({ account_id: accountId })) listed.push(token.id)
    expect(listed).toEqual([id])
    expect((await client.accounts.tokens.get(id, { account_id: accountId })).name).toBe('d1')
    expect(await client.accounts.tokens.value.update(id, { account_id: accountId })).toMatch(/^cfat_/)
    expect(await client.accounts.tokens.delete(id, { account_id: accountId })).toEqual({ id })
  })

  it('maps fake failures to the SDK error classes and honours retry-after', async () => {
    await expect(sdk(`cfut_${'x'.repeat(48)}`).user.tokens.verify()).rejects.toBeInstanceOf(AuthenticationError)
    const deployOnly = fake.seedToken({ permissions: [{ name: 'Workers Scripts Write' }] })
    await expect(sdk(deployOnly.value).user.tokens.list().then((page) => page.result)).rejects.toBeInstanceOf(PermissionDeniedError)
    fake.faults.rateLimit({ retryAfter: 1, count: 1 })
    await expect(sdk(mintingToken).user.tokens.verify()).rejects.toBeInstanceOf(RateLimitError)
    // With retries the SDK waits retry-after (1 s) and succeeds.
    fake.faults.rateLimit({ retryAfter: 1, count: 1 })
    const started = performance.now()
    expect((await sdk(mintingToken, 2).user.tokens.verify()).status).toBe('active')
    expect(performance.now() - started).toBeGreaterThanOrEqual(950)
  })
})

describe('wrangler whoami against the fake', () => {
  let home: string
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'cfwrap-fake-cf-'))
  })
  afterEach(async () => {
    await rm(home, { recursive: true, force: true })
  })

  /** Runs wrangler (asynchronously: the fake answers from this very process) with only the given token. */
  async function wrangler(token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    // A directory per run: wrangler caches the looked-up account in <cwd>/node_modules/.cache/wrangler.
    const runDir = await mkdtemp(path.join(home, 'run-'))
    const env: NodeJS.ProcessEnv = {}
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('CLOUDFLARE_') && !name.startsWith('CF_') && !name.startsWith('WRANGLER_')) env[name] = value
    }
    Object.assign(env, {
      HOME: runDir,
      XDG_CONFIG_HOME: path.join(runDir, '.config'),
      WRANGLER_SEND_METRICS: 'false',
      CI: '1',
      NO_COLOR: '1',
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_API_BASE_URL: fake.url,
    })
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [path.join(repoRoot, 'node_modules/wrangler/bin/wrangler.js'), ...args], {
        cwd: runDir,
        env,
        timeout: 30_000,
      })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code?: unknown; stdout?: string; stderr?: string }
      if (typeof failed.code !== 'number') throw error
      return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
    }
  }

  async function whoami(token: string, args: string[] = []): Promise<string> {
    const result = await wrangler(token, ['whoami', ...args])
    expect(result.code).toBe(0)
    return result.stdout
  }

  it('reports the user and account for a user token, including membership roles', async () => {
    const token = fake.seedToken({
      name: 'wrangler',
      permissions: [{ name: 'User Details Read' }, { name: 'Memberships Read' }, { name: 'Workers Scripts Write' }],
    })
    const stdout = await whoami(token.value, ['--account', fake.account.id])
    expect(stdout).toContain(`You are logged in with an User API Token, associated with the email ${fake.user.email}`)
    expect(stdout).toContain(fake.account.id)
    expect(stdout).toContain(fake.account.name)
    expect(stdout).toContain('Super Administrator - All Privileges')
    expect(stdout).not.toContain(token.value)
    const seen = fake.requests.filter((r) => r.credential.kind === 'bearer' && r.credential.token === token.value)
    expect(seen.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /user/tokens/verify 200',
      'GET /user 200',
      'GET /accounts 200',
      'GET /memberships 200',
    ])
  })

  it('recognises an account token by the 1000 from /user/tokens/verify', async () => {
    const token = fake.seedToken({ owner: { account: fake.account.id }, permissions: [{ name: 'Workers Scripts Write' }] })
    const stdout = await whoami(token.value)
    expect(stdout).toContain(`You are logged in with an Account API Token, associated with the account ${fake.account.name}`)
    expect(stdout).toContain(fake.account.id)
    expect(fake.requests.map((r) => `${r.path} ${r.status}`)).toEqual(['/user/tokens/verify 401', '/user 403', '/accounts 200'])
  })

  it("answers wrangler's account-id lookup (/memberships), and refuses it without Memberships Read", async () => {
    const withMemberships = fake.seedToken({ permissions: [{ name: 'Memberships Read' }, { name: 'Workers KV Storage Write' }] })
    const withoutMemberships = fake.seedToken({ permissions: [{ name: 'Workers KV Storage Write' }] })
    const [found, refused] = await Promise.all([
      wrangler(withMemberships.value, ['kv', 'namespace', 'list']),
      wrangler(withoutMemberships.value, ['kv', 'namespace', 'list']),
    ])
    // The fake has no KV endpoints: the lookup succeeds, then the KV call gets "No route" with the looked-up account.
    const lookedUp = fake.requests.filter((r) => r.credential.kind === 'bearer' && r.credential.token === withMemberships.value)
    expect(lookedUp.map((r) => `${r.path} ${r.status}`)).toEqual(['/memberships 200', `/accounts/${fake.account.id}/storage/kv/namespaces 404`])
    expect(found.code).not.toBe(0)
    expect(found.stdout + found.stderr).toContain('No route for that URI [code: 7000]')
    expect(refused.code).not.toBe(0)
    expect(refused.stdout + refused.stderr).toContain('Failed to automatically retrieve account IDs')
  })
})

describe('npm run fake-api', () => {
  it('prints the base URL and account, writes the secret 0600 and never prints it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cfwrap-fake-cli-'))
    try {
      const tokenFile = path.join(dir, 'minting-token')
      const tsx = path.join(repoRoot, 'node_modules/.bin/tsx')
      const help = await execFileAsync(tsx, ['test/support/fake-cloudflare-cli.ts', '--help'], { cwd: repoRoot })
      expect(help.stdout).toContain('--token-file PATH')

      const child = spawn(tsx, ['test/support/fake-cloudflare-cli.ts', '--token-file', tokenFile, '--quiet'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          if (stdout.includes('Ctrl-C')) resolve()
        })
        child.on('exit', () => reject(new Error(`fake-api exited early: ${stderr}`)))
      })
      const baseUrl = /base URL:\s+(\S+)/.exec(stdout)?.[1] ?? ''
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/)
      expect(stdout).toContain('023e105f4ecef8ad9ca31a8372d0c353')
      const secret = (await readFile(tokenFile, 'utf8')).trim()
      expect(secret).toMatch(/^cfut_[A-Za-z0-9]{40}[0-9a-f]{8}$/)
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)
      expect(stdout + stderr).not.toContain(secret)
      const verify = await fetch(`${baseUrl}/user/tokens/verify`, { headers: { authorization: `Bearer ${secret}` } })
      expect(verify.status).toBe(200)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
