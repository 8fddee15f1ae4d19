// Turns the core's events into desktop notifications without storms: each thing is announced once
// (deduplicated by a key), and whatever arrives within one window (1.5 s by default) is shown
// together, one notification per kind, summarised when a kind has several ("7 secrets found in 3
// files"). Pure: time and timers are injected, and showing is a callback, so the batching is
// unit-tested without Electron or real time.
import { basename } from 'node:path'
import type { CoreEvent } from '../../shared/node/core-api'
import type { FindingView, Navigate, ShadowWarning } from '../../shared/common/ipc'
import type { TokenEvent } from '../../shared/common/events'
import { SECRET_KIND_INFO, SEVERITIES, type Severity } from '../../shared/common/scan/kinds'

/** One notification to show: what it says and where a click takes the window. */
export interface NotificationSpec {
  title: string
  body: string
  /** The view (and item) the window opens at when the notification is clicked. */
  target: Navigate
  /** Linux only: `critical` stays on screen until dismissed. */
  urgency: 'low' | 'normal' | 'critical'
}

/** Timers the batcher uses; tests pass fakes. */
export interface BatchTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Options of `createNotificationBatcher`. */
export interface NotificationBatcherOptions {
  show(spec: NotificationSpec): void
  /** How long to collect events before showing them. */
  windowMs?: number
  timers?: BatchTimers
  now?: () => Date
  /** The home directory, shown as `~` in paths. */
  home?: string
}

/** What the batcher offers its owner. */
export interface NotificationBatcher {
  /** Takes one core event; may schedule a notification. */
  push(event: CoreEvent): void
  /** Shows whatever is pending now (used on quit and by tests). */
  flush(): void
  /** Drops pending notifications and the timer. */
  dispose(): void
}

/** Default collection window: long enough to gather a burst from one scan or sweep, short enough to feel immediate. */
export const NOTIFICATION_WINDOW_MS = 1500

/** How many announced keys are remembered; older ones are forgotten first, so memory stays bounded. */
const MAX_REMEMBERED_KEYS = 5000

type TokenEventOf<T extends TokenEvent['type']> = Extract<TokenEvent, { type: T }>

/** A notifiable event, sorted into the kind it is grouped with. */
export type PendingNotification =
  | { kind: 'finding'; finding: FindingView }
  | { kind: 'shadow'; warning: ShadowWarning }
  | { kind: 'expiring'; token: string; expiresAt: string }
  | { kind: 'deleted'; event: TokenEventOf<'deleted'> }
  | { kind: 'delete-failed'; event: TokenEventOf<'delete-failed'> }
  | { kind: 'approval'; event: TokenEventOf<'broker-request'> }

/** The order kinds are shown in when several are flushed together: most urgent first. */
const KIND_ORDER: readonly PendingNotification['kind'][] = ['approval', 'finding', 'shadow', 'delete-failed', 'expiring', 'deleted']

/** The same token name is reused by later mints, so per-token keys also carry the token's identity. */
function tokenIdentity(event: { token: string; tokenId: string | null; fingerprint: string | null }): string {
  return `${event.token}|${event.tokenId ?? event.fingerprint ?? ''}`
}

/**
 * The notifiable part of an event and its dedupe key, or null for events not worth interrupting
 * someone for (mints they made themselves, reconciliation, rate limits: those are in the window and
 * the audit log).
 */
export function classifyEvent(event: CoreEvent): { key: string; pending: PendingNotification } | null {
  switch (event.type) {
    case 'finding':
      // Once per finding id for the life of the process: the id is stable across saves, so an
      // editor saving the same file again never re-announces it.
      return { key: `finding:${event.finding.id}`, pending: { kind: 'finding', finding: event.finding } }
    case 'shadow':
      return { key: `shadow:${event.warning.id}`, pending: { kind: 'shadow', warning: event.warning } }
    case 'expiring-soon':
      return { key: `expiring:${event.token}|${event.expiresAt}`, pending: { kind: 'expiring', token: event.token, expiresAt: event.expiresAt } }
    case 'token':
      if (event.event.type === 'deleted') return { key: `deleted:${tokenIdentity(event.event)}`, pending: { kind: 'deleted', event: event.event } }
      // The reaper retries with back-off and reports each failed attempt; one notification per
      // token says it, the window shows the attempts.
      if (event.event.type === 'delete-failed') return { key: `delete-failed:${tokenIdentity(event.event)}`, pending: { kind: 'delete-failed', event: event.event } }
      // An agent waits for the person: always worth a notification (one per request).
      if (event.event.type === 'broker-request' && event.event.needsApproval.length > 0) return { key: `approval:${event.event.requestId}`, pending: { kind: 'approval', event: event.event } }
      return null
    case 'finding-verified':
      // A leak whose token Cloudflare says still works is worth a second, specific notification.
      return event.finding.verified?.status === 'active' ? { key: `alive:${event.finding.id}`, pending: { kind: 'finding', finding: event.finding } } : null
    case 'finding-resolved':
    case 'finding-moved':
    case 'shadow-resolved':
      return null
  }
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** `path` with the home directory shown as `~`. */
export function displayPath(path: string, home: string | undefined): string {
  if (!home) return path
  const trimmedHome = home.replace(/[\\/]+$/, '')
  if (path === trimmedHome) return '~'
  for (const separator of ['/', '\\']) {
    if (path.startsWith(`${trimmedHome}${separator}`)) return `~${path.slice(trimmedHome.length)}`
  }
  return path
}

function worstSeverity(findings: readonly FindingView[]): Severity {
  let worst = SEVERITIES.length - 1
  for (const view of findings) worst = Math.min(worst, SEVERITIES.indexOf(view.finding.severity))
  return SEVERITIES[worst] ?? 'low'
}

function findingNotification(findings: readonly FindingView[], home: string | undefined): NotificationSpec {
  const severity = worstSeverity(findings)
  const urgency = severity === 'critical' ? 'critical' : 'normal'
  const [only] = findings
  if (findings.length === 1 && only !== undefined) {
    const { finding } = only
    const lines = [`${displayPath(finding.file, home)}:${finding.line}`]
    if (only.verified?.status === 'active') lines.push(`Cloudflare says it still works${only.verified.expiresOn ? ` (until ${only.verified.expiresOn})` : ''}.`)
    if (only.knownToken !== null) lines.push(`This is your token ${only.knownToken}.`)
    if (finding.exported) lines.push('It is exported to every program this shell starts.')
    return {
      title: `${capitalized(finding.severity)}: ${SECRET_KIND_INFO[finding.kind].title} in plain text`,
      body: lines.join('\n'),
      target: { view: 'findings', item: only.id },
      urgency,
    }
  }
  const files = [...new Set(findings.map((view) => view.finding.file))]
  const known = findings.filter((view) => view.knownToken !== null).length
  const shownFiles = files.slice(0, 3).map((file) => basename(file))
  const lines = [`Worst: ${severity}. In ${shownFiles.join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}.`]
  if (known > 0) lines.push(`${known === 1 ? 'One is' : `${known} are`} your own cfwrap ${known === 1 ? 'token' : 'tokens'}.`)
  return {
    title: `${plural(findings.length, 'secret', 'secrets')} found in ${plural(files.length, 'file', 'files')}`,
    body: lines.join('\n'),
    target: { view: 'findings' },
    urgency,
  }
}

function shadowNotification(warnings: readonly ShadowWarning[], home: string | undefined): NotificationSpec {
  const [only] = warnings
  if (warnings.length === 1 && only !== undefined) {
    const where = only.file === null ? 'the environment' : `${displayPath(only.file, home)}${only.line === null ? '' : `:${only.line}`}`
    return {
      title: `${only.variable} overrides your wrangler login`,
      body: `Set in ${where}. ${only.message}`,
      target: { view: 'findings', item: only.id },
      urgency: 'normal',
    }
  }
  return {
    title: `${plural(warnings.length, 'credential overrides', 'credentials override')} your wrangler login`,
    body: [...new Set(warnings.map((warning) => warning.variable))].join(', '),
    target: { view: 'findings' },
    urgency: 'normal',
  }
}

function minutesUntil(expiresAt: string, now: Date): number {
  return Math.max(1, Math.round((Date.parse(expiresAt) - now.getTime()) / 60_000))
}

function expiringNotification(items: readonly { token: string; expiresAt: string }[], now: Date): NotificationSpec {
  const [only] = items
  if (items.length === 1 && only !== undefined) {
    return {
      title: `${only.token} expires in ${plural(minutesUntil(only.expiresAt, now), 'minute', 'minutes')}`,
      body: 'cfwrap deletes it at its deadline. Mint a new one if the job needs longer.',
      target: { view: 'tokens', item: only.token },
      urgency: 'normal',
    }
  }
  return {
    title: `${plural(items.length, 'token expires', 'tokens expire')} within ${plural(Math.max(...items.map((item) => minutesUntil(item.expiresAt, now))), 'minute', 'minutes')}`,
    body: items.map((item) => item.token).join('\n'),
    target: { view: 'tokens' },
    urgency: 'normal',
  }
}

const DELETE_REASON_TEXT: Readonly<Record<TokenEventOf<'deleted'>['reason'], string>> = {
  deadline: 'Its deadline passed. It is gone from Cloudflare and the keychain.',
  revoked: 'Revoked as asked. It is gone from Cloudflare and the keychain.',
  'revoke-all': 'Revoked with "Revoke all". It is gone from Cloudflare and the keychain.',
}

function deletedNotification(events: readonly TokenEventOf<'deleted'>[]): NotificationSpec {
  const [only] = events
  if (events.length === 1 && only !== undefined) {
    return { title: `Deleted ${only.token}`, body: DELETE_REASON_TEXT[only.reason], target: { view: 'audit', item: only.token }, urgency: 'low' }
  }
  return {
    title: `Deleted ${plural(events.length, 'token', 'tokens')}`,
    body: events.map((event) => event.token).join('\n'),
    target: { view: 'audit' },
    urgency: 'low',
  }
}

function deleteFailedNotification(events: readonly TokenEventOf<'delete-failed'>[]): NotificationSpec {
  const [only] = events
  if (events.length === 1 && only !== undefined) {
    return {
      title: `Could not delete ${only.token} yet`,
      body: `${only.error}\ncfwrap keeps trying; Cloudflare's own expiry still applies.`,
      target: { view: 'tokens', item: only.token },
      urgency: 'critical',
    }
  }
  return {
    title: `Could not delete ${plural(events.length, 'token', 'tokens')} yet`,
    body: `${events.map((event) => event.token).join('\n')}\ncfwrap keeps trying.`,
    target: { view: 'tokens' },
    urgency: 'critical',
  }
}

function approvalNotification(events: readonly TokenEventOf<'broker-request'>[]): NotificationSpec {
  const [only] = events
  if (events.length === 1 && only !== undefined) {
    return {
      title: `An agent asks for ${only.name}`,
      // The requester's chain as the OS names it; its own reason is left to the window, where it is shown as untrusted text.
      body: `${only.chain}\nNeeds your approval: ${only.needsApproval.join(', ')}. Open cfwrap to approve or deny it.`,
      target: { view: 'tokens', item: only.requestId },
      urgency: 'critical',
    }
  }
  return {
    title: `${plural(events.length, 'agent request waits', 'agent requests wait')} for your approval`,
    body: events.map((event) => event.name).join('\n'),
    target: { view: 'tokens' },
    urgency: 'critical',
  }
}

/** One notification per kind for everything collected in one window, most urgent kind first. */
export function planNotifications(batch: readonly PendingNotification[], now: Date, home?: string): NotificationSpec[] {
  const specs: NotificationSpec[] = []
  for (const kind of KIND_ORDER) {
    const items = batch.filter((item) => item.kind === kind)
    if (items.length === 0) continue
    switch (kind) {
      case 'finding':
        specs.push(findingNotification(items.flatMap((item) => (item.kind === 'finding' ? [item.finding] : [])), home))
        break
      case 'shadow':
        specs.push(shadowNotification(items.flatMap((item) => (item.kind === 'shadow' ? [item.warning] : [])), home))
        break
      case 'expiring':
        specs.push(expiringNotification(items.flatMap((item) => (item.kind === 'expiring' ? [item] : [])), now))
        break
      case 'deleted':
        specs.push(deletedNotification(items.flatMap((item) => (item.kind === 'deleted' ? [item.event] : []))))
        break
      case 'delete-failed':
        specs.push(deleteFailedNotification(items.flatMap((item) => (item.kind === 'delete-failed' ? [item.event] : []))))
        break
      case 'approval':
        specs.push(approvalNotification(items.flatMap((item) => (item.kind === 'approval' ? [item.event] : []))))
        break
    }
  }
  return specs
}

/** A batcher over `show`: dedupes by key, collects for `windowMs` from the first new item, then shows the plan. */
export function createNotificationBatcher(options: NotificationBatcherOptions): NotificationBatcher {
  const windowMs = options.windowMs ?? NOTIFICATION_WINDOW_MS
  const timers: BatchTimers = options.timers ?? {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
  const now = options.now ?? (() => new Date())
  const announced = new Set<string>()
  let pending: PendingNotification[] = []
  let timer: unknown = null

  const remember = (key: string): void => {
    announced.add(key)
    if (announced.size > MAX_REMEMBERED_KEYS) {
      const oldest = announced.values().next().value
      if (oldest !== undefined) announced.delete(oldest)
    }
  }

  const flush = (): void => {
    if (timer !== null) timers.clearTimeout(timer)
    timer = null
    const batch = pending
    pending = []
    if (batch.length === 0) return
    for (const spec of planNotifications(batch, now(), options.home)) options.show(spec)
  }

  return {
    push(event) {
      const classified = classifyEvent(event)
      if (classified === null || announced.has(classified.key)) return
      remember(classified.key)
      pending.push(classified.pending)
      // The window starts at the first item and is not extended by later ones, so a steady
      // trickle still shows something every `windowMs` instead of waiting forever.
      if (timer === null) timer = timers.setTimeout(flush, windowMs)
    },
    flush,
    dispose() {
      if (timer !== null) timers.clearTimeout(timer)
      timer = null
      pending = []
    },
  }
}
