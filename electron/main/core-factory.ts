// The one line of the app that names the core's implementation; everything else in electron/main
// programs against the `Core` interface (shared/node/core-api.ts).
import type { Core } from '../../shared/node/core-api'
import { createCore } from '../../shared/node/core'

/** Creates the core the tray app runs, reading its configuration from `env`. */
export function createAppCore(env: NodeJS.ProcessEnv): Core {
  return createCore({ env })
}
