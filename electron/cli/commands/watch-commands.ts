import { UserError } from '../../../shared/common/errors'
import type { Invocation } from '../args'

/** Placeholder until this mode lands. */
export async function watchCommand(invocation: Invocation): Promise<number> {
  throw new UserError(`--${invocation.mode} is not available in this build yet.`)
}
