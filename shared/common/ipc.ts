import * as z from 'zod/mini'
import { MintRequestSchema, type Refusal } from './guards'
import { CustomTemplateSchema } from './templates'
import { ApprovalPolicySchema, MAX_APPROVAL_WINDOW_MS } from './broker/policy'
import { PendingRequestSchema } from './broker/protocol'
import { CLOUDFLARE_ID, NAME_SEGMENT, STORED_TOKEN_NAME } from './ids'
import { FindingSchema } from './scan/finding'
import { AuditEventSchema, TokenRecordSchema } from './state'
import { ForeignTokenSchema, TokenEventSchema } from './events'

// The one contract between the core (Electron main, or a test process) and the window: the views
// it shows and, in CONTRACT, every channel with its request and response schemas. Nothing in it ever carries a secret value, except the minting
// credential travelling once from the settings form to the core (`setupMinting`), never back.

const isoDate = z.iso.datetime({ offset: true })

/** A stored token as the window sees it: the record's metadata and fingerprint, and its scopes in plain words. */
export const TokenViewSchema = z.extend(
  z.pick(TokenRecordSchema, { name: true, template: true, role: true, source: true, temporary: true, status: true, createdAt: true, expiresAt: true, fingerprint: true, tokenId: true, accountId: true }),
  {
    /** One line per policy, e.g. "Workers Scripts Write on account 0123abcd…". */
    scopes: z.array(z.string()),
    lastError: z.nullable(z.string()),
    attempts: z.number(),
  },
)
/** A token as the window sees it. */
export type TokenView = z.infer<typeof TokenViewSchema>

/** A leak finding as the window sees it. */
/** What Cloudflare's verify endpoint says of a found token (`--scan --verify`, or the watcher when its setting is on). */
export const VerdictSchema = z.object({
  status: z.enum(['active', 'disabled', 'expired', 'invalid', 'unknown']),
  expiresOn: z.nullable(z.string()),
  /** Whether its Cloudflare id is one this vault recorded. */
  inVault: z.boolean(),
  /** Why the status is unknown (Cloudflare could not be asked). */
  detail: z.optional(z.string()),
})
/** What Cloudflare says of a found token. */
export type Verdict = z.infer<typeof VerdictSchema>

export const FindingViewSchema = z.object({
  /** Stable across saves: file + kind + fingerprint. */
  id: z.string(),
  finding: FindingSchema,
  /** Name of the vault token whose fingerprint matches, if any ("this is your token X"). */
  knownToken: z.nullable(z.string()),
  firstSeen: isoDate,
  /** Whether the token is still alive, when the watcher's "ask Cloudflare" setting is on. */
  verified: z.optional(VerdictSchema),
})
/** A finding as the window sees it. */
export type FindingView = z.infer<typeof FindingViewSchema>

/** A credential that makes Wrangler ignore the OAuth login from `wrangler login`. */
export const ShadowWarningSchema = z.object({
  id: z.string(),
  /** The variable that shadows the login, e.g. CLOUDFLARE_API_TOKEN. */
  variable: z.string(),
  source: z.enum(['environment', 'shell-profile', 'dotenv']),
  /** File and line for shell-profile and dotenv sources. */
  file: z.nullable(z.string()),
  line: z.nullable(z.number()),
  /** What Wrangler will use instead of the login, in plain words. */
  effective: z.string(),
  message: z.string(),
  fix: z.string(),
})
/** A shadowing warning. */
export type ShadowWarning = z.infer<typeof ShadowWarningSchema>

/** Settings the window can read and change. */
export const SettingsViewSchema = z.object({
  namePrefix: z.string(),
  defaultOwner: z.string(),
  defaultAccountId: z.nullable(z.string()),
  watchedRoots: z.array(z.string()),
  recentTemplates: z.array(z.string()),
  watchPaused: z.boolean(),
  /** Whether the watcher asks Cloudflare if each leaked token is alive (off by default: it sends the token there). */
  verifyFindings: z.boolean(),
  /** The person's own templates, listed with the built-in ones. */
  customTemplates: z.array(CustomTemplateSchema),
  /** When an agent's request needs the person's approval. */
  approvalPolicy: ApprovalPolicySchema,
})
/** Settings as the window sees them. */
export type SettingsView = z.infer<typeof SettingsViewSchema>

/** The minting credential, described without its secret. */
export const MintingViewSchema = z.object({
  configured: z.boolean(),
  name: z.nullable(z.string()),
  fingerprint: z.nullable(z.string()),
  owner: z.nullable(z.enum(['user', 'account'])),
  accountId: z.nullable(z.string()),
})
/** The minting credential as the window sees it. */
export type MintingView = z.infer<typeof MintingViewSchema>

/**
 * A load problem: the state file was restored, repaired or is damaged and waiting (`file` is the
 * copy), the keychain cannot be reached, or Cloudflare cannot be reached. One plain sentence each.
 */
export const ProblemSchema = z.object({
  kind: z.enum(['restored', 'repaired', 'damaged', 'keychain', 'api']),
  message: z.string(),
  file: z.nullable(z.string()),
})
/** A load problem. */
export type Problem = z.infer<typeof ProblemSchema>

/** True for a problem that stops or degrades cfwrap now; a restored or repaired state file is only news. */
export function isSeriousProblem(problem: Pick<Problem, 'kind'>): boolean {
  return problem.kind !== 'restored' && problem.kind !== 'repaired'
}

/** Everything the window shows, pushed on every change. */
export const CoreSnapshotSchema = z.object({
  /** Increases with every change; lets a subscriber drop stale pushes. */
  revision: z.number(),
  now: isoDate,
  tokens: z.array(TokenViewSchema),
  findings: z.array(FindingViewSchema),
  shadows: z.array(ShadowWarningSchema),
  audit: z.array(AuditEventSchema),
  /** Recent lifecycle events (minted, deleted, delete-failed…), newest last. */
  events: z.array(TokenEventSchema),
  settings: SettingsViewSchema,
  minting: MintingViewSchema,
  /** Live tokens on Cloudflare named like cfwrap's that this vault did not record (last reconcile): shown, never deleted. */
  foreign: z.array(ForeignTokenSchema),
  /** What stops or degrades cfwrap that the person should know: shown by the window, the tray and the CLI. */
  problems: z.array(ProblemSchema),
  /** Agents' token requests waiting for the person (the broker's); empty when no broker runs. */
  pending: z.array(PendingRequestSchema),
})
/** The core's state as the window sees it. */
export type CoreSnapshot = z.infer<typeof CoreSnapshotSchema>


/** What a mint would create, shown before creating it. */
export const MintPreviewSchema = z.object({
  name: z.string(),
  policies: z.array(z.string()),
  expiresAt: z.nullable(isoDate),
  ttlSeconds: z.nullable(z.number()),
  risk: z.string(),
  warnings: z.array(z.string()),
})
/** A mint preview. */
export type MintPreview = z.infer<typeof MintPreviewSchema>

/** Every command's result over a boundary: a value, or one clear message (plus the guards' refusals for mints). */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string; refusals?: Refusal[] }

const NameSchema = z.string().check(z.minLength(1), z.maxLength(120), z.regex(STORED_TOKEN_NAME))
const PathSchema = z.string().check(z.minLength(1), z.maxLength(4096))
const CloudflareIdSchema = z.string().check(z.regex(CLOUDFLARE_ID))

/** A token just minted: what it is and can do, never its secret. */
export const MintedSchema = z.extend(
  z.pick(TokenRecordSchema, { name: true, tokenId: true, fingerprint: true, expiresAt: true, temporary: true, template: true, accountId: true }),
  {
    /** One line per policy, as `--mint` prints them after "can:". */
    policies: z.array(z.string()),
    warnings: z.array(z.string()),
    /** The account this mint made the default (the first one given), or null. */
    rememberedAccount: z.nullable(z.string()),
  },
)

/** What revoking one token did. */
export const RevokedSchema = z.object({
  name: z.string(),
  outcome: z.enum(['deleted', 'already-gone', 'forgotten-locally']),
})

/** What the incident button did, and what it left for the person. */
export const RevokeAllSchema = z.object({
  deleted: z.array(z.string()),
  alreadyGone: z.array(z.string()),
  /** Records removed from this vault (and their keychain items). */
  forgotten: z.number(),
  failed: z.array(z.object({ name: z.string(), error: z.string() })),
  /** Why cfwrap's tokens could not be listed on Cloudflare, when they could not. */
  listProblem: z.nullable(z.string()),
  /** Live look-alikes this vault did not mint: listed, never deleted. */
  foreign: z.array(ForeignTokenSchema),
  /** What else to rotate, one line each. */
  rotateAlso: z.array(z.string()),
})

/** What storing the minting credential did. */
export const MintingSetupSchema = z.object({
  minting: MintingViewSchema,
  /** Fingerprints of the credentials it replaced. */
  replaced: z.array(z.nullable(z.string())),
  /** Where the default account came from, or why there is none. */
  defaultAccount: z.union([z.enum(['given', 'derived']), z.object({ none: z.string() })]),
})

/**
 * The window's contract: each channel with its request schema and its response schema side by
 * side (as GitHub Desktop's ipc-shared.ts does). The service implements one method per channel
 * with exactly these types (`ServiceChannels`); the IPC adapter validates each request once with
 * the schema here; the preload exposes one named method per channel; the tests check every
 * response against its schema. Channel names are prefixed `cfwrap:` on the wire.
 */
export const CONTRACT = {
  snapshot: { request: z.strictObject({}), response: CoreSnapshotSchema },
  previewMint: { request: MintRequestSchema, response: MintPreviewSchema },
  mint: { request: MintRequestSchema, response: MintedSchema },
  revoke: {
    request: z.strictObject({
      name: NameSchema,
      /** A token added from the dashboard cannot be deleted by cfwrap; with this it is only forgotten here. */
      forgetDashboardToken: z.optional(z.boolean()),
    }),
    response: RevokedSchema,
  },
  revokeAll: { request: z.strictObject({}), response: RevokeAllSchema },
  addWatchedRoot: { request: z.strictObject({ path: PathSchema }), response: SettingsViewSchema },
  removeWatchedRoot: { request: z.strictObject({ path: PathSchema }), response: SettingsViewSchema },
  dismissFinding: { request: z.strictObject({ id: z.string().check(z.minLength(1), z.maxLength(512)) }), response: z.object({ id: z.string() }) },
  updateSettings: {
    request: z.strictObject({
      namePrefix: z.optional(z.string().check(z.maxLength(31), z.regex(NAME_SEGMENT))),
      defaultOwner: z.optional(z.string().check(z.maxLength(41), z.regex(NAME_SEGMENT))),
      defaultAccountId: z.optional(z.nullable(CloudflareIdSchema)),
      verifyFindings: z.optional(z.boolean()),
    }),
    response: SettingsViewSchema,
  },
  setWatchPaused: { request: z.strictObject({ paused: z.boolean() }), response: SettingsViewSchema },
  setupMinting: {
    request: z.strictObject({
      secret: z.string().check(z.minLength(20), z.maxLength(200), z.regex(/^\S+$/)),
      accountId: z.optional(CloudflareIdSchema),
    }),
    response: MintingSetupSchema,
  },
  approveRequest: {
    request: z.strictObject({ requestId: z.string().check(z.minLength(1), z.maxLength(40)), forMs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(MAX_APPROVAL_WINDOW_MS))) }),
    response: z.object({ requestId: z.string(), until: z.nullable(z.string()) }),
  },
  adopt: {
    request: z.strictObject({
      file: z.string().check(z.minLength(1), z.maxLength(4096)),
      line: z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000)),
      fingerprint: z.optional(z.string().check(z.regex(/^[0-9a-f]{12}$/))),
      name: z.optional(NameSchema),
    }),
    response: z.object({ name: z.string(), fingerprint: z.string(), file: z.string(), line: z.number(), backup: z.string(), boundDir: z.nullable(z.string()), alreadyStored: z.boolean() }),
  },
  roll: {
    request: z.strictObject({ name: NameSchema }),
    response: z.object({ name: z.string(), previous: z.nullable(z.string()), current: z.string() }),
  },
  updatePolicy: { request: z.strictObject({ ...z.partial(ApprovalPolicySchema).shape }), response: SettingsViewSchema },
  denyRequest: { request: z.strictObject({ requestId: z.string().check(z.minLength(1), z.maxLength(40)) }), response: z.object({ requestId: z.string() }) },
} as const

/** One IPC channel (command) name. */
export type Channel = keyof typeof CONTRACT

/** The request type of a channel, as the caller writes it (optional fields may be left out). */
export type Request<C extends Channel> = z.input<(typeof CONTRACT)[C]['request']>

/** The request type of a channel after validation: what the service method receives. */
export type ParsedRequest<C extends Channel> = z.output<(typeof CONTRACT)[C]['request']>

/** The response type of a channel. */
export type Response<C extends Channel> = z.output<(typeof CONTRACT)[C]['response']>

/** The service's method for each channel: typed by the contract, so one cannot drift from the other. */
export type ServiceChannels = { [C in Channel]: (request: ParsedRequest<C>) => Promise<Response<C>> }

/** IPC channel name of a command. */
export function channelName(channel: Channel): string {
  return `cfwrap:${channel}`
}

/** Push channel: the core's snapshot after every change. */
export const SNAPSHOT_PUSH_CHANNEL = 'cfwrap:snapshot-changed'
/** Push channel: main asks the window to show one item (a notification was clicked). */
export const NAVIGATE_PUSH_CHANNEL = 'cfwrap:navigate'

/** Where the window can be asked to go. */
export const NavigateSchema = z.object({
  view: z.enum(['tokens', 'mint', 'findings', 'audit', 'settings']),
  /** A token name or finding id to highlight. */
  item: z.optional(z.string()),
})
/** A navigation request. */
export type Navigate = z.infer<typeof NavigateSchema>

/**
 * What the preload exposes as `window.cfwrap` (and the browser tests expose with the real core):
 * one method per channel, plus subscriptions to the two pushes.
 */
export type CfwrapApi = {
  [C in Channel]: (request: Request<C>) => Promise<Result<Response<C>>>
} & {
  /** Calls `listener` with every new snapshot; returns an unsubscribe function. */
  onSnapshot(listener: (snapshot: CoreSnapshot) => void): () => void
  /** Calls `listener` when main asks the window to show an item; returns an unsubscribe function. */
  onNavigate(listener: (target: Navigate) => void): () => void
}

/** Every command channel, in a stable order (for wiring loops in the preload and the tests). */
export const CHANNELS = Object.keys(CONTRACT) as Channel[]
