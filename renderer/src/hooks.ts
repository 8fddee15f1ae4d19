import { useEffect, useState, useSyncExternalStore } from 'react'
import type { CfwrapApi, CoreSnapshot } from '../../shared/common/ipc'

/**
 * The core's latest snapshot: fetched once on mount, then replaced by every push. Pushes carry a
 * revision, so a reply to the initial request that arrives after a newer push is dropped.
 */
export function useCoreSnapshot(api: CfwrapApi): { snapshot: CoreSnapshot | null; error: string | null } {
  const [snapshot, setSnapshot] = useState<CoreSnapshot | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    const accept = (next: CoreSnapshot) => {
      if (!live) return
      setSnapshot((current) => (current !== null && current.revision > next.revision ? current : next))
    }
    const unsubscribe = api.onSnapshot(accept)
    api.snapshot({}).then(
      (result) => {
        if (result.ok) accept(result.value)
        else if (live) setError(result.error)
      },
      (reason: unknown) => {
        if (live) setError(reason instanceof Error ? reason.message : String(reason))
      },
    )
    return () => {
      live = false
      unsubscribe()
    }
  }, [api])
  return { snapshot, error }
}

// One shared one-second clock for every countdown, so they tick together and the window keeps a
// single timer however many tokens it shows.
const clockListeners = new Set<() => void>()
let clockNow = Date.now()
let clockTimer: ReturnType<typeof setTimeout> | null = null

function scheduleTick(): void {
  // Tick just after each wall-clock second so "14m 59s" changes when the second actually changes.
  clockTimer = setTimeout(() => {
    clockNow = Date.now()
    for (const listener of clockListeners) listener()
    scheduleTick()
  }, 1000 - (Date.now() % 1000) + 5)
}

function subscribeClock(listener: () => void): () => void {
  clockListeners.add(listener)
  if (clockTimer === null) {
    clockNow = Date.now()
    scheduleTick()
  }
  return () => {
    clockListeners.delete(listener)
    if (clockListeners.size === 0 && clockTimer !== null) {
      clearTimeout(clockTimer)
      clockTimer = null
    }
  }
}

/** The current time in ms, re-rendering the caller once a second. */
export function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => clockNow)
}

/** `value` once it has stopped changing for `delayMs` (e.g. a preview that waits for typing to pause). */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs)
    return () => clearTimeout(timer)
  }, [value, delayMs])
  return settled
}
