import type { Channel, CoreSnapshot, FindingView, Responses, Result, ShadowWarning } from '../common/ipc'
import type { TokenEvent } from '../common/events'

/**
 * Something the person should be told about (tray badge, desktop notification, daemon output).
 * Token lifecycle events come from the reaper and mint; the rest from the leak watcher, the shadow
 * detector and the deadline clock.
 */
export type CoreEvent =
  | { type: 'token'; event: TokenEvent }
  | { type: 'finding'; finding: FindingView }
  | { type: 'finding-resolved'; id: string; file: string }
  | { type: 'shadow'; warning: ShadowWarning }
  | { type: 'expiring-soon'; token: string; tokenId: string | null; fingerprint: string | null; expiresAt: string }

/**
 * The one core that the tray app and `cfwrap --daemon` both run: vault, minting, reaper, leak
 * watcher, shadow detector and audit log behind one subscribable snapshot and one command entry.
 */
export interface Core {
  /** Starts the reaper and the watchers (sweep and reconcile on start). */
  start(): Promise<void>
  /** Stops timers and watchers; pending work is left for the next start to pick up. */
  stop(): Promise<void>
  /** The current state (tokens with deadlines, findings, shadow warnings, audit, settings). */
  snapshot(): CoreSnapshot
  /** Calls `listener` with a new snapshot after every change; returns an unsubscribe function. */
  subscribe(listener: (snapshot: CoreSnapshot) => void): () => void
  /** Calls `listener` for every event worth telling the person about; returns an unsubscribe function. */
  onEvent(listener: (event: CoreEvent) => void): () => void
  /** Runs one command. `request` is untrusted: it is validated against the channel's schema. */
  call<C extends Channel>(channel: C, request: unknown): Promise<Result<Responses[C]>>
  /** Sweeps deadlines now (the app calls it when the machine wakes from sleep). */
  sweepNow(): Promise<void>
  /** Names of temporary tokens still alive (the app offers to revoke them on quit). */
  liveTemporaryTokens(): string[]
}
