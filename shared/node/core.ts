/**
 * The core that the tray app and `cfwrap --daemon` both run. It composes the services (the reaper
 * through the daemon, the leak watcher, the shadow detector) over one vault, keeps one snapshot of
 * everything a person should see, and runs every command the window or the tray can send. The app
 * adds no behaviour of its own: it shows this snapshot and calls `call()`.
 */
import { statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { homedir } from 'node:os'
import { UserError } from '../common/errors'
import { fingerprint } from '../common/fingerprint'
import type { TokenEvent } from '../common/events'
import type {
  CoreSnapshot,
  FindingView,
  ParsedRequest,
  Problem,
  Response,
  SettingsView,
  ShadowWarning,
  Verdict,
} from '../common/ipc'
import type { Finding } from '../common/scan'
import { describePolicies } from '../common/policy'
import { defaultAccountOf, mintingAccountOf, mintingViewOf, settingsViewOf, tokenView, withDefaultAccount } from './state-views'
import type { AuditEvent, State, TokenRecord } from '../common/state'
import { readAudit } from './audit'
import { auditSubscriber } from './audit-events'
import type { Core, CoreEvent, DoctorReport } from './core-api'
import { CloudflareApiError } from './cloudflare'
import { ApprovalPolicySchema, approvalReasonsForPlan, DEFAULT_RUN_ALLOWLIST } from '../common/broker/policy'
import * as z from 'zod/mini'
import { checkMintRequest, isAgentOwner, type MintRequest } from '../common/guards'
import { describeIssues } from '../common/schema-issues'
import { CustomTemplateSchema, TEMPLATES, type TokenTemplate } from '../common/templates'
import { Broker, refuseSecondBroker, startBroker, type BrokerHost, type BrokerServer } from './broker/broker'
import { brokerPaths } from './broker/paths'
import { startDaemon, type Daemon, type DaemonContext, type DaemonOptions, type DaemonService } from './daemon'
import { profileTest, scanPaths } from './file-scan'
import { installGitHook, scanStaged, uninstallGitHook } from './git-staged'
import { isVerifiable, verifyFindings } from './verify-findings'
import { KeychainUnavailableError } from './keychain'
import { LeakWatcher, type WatchedFinding } from './leak-watcher'
import { mintToken, MintRefusedError, planMint } from './mint'
import { mintingApiProvider, openMintingClient, setupMintingCredential } from './minting-credential'
import type { ForeignToken } from './reaper/plan'
import { Reaper } from './reaper'
import { RequestGate } from './request-gate'
import { detectShadowing, findWranglerLogins } from './shadow'
import { shellProfilePaths } from './shell-profiles'
import { defaultAdoptName, planAdopt, projectDirOf, writeAdoptedFile } from './adopt'
import { fingerprintsSeenAt, rememberScan } from './last-scan'
import { mintSettings, revokeAllTokens, revokeToken } from './token-service'
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
  /**
   * A one-shot CLI command: no snapshot upkeep (no re-reading the state and audit log after each
   * call). Never started. Write failures of the audit log go to this (the CLI prints a warning).
   */
  oneShot?: { onAuditError?: (error: unknown) => void }
  /** Serve the broker's sockets while started (default true; tests of other parts may turn it off). */
  broker?: boolean
}

const RECENT_EVENTS = 200
const RECENT_AUDIT = 200

class AppCore implements Core {
  private readonly vault: Vault
  private readonly env: NodeJS.ProcessEnv
  private readonly home: string
  private readonly profiles: string[]
  private readonly now: () => number
  /** The audit log as a subscriber of every token event this service emits or relays. */
  private readonly recordAudit: (event: TokenEvent) => void
  private state: State = { version: 1, tokens: [], bindings: {} }
  private unsubscribeChanges: (() => void) | null = null
  private audit: AuditEvent[] = []
  private events: TokenEvent[] = []
  private shadows: ShadowWarning[] = []
  // Cloudflare's verdicts on leaked tokens, by fingerprint (the watcher's opt-in check), and those being asked.
  private readonly verdicts = new Map<string, Verdict>()
  private readonly verifying = new Set<string>()
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
  /** The keychain's and Cloudflare's current trouble, if any, as the last operation or event saw it. */
  private keychainProblem: string | null = null
  private apiProblem: string | null = null
  /** The broker's decisions (pending requests, standing approvals); served on its sockets while started. */
  private readonly broker = new Broker(this.brokerHost())
  private brokerServer: BrokerServer | null = null

  constructor(private readonly options: CoreOptions) {
    this.env = options.env ?? process.env
    // A one-shot CLI command writes a secret or two: a worker thread would only add its start-up.
    this.vault = options.vault ?? Vault.open({ env: this.env, writeKeychainOffThread: !options.oneShot })
    this.home = options.home ?? (this.env.HOME || homedir())
    this.profiles = options.profiles ?? shellProfilePaths(this.home, process.platform, this.env)
    this.now = options.now ?? Date.now
    this.recordAudit = auditSubscriber(this.vault.paths.audit, options.oneShot?.onAuditError)
    this.refresh()
  }

  async start(): Promise<void> {
    // One broker per vault: a second start says which one runs before it starts anything at all.
    if (this.options.broker !== false) await refuseSecondBroker(brokerPaths(this.env, this.vault.dir))
    this.daemon = await startDaemon({
      vault: this.vault,
      env: this.env,
      ...(this.options.reaper ? { reaper: this.options.reaper } : {}),
      onEvent: (event) => this.onTokenEvent(event),
      extraServices: (context) => [this.watchService(context), ...(this.options.broker === false ? [] : [this.brokerService()])],
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

  currentSnapshot(): CoreSnapshot {
    const dismissed = new Set(this.state.dismissedFindings ?? [])
    const findings: FindingView[] = (this.watcher?.findings() ?? [])
      .filter((watched) => !dismissed.has(watched.id))
      .map((watched: WatchedFinding) => this.findingView(watched))
    return {
      revision: this.revision,
      now: new Date(this.now()).toISOString(),
      tokens: this.state.tokens.map((record) => tokenView(record, this.state.settings?.customTemplates)),
      findings,
      shadows: this.shadows,
      audit: this.audit,
      events: this.events,
      settings: settingsViewOf(this.state),
      minting: mintingViewOf(this.state),
      foreign: this.foreign,
      problems: this.problems(),
      pending: this.broker.pendingRequests(),
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

  // ----- the window's channels (typed by the contract in shared/common/ipc.ts) -----

  async snapshot(): Promise<CoreSnapshot> {
    return this.currentSnapshot()
  }

  async previewMint(request: ParsedRequest<'previewMint'>): Promise<Response<'previewMint'>> {
    const state = await this.vault.readState()
    const plan = planMint(withDefaultAccount(request, state), mintSettings(state))
    return {
      name: plan.tokenName,
      policies: describePolicies(plan),
      expiresAt: plan.ttlSeconds === null ? null : new Date(Math.floor(this.now() / 1000) * 1000 + plan.ttlSeconds * 1000).toISOString(),
      ttlSeconds: plan.ttlSeconds,
      risk: plan.risk,
      warnings: plan.warnings,
    }
  }

  /**
   * The one mint orchestration: the guards first (a refused request needs neither the credential
   * nor the network), then the credential, the crash-safe mint, and the first account given
   * remembered as the default.
   */
  async mint(request: ParsedRequest<'mint'>): Promise<Response<'mint'>> {
    return this.change(async () => {
      const state = await this.vault.readState()
      const plan = planMint(withDefaultAccount(request, state), mintSettings(state))
      const api = await openMintingClient(this.vault, this.clientOptions())
      const { record, policySummary, warnings } = await mintToken({ vault: this.vault, api, plan, now: this.now, onEvent: (e) => this.onTokenEvent(e) })
      const rememberedAccount = await this.rememberFirstAccount(request.accountId, state)
      return {
        name: record.name,
        tokenId: record.tokenId,
        fingerprint: record.fingerprint,
        expiresAt: record.expiresAt,
        temporary: record.temporary,
        template: record.template,
        accountId: record.accountId,
        policies: policySummary,
        warnings,
        rememberedAccount,
      }
    })
  }

  async revoke(request: ParsedRequest<'revoke'>): Promise<Response<'revoke'>> {
    return this.change(async () => {
      const outcome = await revokeToken(this.vault, request.name, {
        ...this.clientOptions(),
        forgetDashboardToken: request.forgetDashboardToken === true,
        onEvent: (event) => this.onTokenEvent(event),
      })
      return { name: request.name, outcome }
    })
  }

  async revokeAll(): Promise<Response<'revokeAll'>> {
    return this.change(async () => {
      const result = await revokeAllTokens(this.vault, { ...this.clientOptions(), onEvent: (event) => this.onTokenEvent(event) })
      return {
        deleted: result.deleted,
        alreadyGone: result.alreadyGone,
        forgotten: result.forgotten,
        failed: result.failures,
        listProblem: result.listProblem,
        foreign: result.foreign,
        rotateAlso: result.rotateAlso,
      }
    })
  }

  async addWatchedRoot(request: ParsedRequest<'addWatchedRoot'>): Promise<SettingsView> {
    return this.change(async () => {
      const path = resolve(request.path)
      let isDir = false
      try {
        isDir = statSync(path).isDirectory()
      } catch {
        // reported below
      }
      if (!isDir) throw new UserError(`${path} is not a directory cfwrap can read.`)
      await this.updateStoredSettings((settings) => ({ ...settings, watchedRoots: [...new Set([...(settings.watchedRoots ?? []), path])] }))
      if (this.watcher && !this.state.settings?.watchPaused) await this.watcher.addRoot(path)
      this.recomputeShadows()
      return settingsViewOf(this.state)
    })
  }

  async removeWatchedRoot(request: ParsedRequest<'removeWatchedRoot'>): Promise<SettingsView> {
    return this.change(async () => {
      const path = resolve(request.path)
      await this.updateStoredSettings((settings) => ({ ...settings, watchedRoots: (settings.watchedRoots ?? []).filter((root) => root !== path) }))
      await this.watcher?.removeRoot(path)
      this.recomputeShadows()
      return settingsViewOf(this.state)
    })
  }

  async dismissFinding(request: ParsedRequest<'dismissFinding'>): Promise<Response<'dismissFinding'>> {
    return this.change(async () => {
      await this.vault.update((state) => {
        state.dismissedFindings = [...new Set([...(state.dismissedFindings ?? []), request.id])]
      })
      return { id: request.id }
    })
  }

  async updateSettings(patch: ParsedRequest<'updateSettings'>): Promise<SettingsView> {
    return this.change(async () => {
      await this.updateStoredSettings((settings) => {
        const next = { ...settings }
        if (patch.namePrefix !== undefined) next.namePrefix = patch.namePrefix
        if (patch.defaultOwner !== undefined) next.defaultOwner = patch.defaultOwner
        if (patch.defaultAccountId === null) delete next.defaultAccountId
        else if (patch.defaultAccountId !== undefined) next.defaultAccountId = patch.defaultAccountId
        if (patch.verifyFindings !== undefined) next.verifyFindings = patch.verifyFindings
        return next
      })
      if (patch.verifyFindings === true) for (const watched of this.watcher?.findings() ?? []) this.verifyInBackground(watched.finding)
      return settingsViewOf(this.state)
    })
  }

  async setWatchPaused(request: ParsedRequest<'setWatchPaused'>): Promise<SettingsView> {
    return this.change(async () => {
      await this.updateStoredSettings((settings) => ({ ...settings, watchPaused: request.paused }))
      if (request.paused) {
        await this.watcher?.stop()
        this.watcher = null
      } else if (!this.watcher && this.daemon) {
        await this.startWatcher()
      }
      return settingsViewOf(this.state)
    })
  }

  async setupMinting(request: ParsedRequest<'setupMinting'>): Promise<Response<'setupMinting'>> {
    return this.change(async () => {
      const result = await setupMintingCredential(this.vault, request.secret, {
        ...this.clientOptions(),
        accountId: request.accountId ?? null,
        onEvent: (event) => this.onTokenEvent(event),
      })
      this.state = await this.vault.readState()
      return { minting: mintingViewOf(this.state), replaced: result.replaced.map((old) => old.fingerprint), defaultAccount: result.defaultAccount }
    })
  }

  async approveRequest(request: ParsedRequest<'approveRequest'>): Promise<Response<'approveRequest'>> {
    return this.broker.approve(request.requestId, request.forMs)
  }

  /** Changes when an agent's request needs approval: from the window, or over `control.sock` (`cfwrap --policy`). */
  async updatePolicy(change: ParsedRequest<'updatePolicy'>): Promise<SettingsView> {
    return this.change(async () => {
      const defined = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined))
      await this.updateStoredSettings((settings) => ({ ...settings, approvalPolicy: { ...settings.approvalPolicy, ...defined } }))
      return settingsViewOf(this.state)
    })
  }

  async denyRequest(request: ParsedRequest<'denyRequest'>): Promise<Response<'denyRequest'>> {
    return this.broker.deny(request.requestId)
  }

  // ----- the CLI's operations -----

  async templates(): Promise<{ builtIn: readonly TokenTemplate[]; custom: TokenTemplate[] }> {
    return { builtIn: TEMPLATES, custom: (await this.vault.readState()).settings?.customTemplates ?? [] }
  }

  async importTemplates(raw: unknown): Promise<string[]> {
    const parsed = z.array(CustomTemplateSchema).safeParse(Array.isArray(raw) ? raw : [raw])
    if (!parsed.success) throw new UserError(`not a valid template: ${describeIssues(parsed.error.issues, 'the template')}.`, 2, 'usage')
    const state = await this.vault.readState()
    for (const template of parsed.data) {
      // A trial request with every resource named: what the rules refuse then, they refuse for every token of it.
      const trial = checkMintRequest(
        { template: template.name, project: 'check', env: 'check', accountId: '0'.repeat(32), zoneId: '0'.repeat(32), userId: '0'.repeat(32), bucket: 'check-bucket' },
        { ...mintSettings(state), defaultOwner: 'check', customTemplates: [template] },
      )
      const fatal = trial.ok ? [] : trial.refusals.filter((refusal) => ['dns-with-deploy', 'd1-with-deploy', 'mixed-scopes'].includes(refusal.rule))
      if (fatal.length > 0) throw new MintRefusedError(fatal.map((refusal) => ({ ...refusal, message: `template ${template.name}: ${refusal.message}` })))
    }
    return this.change(async () => {
      await this.updateStoredSettings((settings) => {
        const names = new Set(parsed.data.map((template) => template.name))
        return { ...settings, customTemplates: [...(settings.customTemplates ?? []).filter((template) => !names.has(template.name)), ...parsed.data] }
      })
      return parsed.data.map((template) => template.name)
    })
  }

  async dropTemplate(name: string): Promise<void> {
    await this.change(async () => {
      if (!((await this.vault.readState()).settings?.customTemplates ?? []).some((template) => template.name === name)) {
        throw new UserError(`there is no template of your own called ${name}; \`cfwrap --templates\` lists them.`)
      }
      await this.updateStoredSettings((settings) => ({ ...settings, customTemplates: (settings.customTemplates ?? []).filter((template) => template.name !== name) }))
    })
  }

  async approvalNeeded(request: MintRequest): Promise<string[]> {
    const state = await this.vault.readState()
    const plan = planMint(withDefaultAccount(request, state), mintSettings(state))
    return approvalReasonsForPlan(plan, ApprovalPolicySchema.parse(state.settings?.approvalPolicy ?? {}), state.settings?.customTemplates)
  }

  async list(): Promise<Pick<State, 'tokens' | 'bindings'>> {
    const { tokens, bindings } = await this.vault.readState()
    return { tokens, bindings }
  }

  async add(request: { name: string; secret: string; accountId: string | null; expiresAt: string | null }): Promise<TokenRecord> {
    return this.change(async () => {
      if (await this.vault.find(request.name)) throw new UserError(`a token named ${request.name} already exists; remove it first with \`cfwrap --remove ${request.name}\`.`)
      const record = await this.vault.addToken(
        { name: request.name, tokenId: null, accountId: request.accountId, expiresAt: request.expiresAt, template: null, source: 'dashboard', role: 'command', temporary: false },
        request.secret,
      )
      this.onTokenEvent({ type: 'added', time: this.isoNow(), token: record.name, tokenId: null, fingerprint: record.fingerprint })
      return record
    })
  }

  async remove(request: { name: string; confirmed: boolean }): Promise<TokenRecord> {
    return this.change(async () => {
      const { name } = request
      const record = await this.vault.find(name)
      // A minted token still alive on Cloudflare: forgetting it here first would leave nothing that can
      // delete it (--revoke needs the record), so say which command does what before anything is lost.
      if (record?.source === 'minted' && record.tokenId && record.status !== 'missing' && !request.confirmed) {
        throw new UserError(
          `${name} was minted by cfwrap and still exists on Cloudflare: \`cfwrap --revoke ${name}\` deletes it there and here; ` +
            `\`cfwrap --remove ${name} --yes\` only forgets it here (Cloudflare then expires it ${record.expiresAt ? `at ${record.expiresAt}` : 'never: it has no deadline'}).`,
        )
      }
      const removed = await this.vault.removeLocal(name)
      this.onTokenEvent({ type: 'removed', time: this.isoNow(), token: name, tokenId: removed.tokenId, fingerprint: removed.fingerprint, via: 'remove' })
      return removed
    })
  }

  /**
   * Rolls a minted token's secret on Cloudflare (a leaked one): the old secret dies at once, the
   * new one goes to the keychain. Returns both fingerprints.
   */
  async roll(request: ParsedRequest<'roll'>): Promise<Response<'roll'>> {
    return this.change(async () => {
      const record = await this.vault.find(request.name)
      if (!record) throw new UserError(`no token named ${request.name}; \`cfwrap --list\` shows the tokens you have.`)
      if (record.role === 'minting' || record.tokenId === null || record.source !== 'minted') {
        throw new UserError(`${request.name} was not minted by cfwrap, so cfwrap cannot roll it: roll it in the dashboard (My Profile → API Tokens), then \`cfwrap --remove\` and \`cfwrap --add\` it again.`)
      }
      const api = await openMintingClient(this.vault, this.clientOptions())
      if (!api.rollToken) throw new UserError('this credential cannot roll tokens.')
      const secret = await api.rollToken(record.tokenId)
      try {
        await this.vault.secrets.set(this.vault.keychainAccount(record.name), secret)
      } catch (error) {
        throw new UserError(
          `${record.name} was rolled on Cloudflare, but the new secret could not be stored (${error instanceof Error ? error.message : String(error)}); the old one is dead either way: revoke it with \`cfwrap --revoke ${record.name}\` and mint a new one.`,
        )
      }
      const current = fingerprint(secret)
      await this.vault.patch(record.name, { fingerprint: current }, record.tokenId)
      this.onTokenEvent({ type: 'rolled', time: this.isoNow(), token: record.name, tokenId: record.tokenId, fingerprint: current, previousFingerprint: record.fingerprint })
      return { name: record.name, previous: record.fingerprint, current }
    })
  }

  /**
   * Moves a plaintext Cloudflare API token out of a file into the vault (`cfwrap --adopt`): the
   * secret goes to the keychain first, then a 0600 backup of the file is kept and the line is
   * replaced by a comment saying how to use the token; a project's directory is bound to it.
   * A line that differs from what the last scan saw there is refused.
   */
  async adopt(request: ParsedRequest<'adopt'>): Promise<Response<'adopt'>> {
    return this.change(async () => {
      const file = resolve(request.file)
      const isProfile = profileTest(this.profiles)(file)
      const state = await this.vault.readState()
      if (request.name !== undefined && state.tokens.some((token) => token.name === request.name)) {
        throw new UserError(`a token named ${request.name} already exists; choose another --name, or remove it first with \`cfwrap --remove ${request.name}\`.`)
      }
      const projectDir = isProfile ? null : projectDirOf(file, this.home)
      const plan = planAdopt(file, request.line, {
        expectedFingerprints: request.fingerprint !== undefined ? [request.fingerprint] : fingerprintsSeenAt(this.vault.dir, file, request.line),
        isProfile,
      })
      // The same token already stored (adopted before from another copy): rewrite the file, add nothing.
      const existing = state.tokens.find((token) => token.fingerprint === plan.fingerprint)
      const place = projectDir === null ? 'home' : basename(projectDir) || 'project'
      const name = existing?.name ?? request.name ?? defaultAdoptName(place, plan.variable, (candidate) => state.tokens.some((token) => token.name === candidate))
      const where = existing ? 'is kept in the OS keychain' : 'was moved to the OS keychain'
      const comment = `${plan.variable ?? 'A Cloudflare API token'} ${where} by cfwrap as ${name}; run commands with \`cfwrap --token ${name} -- <command>\`.`
      if (!existing) {
        const record = await this.vault.addToken(
          { name, tokenId: null, accountId: null, expiresAt: null, template: null, source: 'dashboard', role: 'command', temporary: false },
          plan.secret,
        )
        this.onTokenEvent({ type: 'added', time: this.isoNow(), token: record.name, tokenId: null, fingerprint: record.fingerprint, from: `${file}:${request.line}` })
      }
      const backup = writeAdoptedFile(plan, comment, join(this.vault.dir, 'backups'), new Date(this.now()))
      let boundDir: string | null = null
      if (projectDir !== null) {
        boundDir = await this.vault.update((next) => {
          const bound = next.bindings[projectDir]
          if (bound !== undefined && bound !== name) return null
          next.bindings[projectDir] = name
          return projectDir
        })
      }
      return { name, fingerprint: plan.fingerprint, file, line: request.line, backup, boundDir, alreadyStored: existing !== undefined }
    })
  }

  async bind(request: { dir: string; name: string }): Promise<void> {
    await this.change(() =>
      this.vault.update((state) => {
        if (!state.tokens.some((t) => t.name === request.name)) throw new UserError(`no token named ${request.name}; \`cfwrap --list\` shows the tokens you have.`)
        state.bindings[request.dir] = request.name
      }),
    )
  }

  async unbind(request: { dir: string }): Promise<string | null> {
    return this.change(() =>
      this.vault.update((state) => {
        const bound = state.bindings[request.dir] ?? null
        delete state.bindings[request.dir]
        return bound
      }),
    )
  }

  async reap(): ReturnType<Core['reap']> {
    const gate = new RequestGate({
      onPause: (retryAfterSeconds, untilMs) =>
        this.onTokenEvent({ type: 'rate-limited', time: this.isoNow(), retryAfterSeconds, until: new Date(untilMs).toISOString() }),
    })
    const reaper = new Reaper({ vault: this.vault, api: mintingApiProvider(this.vault, { env: this.env, gate }), onEvent: (event) => this.onTokenEvent(event) })
    try {
      const result = await reaper.reapOnce()
      const stillFailing = (await this.vault.list()).filter((record) => record.status === 'delete-failed')
      return { ...result, stillFailing }
    } finally {
      gate.close()
    }
  }

  /** `cfwrap --scan`: the scan, remembered (where each secret was, for `--adopt`) unless it was of the index. */
  async scan(request: Parameters<Core['scan']>[0]): ReturnType<Core['scan']> {
    const report = await this.scanKnown(request)
    if (!('staged' in request)) rememberScan(this.vault.dir, report.findings)
    return report
  }

  /** Scans and names each finding's vault token (and, with `verify`, asks Cloudflare about it). Remembers nothing. */
  private async scanKnown(request: Parameters<Core['scan']>[0]): ReturnType<Core['scan']> {
    const report = 'staged' in request ? scanStaged(request.staged) : await scanPaths(request.paths, profileTest(this.profiles))
    const state = await this.vault.readState().catch(() => null)
    const tokens = state?.tokens ?? []
    // Opt-in: only with `verify` is anything sent anywhere (Cloudflare's verify endpoint, once an hour per value).
    const verdicts = request.verify && !('staged' in request) ? await verifyFindings(report.findings, this.verifyOptions(state)) : null
    return {
      ...report,
      findings: report.findings.map((finding) => {
        const verified = verdicts?.get(finding.fingerprint)
        return { ...finding, knownToken: tokens.find((t) => t.fingerprint === finding.fingerprint)?.name ?? null, ...(verified ? { verified } : {}) }
      }),
    }
  }

  /** What `verifyFindings` needs from this service: where its cache lives, the ids this vault recorded, the default account. */
  private verifyOptions(state: State | null): Parameters<typeof verifyFindings>[1] {
    return {
      env: this.env,
      cacheDir: this.vault.dir,
      recordedIds: new Set((state?.tokens ?? []).flatMap((t) => (t.tokenId ? [t.tokenId] : []))),
      accountId: state ? defaultAccountOf(state) : null,
      now: this.now,
    }
  }

  async gitHook(request: Parameters<Core['gitHook']>[0]): ReturnType<Core['gitHook']> {
    return request.install ? installGitHook(request.cwd, request.cfwrap) : uninstallGitHook(request.cwd)
  }

  async doctor(): Promise<DoctorReport> {
    const existing = this.profiles.filter((path) => isFile(path))
    // The doctor's own look at the profiles is not "the last scan" `--adopt` compares with.
    const profileReport = await this.scanKnown({ paths: existing })
    const state = await this.vault.readState()
    const shadows = detectShadowing({ home: this.home, env: this.env, profiles: existing, projectRoots: state.settings?.watchedRoots ?? [] })
    const tokens = state.tokens
    const problems: string[] = []
    let keychain = 'ok'
    const missingSecrets: string[] = []
    try {
      for (const token of tokens) {
        if (token.status === 'pending') continue
        if ((await this.vault.secrets.get(this.vault.keychainAccount(token.name))) === null) missingSecrets.push(token.name)
      }
      if (tokens.length === 0) await this.vault.secrets.get(this.vault.keychainAccount('__cfwrap_doctor_probe__'))
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error
      keychain = error.message
      problems.push(keychain)
    }
    const now = this.now()
    const expired = tokens.filter((t) => t.expiresAt && Date.parse(t.expiresAt) <= now).map((t) => t.name)
    const failing = tokens.filter((t) => t.status === 'delete-failed' || t.status === 'missing').map((t) => `${t.name} (${t.status}${t.lastError ? `: ${t.lastError}` : ''})`)
    const minting = tokens.find((t) => t.role === 'minting')
    if (profileReport.findings.length) problems.push(`${profileReport.findings.length} plaintext secret(s) in shell start-up files`)
    if (shadows.length) problems.push(`${shadows.length} credential(s) shadow the Wrangler OAuth login`)
    if (missingSecrets.length) problems.push(`token(s) without a keychain secret: ${missingSecrets.join(', ')}`)
    if (failing.length) problems.push(`token(s) needing attention: ${failing.join(', ')}`)
    for (const problem of this.vault.problems()) problems.push(problem.message)
    return {
      ok: problems.length === 0,
      problems,
      profiles: existing,
      findings: profileReport.findings,
      shadows,
      wranglerLogins: findWranglerLogins(this.home, process.platform, this.env).map((login) => login.file),
      vault: {
        dir: this.vault.dir,
        keychain,
        tokens: tokens.length,
        expired,
        missingSecrets,
        failing,
        mintingCredential: minting ? { name: minting.name, fingerprint: minting.fingerprint } : null,
      },
    }
  }

  // ----- services -----

  /** The broker's sockets as a daemon service: they live exactly as long as the reaper and the watcher. */
  private brokerService(): DaemonService {
    return {
      name: 'broker',
      start: async () => {
        this.brokerServer = await startBroker(this.broker, brokerPaths(this.env, this.vault.dir))
      },
      stop: async () => {
        await this.brokerServer?.close()
        this.brokerServer = null
      },
    }
  }

  /** What the broker may do with this service: plan and mint for agents, read the policy, lease. */
  private brokerHost(): BrokerHost {
    return {
      plan: async (ask) => {
        const state = await this.vault.readState()
        // An agent is an agent whatever it calls itself: the guards' agent rules always apply.
        const owner = ask.owner !== undefined && isAgentOwner(ask.owner) ? ask.owner : 'agent'
        return planMint(withDefaultAccount({ ...ask, owner }, state), mintSettings(state))
      },
      mint: async (plan) => {
        const api = await openMintingClient(this.vault, this.clientOptions())
        const { record } = await mintToken({ vault: this.vault, api, plan, grantedBy: 'broker', now: this.now, onEvent: (e) => this.onTokenEvent(e) })
        this.refresh()
        return record
      },
      policy: async () => ApprovalPolicySchema.parse((await this.vault.readState()).settings?.approvalPolicy ?? {}),
      customTemplates: async () => (await this.vault.readState()).settings?.customTemplates ?? [],
      allowlist: async () => (await this.vault.readState()).settings?.runAllowlist ?? DEFAULT_RUN_ALLOWLIST.map((prefix) => [...prefix]),
      setPolicy: async (change) => (await this.updatePolicy(change)).approvalPolicy,
      records: () => this.vault.list(),
      readSecret: (name) => this.vault.readSecret(name),
      revoke: async (name) => {
        await this.revoke({ name })
      },
      emit: (event) => this.onTokenEvent(event),
      changed: () => this.queueNotify(),
      // A closure, not the function: the broker is built before the constructor sets the clock.
      now: () => this.now(),
    }
  }

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
          if (!(this.state.dismissedFindings ?? []).includes(event.finding.id)) {
            this.emit({ type: 'finding', finding: this.findingView(event.finding) })
          }
          this.verifyInBackground(event.finding.finding)
          if (this.profiles.includes(event.finding.finding.file)) this.recomputeShadows()
          this.queueNotify()
        } else if (event.type === 'finding-moved') {
          const { id, finding } = event.finding
          this.emit({ type: 'finding-moved', id, file: finding.file, line: finding.line, column: finding.column })
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
    const previous = this.shadows
    const before = new Set(previous.map((s) => s.id))
    const after = new Set(next.map((s) => s.id))
    this.shadows = next
    for (const warning of next) if (!before.has(warning.id)) this.emit({ type: 'shadow', warning })
    for (const warning of previous) if (!after.has(warning.id)) this.emit({ type: 'shadow-resolved', id: warning.id, variable: warning.variable, file: warning.file })
    if (next.length !== before.size || next.some((w) => !before.has(w.id))) this.queueNotify()
  }

  /**
   * The one event bus for token events: from this service's own operations, the reaper and the
   * state refresh. The audit log hears each first (before a record goes, see reaper.ts), then the
   * snapshot's view of problems, then the listeners.
   */
  private onTokenEvent(event: TokenEvent): void {
    this.recordAudit(event)
    this.noteHealth(event)
    if (event.type === 'foreign-tokens') this.foreign = event.tokens
    else if (event.type === 'reconciled' && !event.foreign) this.foreign = []
    // A mint from the window is announced by mint itself; the state refresh must not announce it again.
    if (event.type === 'minted') this.knownMints?.add(`${event.token}|${event.tokenId}`)
    if (this.options.oneShot) {
      this.emit({ type: 'token', event })
      return
    }
    this.events = [...this.events, event].slice(-RECENT_EVENTS)
    this.emit({ type: 'token', event })
    this.refresh()
  }

  /** What the last events say about the keychain and Cloudflare: a failure sets the problem, a success clears it. */
  private noteHealth(event: TokenEvent): void {
    const failure = event.type === 'delete-failed' || event.type === 'reconcile-failed' || event.type === 'sweep-failed' ? event : null
    if (failure?.errorKind === 'keychain') this.keychainProblem = failure.error
    else if (failure && ['network', 'server'].includes(failure.errorKind)) this.apiProblem = failure.error
    if (event.type === 'reconciled' || event.type === 'deleted' || event.type === 'minted') this.apiProblem = null
    if (event.type === 'deleted' || event.type === 'minted' || event.type === 'added' || event.type === 'setup') this.keychainProblem = null
  }

  /** The load problems the snapshot carries: the vault's state-file notices, the keychain and Cloudflare. */
  private problems(): Problem[] {
    return [
      ...this.vault.problems().map((problem) => ({ kind: problem.kind, message: problem.message, file: problem.file })),
      ...(this.keychainProblem ? [{ kind: 'keychain' as const, message: this.keychainProblem, file: null }] : []),
      ...(this.apiProblem ? [{ kind: 'api' as const, message: this.apiProblem, file: null }] : []),
    ]
  }

  // ----- state -----

  /**
   * Runs one operation that may change the state, then refreshes the snapshot. A keychain or
   * Cloudflare failure is kept as a load problem, so the window and the tray show it, not only the
   * one dialog or line that reported it.
   */
  private async change<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof KeychainUnavailableError) this.keychainProblem = error.message
      const api = error instanceof CloudflareApiError ? error : error instanceof UserError && error.cause instanceof CloudflareApiError ? error.cause : null
      if (api && (api.kind === 'network' || api.kind === 'server')) this.apiProblem = api.message
      throw error
    } finally {
      this.refresh()
    }
  }

  /**
   * Re-reads the state and the audit log, then notifies subscribers. Called after each command and
   * token event, and by the vault's one change check when another process wrote the state file.
   * A one-shot command keeps no snapshot, so it reads nothing.
   */
  private refresh(): void {
    if (this.options.oneShot) return
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
      // Announced, not audited again: the minting process wrote its own line.
      this.relay({ type: 'minted', time: this.isoNow(), token: record.name, tokenId: record.tokenId, fingerprint: record.fingerprint, expiresAt: record.expiresAt, template: record.template })
    }
  }

  /** Tells listeners about an event another process already audited. */
  private relay(event: TokenEvent): void {
    this.events = [...this.events, event].slice(-RECENT_EVENTS)
    this.emit({ type: 'token', event })
    this.queueNotify()
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

  private async updateStoredSettings(change: (settings: NonNullable<State['settings']>) => NonNullable<State['settings']>): Promise<void> {
    await this.vault.update((state) => {
      state.settings = change(state.settings ?? {})
    })
    this.state = await this.vault.readState()
  }

  /**
   * Asked once: the account given to the first mint (while neither the credential nor the settings
   * name one) becomes the default for the next ones. Returns it when it was remembered.
   */
  private async rememberFirstAccount(given: string | undefined, before: State): Promise<string | null> {
    const credentialAccount = mintingAccountOf(before)
    if (!given || credentialAccount || before.settings?.defaultAccountId) return null
    const accountId = given.toLowerCase()
    await this.vault.update((state) => {
      state.settings = { ...state.settings, defaultAccountId: accountId }
    })
    return accountId
  }

  /** The API base and the process-wide request gate for every Cloudflare call the core makes. */
  private clientOptions(): { env: NodeJS.ProcessEnv; gate?: DaemonContext['gate'] } {
    return { env: this.env, ...(this.daemon ? { gate: this.daemon.context.gate } : {}) }
  }

  /** Saved watched roots plus this run's extra ones. */
  private projectRoots(): string[] {
    return [...new Set([...(this.state.settings?.watchedRoots ?? []), ...(this.options.extraRoots ?? []).map((root) => resolve(root))])]
  }

  /** The vault token whose fingerprint a finding matches ("this is your token X"), or null. */
  /** A watched finding as the window sees it: with the vault token it is, and Cloudflare's verdict when asked. */
  private findingView(watched: WatchedFinding): FindingView {
    const verified = this.verdicts.get(watched.finding.fingerprint)
    return { id: watched.id, finding: watched.finding, knownToken: this.tokenWithFingerprint(watched.finding.fingerprint), firstSeen: watched.firstSeen, ...(verified ? { verified } : {}) }
  }

  /**
   * With the "ask Cloudflare" setting on, checks a leaked Cloudflare API token with the verify
   * endpoint (at most once an hour per value, through verifyFindings' cache and gate) and puts the
   * verdict into the finding. Off by default; never blocks the watcher.
   */
  private verifyInBackground(finding: Finding): void {
    if (this.state.settings?.verifyFindings !== true) return
    if (!isVerifiable(finding)) return
    if (this.verdicts.has(finding.fingerprint) || this.verifying.has(finding.fingerprint)) return
    this.verifying.add(finding.fingerprint)
    void verifyFindings([finding], this.verifyOptions(this.state))
      .then((verdicts) => {
        const verdict = verdicts.get(finding.fingerprint)
        if (verdict === undefined) return
        this.verdicts.set(finding.fingerprint, verdict)
        for (const watched of this.watcher?.findings() ?? []) {
          if (watched.finding.fingerprint === finding.fingerprint) this.emit({ type: 'finding-verified', finding: this.findingView(watched) })
        }
        this.queueNotify()
      })
      .catch(() => undefined)
      .finally(() => this.verifying.delete(finding.fingerprint))
  }

  private tokenWithFingerprint(fingerprint: string): string | null {
    return this.state.tokens.find((t) => t.fingerprint === fingerprint)?.name ?? null
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString()
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
      const snapshot = this.currentSnapshot()
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

/** True when `path` is a regular file (following links); false for anything absent or unreadable. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Creates the core; call `start()` to run its services. */
export function createCore(options: CoreOptions = {}): Core {
  return new AppCore(options)
}
