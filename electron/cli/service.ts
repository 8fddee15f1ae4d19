import type { Core } from '../../shared/node/core-api'
import { createCore } from '../../shared/node/core'
import { printWarning } from './output'

/**
 * The service for one CLI command: the same core the tray app and the daemon run, not started (no
 * reaper, no watchers) and keeping no snapshot. A failed audit write is a warning, never a failure
 * of the command that succeeded.
 */
export function openService(env: NodeJS.ProcessEnv = process.env): Core {
  return createCore({
    env,
    oneShot: { onAuditError: (error) => printWarning(`cfwrap: warning: could not write the audit log: ${error instanceof Error ? error.message : String(error)}`) },
  })
}
