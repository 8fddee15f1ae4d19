/**
 * The minting credential: a token made in the Cloudflare dashboard with "API Tokens Write"
 * (user-owned) or "Account API Tokens Write" (account-owned, `cfat_…`), which cfwrap uses only to
 * create and delete other tokens. It lives in the vault with role `minting` and is never injected
 * into a command (the run path refuses that role).
 */
import type { TokenEvent } from '../common/events'
import { UserError, UsageError } from '../common/errors'
import { holdSecret } from '../common/redact'
import { secretProblem } from '../common/secret'
import type { TokenRecord } from '../common/state'
import { apiBaseUrl, CloudflareApiError, CloudflareClient, PermissionGroupCache, type TokenApi, type TokenOwnerKind } from './cloudflare'
import { permissionGroupKey } from '../common/policy'
import type { ScopeId } from '../common/templates'
import type { RequestGate } from './request-gate'
import type { Vault } from './vault'

/** Vault name under which the minting credential is stored. */
export const MINTING_CREDENTIAL_NAME = 'cfwrap-minting'

/** The permission group a minting credential needs, by owner. */
export const TOKEN_WRITE_PERMISSION: Record<TokenOwnerKind, string> = {
  user: 'API Tokens Write',
  account: 'Account API Tokens Write',
}

/** There is no minting credential in the vault; the message says how to store one. */
export class NoMintingCredentialError extends UserError {
  override name = 'NoMintingCredentialError'
  constructor() {
    super(
      'no minting credential is stored: make a token in the Cloudflare dashboard with the "Create Additional Tokens" template ' +
        '(API Tokens Write) and store it with `cfwrap --setup` (the secret is read from stdin).',
    )
  }
}

/** The stored minting credential's record, if any. */
export async function findMintingRecord(vault: Vault): Promise<TokenRecord | undefined> {
  return (await vault.list()).find((token) => token.role === 'minting' && token.status === 'active')
}

/** Options shared by the functions that build an API client. */
export interface MintingClientOptions {
  env?: NodeJS.ProcessEnv
  /** One gate per process, so every client shares the request budget and 429 pauses. */
  gate?: RequestGate
  timeoutMs?: number
}

/** A client for the stored minting credential; throws {@link NoMintingCredentialError} when there is none. */
export async function openMintingClient(vault: Vault, options: MintingClientOptions = {}): Promise<CloudflareClient> {
  const record = await findMintingRecord(vault)
  if (!record) throw new NoMintingCredentialError()
  const secret = await vault.readSecret(record.name)
  return CloudflareClient.create({
    apiToken: secret,
    owner: record.owner ?? 'user',
    accountId: record.accountId,
    baseURL: apiBaseUrl(options.env),
    ...(options.gate ? { gate: options.gate } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    permissionGroups: PermissionGroupCache.inDir(vault.dir),
  })
}

/**
 * For long-running processes: a function returning the client for the *current* minting credential.
 * The credential is looked up on every call (cheap: one state read) so that `cfwrap --setup` in
 * another process takes effect without a restart; the client is rebuilt only when it changed.
 */
export function mintingApiProvider(vault: Vault, options: MintingClientOptions = {}): () => Promise<TokenApi> {
  let cached: { key: string; client: Promise<CloudflareClient> } | null = null
  return async () => {
    const record = await findMintingRecord(vault)
    if (!record) throw new NoMintingCredentialError()
    const key = `${record.fingerprint}|${record.owner ?? 'user'}|${record.accountId ?? ''}`
    if (cached?.key !== key) {
      const client = openMintingClient(vault, options)
      cached = { key, client }
      client.catch(() => {
        if (cached?.client === client) cached = null
      })
    }
    return cached.client
  }
}

/** What `setupMintingCredential` stored. */
export interface SetupResult {
  record: TokenRecord
  owner: TokenOwnerKind
  replaced: TokenRecord[]
  /** For a user-owned credential: where its default account came from, or why there is none. */
  defaultAccount: 'given' | 'derived' | { none: string }
}

function normalizeIso(value: string | null): string | null {
  if (!value) return null
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null
}

async function verifyAs(owner: TokenOwnerKind, secret: string, accountId: string | null, options: MintingClientOptions, cache: PermissionGroupCache) {
  const client = await CloudflareClient.create({
    apiToken: secret,
    owner,
    accountId,
    baseURL: apiBaseUrl(options.env),
    ...(options.gate ? { gate: options.gate } : {}),
    permissionGroups: cache,
  })
  return { client, verified: await client.verify() }
}

/**
 * Checks a candidate minting credential and stores it, replacing any previous one:
 * 1. verify it at the endpoint that matches its owner (`/user/tokens/verify`, or
 *    `/accounts/{id}/tokens/verify` for an account token: a `cfat_` token sent to the user path fails);
 * 2. make sure it can manage tokens (list permission groups, and when Cloudflare shows the token's own
 *    policies, that they hold the Write group), refusing clearly otherwise;
 * 3. store it with role `minting`.
 */
export async function setupMintingCredential(
  vault: Vault,
  secret: string,
  options: MintingClientOptions & { accountId?: string | null; onEvent?: (event: TokenEvent) => void } = {},
): Promise<SetupResult> {
  const accountId = options.accountId ?? null
  // Before anything is sent: a NUL or a newline in a header makes fetch throw a message with the value in it.
  const problem = secretProblem(secret)
  if (problem !== null) throw new UserError(`the minting credential ${problem}.`)
  holdSecret(secret)
  const isAccountToken = secret.startsWith('cfat_')
  if (isAccountToken && !accountId) {
    throw new UsageError('this is an account-owned token (cfat_…): pass the account it belongs to with `cfwrap --setup --account ID`.')
  }
  const cache = PermissionGroupCache.inDir(vault.dir)
  let owner: TokenOwnerKind = isAccountToken ? 'account' : 'user'
  let attempt: Awaited<ReturnType<typeof verifyAs>>
  try {
    attempt = await verifyAs(owner, secret, accountId, options, cache)
  } catch (error) {
    // A token from before the cfat_ prefix carries no hint of its owner: with an account given, try there too.
    if (!(error instanceof CloudflareApiError) || error.kind !== 'auth' || owner !== 'user' || !accountId) throw explainSetupFailure(error, owner)
    owner = 'account'
    try {
      attempt = await verifyAs(owner, secret, accountId, options, cache)
    } catch (second) {
      throw explainSetupFailure(second, owner)
    }
  }
  const { client, verified } = attempt
  if (verified.status !== 'active') {
    throw new UserError(`Cloudflare says this token is ${verified.status}; make a new one in the dashboard and run \`cfwrap --setup\` again.`)
  }

  const writeGroup = TOKEN_WRITE_PERMISSION[owner]
  let groups
  try {
    groups = await client.listPermissionGroups()
  } catch (error) {
    if (error instanceof CloudflareApiError && (error.kind === 'permission' || error.kind === 'auth')) throw cannotManageTokens(owner)
    throw explainSetupFailure(error, owner)
  }
  // The full list is at hand: cache every id now so the first mint needs no look-ups.
  const ids = new Map<string, string>()
  for (const group of groups) for (const scope of group.scopes) ids.set(permissionGroupKey(group.name, scope as ScopeId), group.id)
  cache.set(client.baseURL, ids)

  let names: string[] | null = null
  try {
    names = await client.allowedPermissionNames(verified.id)
  } catch {
    // Reading its own policies needs a read permission the token may lack; the list above already passed.
  }
  if (names !== null && !names.includes(writeGroup)) throw cannotManageTokens(owner)

  // A user-owned credential mints for an account it must be told; with exactly one in sight, that is the default.
  let defaultAccountId = accountId
  let defaultAccount: SetupResult['defaultAccount'] = 'given'
  if (owner === 'user' && !accountId) {
    const ids = await client.accountIds()
    if (ids.length === 1) {
      defaultAccountId = ids[0] as string
      defaultAccount = 'derived'
    } else {
      defaultAccount = { none: ids.length > 1 ? `the credential sees ${ids.length} accounts (${ids.join(', ')})` : 'the credential cannot list your accounts' }
    }
  }

  const previous = (await vault.list()).filter((token) => token.role === 'minting' || token.name === MINTING_CREDENTIAL_NAME)
  const clash = previous.find((token) => token.role !== 'minting')
  if (clash) {
    throw new UserError(`a command token is stored under the name ${MINTING_CREDENTIAL_NAME}; rename it (remove and add it again) before running --setup.`)
  }
  // Replace: forget the old credential first (secret, then record), then store the new one.
  for (const token of previous) await vault.removeLocal(token.name)
  const record = await vault.addToken(
    {
      name: MINTING_CREDENTIAL_NAME,
      tokenId: verified.id,
      // For a user-owned credential the account given (or the only one it sees) is the default account to mint for.
      accountId: defaultAccountId,
      expiresAt: normalizeIso(verified.expiresOn),
      template: null,
      source: 'setup',
      role: 'minting',
      temporary: false,
      owner,
    },
    secret,
  )
  options.onEvent?.({
    type: 'setup',
    time: new Date().toISOString(),
    token: record.name,
    tokenId: record.tokenId,
    fingerprint: record.fingerprint,
    owner,
    replaced: previous.map((old) => old.fingerprint),
  })
  return { record, owner, replaced: previous, defaultAccount }
}

function cannotManageTokens(owner: TokenOwnerKind): UserError {
  return new UserError(
    owner === 'user'
      ? 'this token cannot manage API tokens: cfwrap needs a token with "API Tokens Write". In the dashboard (My Profile → API Tokens) ' +
          'create one from the "Create Additional Tokens" template, then run `cfwrap --setup` again.'
      : 'this account token cannot manage account tokens: cfwrap needs "Account API Tokens Write" (and a Super Administrator to create it). ' +
          'Create one in the dashboard (Manage Account → Account API Tokens), then run `cfwrap --setup --account ID` again.',
  )
}

function explainSetupFailure(error: unknown, owner: TokenOwnerKind): Error {
  if (!(error instanceof CloudflareApiError)) return error instanceof Error ? error : new Error(String(error))
  if (error.kind === 'auth') {
    return new UserError(
      owner === 'user'
        ? 'Cloudflare does not accept this token (checked at /user/tokens/verify): it may be mistyped, revoked or expired. ' +
            'For an account-owned token pass --account ID.'
        : 'Cloudflare does not accept this token for that account (checked at /accounts/ID/tokens/verify): check the account id, ' +
            'and that the token is owned by that account and still active.',
    )
  }
  if (error.kind === 'permission') return cannotManageTokens(owner)
  return new UserError(error.message)
}
