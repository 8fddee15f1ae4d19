import { useEffect } from 'react'

/**
 * Brings the element marked `data-item={item}` into view and focuses it, so a notification click
 * lands on the token or finding it was about. `ready` re-runs it once the item has arrived
 * (a freshly minted token shows up with the next snapshot, not at once).
 */
export function useScrollToItem(item: string | undefined, ready: boolean): void {
  useEffect(() => {
    if (item === undefined || !ready) return
    // Compared as attributes, not through a selector: finding ids contain NUL separators, which
    // CSS.escape turns into U+FFFD, so no selector could match them.
    const element = [...document.querySelectorAll<HTMLElement>('[data-item]')].find((candidate) => candidate.dataset.item === item)
    if (element === undefined) return
    element.scrollIntoView({ block: 'center' })
    element.focus({ preventScroll: true })
  }, [item, ready])
}
