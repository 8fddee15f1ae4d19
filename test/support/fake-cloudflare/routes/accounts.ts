// The identity endpoints Wrangler calls: the user, memberships and accounts.
import { createHash } from 'node:crypto'
import { ErrorCode } from '../catalog'
import { AccountRecord, ApiAnswer, ApiError, Principal, SUPER_ADMIN_ROLE, isoSeconds, ok } from '../model'
import { RouteSpec, routeTable, paginate, parsePagination } from '../routing'
import { FakeCloudflareServer } from '../server'

/** `/user`, `/memberships` and `/accounts`: what `wrangler whoami` and its account lookup call. */
export function accountRoutes(server: FakeCloudflareServer): RouteSpec[] {
  const { routes, add } = routeTable()
  add('GET', '/user', (ctx) => getUser(server, ctx.principal))
  add('GET', '/memberships', (ctx) => listMemberships(server, ctx.principal, ctx.query))
  add('GET', '/accounts', (ctx) => listAccounts(server, ctx.principal, ctx.query))
  add('GET', '/accounts/:account_id', (ctx) => getAccount(server, ctx.principal, ctx.params.account_id ?? ''))
  return routes
}

export function getUser(server: FakeCloudflareServer, principal: Principal): ApiAnswer {
  // wrangler whoami treats 9109 here as "no User Details Read" and carries on without the e-mail.
  const user = server.requireUserPermission(principal, ['User Details Read', 'User Details Write'])
  return ok({
    id: user.id,
    email: user.email,
    username: user.id,
    first_name: user.firstName,
    last_name: user.lastName,
    telephone: null,
    country: null,
    zipcode: null,
    created_on: isoSeconds(user.createdOn),
    modified_on: isoSeconds(user.createdOn),
    two_factor_authentication_enabled: false,
    two_factor_authentication_locked: false,
    has_pro_zones: false,
    has_business_zones: false,
    has_enterprise_zones: false,
    suspended: false,
    betas: [],
    organizations: [],
  })
}

export function accountView(server: FakeCloudflareServer, account: AccountRecord): Record<string, unknown> {
  return {
    id: account.id,
    name: account.name,
    type: 'standard',
    settings: { enforce_twofactor: false, api_access_enabled: null, abuse_contact_email: null },
    created_on: isoSeconds(account.createdOn),
  }
}

export function listMemberships(server: FakeCloudflareServer, principal: Principal, query: URLSearchParams): ApiAnswer {
  // Account-owned tokens have no user identity; the real API answers 400 / 9106 here
  // (cloudflare/workers-sdk#13858).
  if (principal.kind === 'token' && principal.token.owner.kind === 'account') {
    throw new ApiError(400, ErrorCode.authenticationFailed, 'Authentication failed')
  }
  const user = server.requireUserPermission(principal, ['Memberships Read', 'Memberships Write'])
  const pagination = parsePagination(query)
  const status = query.get('status')
  const accountName = query.get('account.name') ?? query.get('name')
  const memberships = server.accountsOfUser(user.id)
    .filter((account) => (status === null || status === 'accepted') && (accountName === null || account.name === accountName))
    .map((account) => ({
      id: createHash('md5').update(`membership:${user.id}:${account.id}`).digest('hex'),
      account: accountView(server, account),
      api_access_enabled: null,
      permissions: Object.fromEntries(
        ['analytics', 'billing', 'cache_purge', 'dns', 'dns_records', 'lb', 'logs', 'organization', 'ssl', 'waf', 'zone_settings', 'zones'].map(
          (area) => [area, { read: true, write: true }],
        ),
      ),
      roles: [SUPER_ADMIN_ROLE],
      status: 'accepted',
    }))
  if (pagination.direction === 'desc') memberships.reverse()
  return paginate(memberships, pagination)
}

export function listAccounts(server: FakeCloudflareServer, principal: Principal, query: URLSearchParams): ApiAnswer {
  const pagination = parsePagination(query)
  const name = query.get('name')?.toLowerCase() ?? null
  const accounts = server.visibleAccounts(principal)
    .filter((account) => name === null || account.name.toLowerCase().includes(name))
    .map((account) => accountView(server, account))
  if (pagination.direction === 'desc') accounts.reverse()
  return paginate(accounts, pagination)
}

export function getAccount(server: FakeCloudflareServer, principal: Principal, accountId: string): ApiAnswer {
  const account = server.visibleAccounts(principal).find((candidate) => candidate.id === accountId)
  if (!account) throw new ApiError(403, ErrorCode.unauthorized, 'Unauthorized to access requested resource')
  return ok(accountView(server, account))
}
