/**
 * The background half of cfwrap without a GUI: `cfwrap --daemon` runs it in the foreground, and the
 * tray app runs the same services in its main process. It composes independent services that share
 * one vault, one request gate (so the whole process stays within Cloudflare's rate limit) and one
 * event stream. The reaper is the first service; file watchers plug in the same way: write a
 * {@link DaemonService} and return it from `extraServices`.
 */
import type { TokenEvent } from '../common/events'
import { mintingApiProvider } from './minting-credential'
import { Reaper, type ReaperOptions } from './reaper'
import { RequestGate } from './request-gate'
import { Vault } from './vault'

/** What a service gets from the daemon. */
export interface DaemonContext {
  vault: Vault
  env: NodeJS.ProcessEnv
  /** The process-wide gate every Cloudflare request must pass. */
  gate: RequestGate
  /** Publishes an event to the daemon's listener. */
  emit: (event: TokenEvent) => void
}

/** One part of the daemon: started in order, stopped in reverse order. */
export interface DaemonService {
  readonly name: string
  start(): Promise<void>
  stop(): Promise<void>
  /** After sleep or a network change (the tray app calls it on powerMonitor resume). */
  wake?(): void
}

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** Defaults to the vault `env` selects ($CFWRAP_HOME or the platform config directory). */
  vault?: Vault
  env?: NodeJS.ProcessEnv
  onEvent?: (event: TokenEvent) => void
  /** Overrides for the reaper (clock, timers, intervals); mostly for tests. */
  reaper?: Partial<Omit<ReaperOptions, 'vault' | 'api' | 'onEvent'>>
  /** Further services (e.g. file watchers), built once the shared context exists. */
  extraServices?: (context: DaemonContext) => DaemonService[]
  gate?: RequestGate
}

/** A running daemon. */
export interface Daemon {
  readonly context: DaemonContext
  readonly reaper: Reaper
  readonly services: readonly DaemonService[]
  /** Passes a wake-up (resume from sleep) to every service. */
  wake(): void
  /** Stops every service (reverse order) and releases the gate; safe to call twice. */
  stop(): Promise<void>
}

/** How long the services after the reaper wait for its first sweep before starting anyway. */
const FIRST_SWEEP_HEAD_START_MS = 3_000

/**
 * Wraps the reaper as a service. Its first pass is not awaited as a whole: during a 429 pause it
 * could take minutes, and the daemon must be up (and stoppable) meanwhile. But the services after
 * it (the leak watcher's first scan of every project file) wait for its first sweep, up to a few
 * seconds: a token whose deadline passed while nothing ran is deleted first, on a machine that is
 * not busy walking project trees. The reaper reports its own failures as events.
 */
function reaperService(reaper: Reaper): DaemonService {
  return {
    name: 'reaper',
    start: async () => {
      void reaper.start()
      await reaper.firstSweepDone(FIRST_SWEEP_HEAD_START_MS)
    },
    stop: () => reaper.stop(),
    wake: () => reaper.wake(),
  }
}

/** Starts the reaper and any extra services; resolves once each has started (the reaper's first pass runs on). */
export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const env = options.env ?? process.env
  const vault = options.vault ?? Vault.open({ env, writeKeychainOffThread: true })
  const emit = (event: TokenEvent): void => {
    try {
      options.onEvent?.(event)
    } catch {
      // A listener's failure must not stop the services.
    }
  }
  const gate =
    options.gate ??
    new RequestGate({
      onPause: (retryAfterSeconds, untilMs) =>
        emit({ type: 'rate-limited', time: new Date().toISOString(), retryAfterSeconds, until: new Date(untilMs).toISOString() }),
    })
  const context: DaemonContext = { vault, env, gate, emit }
  const reaper = new Reaper({ ...options.reaper, vault, api: mintingApiProvider(vault, { env, gate }), onEvent: emit })
  const services = [reaperService(reaper), ...(options.extraServices?.(context) ?? [])]
  const started: DaemonService[] = []
  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Closing the gate first makes requests waiting out a 429 pause fail at once instead of holding up the exit.
      gate.close()
      for (const service of [...started].reverse()) await service.stop().catch(() => undefined)
      emit({ type: 'daemon-stopped', time: new Date().toISOString(), pid: process.pid })
    })()
    return stopping
  }
  try {
    for (const service of services) {
      started.push(service)
      await service.start()
    }
  } catch (error) {
    await stop()
    throw error
  }
  emit({ type: 'daemon-started', time: new Date().toISOString(), pid: process.pid })
  return {
    context,
    reaper,
    services,
    wake: () => {
      for (const service of services) service.wake?.()
    },
    stop,
  }
}
