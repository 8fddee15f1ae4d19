import * as z from 'zod/mini'
import { UserError } from '../common/errors'
import { TokenRecordSchema, type TokenRecord } from '../common/records'
import { secretProblem } from '../common/secret'
import type { State } from '../common/state'
import { storePaths } from './paths'
import { checkPrivateDir, readPrivateFile } from './private-files'

// What `cfwrap <command>` reads of the vault on its start-up path, apart from vault.ts: the
// settings', templates' and policy's schemas the full state file needs are never loaded there.

/**
 * The state file's outline: every field the wrapper uses is checked (version, the bindings, that
 * the tokens are a list); the records themselves are not, only the one the command runs with.
 */
const RunOutlineSchema = z.looseObject({
  version: z.literal(1),
  tokens: z.array(z.unknown()),
  bindings: z.record(z.string(), z.string()),
})

/** What the wrapper needs of the state: the name `pick` chose, its record (if any), and the names it could have meant. */
export interface RunView {
  name: string | undefined
  record: TokenRecord | undefined
  /** Names of the tokens a command could be given (for the message when none was chosen). */
  commandNames: () => string[]
}

/**
 * The record named by `pick` (given the bindings), validated in full with the record schema, and
 * the file's outline; not the other records: validating 1,000 records the command never uses cost
 * ~10 ms of start-up. Anything unexpected (unreadable, damaged, that record invalid) takes
 * `readFull`, the vault's full reader, with its recovery and its one-sentence errors.
 */
export async function readForRun(dir: string, pick: (bindings: State['bindings']) => string | undefined, readFull: () => Promise<State>): Promise<RunView> {
  const full = async (): Promise<RunView> => {
    const state = await readFull()
    const name = pick(state.bindings)
    return {
      name,
      record: name === undefined ? undefined : state.tokens.find((token) => token.name === name),
      commandNames: () => state.tokens.filter((token) => token.role === 'command').map((token) => token.name),
    }
  }
  let json: unknown
  try {
    checkPrivateDir(dir)
    json = JSON.parse(readPrivateFile(storePaths(dir).state))
  } catch {
    return full()
  }
  const outline = RunOutlineSchema.safeParse(json)
  if (!outline.success) return full()
  const name = pick(outline.data.bindings)
  const raw = name === undefined ? undefined : outline.data.tokens.find((entry) => typeof entry === 'object' && entry !== null && (entry as { name?: unknown }).name === name)
  let record: TokenRecord | undefined
  if (raw !== undefined) {
    const parsed = TokenRecordSchema.safeParse(raw)
    if (!parsed.success) return full()
    record = parsed.data
  }
  const tokens = outline.data.tokens
  return {
    name,
    record,
    commandNames: () =>
      tokens.flatMap((entry) => {
        const parsed = TokenRecordSchema.safeParse(entry)
        return parsed.success && parsed.data.role === 'command' ? [parsed.data.name] : []
      }),
  }
}

/**
 * The keychain's answer for token `name` if it can be used as a secret: a missing item, and one
 * that something other than cfwrap left empty or filled with control bytes, are refused before
 * any command starts with it.
 */
export function checkedKeychainSecret(name: string, secret: string | null): string {
  const problem = secret === null ? 'is missing' : secretProblem(secret)
  if (problem !== null) {
    throw new UserError(
      `The keychain item for token ${name} ${problem === 'is missing' ? 'is missing' : `was changed outside cfwrap and ${problem}`}; ` +
        `forget it with \`cfwrap --remove ${name}\` and add or mint it again.`,
    )
  }
  return secret as string
}
