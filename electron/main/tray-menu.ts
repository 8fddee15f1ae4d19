// The tray menu as a pure function of the core's snapshot: plain objects Electron's
// `Menu.buildFromTemplate` accepts, built without Electron so every label is unit-tested. tray.ts
// rebuilds the whole menu on each change, because on Linux a changed item shows only after
// `setContextMenu` is called again; every action lives in the menu because a Linux tray icon may
// not report clicks at all.
import type { MenuItemConstructorOptions } from 'electron'
import { formatDuration } from '../../shared/common/duration'
import { isSeriousProblem, type CoreSnapshot, type Navigate, type TokenView } from '../../shared/common/ipc'
import { templatesInRecentOrder, type TokenTemplate } from '../../shared/common/templates'
import { byDeadline } from '../../shared/common/token-views'
import { ADOPTABLE_KINDS } from '../../shared/common/scan/kinds'

/** One menu entry: the subset of Electron's options the tray uses, with argument-free clicks. */
export type TrayMenuItem = Pick<MenuItemConstructorOptions, 'id' | 'label' | 'type' | 'enabled' | 'checked' | 'toolTip'> & {
  click?: () => void
  submenu?: TrayMenuItem[]
}

/** What the menu's items do; tray.ts wires them to the core, the clipboard, dialogs and the window. */
export interface TrayMenuHandlers {
  /** Shows the window, at `target` when given. */
  open(target?: Navigate): void
  /** Copies the command line that runs with this token (`cfwrap --token NAME`), never the secret. */
  copyCommand(tokenName: string): void
  /** Asks, then revokes one token. */
  revoke(tokenName: string): void
  /** Asks, then revokes every token. */
  revokeAll(): void
  /** Asks, then moves a leaked Cloudflare API token from its file into the keychain (`cfwrap --adopt`). */
  adopt(finding: { file: string; line: number; fingerprint: string }): void
  /** Approves an agent's pending request, for it alone or (with `forMs`) for that long. */
  approveRequest(requestId: string, forMs?: number): void
  /** Denies an agent's pending request. */
  denyRequest(requestId: string): void
  setWatchPaused(paused: boolean): void
  installCommand(): void
  setStartAtLogin(enabled: boolean): void
  quit(): void
}

/** State the menu shows that is not in the core's snapshot. */
export interface TrayMenuContext {
  startAtLogin: boolean
}

/** Most "Move to keychain" items in the menu; the rest are in the window's Findings view. */
export const MAX_ADOPT_ITEMS = 3

/** The last two parts of a path, enough to tell `.env` files apart in a menu. */
function shortPath(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part.length > 0)
  return parts.length <= 2 ? path : `…/${parts.slice(-2).join('/')}`
}

/** Most tokens listed in the menu itself; the rest are one click away in the window. */
export const MAX_TOKENS_IN_MENU = 12

/**
 * Time left before a deadline, for a menu that is refreshed every 30 s: whole minutes (floored, so
 * it never shows more time than is left) and "under 1m" in the last minute.
 */
export function timeLeftLabel(expiresAt: string, now: Date): string {
  const secondsLeft = (Date.parse(expiresAt) - now.getTime()) / 1000
  if (!(secondsLeft > 0)) return 'deadline passed'
  if (secondsLeft < 60) return 'under 1m left'
  return `${formatDuration(Math.floor(secondsLeft / 60) * 60)} left`
}

/** Tokens the menu lists: those one can run commands with, soonest deadline first. */
export function tokensForMenu(tokens: readonly TokenView[]): TokenView[] {
  return tokens.filter((token) => token.role === 'command' && token.status !== 'pending').sort(byDeadline)
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** The status part of a token's label. */
function tokenStatusLabel(token: TokenView, now: Date): string {
  switch (token.status) {
    case 'deleting':
      return 'deleting…'
    case 'delete-failed':
      return 'deletion failed, retrying'
    case 'missing':
      return 'missing on Cloudflare'
    default:
      return token.expiresAt === null ? 'no deadline' : timeLeftLabel(token.expiresAt, now)
  }
}

function mintSubmenu(snapshot: CoreSnapshot, handlers: TrayMenuHandlers): TrayMenuItem[] {
  const { recent, rest } = templatesInRecentOrder(snapshot.settings.recentTemplates, snapshot.settings.customTemplates)
  // A mint needs a project, an environment and often a resource (account, zone, bucket) that a
  // menu cannot ask for, and the person should see the policies and deadline before a token
  // exists. So each item opens the Mint view with the template chosen and its default lifetime
  // filled in; one click there creates the token.
  const item = (template: TokenTemplate): TrayMenuItem => ({
    id: `mint:${template.name}`,
    label: `${template.title} (${formatDuration(template.defaultTtlSeconds)})…`,
    toolTip: template.scopeSummary,
    click: () => handlers.open({ view: 'mint', item: template.name }),
  })
  const items: TrayMenuItem[] = recent.map(item)
  if (recent.length > 0 && rest.length > 0) items.push({ type: 'separator' })
  items.push(...rest.map(item))
  return items
}

function tokenItems(snapshot: CoreSnapshot, now: Date, handlers: TrayMenuHandlers): TrayMenuItem[] {
  const tokens = tokensForMenu(snapshot.tokens)
  if (tokens.length === 0) return [{ id: 'tokens:none', label: 'No tokens', enabled: false }]
  const items: TrayMenuItem[] = tokens.slice(0, MAX_TOKENS_IN_MENU).map((token) => ({
    id: `token:${token.name}`,
    label: `${token.name} — ${tokenStatusLabel(token, now)}`,
    submenu: [
      { id: `copy:${token.name}`, label: 'Copy cfwrap command', click: () => handlers.copyCommand(token.name) },
      { id: `show:${token.name}`, label: 'Show in cfwrap', click: () => handlers.open({ view: 'tokens', item: token.name }) },
      { type: 'separator' },
      {
        id: `revoke:${token.name}`,
        label: 'Revoke…',
        enabled: token.status !== 'deleting',
        click: () => handlers.revoke(token.name),
      },
    ],
  }))
  if (tokens.length > MAX_TOKENS_IN_MENU) {
    items.push({
      id: 'tokens:more',
      label: `${tokens.length - MAX_TOKENS_IN_MENU} more…`,
      click: () => handlers.open({ view: 'tokens' }),
    })
  }
  return items
}

function leakItems(snapshot: CoreSnapshot, handlers: TrayMenuHandlers): TrayMenuItem[] {
  const count = snapshot.findings.length
  const items: TrayMenuItem[] = [
    {
      id: 'findings',
      label: count === 0 ? 'No leaked secrets found' : `${plural(count, 'leaked secret', 'leaked secrets')} found…`,
      click: () => handlers.open({ view: 'findings' }),
    },
  ]
  // A leaked Cloudflare API token is fixed from here in one step; other kinds need the window's advice.
  const adoptable = snapshot.findings.filter((item) => ADOPTABLE_KINDS.has(item.finding.kind) && !item.finding.commented).slice(0, MAX_ADOPT_ITEMS)
  for (const item of adoptable) {
    const { file, line, fingerprint } = item.finding
    items.push({ id: `adopt:${item.id}`, label: `Move the token in ${shortPath(file)}:${line} to the keychain…`, click: () => handlers.adopt({ file, line, fingerprint }) })
  }
  const shadows = snapshot.shadows
  const [firstShadow] = shadows
  if (firstShadow !== undefined) {
    items.push({
      id: 'shadows',
      label:
        shadows.length === 1
          ? `⚠ ${firstShadow.variable} overrides your wrangler login…`
          : `⚠ ${shadows.length} credentials override your wrangler login…`,
      toolTip: firstShadow.message,
      click: () => handlers.open(shadows.length === 1 ? { view: 'findings', item: firstShadow.id } : { view: 'findings' }),
    })
  }
  return items
}

/** The short label of a load problem in the menu; its full sentence is the item's tooltip and is shown in the window. */
const PROBLEM_LABELS: Record<CoreSnapshot['problems'][number]['kind'], string> = {
  damaged: '⚠ The state file is damaged…',
  restored: 'The state file was restored…',
  repaired: 'The state file was repaired…',
  keychain: '⚠ The keychain cannot be reached…',
  api: '⚠ Cloudflare cannot be reached…',
}

/** Load problems first in the menu (they stop or degrade everything below them); each opens the window where the full sentence is. */
function problemItems(snapshot: CoreSnapshot, handlers: TrayMenuHandlers): TrayMenuItem[] {
  if (snapshot.problems.length === 0) return []
  return [
    ...snapshot.problems.map((problem, index) => ({
      id: `problem:${problem.kind}:${index}`,
      label: PROBLEM_LABELS[problem.kind],
      toolTip: problem.message,
      click: () => handlers.open(),
    })),
    { type: 'separator' as const },
  ]
}

/** Agents' requests waiting for the person, right after the load problems: each can be decided from the menu. */
function requestItems(snapshot: CoreSnapshot, handlers: TrayMenuHandlers): TrayMenuItem[] {
  if (snapshot.pending.length === 0) return []
  return [
    ...snapshot.pending.map((request) => ({
      id: `request:${request.id}`,
      label: `⚠ ${request.chain[request.chain.length - 1]?.name ?? 'an agent'} asks for ${request.name}…`,
      toolTip: `Needs your approval: ${request.needsApprovalBecause.join(', ')}`,
      submenu: [
        { id: `approve:${request.id}`, label: 'Approve', click: () => handlers.approveRequest(request.id) },
        { id: `approve-hour:${request.id}`, label: 'Approve, and the same for 1 hour', click: () => handlers.approveRequest(request.id, 3_600_000) },
        { id: `deny:${request.id}`, label: 'Deny', click: () => handlers.denyRequest(request.id) },
        { type: 'separator' as const },
        { id: `show-request:${request.id}`, label: 'Show in cfwrap', click: () => handlers.open({ view: 'tokens', item: request.id }) },
      ],
    })),
    { type: 'separator' as const },
  ]
}

/**
 * The whole tray menu for one snapshot. `now` is passed in (not read) so the time-left labels are
 * deterministic in tests and match the moment the menu was built.
 */
export function buildTrayMenu(snapshot: CoreSnapshot, now: Date, handlers: TrayMenuHandlers, context: TrayMenuContext): TrayMenuItem[] {
  const paused = snapshot.settings.watchPaused
  const hasTokens = tokensForMenu(snapshot.tokens).length > 0
  return [
    ...problemItems(snapshot, handlers),
    ...requestItems(snapshot, handlers),
    { id: 'open', label: 'Open cfwrap', click: () => handlers.open() },
    { type: 'separator' },
    { id: 'mint', label: 'Mint token', submenu: mintSubmenu(snapshot, handlers) },
    { type: 'separator' },
    ...tokenItems(snapshot, now, handlers),
    { type: 'separator' },
    ...leakItems(snapshot, handlers),
    {
      id: 'watch',
      label: paused ? 'Resume watching' : 'Pause watching',
      click: () => handlers.setWatchPaused(!paused),
    },
    { type: 'separator' },
    { id: 'revoke-all', label: 'Revoke all…', enabled: hasTokens, click: () => handlers.revokeAll() },
    { id: 'install-command', label: 'Install cfwrap command in PATH…', click: () => handlers.installCommand() },
    {
      id: 'start-at-login',
      label: 'Start at login',
      type: 'checkbox',
      checked: context.startAtLogin,
      click: () => handlers.setStartAtLogin(!context.startAtLogin),
    },
    { type: 'separator' },
    { id: 'quit', label: 'Quit cfwrap', click: () => handlers.quit() },
  ]
}

/** The tray icon's tooltip: counts of tokens, leaks and shadow warnings, and whether watching is paused. */
export function trayTooltip(snapshot: CoreSnapshot, now: Date): string {
  const tokens = tokensForMenu(snapshot.tokens)
  const nextDeadline = tokens.find((token) => token.expiresAt !== null)?.expiresAt
  const tokenPart = plural(tokens.length, 'token', 'tokens')
  const parts = [nextDeadline ? `${tokenPart} (next deadline: ${timeLeftLabel(nextDeadline, now)})` : tokenPart]
  parts.push(plural(snapshot.findings.length, 'leaked secret', 'leaked secrets'))
  if (snapshot.shadows.length > 0) parts.push(plural(snapshot.shadows.length, 'login override', 'login overrides'))
  if (snapshot.settings.watchPaused) parts.push('watching paused')
  const serious = snapshot.problems.filter(isSeriousProblem)
  if (serious.length > 0) parts.push(plural(serious.length, 'problem', 'problems'))
  return `cfwrap — ${parts.join(', ')}`
}

/**
 * The short text macOS shows beside the tray icon: the number of leaks, login overrides and load problems when
 * there are any (they need attention), else nothing, so a quiet menu bar stays quiet.
 */
export function trayTitle(snapshot: CoreSnapshot): string {
  const problems = snapshot.findings.length + snapshot.shadows.length + snapshot.problems.filter(isSeriousProblem).length
  return problems === 0 ? '' : `⚠ ${problems}`
}
