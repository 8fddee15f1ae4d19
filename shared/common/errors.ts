/**
 * The one error model. Every failure cfwrap can name is a {@link UserError}: one clear sentence
 * for the person at the keyboard (no stack, never a secret), an exit status (1 failure, 2 usage)
 * and a category the surfaces can act on. Anything else reaching a surface is a bug and is
 * reported as "unexpected error".
 */

/** What kind of failure a {@link UserError} is. */
export type ErrorCategory =
  /** How a command was called (exit 2). */
  | 'usage'
  /** The OS keychain is locked, absent or refused access. */
  | 'keychain'
  /** Cloudflare refused, failed or could not be reached. */
  | 'api'
  /** The state file or directory is damaged or unsafe. */
  | 'state'
  /** A guard rule or a check refused what was asked. */
  | 'refused'
  /** Anything else that was tried and failed. */
  | 'failed'

/** An error whose message is meant for the person at the keyboard: one clear sentence, no stack, never a secret. */
export class UserError extends Error {
  override name = 'UserError'
  constructor(
    message: string,
    readonly exitCode: number = 1,
    readonly category: ErrorCategory = exitCode === 2 ? 'usage' : 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** A mistake in how a command was called (exit status 2). */
export class UsageError extends UserError {
  override name = 'UsageError'
  constructor(message: string) {
    super(message, 2, 'usage')
  }
}
