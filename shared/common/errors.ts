/**
 * An error whose message is meant for the person at the keyboard: one clear sentence, no stack,
 * never a secret. `exitCode` follows the CLI convention (1 failure, 2 usage).
 */
export class UserError extends Error {
  override name = 'UserError'
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message)
  }
}

/** A mistake in how a command was called (exit status 2). */
export class UsageError extends UserError {
  override name = 'UsageError'
  constructor(message: string) {
    super(message, 2)
  }
}
