import * as z from 'zod/mini'

// Token records and audit lines: the schemas `cfwrap <command>` needs on its start-up path, kept
// apart from the rest of the state file's (settings, templates, the approval policy), which that
// path never loads. state.ts re-exports all of this.

/** What cfwrap does with a stored token: inject it into commands, or use it only to mint others. */
export const TokenRoleSchema = z.enum(['command', 'minting'])

/** Where a stored token came from. */
export const TokenSourceSchema = z.enum(['dashboard', 'minted', 'setup'])

/**
 * Lifecycle of a token record. `pending` is written before the create call (crash safety: a token
 * created on Cloudflare but never stored is found again by name), `deleting` while the reaper works
 * on it, `delete-failed` when Cloudflare would not confirm a deletion yet, `missing` when a minted
 * token is no longer on Cloudflare although its deadline has not passed (deleted in the dashboard?).
 */
export const TokenStatusSchema = z.enum(['pending', 'active', 'deleting', 'delete-failed', 'missing'])

const isoDate = z.iso.datetime({ offset: true })

/** Metadata of one token. Never the secret: that lives only in the OS keychain. */
export const TokenRecordSchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(120)),
  tokenId: z.nullable(z.string()),
  accountId: z.nullable(z.string()),
  zoneId: z.optional(z.nullable(z.string())),
  bucket: z.optional(z.nullable(z.string())),
  /** Absolute deadline (ISO 8601); null for a token that never expires. */
  expiresAt: z.nullable(isoDate),
  template: z.nullable(z.string()),
  /** First 12 hex of the secret's SHA-256; null while a mint is pending. */
  fingerprint: z.nullable(z.string()),
  createdAt: isoDate,
  source: TokenSourceSchema,
  role: TokenRoleSchema,
  /** Temporary tokens are deleted at their deadline, on Cloudflare and in the keychain. */
  temporary: z.boolean(),
  status: TokenStatusSchema,
  /** Whether the token is owned by the user or by an account (decides which API paths manage it). */
  owner: z.optional(z.enum(['user', 'account'])),
  lastError: z.optional(z.nullable(z.string())),
  attempts: z.optional(z.number()),
  /**
   * Process that wrote a `pending` record and may still be creating the token: the reaper leaves
   * the record alone while that process lives, and cleans up after it once it is gone.
   */
  pendingPid: z.optional(z.number()),
  /** `broker`: granted to an agent through the broker, so agents may lease and revoke it; absent for the person's own. */
  grantedBy: z.optional(z.literal('broker')),
})

/** One token's metadata. */
export type TokenRecord = z.infer<typeof TokenRecordSchema>

/**
 * What an audit line records: the token events worth keeping as history (see `auditEntryOf` in
 * shared/node/audit.ts) and `run`, one wrapped command. A line with any other name is skipped.
 */
export const AuditEventNameSchema = z.enum([
  'run',
  'minted',
  'deleted',
  'delete-failed',
  'orphan-deleted',
  'gone',
  'missing-on-cloudflare',
  'pending-dropped',
  'added',
  'rolled',
  'removed',
  'setup',
  'revoke-all',
  'broker-request',
  'broker-decision',
  'leased',
  'mcp-call',
  'foreign-tokens',
  'reconcile-failed',
  'sweep-failed',
  'state-problem',
  'daemon-started',
  'daemon-stopped',
])

/** The name of an audit line. */
export type AuditEventName = z.infer<typeof AuditEventNameSchema>

/** One line of the audit log. */
export const AuditEventSchema = z.object({
  time: isoDate,
  event: AuditEventNameSchema,
  token: z.optional(z.nullable(z.string())),
  fingerprint: z.optional(z.nullable(z.string())),
  tokenId: z.optional(z.nullable(z.string())),
  command: z.optional(z.string()),
  cwd: z.optional(z.string()),
  exit: z.optional(z.nullable(z.number())),
  signal: z.optional(z.nullable(z.string())),
  detail: z.optional(z.string()),
})

/** A parsed audit log line. */
export type AuditEvent = z.infer<typeof AuditEventSchema>
