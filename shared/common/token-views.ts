/**
 * Pure views of tokens that more than one surface shows (the tray menu, the window), written once
 * so the two cannot disagree on order or quoting.
 */
import type { TokenView } from './ipc'

/** Soonest deadline first (what needs attention soonest), tokens without a deadline last, then by name. */
export function byDeadline(a: Pick<TokenView, 'name' | 'expiresAt'>, b: Pick<TokenView, 'name' | 'expiresAt'>): number {
  if (a.expiresAt !== null && b.expiresAt !== null && a.expiresAt !== b.expiresAt) return Date.parse(a.expiresAt) - Date.parse(b.expiresAt)
  if (a.expiresAt === null && b.expiresAt !== null) return 1
  if (a.expiresAt !== null && b.expiresAt === null) return -1
  return a.name.localeCompare(b.name)
}

/**
 * The command line that runs a command with this token: what "Copy cfwrap command" puts on the
 * clipboard, in the tray and in the window. The token's name only; the secret never leaves the
 * keychain. Names cfwrap mints need no quoting; a name added by hand is single-quoted for POSIX
 * shells when it contains anything else.
 */
export function cfwrapCommandFor(tokenName: string): string {
  const quoted = /^[A-Za-z0-9._:@%+=,/-]+$/.test(tokenName) ? tokenName : `'${tokenName.replaceAll("'", `'\\''`)}'`
  return `cfwrap --token ${quoted}`
}
