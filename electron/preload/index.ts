// The sandboxed preload: exposes `window.cfwrap`, one named method per IPC channel plus two
// subscriptions, and nothing else. ipcRenderer itself never crosses the bridge, so a compromised
// page can call only these methods, and main checks every call again (ipc-main.ts). Built as
// CommonJS with its imports bundled: a sandboxed preload can `require` only `electron`.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  NAVIGATE_PUSH_CHANNEL,
  SNAPSHOT_PUSH_CHANNEL,
  channelName,
  type CfwrapApi,
  type Channel,
  type CoreSnapshot,
  type Navigate,
  type Request,
  type Response,
  type Result,
} from '../../shared/common/ipc'

/** The method of one channel: forwards the request to main and returns its result. */
function invoker<C extends Channel>(channel: C): (request: Request<C>) => Promise<Result<Response<C>>> {
  const name = channelName(channel)
  return (request) => ipcRenderer.invoke(name, request) as Promise<Result<Response<C>>>
}

/**
 * Subscribes to a push channel. The listener gets the payload only, never the IpcRendererEvent,
 * whose `sender` would hand the page ipcRenderer itself.
 */
function subscriber<T>(channel: string): (listener: (payload: T) => void) => () => void {
  return (listener) => {
    const forward = (_event: IpcRendererEvent, payload: T): void => listener(payload)
    ipcRenderer.on(channel, forward)
    return () => {
      ipcRenderer.removeListener(channel, forward)
    }
  }
}

/**
 * The API the window sees. Written out channel by channel (not built in a loop) so the type
 * checker fails here when a channel is added to the contract and not exposed.
 */
export const cfwrapApi: CfwrapApi = {
  snapshot: invoker('snapshot'),
  previewMint: invoker('previewMint'),
  mint: invoker('mint'),
  revoke: invoker('revoke'),
  revokeAll: invoker('revokeAll'),
  addWatchedRoot: invoker('addWatchedRoot'),
  removeWatchedRoot: invoker('removeWatchedRoot'),
  dismissFinding: invoker('dismissFinding'),
  updateSettings: invoker('updateSettings'),
  setWatchPaused: invoker('setWatchPaused'),
  setupMinting: invoker('setupMinting'),
  approveRequest: invoker('approveRequest'),
  updatePolicy: invoker('updatePolicy'),
  roll: invoker('roll'),
  adopt: invoker('adopt'),
  denyRequest: invoker('denyRequest'),
  onSnapshot: subscriber<CoreSnapshot>(SNAPSHOT_PUSH_CHANNEL),
  onNavigate: subscriber<Navigate>(NAVIGATE_PUSH_CHANNEL),
}

contextBridge.exposeInMainWorld('cfwrap', cfwrapApi)
