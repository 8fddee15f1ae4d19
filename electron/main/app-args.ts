// Command-line arguments of the app itself (not of the `cfwrap` CLI): what the first instance was
// started with, and what a second instance passes on through `second-instance`.
import { NavigateSchema, type Navigate } from '../../shared/common/ipc'
import { HIDDEN_ARG } from './autostart'

/** The text of `cfwrap-app --help` (the tray app; the terminal command is `cfwrap`). */
export const APP_HELP_TEXT = `cfwrap (tray app): mint time-boxed Cloudflare tokens, delete them at their deadline, watch for leaks.

Usage: cfwrap-app [--hidden] [--view=tokens|mint|findings|audit|settings] [--item=ID]
  --hidden         start in the tray without opening the window (used by "Start at login")
  --view, --item   open the window at a view, highlighting a token name or finding id
  --help           show this help

The terminal command is \`cfwrap\` (see \`cfwrap --help\`); the tray menu can install it in PATH.
`

/** True when the app was started only to print its help. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

/** What the app was asked to do at start. */
export interface AppArgs {
  /** Start in the tray without opening the window (set by the login item). */
  hidden: boolean
  /** Open the window at this view (`--view=findings [--item=ID]`). */
  target: Navigate | undefined
}

/**
 * Reads the app's own switches from argv and ignores everything else: Chromium and the OS add
 * switches of their own (e.g. `--original-process-start-time`, `-psn_…` on old macOS), and a
 * second instance's argv starts with the executable and, unpackaged, the app folder.
 */
export function parseAppArgs(argv: readonly string[]): AppArgs {
  let hidden = false
  let view: string | undefined
  let item: string | undefined
  for (const argument of argv) {
    if (argument === HIDDEN_ARG) hidden = true
    else if (argument.startsWith('--view=')) view = argument.slice('--view='.length)
    else if (argument.startsWith('--item=')) item = argument.slice('--item='.length)
  }
  if (view === undefined) return { hidden, target: undefined }
  const parsed = NavigateSchema.safeParse(item === undefined ? { view } : { view, item })
  return { hidden, target: parsed.success ? parsed.data : undefined }
}
