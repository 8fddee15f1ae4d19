/**
 * Token operations that the CLI and the app's core share: defaults for minting, revoking one token,
 * and the incident button (revoke all). They return what happened; callers decide how to say it.
 */
import { userInfo } from 'node:os'
import { UserError } from '../common/errors'
import { DEFAULT_NAME_PREFIX, type SettingsInput } from '../common/guards'
import type { TokenEvent } from '../common/events'
import type { State } from '../common/state'
import { parseTokenName, slugifyTokenNameSegment } from '../common/token-name'
import { CloudflareApiError, type ApiTokenInfo, type TokenApi } from './cloudflare'
import { findMintingRecord, NoMintingCredentialError, openMintingClient, type MintingClientOptions } from './minting-credential'
import { intentTokens, isExpired, recordedIds, type ForeignToken } from './reaper/plan'
import { isMintedRecord, ownerMismatch } from './token-records'
import type { Vault } from './vault'

/** The OS user name as a token name segment: the owner when neither the request nor settings name one. */
export function osOwner(): string {
  let name = ''
  try {
    name = userInfo().username
  } catch {
    // No passwd entry (some containers): fall back below.
  }
  return slugifyTokenNameSegment(name || process.env.USER || process.env.USERNAME || '') ?? 'me'
}

/** The guards' settings from the state file, with the OS user as the owner of last resort. */
export function mintSettings(state: State): SettingsInput {
  return {
    namePrefix: state.settings?.namePrefix ?? DEFAULT_NAME_PREFIX,
    defaultOwner: state.settings?.defaultOwner ?? osOwner(),
    ...(state.settings?.customTemplates ? { customTemplates: state.settings.customTemplates } : {}),
  }
}

/**
 * Deletes one token on Cloudflare, retrying a few times within a short time: a one-shot command
 * should ride out a brief 5xx or a short 429, but not hang for minutes (the reaper retries longer).
 */
export async function deleteOnCloudflare(api: TokenApi, id: string, maxWaitMs = 30_000): Promise<'deleted' | 'not-found'> {
  const started = Date.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.deleteToken(id)
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.transient || attempt >= 4) throw error
      const wait = error.kind === 'rate-limited' ? (error.retryAfterSeconds ?? 60) * 1000 : 500 * 2 ** (attempt - 1)
      if (Date.now() - started + wait > maxWaitMs) throw error
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
}

function clientOptions(options: MintingClientOptions): MintingClientOptions {
  return { ...(options.env ? { env: options.env } : {}), ...(options.gate ? { gate: options.gate } : {}) }
}

/** What {@link revokeToken} did. */
export type RevokeOutcome = 'deleted' | 'already-gone' | 'forgotten-locally'

/**
 * Revokes one token: a minted token is deleted on Cloudflare, then forgotten locally; a token added
 * from the dashboard can only be forgotten locally, which needs `forgetDashboardToken`. The minting
 * credential is refused with the way to replace it.
 */
export async function revokeToken(
  vault: Vault,
  name: string,
  options: MintingClientOptions & { forgetDashboardToken?: boolean; onEvent?: (event: TokenEvent) => void } = {},
): Promise<RevokeOutcome> {
  const record = await vault.find(name)
  if (!record) throw new UserError(`no token named ${name}; \`cfwrap --list\` shows the tokens you have.`)
  if (record.role === 'minting') {
    throw new UserError(
      `${name} is the minting credential, made in the dashboard: delete or roll it there (My Profile → API Tokens), ` +
        `then forget it here with \`cfwrap --remove ${name}\` and store a new one with \`cfwrap --setup\`.`,
    )
  }
  if (!isMintedRecord(record) || (record.tokenId === null && record.status !== 'pending')) {
    if (!options.forgetDashboardToken) {
      throw new UserError(
        `${name} was added from the dashboard, so cfwrap cannot delete it on Cloudflare. Delete it in the dashboard ` +
          `(My Profile → API Tokens), then forget it here with \`cfwrap --revoke ${name} --yes\` (or \`cfwrap --remove ${name}\`).`,
      )
    }
    await vault.removeLocal(name)
    options.onEvent?.({ type: 'removed', time: new Date().toISOString(), token: name, tokenId: record.tokenId, fingerprint: record.fingerprint, via: 'revoke' })
    return 'forgotten-locally'
  }

  const api = await openMintingClient(vault, clientOptions(options))
  const mismatch = ownerMismatch(api, record)
  if (mismatch) throw new UserError(`cannot revoke ${mismatch}`)
  // An unfinished mint has no id yet: its token is the one on Cloudflare that matches its intent, never just any of that name.
  const ids =
    record.tokenId !== null
      ? [record.tokenId]
      : intentTokens(await api.listTokens(), { ...(await vault.readState()), tokens: [record] }).map(({ token }) => token.id)
  await vault.patch(name, { status: 'deleting' }, record.tokenId)
  let alreadyGone = true
  try {
    for (const id of ids) if ((await deleteOnCloudflare(api, id)) === 'deleted') alreadyGone = false
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    await vault.patch(name, { status: 'delete-failed', lastError: message, attempts: (record.attempts ?? 0) + 1 }, record.tokenId)
    throw new UserError(
      `could not delete ${name} on Cloudflare: ${message} It stays in cfwrap marked delete-failed; run \`cfwrap --revoke ${name}\` again ` +
        '(the tray app or `cfwrap --daemon` also retries temporary tokens).',
    )
  }
  // Announced first (the event bus writes the audit line): the deletion on Cloudflare is done, a kill
  // before the record goes must not lose its line.
  options.onEvent?.({ type: 'deleted', time: new Date().toISOString(), token: name, tokenId: record.tokenId, fingerprint: record.fingerprint, reason: 'revoked', lateMs: null })
  await vault.forget(name, { tokenId: record.tokenId })
  return alreadyGone ? 'already-gone' : 'deleted'
}

/** What else to rotate after an incident: what cfwrap cannot delete for you, one line each. */
export function rotationAdvice(state: State, auditPath: string): string[] {
  const minting = state.tokens.find((token) => token.role === 'minting')
  const dashboard = state.tokens.filter((token) => token.role === 'command' && token.source !== 'minted')
  return [
    `The minting credential${minting ? ` (${minting.name}, fingerprint ${minting.fingerprint ?? '-'})` : ''}: roll or delete it in the dashboard ` +
      '(My Profile → API Tokens, or Manage Account → Account API Tokens), then store the new one with `cfwrap --setup`.',
    dashboard.length > 0
      ? `Tokens added from the dashboard (${dashboard.map((token) => token.name).join(', ')}): roll each in the dashboard, then \`cfwrap --remove NAME\` and \`cfwrap --add NAME\` with the new secret.`
      : 'Any token made in the dashboard for scripts or CI: roll it there.',
    'The Global API Key, if it may have leaked: My Profile → API Tokens → Global API Key → Change.',
    "Wrangler's OAuth login: `wrangler logout`, then `wrangler login`.",
    `Review what ran with which token in the audit log: ${auditPath}`,
  ]
}

/** What {@link revokeAllTokens} did. */
export interface RevokeAllResult {
  /** Names deleted on Cloudflare. */
  deleted: string[]
  /** Names that were already gone on Cloudflare. */
  alreadyGone: string[]
  /** Records forgotten locally (keychain and state). */
  forgotten: number
  failures: { name: string; error: string }[]
  /** Set when the tokens could not be listed on Cloudflare (unfinished mints could not be looked for). */
  listProblem: string | null
  /** Live tokens on Cloudflare named like cfwrap's that this vault did not record: left alone, listed for the person to check. */
  foreign: ForeignToken[]
  rotateAlso: string[]
}

/**
 * The incident button: deletes every token this vault minted, on Cloudflare and locally, and says
 * what else to rotate. "Minted" is what the vault recorded (token ids, and the tokens of its own
 * unfinished mints); a token that is only named like cfwrap's may be another vault's (CI, another
 * machine) and is listed, never deleted.
 */
export async function revokeAllTokens(vault: Vault, options: MintingClientOptions & { onEvent?: (event: TokenEvent) => void } = {}): Promise<RevokeAllResult> {
  const state = await vault.readState()
  const minted = state.tokens.filter(isMintedRecord)
  const minting = await findMintingRecord(vault)
  if (!minting) throw new NoMintingCredentialError()
  const api = await openMintingClient(vault, clientOptions(options))
  let remote: ApiTokenInfo[] = []
  let listProblem: string | null = null
  try {
    remote = await api.listTokens()
  } catch (error) {
    listProblem = error instanceof Error ? error.message : String(error)
  }
  // Everything to delete, by id: every id the vault recorded, plus the tokens of its unfinished mints.
  const targets = new Map<string, string>()
  for (const { token } of intentTokens(remote, state)) targets.set(token.id, token.name)
  const failures = new Map<string, string>()
  for (const record of minted) {
    if (!record.tokenId) continue
    targets.set(record.tokenId, record.name)
    // Another credential's token: a delete here would answer 404 and pass for done while it lives on.
    const mismatch = ownerMismatch(api, record)
    if (mismatch) failures.set(record.tokenId, mismatch)
  }
  const own = recordedIds(state)
  const foreign = remote
    .filter((token) => !own.has(token.id) && !targets.has(token.id) && !isExpired(token, Date.now()) && parseTokenName(token.name) !== null)
    .map((token) => ({ id: token.id, name: token.name, status: token.status, expiresOn: token.expiresOn }))
  const deleted: string[] = []
  const alreadyGone: string[] = []
  await Promise.all(
    [...targets].map(async ([id, name]) => {
      if (failures.has(id)) return
      try {
        if ((await deleteOnCloudflare(api, id)) === 'deleted') deleted.push(name)
        else alreadyGone.push(name)
      } catch (error) {
        failures.set(id, `${name}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }),
  )
  options.onEvent?.({ type: 'revoke-all', time: new Date().toISOString(), deleted: deleted.length, alreadyGone: alreadyGone.length, failed: failures.size, foreign })
  // Locally: every minted record whose token is confirmed gone (pending ones too, when the list worked).
  let forgotten = 0
  const failedNames = new Set([...failures.keys()].map((id) => targets.get(id)))
  for (const record of minted) {
    const confirmed = record.tokenId ? !failures.has(record.tokenId) : listProblem === null && !failedNames.has(record.name)
    if (confirmed) {
      if (await vault.forget(record.name, { tokenId: record.tokenId })) {
        forgotten++
        options.onEvent?.({ type: 'deleted', time: new Date().toISOString(), token: record.name, tokenId: record.tokenId, fingerprint: record.fingerprint, reason: 'revoke-all', lateMs: null })
      }
    } else if (record.tokenId) {
      await vault.patch(record.name, { status: 'delete-failed', lastError: failures.get(record.tokenId) ?? listProblem ?? 'not confirmed' }, record.tokenId)
    }
  }
  return {
    deleted,
    alreadyGone,
    forgotten,
    failures: [...failures].map(([id, error]) => ({ name: targets.get(id) ?? id, error })),
    listProblem,
    foreign,
    rotateAlso: rotationAdvice(await vault.readState(), vault.paths.audit),
  }
}
