// A spy service for unit tests of the Electron adapters, and builders of snapshot parts. The real
// core is exercised by the integration tests; here only the shape of the calls matters.
import { vi, type Mock } from 'vitest'
import { CHANNELS, type Channel, type CoreSnapshot, type FindingView, type ServiceChannels, type ShadowWarning, type TokenView } from '../../shared/common/ipc'

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
    problems: [],
    pending: [],
    minting: { configured: true, name: 'cfwrap:minting', fingerprint: 'fedcba987654', owner: 'user', accountId: null },
    ...rest,
    settings: {
      namePrefix: 'cfwrap',
      defaultOwner: 'jane',
      defaultAccountId: null,
      watchedRoots: [],
      recentTemplates: [],
      watchPaused: false,
      verifyFindings: false,
      customTemplates: [],
      approvalPolicy: { risks: ['high'], envs: ['prod'], aboveDefaultTtl: true, permanent: true },
      ...settings,
    },
  }
}

/**
 * The window's side of the service as spies: each channel's method resolves to
 * `{ channel, request }` (what it was called with), so a test sees exactly what the IPC adapter
 * passed on. `calls` lists every call in order.
 */
export function fakeService(): ServiceChannels & { calls: { channel: Channel; request: unknown }[]; method(channel: Channel): Mock } {
  const calls: { channel: Channel; request: unknown }[] = []
  const methods = new Map<Channel, Mock>()
  for (const channel of CHANNELS) {
    methods.set(
      channel,
      vi.fn(async (request: unknown) => {
        calls.push({ channel, request })
        return { channel, request }
      }),
    )
  }
  const service = Object.fromEntries(methods) as unknown as ServiceChannels
  return Object.assign(service, { calls, method: (channel: Channel) => methods.get(channel) as Mock })
}
