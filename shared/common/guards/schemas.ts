// What a mint request, the guards' settings and their verdict look like.
import * as z from 'zod/mini'
import type { PolicyRequest, ResourceIds } from '../policy'
import { SCOPES, type PermissionRef, type Risk, type TokenTemplate } from '../templates'
import type { TokenNameParts } from '../token-name'

/** Token name prefix used when settings name none. */
export const DEFAULT_NAME_PREFIX = 'cfwrap'

/** Owner names matching this (case-insensitively) are treated as agents: AI assistants, bots, automation. */
export const DEFAULT_AGENT_OWNER_PATTERN = 'agent|bot|ai|claude|codex|copilot|cursor|llm'

function isValidRegExpSource(source: string): boolean {
  try {
    new RegExp(source, 'i')
    return true
  } catch {
    return false
  }
}

const ScopeIdSchema = z.enum([SCOPES.account, SCOPES.zone, SCOPES.r2Bucket, SCOPES.user])

/** A permission group by API name and scope, as given in a mint request. */
export const PermissionRefSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  scope: ScopeIdSchema,
})

/** An extra policy in a mint request: permissions that must share one scope. */
export const ExtraPolicySchema = z.strictObject({
  permissions: z.array(PermissionRefSchema).check(z.minLength(1)),
})

/**
 * A request to mint one token. Strict: an unknown field (a typo such as `ttl` or `permanant`) is refused
 * rather than ignored, because silently ignoring it would mint a token other than the one asked for.
 */
export const MintRequestSchema = z.strictObject({
  template: z.string(),
  /** More templates folded into the same token (the guards decide whether they may be combined). */
  extraTemplates: z.optional(z.array(z.string())),
  ttlSeconds: z.optional(z.number()),
  /** The only way to get a token without a deadline. */
  permanent: z.optional(z.boolean()),
  project: z.string(),
  env: z.string(),
  /** Who or what will use the token; defaults to the settings' `defaultOwner`. */
  owner: z.optional(z.string()),
  /** Token name prefix; defaults to the settings' `namePrefix`. */
  prefix: z.optional(z.string()),
  accountId: z.optional(z.string()),
  zoneId: z.optional(z.string()),
  bucket: z.optional(z.string()),
  jurisdiction: z.optional(z.string()),
  /** Needed only for user-scope permissions (`com.cloudflare.api.user`). */
  userId: z.optional(z.string()),
  allowAdminForAgent: z.optional(z.boolean()),
  /** Permission groups beyond the templates'; cfwrap puts each into the policy for its scope. */
  extraPermissions: z.optional(z.array(PermissionRefSchema)),
  /** Hand-grouped policies (e.g. pasted from the dashboard's JSON); each must stay within one scope. */
  extraPolicies: z.optional(z.array(ExtraPolicySchema)),
})

/** A validated mint request. */
export type MintRequest = z.output<typeof MintRequestSchema>

/** User settings the guards read; other parts of the app may add fields. */
export const SettingsSchema = z.object({
  namePrefix: z._default(z.string(), DEFAULT_NAME_PREFIX),
  /** Owner used when a request names none; the caller derives it (e.g. from the OS user). */
  defaultOwner: z.string(),
  /** Regular expression (source, matched case-insensitively) marking agent owners; `DEFAULT_AGENT_OWNER_PATTERN` when absent. */
  agentOwnerPattern: z.optional(
    z.string().check(z.refine(isValidRegExpSource, 'agentOwnerPattern is not a valid regular expression')),
  ),
  /** Templates used lately, most recent first, for the tray menu. */
  recentTemplates: z.optional(z.array(z.string())),
  /** The person's own templates (validated when stored); the same rules apply to them as to the built-in ones. */
  customTemplates: z.optional(z.array(z.custom<TokenTemplate>())),
})

/** Validated settings. */
export type Settings = z.output<typeof SettingsSchema>

/** Settings as stored or passed in, before defaults are applied. */
export type SettingsInput = z.input<typeof SettingsSchema>

/** Ids of the guard rules, as reported in refusals. */
export type GuardRule =
  | 'invalid-settings'
  | 'unknown-template'
  | 'mixed-scopes'
  | 'dns-with-deploy'
  | 'd1-with-deploy'
  | 'admin-for-agent'
  | 'permanent-conflict'
  | 'deadline-required'
  | 'ttl-bounds'
  | 'resource-required'
  | 'resource-invalid'
  | 'token-name'

/** Why a mint request was refused: what was refused, why, and what to do instead. */
export interface Refusal {
  rule: GuardRule
  /** The request field to fix, when one field is at fault (the window marks it beside the explanation). */
  field?: RefusalField
  message: string
}

/** A mint request field a refusal can point at. */
export type RefusalField = keyof MintRequest

/** Everything needed to mint a token that passed the guards; feed it to `buildPolicies`. */
export interface MintPlan extends PolicyRequest {
  /** The templates folded into this token, the requested one first. */
  templates: string[]
  permissions: PermissionRef[]
  resources: ResourceIds
  tokenName: string
  nameParts: TokenNameParts
  owner: string
  ownerIsAgent: boolean
  /** True only when `permanent: true` was asked for; then `ttlSeconds` is null. */
  permanent: boolean
  /** The opposite of `permanent`: the token carries an `expires_on`. */
  temporary: boolean
  ttlSeconds: number | null
  /** Longest TTL the combined templates allow. */
  maxTtlSeconds: number
  /** Highest risk among the templates. */
  risk: Risk
  /** Things the user should know that are not reasons to refuse. */
  warnings: string[]
}

/** The guards' verdict on a mint request. */
export type MintCheck = { ok: true; plan: MintPlan } | { ok: false; refusals: Refusal[] }
