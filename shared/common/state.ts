import * as z from 'zod/mini'
import { TokenRecordSchema } from './records'
import { ApprovalPolicySchema } from './broker/policy'
import { CustomTemplateSchema } from './templates'

// The records and audit lines have a module of their own (records.ts): the wrapper's start-up path
// validates one record and writes one audit line without loading the settings' schemas.
export * from './records'

/** Defaults the product uses when a command or form leaves them out. */
export const StoredSettingsSchema = z.object({
  namePrefix: z.optional(z.string()),
  defaultOwner: z.optional(z.string()),
  defaultAccountId: z.optional(z.string()),
  watchedRoots: z.optional(z.array(z.string())),
  recentTemplates: z.optional(z.array(z.string())),
  watchPaused: z.optional(z.boolean()),
  /** The watcher asks Cloudflare whether each leaked token is alive (opt-in, see verify-findings.ts). */
  verifyFindings: z.optional(z.boolean()),
  /** When an agent's request needs a person (see shared/common/broker/policy.ts); absent rules keep their defaults. */
  approvalPolicy: z.optional(z.partial(ApprovalPolicySchema)),
  /** Commands `run_with_token` of `cfwrap --mcp` may run, each as the argv prefix it must start with. */
  runAllowlist: z.optional(z.array(z.array(z.string()).check(z.minLength(1)))),
  /** The person's own templates (`cfwrap --templates --import FILE`). */
  customTemplates: z.optional(z.array(CustomTemplateSchema)),
})

/** The state file: metadata only, validated on every read. */
export const StateSchema = z.object({
  version: z.literal(1),
  tokens: z.array(TokenRecordSchema),
  /** Project directory (absolute) → token name used there when `--token` is absent. */
  bindings: z.record(z.string(), z.string()),
  settings: z.optional(StoredSettingsSchema),
  dismissedFindings: z.optional(z.array(z.string())),
})

/** The parsed state file. */
export type State = z.infer<typeof StateSchema>

/** A state with nothing in it, as on first run. */
export function emptyState(): State {
  return { version: 1, tokens: [], bindings: {} }
}
