import type { CfwrapApi } from '../../shared/common/ipc'

// The preload (or, in the browser tests, the test process) installs the core's API here before the
// window's script runs; it is the window's only way to reach the core.
declare global {
  interface Window {
    cfwrap?: CfwrapApi
  }
}

export {}
