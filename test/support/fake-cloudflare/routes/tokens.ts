// The token endpoints: verify, permission groups, list, create, read, update, delete, roll.
import { ErrorCode, PERMISSION_GROUP_CATALOG, PermissionScope } from '../catalog'
import { ApiAnswer, ApiError, Principal, StoredToken, isoSeconds, ok } from '../model'
import { CreateTokenBodySchema, UpdateTokenBody, UpdateTokenBodySchema, parseBody } from '../request-schemas'
import { RouteContext, RouteSpec, routeTable, paginate, parseBooleanQuery, parsePagination } from '../routing'
import { makeTokenSecret } from '../secrets'
import { AccessLevel, FakeCloudflareServer, TokenCollection, USER_TOKEN_GROUPS } from '../server'

/** The token endpoints, user- and account-owned (fixed segments before `:token_id`, so they win). */
export function tokenRoutes(server: FakeCloudflareServer): RouteSpec[] {
  const { routes, add } = routeTable()
  const userCollection = (ctx: RouteContext, access: AccessLevel): TokenCollection => {
    const user = server.requireUserPermission(ctx.principal, USER_TOKEN_GROUPS[access])
    return { owner: { kind: 'user', userId: user.id }, quota: server.options.userTokenQuota ?? 50, secretPrefix: 'cfut_' }
  }
  const accountCollection = (ctx: RouteContext, access: AccessLevel): TokenCollection => {
    const account = server.requireAccountTokenPermission(ctx.principal, ctx.params.account_id ?? '', access)
    return { owner: { kind: 'account', accountId: account.id }, quota: server.options.accountTokenQuota ?? 500, secretPrefix: 'cfat_' }
  }
  // The same endpoints for both collections: a user's tokens and an account's.
  const families = [
    { base: '/user/tokens', collection: userCollection, where: () => ({ kind: 'user' as const }), userScope: true },
    { base: '/accounts/:account_id/tokens', collection: accountCollection, where: (ctx: RouteContext) => ({ kind: 'account' as const, accountId: ctx.params.account_id ?? '' }), userScope: false },
  ]
  for (const { base, collection, where, userScope } of families) {
    // Fixed segments (verify, permission_groups) come before `:token_id` so they win.
    add('GET', `${base}/verify`, (ctx) => verify(server, ctx.principal, where(ctx)))
    add('GET', `${base}/permission_groups`, (ctx) => {
      collection(ctx, 'read')
      return listPermissionGroups(server, ctx.query, userScope)
    })
    add('GET', base, (ctx) => listTokensAnswer(server, collection(ctx, 'read'), ctx.query))
    add('POST', base, (ctx) => createToken(server, collection(ctx, 'write'), ctx.body))
    add('GET', `${base}/:token_id`, (ctx) => getTokenAnswer(server, collection(ctx, 'read'), ctx.params))
    add('PUT', `${base}/:token_id`, (ctx) => updateToken(server, collection(ctx, 'write'), ctx.params, ctx.body))
    add('DELETE', `${base}/:token_id`, (ctx) => deleteToken(server, collection(ctx, 'write'), ctx.params))
    add('PUT', `${base}/:token_id/value`, (ctx) => rollToken(server, collection(ctx, 'write'), ctx.params, ctx.body))
  }
  return routes
}

export function verify(server: FakeCloudflareServer, principal: Principal, where: { kind: 'user' } | { kind: 'account'; accountId: string }): ApiAnswer {
  // Verify checks the calling token itself, and only finds it in its own collection: an account
  // token at /user/tokens/verify, or a user token at an account's verify path, is "invalid".
  const token = principal.kind === 'token' ? principal.token : null
  const found =
    token !== null &&
    (where.kind === 'user' ? token.owner.kind === 'user' : token.owner.kind === 'account' && token.owner.accountId === where.accountId)
  if (!token || !found) throw new ApiError(401, ErrorCode.invalidApiToken, 'Invalid API Token')
  return ok(verifyResult(server, token))
}

export function verifyResult(server: FakeCloudflareServer, token: StoredToken): Record<string, unknown> {
  const result: Record<string, unknown> = { id: token.id, status: server.statusOf(token) }
  if (token.expiresOn !== null) result.expires_on = isoSeconds(token.expiresOn)
  if (token.notBefore !== null) result.not_before = isoSeconds(token.notBefore)
  return result
}

export function listPermissionGroups(server: FakeCloudflareServer, query: URLSearchParams, includeUserScope: boolean): ApiAnswer {
  const name = query.get('name')
  const scope = query.get('scope')
  const groups = PERMISSION_GROUP_CATALOG.filter(
    (group) =>
      (includeUserScope || !group.scopes.includes(PermissionScope.user)) &&
      (name === null || group.name === name) &&
      (scope === null || group.scopes.some((groupScope) => groupScope === scope)),
  ).map((group) => ({ id: group.id, name: group.name, scopes: [...group.scopes] }))
  return ok(groups, { page: 1, per_page: groups.length, count: groups.length, total_count: groups.length, total_pages: 1 })
}

export function findOwnedToken(server: FakeCloudflareServer, collection: TokenCollection, params: Record<string, string>): StoredToken {
  const token = server.tokens.get(params.token_id ?? '')
  if (!token || !server.ownerMatches(token, collection.owner)) throw new ApiError(404, ErrorCode.tokenNotFound, 'Token not found')
  return token
}

export function listTokensAnswer(server: FakeCloudflareServer, collection: TokenCollection, query: URLSearchParams): ApiAnswer {
  const pagination = parsePagination(query)
  const includeExpired = parseBooleanQuery(query, 'include_expired')
  const tokens = server.tokensOf(collection.owner).filter((token) => includeExpired || server.statusOf(token) !== 'expired')
  if (pagination.direction === 'desc') tokens.reverse()
  return paginate(
    tokens.map((token) => server.apiView(token)),
    pagination,
  )
}

export function createToken(server: FakeCloudflareServer, collection: TokenCollection, body: unknown): ApiAnswer {
  const input = parseBody(CreateTokenBodySchema, body)
  const token = server.storeNewToken(collection.owner, input, { enforceQuota: true, requireFutureExpiry: true, quota: collection.quota })
  return ok({ ...server.apiView(token), value: token.value })
}

export function getTokenAnswer(server: FakeCloudflareServer, collection: TokenCollection, params: Record<string, string>): ApiAnswer {
  return ok(server.apiView(findOwnedToken(server, collection, params)))
}

// PUT replaces name and policies; status, not_before, expires_on and condition change only when
// present (null clears them). The real API's handling of omitted optional fields is undocumented.
export function updateToken(server: FakeCloudflareServer, collection: TokenCollection, params: Record<string, string>, body: unknown): ApiAnswer {
  const token = findOwnedToken(server, collection, params)
  const input: UpdateTokenBody = parseBody(UpdateTokenBodySchema, body)
  const policies = server.buildPolicies(collection.owner, input.policies)
  const times = server.parseTimes({
    not_before: input.not_before === undefined ? (token.notBefore === null ? null : isoSeconds(token.notBefore)) : input.not_before,
    expires_on: input.expires_on === undefined ? (token.expiresOn === null ? null : isoSeconds(token.expiresOn)) : input.expires_on,
  })
  const condition = input.condition === undefined ? token.condition : server.checkCondition(input.condition)
  token.name = input.name
  token.policies = policies
  token.notBefore = times.notBefore
  token.expiresOn = times.expiresOn
  token.condition = condition
  if (input.status !== undefined) token.disabled = input.status === 'disabled'
  token.modifiedOn = server.clock()
  return ok(server.apiView(token))
}

export function deleteToken(server: FakeCloudflareServer, collection: TokenCollection, params: Record<string, string>): ApiAnswer {
  const token = findOwnedToken(server, collection, params)
  server.tokens.delete(token.id)
  server.tokenIdsBySecret.delete(token.value)
  return ok({ id: token.id })
}

export function rollToken(server: FakeCloudflareServer, collection: TokenCollection, params: Record<string, string>, body: unknown): ApiAnswer {
  // The OpenAPI body is `{}`; the SDK sends none at all. Both are fine.
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new ApiError(400, ErrorCode.invalidRequest, 'body: expected an object')
  }
  const token = findOwnedToken(server, collection, params)
  server.tokenIdsBySecret.delete(token.value)
  token.value = makeTokenSecret(collection.secretPrefix)
  token.modifiedOn = server.clock()
  server.tokenIdsBySecret.set(token.value, token.id)
  return ok(token.value)
}
