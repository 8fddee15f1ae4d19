import * as z from 'zod/mini'

/**
 * Events of the token lifecycle (minting, deleting at the deadline, reconciling with Cloudflare).
 * One schema for every consumer: the daemon prints them as JSON lines, the tray app will receive
 * them over IPC and validate them with the same schema. No event ever carries a secret: tokens are
 * named by name, Cloudflare id and fingerprint.
 */

const isoDate = z.iso.datetime({ offset: true })

/** What every event that concerns one token carries. */
const tokenFields = {
  time: isoDate,
  token: z.string(),
  tokenId: z.nullable(z.string()),
  fingerprint: z.nullable(z.string()),
}

/** Kinds of failure: those of `CloudflareApiError.kind`, plus `no-credential` (no minting credential stored), `keychain` (the keychain cannot be reached) and `local` (other local trouble, e.g. the state file). */
export const ApiErrorKindSchema = z.enum(['rate-limited', 'not-found', 'auth', 'permission', 'server', 'network', 'quota', 'bad-request', 'no-credential', 'keychain', 'local'])

/** A kind of failure. */
export type ApiErrorKind = z.infer<typeof ApiErrorKindSchema>

/** Why a token was deleted on Cloudflare and forgotten locally. */
export const DeleteReasonSchema = z.enum(['deadline', 'revoked', 'revoke-all'])

/**
 * Why the reconciler deleted a token it found on Cloudflare. Never for its name alone: a live token
 * this vault did not record is reported as foreign and left alone.
 */
export const OrphanReasonSchema = z.enum([
  /** Named like cfwrap's, unknown to the vault, and past its `expires_on` already: dead, it only uses quota. */
  'expired',
  /** Created by one of this vault's mints that crashed before the secret was stored (matched by name, deadline and issue time). */
  'crashed-mint',
])

/** A token on Cloudflare that this vault did not record. */
export const ForeignTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled', 'expired']),
  expiresOn: z.nullable(z.string()),
})

/** Every event, discriminated by `type`. */
export const TokenEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('minted'),
    ...tokenFields,
    expiresAt: z.nullable(isoDate),
    template: z.nullable(z.string()),
    /** What it can do, one line per policy (absent when announced from another process's state). */
    policies: z.optional(z.array(z.string())),
    /** The machine that minted it. */
    host: z.optional(z.string()),
  }),
  z.object({
    /** Cloudflare confirmed the deletion; the local secret and record go right after (a crash in between is finished on restart). */
    type: z.literal('deleted'),
    ...tokenFields,
    reason: DeleteReasonSchema,
    /** How long after the deadline Cloudflare confirmed the deletion (ms); null without a deadline. */
    lateMs: z.nullable(z.number()),
  }),
  z.object({
    type: z.literal('delete-failed'),
    ...tokenFields,
    error: z.string(),
    errorKind: ApiErrorKindSchema,
    attempts: z.number(),
    /** When the reaper tries again. */
    retryAt: isoDate,
  }),
  z.object({
    type: z.literal('orphan-deleted'),
    ...tokenFields,
    reason: OrphanReasonSchema,
  }),
  z.object({
    /** A temporary token past its deadline that Cloudflare no longer has: forgotten locally, nothing to delete. */
    type: z.literal('gone'),
    ...tokenFields,
  }),
  z.object({
    /** A stored token that Cloudflare no longer has although its deadline has not passed; kept, marked `missing`. */
    type: z.literal('missing-on-cloudflare'),
    ...tokenFields,
  }),
  z.object({
    /** A `pending` record of a mint that never finished was dropped (after deleting any token it made). */
    type: z.literal('pending-dropped'),
    ...tokenFields,
  }),
  z.object({
    /** A token's secret was rolled on Cloudflare (`cfwrap --roll`): the old one is dead, the new one is in the keychain. */
    type: z.literal('rolled'),
    ...tokenFields,
    previousFingerprint: z.nullable(z.string()),
  }),
  z.object({
    /** A token made in the dashboard was stored (`cfwrap --add`), or moved out of a file (`cfwrap --adopt`). */
    type: z.literal('added'),
    ...tokenFields,
    /** `FILE:LINE` the token was adopted from, when it was. */
    from: z.optional(z.string()),
  }),
  z.object({
    /** A token was forgotten here (record and keychain item) without being deleted on Cloudflare. */
    type: z.literal('removed'),
    ...tokenFields,
    /** `remove` (`cfwrap --remove`), or `revoke` of a dashboard token, which cfwrap cannot delete. */
    via: z.enum(['remove', 'revoke']),
  }),
  z.object({
    /** The minting credential was checked and stored (`cfwrap --setup`, the Settings view). */
    type: z.literal('setup'),
    ...tokenFields,
    owner: z.enum(['user', 'account']),
    /** Fingerprints of the credentials it replaced. */
    replaced: z.array(z.nullable(z.string())),
  }),
  z.object({
    /** The incident button ran; each token it deleted has its own `deleted` event. */
    type: z.literal('revoke-all'),
    time: isoDate,
    deleted: z.number(),
    alreadyGone: z.number(),
    failed: z.number(),
    foreign: z.array(ForeignTokenSchema),
  }),
  z.object({
    /** An agent asked the broker for a token (the reason is the requester's own text: untrusted). */
    type: z.literal('broker-request'),
    time: isoDate,
    requestId: z.string(),
    /** The name the token would get. */
    name: z.string(),
    template: z.string(),
    chain: z.string(),
    cwd: z.string(),
    reason: z.string(),
    /** Why a person must approve it; empty when the policy granted it at once. */
    needsApproval: z.array(z.string()),
  }),
  z.object({
    /** A person decided a request: approved (for this request, or for a window) or denied. */
    type: z.literal('broker-decision'),
    time: isoDate,
    requestId: z.string(),
    approved: z.boolean(),
    /** A standing approval: the same template, project and env are granted until then. */
    until: z.optional(isoDate),
  }),
  z.object({
    /** A tool of `cfwrap --mcp` was called (what, in short; never a secret). */
    type: z.literal('mcp-call'),
    time: isoDate,
    tool: z.string(),
    detail: z.string(),
    chain: z.string(),
  }),
  z.object({
    /** An agent received a token's secret for one run. */
    type: z.literal('leased'),
    ...tokenFields,
    chain: z.string(),
  }),
  z.object({
    type: z.literal('reconciled'),
    time: isoDate,
    /** cfwrap's tokens seen on Cloudflare. */
    seen: z.number(),
    orphansDeleted: z.number(),
    missing: z.number(),
    pendingDropped: z.number(),
    /** Live tokens this vault did not record (see `foreign-tokens`). */
    foreign: z.optional(z.number()),
  }),
  z.object({
    /**
     * Live tokens on Cloudflare that this vault did not record (another vault's, CI's, the
     * dashboard's): reported after each reconcile, never deleted.
     */
    type: z.literal('foreign-tokens'),
    time: isoDate,
    tokens: z.array(ForeignTokenSchema),
    /** The same set as the last report: status, not history (the audit log has it already). */
    repeat: z.optional(z.boolean()),
  }),
  z.object({
    type: z.literal('reconcile-failed'),
    time: isoDate,
    error: z.string(),
    errorKind: ApiErrorKindSchema,
  }),
  z.object({
    /** A sweep could not run at all (e.g. the state file is unreadable); the next one tries again. */
    type: z.literal('sweep-failed'),
    time: isoDate,
    error: z.string(),
    errorKind: ApiErrorKindSchema,
  }),
  z.object({
    /**
     * The state file was damaged: `restored` (the last good state was written back) or `repaired`
     * (invalid records dropped) once; `damaged` (a copy nobody could restore waits for the person)
     * again on every periodic sweep until it is moved away.
     */
    type: z.literal('state-problem'),
    time: isoDate,
    kind: z.enum(['restored', 'repaired', 'damaged']),
    message: z.string(),
    file: z.string(),
    /** Reported before: status, not history (the audit log has it already). */
    repeat: z.optional(z.boolean()),
  }),
  z.object({
    /** The daemon (or the tray app's background services) is running; its first pass is under way. */
    type: z.literal('daemon-started'),
    time: isoDate,
    pid: z.number(),
  }),
  z.object({
    type: z.literal('daemon-stopped'),
    time: isoDate,
    pid: z.number(),
  }),
  z.object({
    /** Cloudflare answered 429: every request of this process waits until `until`. */
    type: z.literal('rate-limited'),
    time: isoDate,
    retryAfterSeconds: z.number(),
    until: isoDate,
  }),
])

/** One lifecycle event. */
export type TokenEvent = z.infer<typeof TokenEventSchema>

/** The event types. */
export type TokenEventType = TokenEvent['type']


/** A one-line description of an event for people (the daemon without `--json`, notifications). */
export function describeTokenEvent(event: TokenEvent): string {
  switch (event.type) {
    case 'minted':
      return `minted ${event.token} (fingerprint ${event.fingerprint ?? '-'})${event.expiresAt ? `, deadline ${event.expiresAt}` : ', no deadline'}`
    case 'deleted':
      return `deleted ${event.token} (${event.reason}${event.lateMs !== null ? `, ${(event.lateMs / 1000).toFixed(1)}s after its deadline` : ''})`
    case 'delete-failed':
      return `could not delete ${event.token} yet (attempt ${event.attempts}: ${event.error}); retrying at ${event.retryAt}`
    case 'orphan-deleted':
      return event.reason === 'expired'
        ? `deleted ${event.token} on Cloudflare (expired already, not in this vault: it only used quota)`
        : `deleted ${event.token} on Cloudflare (made by a mint that did not finish)`
    case 'foreign-tokens':
      return `left alone on Cloudflare, not this vault's: ${event.tokens.map((token) => `${token.name} (${token.id})`).join(', ')}`
    case 'gone':
      return `forgot ${event.token}: past its deadline and already gone from Cloudflare`
    case 'missing-on-cloudflare':
      return `${event.token} is no longer on Cloudflare (deleted in the dashboard?); kept here, marked missing`
    case 'pending-dropped':
      return `cleaned up the unfinished mint of ${event.token}`
    case 'rolled':
      return `rolled ${event.token}: the secret with fingerprint ${event.previousFingerprint ?? '-'} is dead, the new one is ${event.fingerprint ?? '-'}`
    case 'added':
      return `added ${event.token} (fingerprint ${event.fingerprint ?? '-'})${event.from ? `, moved out of ${event.from}` : ''}`
    case 'removed':
      return `forgot ${event.token} here; it was not deleted on Cloudflare`
    case 'setup':
      return `stored the minting credential ${event.token} (${event.owner}-owned, fingerprint ${event.fingerprint ?? '-'})`
    case 'revoke-all':
      return `revoke-all: ${event.deleted} deleted on Cloudflare, ${event.alreadyGone} already gone, ${event.failed} failed${event.foreign.length > 0 ? `, ${event.foreign.length} not this vault's left alone` : ''}`
    case 'broker-request':
      return `${event.chain} asks for ${event.name}${event.needsApproval.length > 0 ? ` (needs approval: ${event.needsApproval.join(', ')})` : ''}`
    case 'broker-decision':
      return `request ${event.requestId} ${event.approved ? `approved${event.until ? ` until ${event.until}` : ''}` : 'denied'}`
    case 'mcp-call':
      return `${event.chain} called ${event.tool}: ${event.detail}`
    case 'leased':
      return `${event.chain} leased ${event.token} (fingerprint ${event.fingerprint ?? '-'})`
    case 'reconciled':
      return `reconciled with Cloudflare: ${event.seen} of this vault's tokens seen, ${event.orphansDeleted} dead tokens deleted, ${event.missing} missing, ${event.pendingDropped} unfinished mints cleaned up${event.foreign ? `, ${event.foreign} not this vault's (left alone)` : ''}`
    case 'reconcile-failed':
      return `could not reconcile with Cloudflare: ${event.error}`
    case 'sweep-failed':
      return `could not check token deadlines: ${event.error}`
    case 'state-problem':
      return event.message
    case 'daemon-started':
      return `daemon started (pid ${event.pid})`
    case 'daemon-stopped':
      return `daemon stopped (pid ${event.pid})`
    case 'rate-limited':
      return `Cloudflare is rate limiting; pausing every request for ${event.retryAfterSeconds}s (until ${event.until})`
  }
}
