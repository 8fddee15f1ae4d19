import type { ReactNode } from 'react'

/** A labelled list of cards, or what to show instead when there are none. */
export function CardList<T>({ label, items, itemKey, empty, children }: { label: string; items: readonly T[]; itemKey: (item: T) => string; empty: ReactNode; children: (item: T) => ReactNode }) {
  if (items.length === 0) return <>{empty}</>
  return (
    <ul className="cards" aria-label={label}>
      {items.map((item) => (
        <li key={itemKey(item)}>{children(item)}</li>
      ))}
    </ul>
  )
}
