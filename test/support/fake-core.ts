// A hand-written Core for unit tests of the Electron adapters, and builders of snapshot parts.
// The real core is exercised by the integration tests; here only the shape of the calls matters.
import { vi } from 'vitest'
import type { Channel, CoreSnapshot, FindingView, Responses, Result, ShadowWarning, TokenView } from '../../shared/common/ipc'
import type { Core, CoreEvent } from '../../shared/node/core-api'

/** A fixed instant the fixtures are relative to. */
export const NOW = new Date('2026-03-01T12:00:00.000Z')

/** `NOW` plus `seconds`, as an ISO string. */
export function inSeconds(seconds: number): string {
  return new Date(NOW.getTime() + seconds * 1000).toISOString()
}

/** A command token that `tokens` can list, with overrides. */
export function tokenView(overrides: Partial<TokenView> & { name: string }): TokenView {
  return {
    template: 'workers-deploy',
    role: 'command',
    source: 'minted',
    temporary: true,
    status: 'active',
    createdAt: NOW.toISOString(),
    expiresAt: inSeconds(15 * 60),
    fingerprint: '0123456789ab',
    tokenId: 'tok-1',
    accountId: '0123456789abcdef0123456789abcdef',
    scopes: ['Workers Scripts Write on account 01234567…'],
    lastError: null,
    attempts: 0,
    ...overrides,
  }
}

/** A finding in `file` at `line`, with overrides. */
export function findingView(id: string, file: string, line: number, overrides: Partial<FindingView> = {}): FindingView {
  return {
    id,
    finding: {
      file,
      line,
      column: 5,
      kind: 'cloudflare-user-token',
      severity: 'high',
      fingerprint: 'abcdef012345',
      variable: 'CLOUDFLARE_API_TOKEN',
      commented: false,
      exported: false,
    },
    knownToken: null,
    firstSeen: NOW.toISOString(),
    ...overrides,
  }
}

/** A shadow warning for `variable`. */
export function shadowWarning(id: string, variable = 'CLOUDFLARE_API_TOKEN'): ShadowWarning {
  return {
    id,
    variable,
    source: 'shell-profile',
    file: '/home/jane/.bashrc',
    line: 12,
    effective: 'the API token in CLOUDFLARE_API_TOKEN',
    message: `${variable} in ~/.bashrc makes Wrangler ignore your wrangler login.`,
    fix: `Remove the export of ${variable} from ~/.bashrc.`,
  }
}

/** An empty snapshot with overrides; `settings` overrides are merged into the defaults. */
export function snapshot(overrides: Omit<Partial<CoreSnapshot>, 'settings'> & { settings?: Partial<CoreSnapshot['settings']> } = {}): CoreSnapshot {
  const { settings, ...rest } = overrides
  return {
    revision: 1,
    now: NOW.toISOString(),
    tokens: [],
    findings: [],
    shadows: [],
    audit: [],
    events: [],
    foreign: [],
    stateProblems: [],
    minting: { configured: true, name: 'cfwrap:minting', fingerprint: 'fedcba987654', owner: 'user', accountId: null },
    ...rest,
    settings: {
      namePrefix: 'cfwrap',
      defaultOwner: 'jane',
      defaultAccountId: null,
      watchedRoots: [],
      recentTemplates: [],
      watchPaused: false,
      ...settings,
    },
  }
}

/** A Core whose `call` is a spy answering `{ ok: true, value: { channel, request } }`. */
export function fakeCore(initial: CoreSnapshot = snapshot()): Core & {
  call: ReturnType<typeof vi.fn>
  emit(event: CoreEvent): void
  publish(next: CoreSnapshot): void
} {
  let current = initial
  const subscribers = new Set<(snapshot: CoreSnapshot) => void>()
  const eventListeners = new Set<(event: CoreEvent) => void>()
  const call = vi.fn(async <C extends Channel>(channel: C, request: unknown): Promise<Result<Responses[C]>> => {
    return { ok: true, value: { channel, request } as unknown as Responses[C] }
  })
  return {
    start: async () => undefined,
    stop: async () => undefined,
    snapshot: () => current,
    subscribe(listener) {
      subscribers.add(listener)
      return () => subscribers.delete(listener)
    },
    onEvent(listener) {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    call: call as unknown as Core['call'] & ReturnType<typeof vi.fn>,
    sweepNow: async () => undefined,
    liveTemporaryTokens: () => current.tokens.filter((token) => token.temporary).map((token) => token.name),
    emit(event) {
      for (const listener of eventListeners) listener(event)
    },
    publish(next) {
      current = next
      for (const listener of subscribers) listener(next)
    },
  }
}
