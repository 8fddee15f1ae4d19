// The words of the app's confirmation dialogs, as pure functions so they are reviewed and tested
// like any other output. The adapters pass them to `dialog.showMessageBox`.
import type { CoreSnapshot } from '../../shared/common/ipc'

/** The parts of `MessageBoxOptions` these dialogs fill in. */
export interface DialogText {
  message: string
  detail: string
  /** Button labels, left to right (the OS may reorder them; indexes stay). */
  buttons: string[]
  defaultId: number
  cancelId: number
}

/** The three answers to the quit question, by button index. */
export const QUIT_CHOICES = ['revoke-and-quit', 'quit', 'cancel'] as const

/**
 * The question asked on quit while temporary tokens are alive. cfwrap deletes tokens at their
 * deadline only while it runs, so the person decides; Cloudflare's own `expires_on` still ends
 * each token, and the next start deletes whatever is overdue.
 */
export function quitPrompt(liveTemporaryTokens: readonly string[]): DialogText {
  const count = liveTemporaryTokens.length
  const listed = liveTemporaryTokens.slice(0, 8).map((name) => `  • ${name}`)
  if (count > 8) listed.push(`  • and ${count - 8} more`)
  return {
    message: count === 1 ? 'Revoke your temporary token before quitting?' : `Revoke your ${count} temporary tokens before quitting?`,
    detail: [
      ...listed,
      '',
      'While cfwrap is closed it cannot delete tokens at their deadline. Cloudflare still expires each one at its deadline (its expires_on), and cfwrap deletes any that are overdue the next time it starts.',
    ].join('\n'),
    buttons: ['Revoke and quit', 'Quit and keep them', 'Cancel'],
    defaultId: 0,
    cancelId: 2,
  }
}

/** The confirmation before "Revoke all". */
export function revokeAllPrompt(snapshot: CoreSnapshot): DialogText {
  const count = snapshot.tokens.filter((token) => token.role === 'command' && token.status !== 'pending').length
  return {
    message: `Revoke all ${count === 1 ? 'tokens (1)' : `${count} tokens`}?`,
    detail: 'Each token is deleted on Cloudflare and its secret removed from the keychain; commands using them stop working. This cannot be undone. cfwrap lists any token it could not delete, and any you should also rotate in the dashboard.',
    buttons: ['Revoke all', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
  }
}

/** The confirmation before revoking one token from the tray (a tray click may be a double-click). */
export function revokePrompt(tokenName: string): DialogText {
  return {
    message: `Revoke ${tokenName}?`,
    detail: 'It is deleted on Cloudflare and its secret removed from the keychain. Commands using it stop working.',
    buttons: ['Revoke', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
  }
}

/** The question before "Move to keychain" on a leaked Cloudflare API token (`cfwrap --adopt`). */
export function adoptPrompt(location: string): DialogText {
  return {
    message: `Move the token in ${location} to the keychain?`,
    detail: 'cfwrap stores it in the OS keychain and replaces that line with a comment saying how to use it. A private backup of the file is kept.',
    buttons: ['Move to keychain', 'Cancel'],
    defaultId: 0,
    cancelId: 1,
  }
}

/** What the person is told after "Revoke all", or null when everything went as asked. */
export function revokeAllReport(result: { deleted: string[]; failed: { name: string; error: string }[]; rotateAlso: string[] }): { message: string; detail: string } | null {
  if (result.failed.length === 0 && result.rotateAlso.length === 0) return null
  const lines: string[] = []
  if (result.failed.length > 0) {
    lines.push('Not deleted yet (cfwrap keeps trying):', ...result.failed.map((failure) => `  • ${failure.name}: ${failure.error}`))
  }
  if (result.rotateAlso.length > 0) {
    if (lines.length > 0) lines.push('')
    lines.push('Rotate these in the Cloudflare dashboard too:', ...result.rotateAlso.map((name) => `  • ${name}`))
  }
  return { message: `Revoked ${result.deleted.length} of ${result.deleted.length + result.failed.length} tokens.`, detail: lines.join('\n') }
}
