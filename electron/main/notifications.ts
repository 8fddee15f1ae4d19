// Shows planned notifications with Electron's Notification. Kept thin: what to say and when is
// decided in notification-plan.ts.
import { Notification } from 'electron'
import type { Navigate } from '../../shared/common/ipc'
import type { NotificationSpec } from './notification-plan'

/**
 * How many shown notifications keep their click handler alive. On Linux some notification servers
 * never report `close`, so the set is capped; the oldest are dropped first.
 */
export const MAX_LIVE_NOTIFICATIONS = 50

/** Something that shows a notification and reports clicks. */
export interface DesktopNotifier {
  show(spec: NotificationSpec): void
  /** Notifications still referenced (shown, not yet clicked or closed). */
  liveCount(): number
}

/**
 * A notifier that opens the window at the notification's target on click. Each shown Notification
 * is kept in a set until it is clicked, closed or fails: a Notification object with no reference
 * is garbage-collected and its click handler silently lost (electron/electron#12690, #16922).
 */
export function createDesktopNotifier(onClick: (target: Navigate) => void): DesktopNotifier {
  const live = new Set<Notification>()
  return {
    show(spec) {
      if (!Notification.isSupported()) return
      const notification = new Notification({ title: spec.title, body: spec.body, urgency: spec.urgency })
      const release = (): void => {
        live.delete(notification)
      }
      notification.on('click', () => {
        release()
        onClick(spec.target)
      })
      notification.on('close', release)
      notification.on('failed', release)
      live.add(notification)
      if (live.size > MAX_LIVE_NOTIFICATIONS) {
        const oldest = live.values().next().value
        if (oldest !== undefined) live.delete(oldest)
      }
      notification.show()
    },
    liveCount: () => live.size,
  }
}
