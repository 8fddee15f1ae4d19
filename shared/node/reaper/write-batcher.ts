// The reaper's local writes, batched: a burst of deletions (200 tokens due at once after a sleep)
// costs a couple of locked state-file writes instead of one each.
import type { TokenRecord } from '../../common/state'
import { dropRecord, type Vault } from '../vault'

/** One queued change to the record of one token id: drop it, or patch some of its fields. */
export type RecordChange = { tokenId: string | null } & ({ kind: 'remove' } | { kind: 'patch'; patch: Partial<TokenRecord> })

/** Queues record changes and writes them together, one write at a time. */
export class WriteBatcher {
  private pending = new Map<string, RecordChange>()
  private current: Promise<void> | null = null
  private next: Promise<void> | null = null

  constructor(private readonly vault: Pick<Vault, 'update'>) {}

  /**
   * Queues a change to one record and resolves once it is written. Changes that arrive while a write
   * is under way share the next write. A removal is never undone by a later patch of the same record
   * (a late "delete-failed" must not resurrect a token that is gone).
   */
  queue(name: string, change: RecordChange): Promise<void> {
    const existing = this.pending.get(name)
    if (!(existing?.kind === 'remove' && change.kind === 'patch')) this.pending.set(name, change)
    if (!this.next) {
      const after = this.current ?? Promise.resolve()
      this.next = after
        .catch(() => undefined)
        .then(() => {
          const batch = this.pending
          this.pending = new Map()
          this.next = null
          const flush = this.vault.update((state) => {
            for (const [recordName, queued] of batch) {
              if (queued.kind === 'remove') {
                dropRecord(state, recordName, queued.tokenId)
              } else {
                const stored = state.tokens.find((token) => token.name === recordName && token.tokenId === queued.tokenId)
                if (stored) Object.assign(stored, queued.patch)
              }
            }
          })
          this.current = flush
          return flush
        })
    }
    return this.next
  }

  /** Resolves once every queued change has been written (or failed). */
  async drained(): Promise<void> {
    await Promise.allSettled([this.next, this.current])
  }
}
