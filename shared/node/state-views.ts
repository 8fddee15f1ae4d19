// Pure views of the state: what the window, the tray and the CLI show of records and settings,
// and the defaults a mint request gets from them. No I/O (the OS user name aside), so each is
// unit-tested with a plain State.
import { ApprovalPolicySchema } from '../common/broker/policy'
import { DEFAULT_NAME_PREFIX, type MintRequest } from '../common/guards'
import type { MintingView, SettingsView, TokenView } from '../common/ipc'
import { describePolicies } from '../common/policy'
import type { State, TokenRecord } from '../common/state'
import { findTemplate, type TokenTemplate } from '../common/templates'
import { osOwner } from './token-service'

/** The tokens' policies in plain words, rebuilt from the record's template and resources. */
export function scopesOf(record: TokenRecord, custom: readonly TokenTemplate[] = []): string[] {
  if (record.role === 'minting') return ['Creates and deletes API tokens (never injected into commands)']
  // A combined token's template is the template names joined with '.' (see token-name.ts).
  const permissions = (record.template ?? '').split('.').flatMap((name) => findTemplate(name, custom)?.permissions ?? [])
  if (permissions.length === 0) return record.accountId ? [`Dashboard token for account ${record.accountId.slice(0, 8)}…`] : ['Dashboard token (scopes set in the dashboard)']
  return describePolicies({
    permissions,
    resources: { accountId: record.accountId ?? undefined, zoneId: record.zoneId ?? undefined, bucket: record.bucket ?? undefined },
  })
}

/** A record as the window sees it: metadata, fingerprint and scopes in plain words, never a secret. */
export function tokenView(record: TokenRecord, custom: readonly TokenTemplate[] = []): TokenView {
  return {
    name: record.name,
    template: record.template,
    role: record.role,
    source: record.source,
    temporary: record.temporary,
    status: record.status,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    fingerprint: record.fingerprint,
    tokenId: record.tokenId,
    accountId: record.accountId,
    scopes: scopesOf(record, custom),
    lastError: record.lastError ?? null,
    attempts: record.attempts ?? 0,
  }
}

/** The minting credential as the window sees it. */
export function mintingViewOf(state: State): MintingView {
  const minting = state.tokens.find((t) => t.role === 'minting')
  return {
    configured: Boolean(minting && minting.status === 'active'),
    name: minting?.name ?? null,
    fingerprint: minting?.fingerprint ?? null,
    owner: minting?.owner ?? (minting ? 'user' : null),
    accountId: minting?.accountId ?? null,
  }
}

/** The settings as the window sees them, with the defaults filled in. */
export function settingsViewOf(state: State): SettingsView {
  const settings = state.settings ?? {}
  return {
    namePrefix: settings.namePrefix ?? DEFAULT_NAME_PREFIX,
    defaultOwner: settings.defaultOwner ?? osOwner(),
    defaultAccountId: settings.defaultAccountId ?? null,
    watchedRoots: settings.watchedRoots ?? [],
    recentTemplates: settings.recentTemplates ?? [],
    watchPaused: settings.watchPaused ?? false,
    verifyFindings: settings.verifyFindings ?? false,
    customTemplates: settings.customTemplates ?? [],
    approvalPolicy: ApprovalPolicySchema.parse(settings.approvalPolicy ?? {}),
  }
}

/** The account of the active minting credential (its own, or the default it was set up with), if any. */
export function mintingAccountOf(state: State): string | null {
  return state.tokens.find((t) => t.role === 'minting' && t.status === 'active')?.accountId ?? null
}

/** The account cfwrap works in when nothing names one: the minting credential's, else the saved default. */
export function defaultAccountOf(state: State): string | null {
  return mintingAccountOf(state) ?? state.settings?.defaultAccountId ?? null
}

/** The account a mint is for when the request names none: the minting credential's, else the saved default. */
export function withDefaultAccount(request: MintRequest, state: State): MintRequest {
  if (request.accountId !== undefined) return request
  const accountId = defaultAccountOf(state)
  return accountId ? { ...request, accountId } : request
}
