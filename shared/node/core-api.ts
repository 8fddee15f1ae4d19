import type { CoreSnapshot, FindingView, ServiceChannels, ShadowWarning } from '../common/ipc'
import type { TokenEvent } from '../common/events'
import type { MintRequest } from '../common/guards'
import type { TokenTemplate } from '../common/templates'
import type { Finding } from '../common/scan'
import type { State, TokenRecord } from '../common/state'
import type { FileScanReport } from './file-scan'
import type { Reaper } from './reaper'
import type { Verdict } from './verify-findings'

/**
 * Something the person should be told about (tray badge, desktop notification, daemon output).
 * Token lifecycle events come from the reaper and mint; the rest from the leak watcher, the shadow
 * detector and the deadline clock.
 */
export type CoreEvent =
  | { type: 'token'; event: TokenEvent }
  | { type: 'finding'; finding: FindingView }
  | { type: 'finding-resolved'; id: string; file: string }
  /** Cloudflare answered whether a leaked token is alive (the watcher's opt-in check); the finding carries the verdict. */
  | { type: 'finding-verified'; finding: FindingView }
  /** A known finding's line moved (lines were added or removed above it); same id, its new place. */
  | { type: 'finding-moved'; id: string; file: string; line: number; column: number }
  | { type: 'shadow'; warning: ShadowWarning }
  /** A shadowing warning's cause went away (the export was removed, the `.env` line adopted). */
  | { type: 'shadow-resolved'; id: string; variable: string; file: string | null }
  | { type: 'expiring-soon'; token: string; tokenId: string | null; fingerprint: string | null; expiresAt: string }

/** A finding of `scan` or `doctor`, with the vault token whose fingerprint it matches. */
export type KnownFinding = Finding & { knownToken: string | null; verified?: Verdict }

/** What `doctor` found: everything `cfwrap --doctor` prints, and its verdict. */
export interface DoctorReport {
  ok: boolean
  problems: string[]
  profiles: string[]
  findings: KnownFinding[]
  shadows: ShadowWarning[]
  wranglerLogins: string[]
  vault: {
    dir: string
    /** 'ok', or the keychain's one-sentence problem. */
    keychain: string
    tokens: number
    expired: string[]
    missingSecrets: string[]
    failing: string[]
    mintingCredential: { name: string; fingerprint: string | null } | null
  }
}

/**
 * The one service behind every surface: the CLI's commands, the tray menu, the window's IPC, the
 * daemon (and next the broker socket and the MCP server) are thin adapters over it. The window's
 * channels are typed by the contract in `shared/common/ipc.ts` (`ServiceChannels`); the rest are
 * the CLI's. Every method validates nothing the contract already did and throws `UserError`s: each
 * surface says them its own way (an exit status, a dialog, `{ ok: false }`).
 */
export interface Core extends ServiceChannels {
  /** Starts the reaper and the watchers (sweep and reconcile on start). One-shot CLI commands never start it. */
  start(): Promise<void>
  /** Stops timers and watchers; pending work is left for the next start to pick up. */
  stop(): Promise<void>
  /** The current state (tokens with deadlines, findings, shadow warnings, audit, settings, problems). */
  currentSnapshot(): CoreSnapshot
  /** Calls `listener` with a new snapshot after every change; returns an unsubscribe function. */
  subscribe(listener: (snapshot: CoreSnapshot) => void): () => void
  /** Calls `listener` for every event worth telling the person about; returns an unsubscribe function. */
  onEvent(listener: (event: CoreEvent) => void): () => void
  /** Sweeps deadlines now (the app calls it when the machine wakes from sleep). */
  sweepNow(): Promise<void>
  /** Names of temporary tokens still alive (the app offers to revoke them on quit). */
  liveTemporaryTokens(): string[]

  /**
   * Why this mint needs a person's approval under the approval policy, one short reason each
   * (empty when it does not). `cfwrap --mint` asks it when no broker runs to ask a person.
   */
  approvalNeeded(request: MintRequest): Promise<string[]>
  /** The built-in templates and the person's own. */
  templates(): Promise<{ builtIn: readonly TokenTemplate[]; custom: TokenTemplate[] }>
  /**
   * Adds (or replaces, by name) templates of the person's own, given as parsed JSON: each is
   * validated, and refused when the guard rules would refuse every token made from it.
   */
  importTemplates(templates: unknown): Promise<string[]>
  /** Removes one of the person's own templates. */
  dropTemplate(name: string): Promise<void>
  /** Every record and binding of the vault (metadata only). */
  list(): Promise<Pick<State, 'tokens' | 'bindings'>>
  /** Stores a token made in the dashboard; its secret goes to the keychain only. */
  add(request: { name: string; secret: string; accountId: string | null; expiresAt: string | null }): Promise<TokenRecord>
  /**
   * Forgets a token here (record and keychain item) without deleting it on Cloudflare. A minted
   * token still alive there needs `confirmed`, because nothing could delete it afterwards.
   */
  remove(request: { name: string; confirmed: boolean }): Promise<TokenRecord>
  /** Makes `cfwrap <command>` in `dir` and below use token `name`. */
  bind(request: { dir: string; name: string }): Promise<void>
  /** Removes the binding of `dir`; returns the token that was bound, if any. */
  unbind(request: { dir: string }): Promise<string | null>
  /** One reconcile and sweep (`cfwrap --reap`); events arrive through `onEvent`. */
  reap(): Promise<Awaited<ReturnType<Reaper['reapOnce']>> & { stillFailing: TokenRecord[] }>
  /** Scans files and directories for secrets once, or (with `staged`) what git would commit in that repository. */
  scan(request: ({ paths: string[] } | { staged: string }) & { verify?: boolean }): Promise<Omit<FileScanReport, 'findings'> & { findings: KnownFinding[] }>
  /** Installs (or removes) the pre-commit hook of the repository `cwd` is in that runs `cfwrap --scan --staged`. */
  gitHook(request: { cwd: string; install: true; cfwrap: { node: string; script: string } } | { cwd: string; install: false }): Promise<{ path: string; kept: string | null } | { path: string; restored: boolean } | null>
  /** Checks this machine's setup: profiles, Wrangler logins, shadowing, keychain, vault. */
  doctor(): Promise<DoctorReport>
}
