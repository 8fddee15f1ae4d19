/**
 * The core that the tray app and `cfwrap --daemon` both run. It composes the services (the reaper
 * through the daemon, the leak watcher, the shadow detector) over one vault, keeps one snapshot of
 * everything a person should see, and runs every command the window or the tray can send. The app
 * adds no behaviour of its own: it shows this snapshot and calls `call()`.
 */
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { UserError } from '../common/errors'
import { redact } from '../common/redact'
import type { TokenEvent } from '../common/events'
import type { ForeignToken } from './ownership'
import { checkMintRequest, DEFAULT_NAME_PREFIX } from '../common/guards'
import {
  REQUESTS,
  type Channel,
  type CoreSnapshot,
  type FindingView,
  type MintingView,
  type Responses,
  type Result,
  type SettingsView,
  type ShadowWarning,
  type TokenView,
} from '../common/ipc'
import { describePolicies } from '../common/policy'
import type { AuditEvent, State, TokenRecord } from '../common/state'
import { findTemplate } from '../common/templates'
import { readAudit } from './audit'
import type { Core, CoreEvent } from './core-api'
import { startDaemon, type Daemon, type DaemonContext, type DaemonOptions, type DaemonService } from './daemon'
import { LeakWatcher, type WatchedFinding } from './leak-watcher'
import { mintToken, MintRefusedError } from './mint'
import { openMintingClient, setupMintingCredential } from './minting-credential'
import { detectShadowing } from './shadow'
import { shellProfilePaths } from './shell-profiles'
import { mintSettings, osOwner, revokeAllTokens, revokeToken } from './token-service'
import { Vault } from './vault'

/** Options of {@link createCore}; everything has a default for the real app. */
export interface CoreOptions {
  env?: NodeJS.ProcessEnv
  vault?: Vault
  /** The person's home (shell start-up files, Wrangler's login). */
  home?: string
  /** Shell start-up files to watch; defaults to this OS's list. */
  profiles?: string[]
  /** Overrides for the reaper (clock, timers, intervals); mostly for tests. */
  reaper?: DaemonOptions['reaper']
  now?: () => number
  /** How long before a deadline the "expires soon" event fires (default 5 minutes). */
  expiryWarningMs?: number
  /** How often the deadline clock ticks for "expires soon" warnings (default 1 s). */
  refreshIntervalMs?: number
  /** Project roots to watch for this run only (`cfwrap --daemon --watch PATH`), besides the saved ones. */
  extraRoots?: string[]
}

const RECENT_EVENTS = 200
const RECENT_AUDIT = 200

/** The tokens' policies in plain words, rebuilt from the record's template and resources. */
function scopesOf(record: TokenRecord): string[] {
  if (record.role === 'minting') return ['Creates and deletes API tokens (never injected into commands)']
  // A combined token's template is the template names joined with '.' (see token-name.ts).
  const permissions = (record.template ?? '').split('.').flatMap((name) => findTemplate(name)?.permissions ?? [])
  if (permissions.length === 0) return record.accountId ? [`Dashboard token for account ${record.accountId.slice(0, 8)}…`] : ['Dashboard token (scopes set in the dashboard)']
  return describePolicies({
    permissions,
    resources: { accountId: record.accountId ?? undefined, zoneId: record.zoneId ?? undefined, bucket: record.bucket ?? undefined },
  })
}

function tokenView(record: TokenRecord): TokenView {
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
    scopes: scopesOf(record),
    lastError: record.lastError ?? null,
    attempts: record.attempts ?? 0,
  }
}

function errorResult<T>(error: unknown): Result<T> {
  if (error instanceof MintRefusedError) return { ok: false, error: redact(error.message), refusals: error.refusals }
  if (error instanceof UserError) return { ok: false, error: redact(error.message) }
  // Unexpected errors: the message only (stacks can carry values from deep frames), redacted as every message is.
  return { ok: false, error: `unexpected error: ${redact(error instanceof Error ? error.message : String(error))}` }
}

class AppCore implements Core {
  private readonly vault: Vault
  private readonly env: NodeJS.ProcessEnv
  private readonly home: string
  private readonly profiles: string[]
  private readonly now: () => number
  private state: State = { version: 1, tokens: [], bindings: {} }
  private unsubscribeChanges: (() => void) | null = null
  private audit: AuditEvent[] = []
  private events: TokenEvent[] = []
  private shadows: ShadowWarning[] = []
  private watcher: LeakWatcher | null = null
  private daemon: Daemon | null = null
  private refreshTimer: NodeJS.Timeout | null = null
  private revision = 0
  private readonly warnedExpiry = new Set<string>()
  private readonly snapshotListeners = new Set<(snapshot: CoreSnapshot) => void>()
  private readonly eventListeners = new Set<(event: CoreEvent) => void>()
  private notifyQueued = false
  /** Live look-alike tokens the last reconcile reported (see ownership.ts). */
  private foreign: ForeignToken[] = []
  /** Minted tokens already announced (or present at start); null until the first state read. */
  private knownMints: Set<string> | null = null

  constructor(private readonly options: CoreOptions) {
    this.env = options.env ?? process.env
    this.vault = options.vault ?? Vault.open({ env: this.env })
    this.home = options.home ?? (this.env.HOME || homedir())
    this.profiles = options.profiles ?? shellProfilePaths(this.home, process.platform, this.env)
    this.now = options.now ?? Date.now
    this.refresh()
  }

  async start(): Promise<void> {
    this.daemon = await startDaemon({
      vault: this.vault,
      env: this.env,
      ...(this.options.reaper ? { reaper: this.options.reaper } : {}),
      onEvent: (event) => this.onTokenEvent(event),
      extraServices: (context) => [this.watchService(context)],
    })
    this.refreshTimer = setInterval(() => this.tick(), this.options.refreshIntervalMs ?? 1000)
    this.refreshTimer.unref?.()
    this.unsubscribeChanges = this.vault.onDidChange(() => this.refresh())
    this.refresh()
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer)
    this.refreshTimer = null
    this.unsubscribeChanges?.()
    this.unsubscribeChanges = null
    await this.daemon?.stop()
    this.daemon = null
  }

  snapshot(): CoreSnapshot {
    const dismissed = new Set(this.state.dismissedFindings ?? [])
    const byFingerprint = new Map(this.state.tokens.filter((t) => t.fingerprint).map((t) => [t.fingerprint as string, t.name]))
    const findings: FindingView[] = (this.watcher?.findings() ?? [])
      .filter((watched) => !dismissed.has(watched.id))
      .map((watched: WatchedFinding) => ({ id: watched.id, finding: watched.finding, knownToken: byFingerprint.get(watched.finding.fingerprint) ?? null, firstSeen: watched.firstSeen }))
    return {
      revision: this.revision,
      now: new Date(this.now()).toISOString(),
      tokens: this.state.tokens.map(tokenView),
      findings,
      shadows: this.shadows,
      audit: this.audit,
      events: this.events,
      settings: this.settingsView(),
      minting: this.mintingView(),
      foreign: this.foreign,
      stateProblems: this.vault.problems(),
    }
  }

  subscribe(listener: (snapshot: CoreSnapshot) => void): () => void {
    this.snapshotListeners.add(listener)
    return () => this.snapshotListeners.delete(listener)
  }

  onEvent(listener: (event: CoreEvent) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  async sweepNow(): Promise<void> {
    this.daemon?.wake()
  }

  liveTemporaryTokens(): string[] {
    const now = this.now()
    return this.state.tokens
      .filter((t) => t.temporary && t.role === 'command' && t.status !== 'pending' && (!t.expiresAt || Date.parse(t.expiresAt) > now))
      .map((t) => t.name)
  }

  async call<C extends Channel>(channel: C, request: unknown): Promise<Result<Responses[C]>> {
    const schema = REQUESTS[channel]
    if (!schema) return { ok: false, error: `unknown command ${String(channel)}` }
    const parsed = schema.safeParse(request ?? {})
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return { ok: false, error: `invalid request for ${channel}: ${issue ? `${issue.path.join('.') || 'request'}: ${issue.code}` : 'bad shape'}` }
    }
    try {
      const value = await this.dispatch(channel, parsed.data)
      return { ok: true, value: value as Responses[C] }
    } catch (error) {
      return errorResult(error)
    } finally {
      this.refresh()
    }
  }

  // ----- commands -----

  private async dispatch(channel: Channel, data: unknown): Promise<unknown> {
    switch (channel) {
      case 'snapshot':
        return this.snapshot()
      case 'previewMint': {
        const request = data as Parameters<typeof checkMintRequest>[0]
        const check = checkMintRequest(request, this.settingsForMint())
        if (!check.ok) throw new MintRefusedError(check.refusals)
        const plan = check.plan
        return {
          name: plan.tokenName,
          policies: describePolicies(plan),
          expiresAt: plan.ttlSeconds === null ? null : new Date(Math.floor(this.now() / 1000) * 1000 + plan.ttlSeconds * 1000).toISOString(),
          ttlSeconds: plan.ttlSeconds,
          risk: plan.risk,
          warnings: plan.warnings,
        }
      }
      case 'mint': {
        const request = data as Parameters<typeof checkMintRequest>[0]
        const check = checkMintRequest(request, this.settingsForMint())
        if (!check.ok) throw new MintRefusedError(check.refusals)
        const api = await openMintingClient(this.vault, this.clientOptions())
        const result = await mintToken({ vault: this.vault, api, request, settings: this.settingsForMint(), now: this.now, onEvent: (e) => this.onTokenEvent(e) })
        const templates = [request.template, ...(request.extraTemplates ?? [])]
        await this.vault.update((state) => {
          const recent = state.settings?.recentTemplates ?? []
          state.settings = { ...state.settings, recentTemplates: [...templates, ...recent.filter((t) => !templates.includes(t))].slice(0, 8) }
        })
        return { name: result.record.name, expiresAt: result.record.expiresAt }
      }
      case 'revoke': {
        const { name } = data as { name: string }
        await revokeToken(this.vault, name, { ...this.clientOptions(), onEvent: (event) => this.onTokenEvent(event) })
        return { name }
      }
      case 'revokeAll': {
        const result = await revokeAllTokens(this.vault, { ...this.clientOptions(), onEvent: (event) => this.onTokenEvent(event) })
        return { deleted: result.deleted, failed: result.failures, rotateAlso: result.rotateAlso }
      }
      case 'addWatchedRoot': {
        const path = resolve((data as { path: string }).path)
        let isDir = false
        try {
          isDir = statSync(path).isDirectory()
        } catch {
          // reported below
        }
        if (!isDir) throw new UserError(`${path} is not a directory cfwrap can read.`)
        await this.updateSettings((settings) => ({ ...settings, watchedRoots: [...new Set([...(settings.watchedRoots ?? []), path])] }))
        if (this.watcher && !this.state.settings?.watchPaused) await this.watcher.addRoot(path)
        this.recomputeShadows()
        return this.settingsView()
      }
      case 'removeWatchedRoot': {
        const path = resolve((data as { path: string }).path)
        await this.updateSettings((settings) => ({ ...settings, watchedRoots: (settings.watchedRoots ?? []).filter((root) => root !== path) }))
        await this.watcher?.removeRoot(path)
        this.recomputeShadows()
        return this.settingsView()
      }
      case 'dismissFinding': {
        const { id } = data as { id: string }
        await this.vault.update((state) => {
          state.dismissedFindings = [...new Set([...(state.dismissedFindings ?? []), id])]
        })
        return { id }
      }
      case 'updateSettings': {
        const patch = data as { namePrefix?: string; defaultOwner?: string; defaultAccountId?: string | null }
        await this.updateSettings((settings) => {
          const next = { ...settings }
          if (patch.namePrefix !== undefined) next.namePrefix = patch.namePrefix
          if (patch.defaultOwner !== undefined) next.defaultOwner = patch.defaultOwner
          if (patch.defaultAccountId !== undefined) {
            if (patch.defaultAccountId === null) delete next.defaultAccountId
            else next.defaultAccountId = patch.defaultAccountId
          }
          return next
        })
        return this.settingsView()
      }
      case 'setWatchPaused': {
        const { paused } = data as { paused: boolean }
        await this.updateSettings((settings) => ({ ...settings, watchPaused: paused }))
        if (paused) {
          await this.watcher?.stop()
          this.watcher = null
        } else if (!this.watcher && this.daemon) {
          await this.startWatcher()
        }
        return this.settingsView()
      }
      case 'setupMinting': {
        const { secret, accountId } = data as { secret: string; accountId?: string }
        await setupMintingCredential(this.vault, secret, { ...this.clientOptions(), accountId: accountId ?? null })
        this.state = await this.vault.readState()
        return this.mintingView()
      }
    }
  }

  // ----- services -----

  /** The leak watcher as a daemon service, so it starts and stops with the reaper. */
  private watchService(_context: DaemonContext): DaemonService {
    return {
      name: 'leak-watcher',
      start: async () => {
        if (!this.state.settings?.watchPaused) await this.startWatcher()
        this.recomputeShadows()
      },
      stop: async () => {
        await this.watcher?.stop()
        this.watcher = null
      },
    }
  }

  private async startWatcher(): Promise<void> {
    const watcher = new LeakWatcher({
      profiles: this.profiles,
      roots: this.projectRoots(),
      now: this.now,
      onEvent: (event) => {
        if (event.type === 'finding') {
          const known = this.state.tokens.find((t) => t.fingerprint === event.finding.finding.fingerprint)?.name ?? null
          if (!(this.state.dismissedFindings ?? []).includes(event.finding.id)) {
            this.emit({ type: 'finding', finding: { id: event.finding.id, finding: event.finding.finding, knownToken: known, firstSeen: event.finding.firstSeen } })
          }
          if (this.profiles.includes(event.finding.finding.file)) this.recomputeShadows()
          this.queueNotify()
        } else if (event.type === 'finding-resolved') {
          this.emit({ type: 'finding-resolved', id: event.id, file: event.file })
          this.recomputeShadows()
          this.queueNotify()
        } else if (event.type === 'file-scanned') {
          // A changed profile or .env may add or remove a shadowing credential without any leak.
          if (this.profiles.includes(event.file) || /[/\\]\.env[^/\\]*$/.test(event.file)) this.recomputeShadows()
        }
      },
    })
    this.watcher = watcher
    await watcher.start()
  }

  private recomputeShadows(): void {
    const next = detectShadowing({ home: this.home, env: this.env, profiles: this.profiles, projectRoots: this.projectRoots() })
    const before = new Set(this.shadows.map((s) => s.id))
    this.shadows = next
    for (const warning of next) if (!before.has(warning.id)) this.emit({ type: 'shadow', warning })
    if (next.length !== before.size || next.some((w) => !before.has(w.id))) this.queueNotify()
  }

  private onTokenEvent(event: TokenEvent): void {
    if (event.type === 'foreign-tokens') this.foreign = event.tokens
    else if (event.type === 'reconciled' && !event.foreign) this.foreign = []
    // A mint from the window is announced by mint itself; the state refresh must not announce it again.
    if (event.type === 'minted') this.knownMints?.add(`${event.token}|${event.tokenId}`)
    this.events = [...this.events, event].slice(-RECENT_EVENTS)
    this.emit({ type: 'token', event })
    this.refresh()
  }

  // ----- state -----

  /**
   * Re-reads the state and the audit log, then notifies subscribers. Called after each command and
   * token event, and by the vault's one change check when another process wrote the state file.
   */
  private refresh(): void {
    void this.vault
      .readState()
      .then((state) => {
        this.announceOutsideMints(state)
        this.state = state
        this.audit = readAudit(this.vault.paths.audit, RECENT_AUDIT)
        this.queueNotify()
      })
      .catch(() => undefined)
  }

  /**
   * A token minted by another process (`cfwrap --mint` in a terminal) shows up as a new active record
   * in the state file: it gets its `minted` event here, like a mint from the window does, so the
   * daemon's output and the notifications see it too. The first read only learns what exists.
   */
  private announceOutsideMints(state: State): void {
    const keyOf = (record: TokenRecord): string => `${record.name}|${record.tokenId}`
    const active = state.tokens.filter((record) => record.source === 'minted' && record.status === 'active' && record.tokenId !== null)
    if (this.knownMints === null) {
      this.knownMints = new Set(active.map(keyOf))
      return
    }
    for (const record of active) {
      const key = keyOf(record)
      if (this.knownMints.has(key)) continue
      this.knownMints.add(key)
      this.onTokenEvent({
        type: 'minted',
        time: new Date(this.now()).toISOString(),
        token: record.name,
        tokenId: record.tokenId,
        fingerprint: record.fingerprint,
        expiresAt: record.expiresAt,
        template: record.template,
      })
    }
  }

  /** The deadline clock: "expires soon" warnings (the state itself is followed by the vault's change check). */
  private tick(): void {
    const now = this.now()
    const warnMs = this.options.expiryWarningMs ?? 5 * 60_000
    for (const token of this.state.tokens) {
      if (!token.temporary || !token.expiresAt || token.status !== 'active') continue
      const left = Date.parse(token.expiresAt) - now
      const key = `${token.name}\u0000${token.expiresAt}`
      if (left > 0 && left <= warnMs && !this.warnedExpiry.has(key)) {
        this.warnedExpiry.add(key)
        this.emit({ type: 'expiring-soon', token: token.name, tokenId: token.tokenId, fingerprint: token.fingerprint, expiresAt: token.expiresAt })
      }
    }
  }

  private async updateSettings(change: (settings: NonNullable<State['settings']>) => NonNullable<State['settings']>): Promise<void> {
    await this.vault.update((state) => {
      state.settings = change(state.settings ?? {})
    })
    this.state = await this.vault.readState()
  }

  /** The API base and the process-wide request gate for every Cloudflare call the core makes. */
  private clientOptions(): { env: NodeJS.ProcessEnv; gate?: DaemonContext['gate'] } {
    return { env: this.env, ...(this.daemon ? { gate: this.daemon.context.gate } : {}) }
  }

  /** Saved watched roots plus this run's extra ones. */
  private projectRoots(): string[] {
    return [...new Set([...(this.state.settings?.watchedRoots ?? []), ...(this.options.extraRoots ?? []).map((root) => resolve(root))])]
  }

  private settingsForMint() {
    return mintSettings(this.state)
  }

  private settingsView(): SettingsView {
    const settings = this.state.settings ?? {}
    return {
      namePrefix: settings.namePrefix ?? DEFAULT_NAME_PREFIX,
      defaultOwner: settings.defaultOwner ?? osOwner(),
      defaultAccountId: settings.defaultAccountId ?? null,
      watchedRoots: settings.watchedRoots ?? [],
      recentTemplates: settings.recentTemplates ?? [],
      watchPaused: settings.watchPaused ?? false,
    }
  }

  private mintingView(): MintingView {
    const minting = this.state.tokens.find((t) => t.role === 'minting')
    return {
      configured: Boolean(minting && minting.status === 'active'),
      name: minting?.name ?? null,
      fingerprint: minting?.fingerprint ?? null,
      owner: minting?.owner ?? (minting ? 'user' : null),
      accountId: minting?.accountId ?? null,
    }
  }

  // ----- notifications -----

  private emit(event: CoreEvent): void {
    for (const listener of this.eventListeners) {
      try {
        listener(event)
      } catch {
        // One listener's failure must not silence the others.
      }
    }
  }

  /** Coalesces bursts of changes into one snapshot push per tick. */
  private queueNotify(): void {
    if (this.notifyQueued) return
    this.notifyQueued = true
    queueMicrotask(() => {
      this.notifyQueued = false
      this.revision++
      const snapshot = this.snapshot()
      for (const listener of this.snapshotListeners) {
        try {
          listener(snapshot)
        } catch {
          // One subscriber's failure must not stop the others.
        }
      }
    })
  }
}

/** Creates the core; call `start()` to run its services. */
export function createCore(options: CoreOptions = {}): Core {
  return new AppCore(options)
}
