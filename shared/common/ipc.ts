import * as z from 'zod/mini'
import { MintRequestSchema } from './guards'
import { FindingSchema } from './scan/finding'
import { AuditEventSchema, TokenRoleSchema, TokenSourceSchema, TokenStatusSchema } from './state'
import { ForeignTokenSchema, TokenEventSchema } from './events'

// The one contract between the core (Electron main, or a test process) and the window. Every
// channel is named here with the schema of its request; main validates each request with it, the
// preload exposes one named method per channel, and the browser tests expose the same methods
// backed by the real core. Nothing in it ever carries a secret value, except the minting
// credential travelling once from the settings form to the core (`setupMinting`), never back.

const isoDate = z.iso.datetime({ offset: true })

/** A stored token as the window sees it: metadata, fingerprint, scopes in plain words. */
export const TokenViewSchema = z.object({
  name: z.string(),
  template: z.nullable(z.string()),
  role: TokenRoleSchema,
  source: TokenSourceSchema,
  temporary: z.boolean(),
  status: TokenStatusSchema,
  createdAt: isoDate,
  expiresAt: z.nullable(isoDate),
  fingerprint: z.nullable(z.string()),
  tokenId: z.nullable(z.string()),
  accountId: z.nullable(z.string()),
  /** One line per policy, e.g. "Workers Scripts Write on account 0123abcd…". */
  scopes: z.array(z.string()),
  lastError: z.nullable(z.string()),
  attempts: z.number(),
})
/** A token as the window sees it. */
export type TokenView = z.infer<typeof TokenViewSchema>

/** A leak finding as the window sees it. */
export const FindingViewSchema = z.object({
  /** Stable across saves: file + kind + fingerprint. */
  id: z.string(),
  finding: FindingSchema,
  /** Name of the vault token whose fingerprint matches, if any ("this is your token X"). */
  knownToken: z.nullable(z.string()),
  firstSeen: isoDate,
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
  /** What happened to the state file that the person should know (restored, repaired, damaged and waiting). */
  stateProblems: z.array(z.object({ kind: z.enum(['restored', 'repaired', 'damaged']), message: z.string(), file: z.string() })),
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

/** Every command's result: a value, or one clear message (plus guard refusals for mints). */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string; refusals?: { rule: string; message: string }[] }

/** Request schemas, one per channel. The names are the IPC channel names (prefixed `cfwrap:`). */
export const REQUESTS = {
  snapshot: z.object({}),
  previewMint: MintRequestSchema,
  mint: MintRequestSchema,
  revoke: z.object({ name: z.string().check(z.minLength(1), z.maxLength(120)) }),
  revokeAll: z.object({}),
  addWatchedRoot: z.object({ path: z.string().check(z.minLength(1), z.maxLength(4096)) }),
  removeWatchedRoot: z.object({ path: z.string().check(z.minLength(1), z.maxLength(4096)) }),
  dismissFinding: z.object({ id: z.string().check(z.minLength(1), z.maxLength(512)) }),
  updateSettings: z.object({
    namePrefix: z.optional(z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]{0,30}$/))),
    defaultOwner: z.optional(z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]{0,40}$/))),
    defaultAccountId: z.optional(z.nullable(z.string().check(z.regex(/^[0-9a-f]{32}$/)))),
  }),
  setWatchPaused: z.object({ paused: z.boolean() }),
  setupMinting: z.object({
    secret: z.string().check(z.minLength(20), z.maxLength(200), z.regex(/^\S+$/)),
    accountId: z.optional(z.string().check(z.regex(/^[0-9a-f]{32}$/))),
  }),
} as const

/** One IPC channel (command) name. */
export type Channel = keyof typeof REQUESTS

/** The result value of each channel. */
export interface Responses {
  snapshot: CoreSnapshot
  previewMint: MintPreview
  mint: { name: string; expiresAt: string | null }
  revoke: { name: string }
  revokeAll: { deleted: string[]; failed: { name: string; error: string }[]; rotateAlso: string[] }
  addWatchedRoot: SettingsView
  removeWatchedRoot: SettingsView
  dismissFinding: { id: string }
  updateSettings: SettingsView
  setWatchPaused: SettingsView
  setupMinting: MintingView
}

/** The request type of a channel. */
export type Request<C extends Channel> = z.input<(typeof REQUESTS)[C]>

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
  [C in Channel]: (request: Request<C>) => Promise<Result<Responses[C]>>
} & {
  /** Calls `listener` with every new snapshot; returns an unsubscribe function. */
  onSnapshot(listener: (snapshot: CoreSnapshot) => void): () => void
  /** Calls `listener` when main asks the window to show an item; returns an unsubscribe function. */
  onNavigate(listener: (target: Navigate) => void): () => void
}

/** Every command channel, in a stable order (for wiring loops in the preload and the tests). */
export const CHANNELS = Object.keys(REQUESTS) as Channel[]
