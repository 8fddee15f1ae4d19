/**
 * Token templates: one per job, each with the least privilege that job needs
 * (see "Jobs and the least privilege each needs" in the Cloudflare reference).
 * Templates are plain data so the CLI, the tray window and the tests read the same table.
 */

import * as z from 'zod/mini'

/** Cloudflare's permission-group scope ids; permission group names repeat across scopes, so a name alone is ambiguous. */
export const SCOPES = {
  account: 'com.cloudflare.api.account',
  zone: 'com.cloudflare.api.account.zone',
  r2Bucket: 'com.cloudflare.edge.r2.bucket',
  user: 'com.cloudflare.api.user',
} as const

/** One of Cloudflare's permission-group scope ids. */
export type ScopeId = (typeof SCOPES)[keyof typeof SCOPES]

/** Every scope id, in the order policies are emitted. */
export const SCOPE_IDS: readonly ScopeId[] = [SCOPES.account, SCOPES.zone, SCOPES.r2Bucket, SCOPES.user]

/** A permission group named the way the API names it ("Write", not the dashboard's "Edit") plus its scope. */
export interface PermissionRef {
  name: string
  scope: ScopeId
}

/** The resource a template's token is narrowed to, i.e. what the user must name when minting. */
export type ResourceKind = 'account' | 'zone' | 'r2-bucket'

/** How much damage a leaked token of this kind could do. */
export type Risk = 'low' | 'medium' | 'high'

/** A job-shaped token recipe shown in the UI and expanded into policies when minting. */
export interface TokenTemplate {
  /** Stable id; also the `<purpose>` segment of the token name. A built-in's is a {@link TemplateName}. */
  name: string
  /** Plain words for the UI. */
  title: string
  description: string
  permissions: readonly PermissionRef[]
  resource: ResourceKind
  risk: Risk
  defaultTtlSeconds: number
  maxTtlSeconds: number
  /** Whether it is reasonable to hand this token to an unattended agent (AI assistant, bot). */
  agentSafe: boolean
  /** What the token can touch, in plain words, for the preview. */
  scopeSummary: string
}

/** Names of the templates, which double as the token name's `<purpose>` segment. */
export const TEMPLATE_NAMES = [
  'workers-deploy',
  'pages-deploy',
  'd1-migrations',
  'r2-upload',
  'kv-write',
  'queues',
  'read-only',
  'dns-edit',
] as const

/** A template name. */
export type TemplateName = (typeof TEMPLATE_NAMES)[number]

const MINUTE = 60
const HOUR = 60 * MINUTE

/*
 * Lifetimes. Default = what one run of the job usually needs; max = the longest run we are willing to
 * cover before asking for a fresh token. The more a leaked token could do, the shorter both are:
 * - Deploys (Workers, Pages): a build + upload takes minutes; 15 min covers it, 2 h covers a slow CI
 *   pipeline. Longer would leave a code-publishing credential lying around.
 * - D1 migrations, KV writes and DNS edits can destroy data, config or traffic routing, so they cap at 1 h.
 * - R2 uploads are narrowed to one bucket but may move large files over slow links: 30 min default, 4 h max.
 * - Queues: 15 min default like other writes; 2 h max for a backlog replay.
 * - Read-only inspection is the low-risk case and is used for long debugging sessions (tailing logs,
 *   watching analytics): 1 h default, 8 h max = a working day.
 */

/** The templates, in the order the UI lists them. */
export const TEMPLATES: readonly TokenTemplate[] = [
  {
    name: 'workers-deploy',
    title: 'Deploy Workers',
    description: 'Upload and publish Worker scripts with Wrangler (wrangler deploy).',
    permissions: [
      { name: 'Workers Scripts Write', scope: SCOPES.account },
      // Wrangler reads account settings (e.g. the workers.dev subdomain) during deploy.
      { name: 'Account Settings Read', scope: SCOPES.account },
    ],
    resource: 'account',
    // Publishes code that serves production traffic and can read its bindings' data.
    risk: 'high',
    defaultTtlSeconds: 15 * MINUTE,
    maxTtlSeconds: 2 * HOUR,
    agentSafe: false,
    scopeSummary: 'Can upload, publish and delete every Worker in one account, and read that account\'s settings.',
  },
  {
    name: 'pages-deploy',
    title: 'Deploy Pages',
    description: 'Upload and publish a Cloudflare Pages site (wrangler pages deploy).',
    permissions: [{ name: 'Pages Write', scope: SCOPES.account }],
    resource: 'account',
    // Publishes the site users see and can change its build settings and environment variables.
    risk: 'high',
    defaultTtlSeconds: 15 * MINUTE,
    maxTtlSeconds: 2 * HOUR,
    agentSafe: false,
    scopeSummary: 'Can create, deploy and delete every Pages project in one account.',
  },
  {
    name: 'd1-migrations',
    title: 'Run D1 migrations',
    description: 'Apply schema migrations and run queries against D1 databases (wrangler d1 migrations apply).',
    permissions: [{ name: 'D1 Write', scope: SCOPES.account }],
    resource: 'account',
    // A migration can drop tables: data loss.
    risk: 'high',
    defaultTtlSeconds: 15 * MINUTE,
    maxTtlSeconds: 1 * HOUR,
    agentSafe: false,
    scopeSummary: 'Can read, change and delete every D1 database in one account.',
  },
  {
    name: 'r2-upload',
    title: 'Upload to an R2 bucket',
    description: 'Put, overwrite and delete objects in one R2 bucket.',
    permissions: [{ name: 'Workers R2 Storage Bucket Item Write', scope: SCOPES.r2Bucket }],
    resource: 'r2-bucket',
    // Narrowed to one bucket's objects: cannot create or delete buckets or touch other buckets.
    risk: 'medium',
    defaultTtlSeconds: 30 * MINUTE,
    maxTtlSeconds: 4 * HOUR,
    agentSafe: true,
    scopeSummary: 'Can read, write and delete objects in one R2 bucket, and nothing else.',
  },
  {
    name: 'kv-write',
    title: 'Write to Workers KV',
    description: 'Write and delete keys in Workers KV namespaces (wrangler kv key put).',
    permissions: [{ name: 'Workers KV Storage Write', scope: SCOPES.account }],
    resource: 'account',
    // KV often holds configuration and feature flags; KV cannot be narrowed below the account.
    risk: 'medium',
    defaultTtlSeconds: 15 * MINUTE,
    maxTtlSeconds: 1 * HOUR,
    agentSafe: false,
    scopeSummary: 'Can read, write and delete keys in every KV namespace of one account.',
  },
  {
    name: 'queues',
    title: 'Manage Queues',
    description: 'Create queues, send messages and configure consumers.',
    permissions: [{ name: 'Queues Write', scope: SCOPES.account }],
    resource: 'account',
    risk: 'medium',
    defaultTtlSeconds: 15 * MINUTE,
    maxTtlSeconds: 2 * HOUR,
    agentSafe: false,
    scopeSummary: 'Can create, change and delete every queue in one account, and send messages to them.',
  },
  {
    name: 'read-only',
    title: 'Read-only inspection',
    description: 'Read analytics and logs and tail Workers (wrangler tail) without being able to change anything.',
    permissions: [
      { name: 'Account Analytics Read', scope: SCOPES.account },
      // "Logs Read" also exists at zone scope; this is the account-level one.
      { name: 'Logs Read', scope: SCOPES.account },
      { name: 'Workers Tail Read', scope: SCOPES.account },
    ],
    resource: 'account',
    // Changes nothing, though logs and tails can show request data.
    risk: 'low',
    defaultTtlSeconds: 1 * HOUR,
    maxTtlSeconds: 8 * HOUR,
    agentSafe: true,
    scopeSummary: 'Can read analytics and logs and tail Workers in one account; cannot change anything.',
  },
  {
    name: 'dns-edit',
    title: 'Edit DNS records',
    description: 'Create, change and delete DNS records in one zone.',
    permissions: [{ name: 'DNS Write', scope: SCOPES.zone }],
    resource: 'zone',
    // Whoever controls DNS can send the zone's traffic anywhere.
    risk: 'high',
    defaultTtlSeconds: 15 * MINUTE,
    maxTtlSeconds: 1 * HOUR,
    agentSafe: false,
    scopeSummary: 'Can create, change and delete every DNS record in one zone (domain).',
  },
]


/** The template called `name` among the built-in ones and `custom`, or undefined when there is none. */
export function findTemplate(name: string, custom: readonly TokenTemplate[] = []): TokenTemplate | undefined {
  return TEMPLATES.find((template) => template.name === name) ?? custom.find((template) => template.name === name)
}

/** Every template: the built-in ones, then the settings' own. */
export function templateCatalog(custom: readonly TokenTemplate[] = []): readonly TokenTemplate[] {
  return [...TEMPLATES, ...custom]
}

/** A template of the person's own, as the settings keep it (`cfwrap --templates --add FILE`). */
export const CustomTemplateSchema = z.strictObject({
  /** Also the token name's purpose part: lowercase, no "." (it joins combined templates), not a built-in's name. */
  name: z.string().check(
    z.regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'a template name is lowercase letters, digits, "_" and "-" (at most 40)'),
    z.refine((name) => !(TEMPLATE_NAMES as readonly string[]).includes(name), 'that name is a built-in template'),
  ),
  title: z.string().check(z.minLength(1), z.maxLength(80)),
  description: z._default(z.string().check(z.maxLength(300)), ''),
  permissions: z
    .array(z.strictObject({ name: z.string().check(z.minLength(1), z.maxLength(100)), scope: z.enum([SCOPES.account, SCOPES.zone, SCOPES.r2Bucket, SCOPES.user]) }))
    .check(z.minLength(1), z.maxLength(30)),
  resource: z.enum(['account', 'zone', 'r2-bucket']),
  risk: z.enum(['low', 'medium', 'high']),
  defaultTtlSeconds: z.number().check(z.int(), z.minimum(60), z.maximum(24 * 60 * 60)),
  maxTtlSeconds: z.number().check(z.int(), z.minimum(60), z.maximum(24 * 60 * 60)),
  agentSafe: z._default(z.boolean(), false),
  scopeSummary: z._default(z.string().check(z.maxLength(300)), ''),
}).check(z.refine((template) => template.defaultTtlSeconds <= template.maxTtlSeconds, 'defaultTtlSeconds is above maxTtlSeconds'))

/** How many recently used templates the settings keep (the tray menu and the Mint view list them first). */
export const RECENT_TEMPLATES_KEPT = 8

/** The recently used list after a mint used `used` (the requested template first): most recent first, no repeats. */
export function withRecentTemplates(recent: readonly string[], used: readonly string[]): string[] {
  return [...new Set([...used, ...recent])].slice(0, RECENT_TEMPLATES_KEPT)
}

/** The templates, recently used ones first (most recent first), then the rest in table order. */
export function templatesInRecentOrder(recent: readonly string[], custom: readonly TokenTemplate[] = []): { recent: TokenTemplate[]; rest: TokenTemplate[] } {
  const first = [...new Set(recent)].map((name) => findTemplate(name, custom)).filter((template): template is TokenTemplate => template !== undefined)
  return { recent: first, rest: templateCatalog(custom).filter((template) => !first.includes(template)) }
}
