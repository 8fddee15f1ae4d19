// The one place that registers IPC handlers (ESLint refuses `ipcMain` anywhere else). Every
// channel of the contract gets exactly one handler, and every handler runs the same gate: the
// message must come from our window showing our page, and its payload must parse with the
// channel's schema, before the core sees it. A refused request gets `{ ok: false, error }`.
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import type { $ZodIssue } from 'zod/v4/core'
import { CHANNELS, REQUESTS, channelName, type Channel, type Responses, type Result } from '../../shared/common/ipc'
import type { Core } from '../../shared/node/core-api'
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
 * One schema problem in words, built from the issue's code and path only. zod/mini ships no
 * messages ("Invalid input"), and an issue may carry the offending value in `input`, which must
 * never be echoed: for `setupMinting` it is the credential.
 */
export function describeIssue(issue: $ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'request'
  switch (issue.code) {
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`
    case 'unrecognized_keys':
      // Field names, not values; cut short in case a page sends something odd as a key.
      return `${where}: unknown field ${issue.keys.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')}`
    case 'too_big':
      return `${where}: too ${issue.origin === 'string' ? 'long' : 'big'} (at most ${issue.maximum})`
    case 'too_small':
      return `${where}: too ${issue.origin === 'string' ? 'short' : 'small'} (at least ${issue.minimum})`
    case 'invalid_format':
      return `${where}: not in the expected format`
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`
    default:
      return `${where}: invalid`
  }
}

/**
 * The gate every request passes, separate from Electron so it reads as one function: sender
 * check, schema check, then the core. Exceptions from the core become `{ ok: false }` with their
 * message (the core's messages never carry secrets); nothing is logged here, because a request
 * may carry the minting credential (`setupMinting`).
 */
export async function handleRequest<C extends Channel>(
  channel: C,
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  request: unknown,
  core: Pick<Core, 'call'>,
  trusted: TrustedRenderer,
): Promise<Result<Responses[C]>> {
  if (!isTrustedSender(event, trusted.webContents(), trusted.isTrustedUrl)) return { ok: false, error: UNTRUSTED_SENDER_ERROR }
  const parsed = REQUESTS[channel].safeParse(request)
  if (!parsed.success) {
    return { ok: false, error: `Invalid ${channel} request: ${parsed.error.issues.map(describeIssue).join('; ')}` }
  }
  try {
    return await core.call(channel, parsed.data)
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : `${channel} failed` }
  }
}

/**
 * Registers one handler per channel in `CHANNELS` and returns a function that removes them all.
 * Registering twice would throw in Electron ("Attempted to register a second handler"), which is
 * what we want: one gate per channel, never a second, unguarded one.
 */
export function registerIpcHandlers(core: Pick<Core, 'call'>, trusted: TrustedRenderer): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channelName(channel), (event, request: unknown) => handleRequest(channel, event, request, core, trusted))
  }
  return () => {
    for (const channel of CHANNELS) ipcMain.removeHandler(channelName(channel))
  }
}
