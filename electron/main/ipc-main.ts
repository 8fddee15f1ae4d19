// The one place that registers IPC handlers (ESLint refuses `ipcMain` anywhere else). Every
// channel of the contract gets exactly one handler, and every handler runs the same gate: the
// message must come from our window showing our page, and its payload must parse with the
// channel's schema (once, in the shared adapter), before the service sees it. A refused request gets `{ ok: false, error }`.
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { CHANNELS, channelName, type Channel, type Response, type Result, type ServiceChannels } from '../../shared/common/ipc'
import { serveRequest } from '../../shared/node/ipc-adapter'
import { isTrustedSender } from './security-policy'

/** Who may call: our window's webContents (null while there is no window) and what it must show. */
export interface TrustedRenderer {
  /** The webContents of the window we created, or null. */
  webContents(): unknown
  /** True for URLs of our own renderer. */
  isTrustedUrl(url: string): boolean
}

/** The error returned to a sender that is not our window. Says nothing about why, on purpose. */
export const UNTRUSTED_SENDER_ERROR = 'Refused: this request did not come from the cfwrap window.'

/**
 * The gate every request passes, separate from Electron so it reads as one function: the sender
 * check here, then the one generic adapter (`serveRequest`: the channel's schema, the typed
 * method, errors as one sentence). Nothing is logged here, because a request may carry the
 * minting credential (`setupMinting`).
 */
export async function handleRequest<C extends Channel>(
  channel: C,
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  request: unknown,
  service: ServiceChannels,
  trusted: TrustedRenderer,
): Promise<Result<Response<C>>> {
  if (!isTrustedSender(event, trusted.webContents(), trusted.isTrustedUrl)) return { ok: false, error: UNTRUSTED_SENDER_ERROR }
  return serveRequest(service, channel, request)
}

/**
 * Registers one handler per channel in `CHANNELS` and returns a function that removes them all.
 * Registering twice would throw in Electron ("Attempted to register a second handler"), which is
 * what we want: one gate per channel, never a second, unguarded one.
 */
export function registerIpcHandlers(service: ServiceChannels, trusted: TrustedRenderer): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channelName(channel), (event, request: unknown) => handleRequest(channel, event, request, service, trusted))
  }
  return () => {
    for (const channel of CHANNELS) ipcMain.removeHandler(channelName(channel))
  }
}
