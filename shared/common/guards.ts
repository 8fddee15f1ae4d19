import * as z from 'zod/mini'
import { formatDuration, MIN_TTL_SECONDS, parseDuration } from './duration'
import { DEFAULT_R2_JURISDICTION, type PolicyRequest, type ResourceIds } from './policy'
import { SCOPES, TEMPLATE_NAMES, findTemplate, type PermissionRef, type Risk, type ScopeId, type TemplateName, type TokenTemplate } from './templates'
import {
  TOKEN_NAME_SEGMENTS,
  TokenNameError,
  formatTokenName,
  normalizeTokenNameSegment,
  tokenNameSegmentProblem,
  type TokenNameParts,
} from './token-name'

/** Token name prefix used when settings name none. */
export const DEFAULT_NAME_PREFIX = 'cfwrap'

/** Owner names matching this (case-insensitively) are treated as agents: AI assistants, bots, automation. */
export const DEFAULT_AGENT_OWNER_PATTERN = 'agent|bot|ai|claude|codex|copilot|cursor|llm'

/** Permissions that publish code; a token holding one must not also hold DNS or D1 permissions. */
export const DEPLOY_PERMISSIONS: readonly string[] = ['Workers Scripts Write', 'Pages Write']

/** Permissions that can destroy stored data and so are kept out of deploy tokens. */
export const DATA_DESTROYING_PERMISSIONS: readonly string[] = ['D1 Write']

/** Permissions that administer the account or user (settings, members, other tokens); never for agents by default. */
export const ADMIN_PERMISSIONS: readonly string[] = [
  'Account Settings Write',
  'User Details Write',
  'API Tokens Write',
  'Account API Tokens Write',
]

/** True for DNS permission groups ("DNS Write", "DNS Read", ...): whoever holds them can redirect a zone's traffic. */
export function isDnsPermission(name: string): boolean {
  return /^DNS\b/i.test(name)
}

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
})

/** Validated settings. */
export type Settings = z.output<typeof SettingsSchema>

/** Settings as stored or passed in, before defaults are applied. */
export type SettingsInput = z.input<typeof SettingsSchema>

/** Ids of the guard rules, as reported in refusals. */
export type GuardRule =
  | 'invalid-request'
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
  message: string
}

/** Everything needed to mint a token that passed the guards; feed it to `buildPolicies`. */
export interface MintPlan extends PolicyRequest {
  /** The templates folded into this token, the requested one first. */
  templates: TemplateName[]
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

/** True when `owner` looks like an agent according to `pattern` (regular expression source, case-insensitive). */
export function isAgentOwner(owner: string, pattern: string = DEFAULT_AGENT_OWNER_PATTERN): boolean {
  return new RegExp(pattern, 'i').test(owner)
}

/** True for a Cloudflare account or zone id: 32 hexadecimal characters. */
export function isCloudflareId(text: string): boolean {
  return /^[0-9a-f]{32}$/i.test(text)
}

/**
 * Explains why `name` is not a valid R2 bucket name, or returns null when it is. Rules as R2 enforces them:
 * 3 to 63 characters, lowercase letters, digits and hyphens, starting and ending with a letter or digit.
 * The name itself is not repeated in the message in case something secret was pasted by mistake.
 */
export function r2BucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; R2 bucket names have 3 to 63`
  if (/[A-Z]/.test(name)) return 'has capital letters; R2 bucket names are lowercase'
  if (!/^[a-z0-9-]+$/.test(name)) return 'has characters other than lowercase letters, digits and hyphens'
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'starts or ends with a hyphen; it must start and end with a letter or digit'
  return null
}

/**
 * Says what is wrong with each schema issue in plain words. zod/mini ships without English messages
 * (every issue reads "Invalid input"), so the wording is ours; input values are never echoed, in case
 * a secret was pasted into the wrong field.
 */
function describeSchemaIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : 'the request'
      switch (issue.code) {
        case 'invalid_type':
          return `${field} should be ${issue.expected === 'undefined' ? 'left out' : `a ${issue.expected}`}`
        case 'unrecognized_keys':
          return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} in ${field}`
        case 'invalid_value':
          return `${field} must be one of ${issue.values.map(String).join(', ')}`
        case 'too_small':
          return `${field} must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'character' : 'entry'}${issue.minimum === 1 ? '' : 's'}`
        case 'custom':
          return issue.message
        default:
          return `${field} is invalid`
      }
    })
    .join('; ')
}

/** A TTL for a message: short form when it is exact ("2h"), otherwise whole seconds too ("7201s (about 2h)"). */
function describeTtl(seconds: number): string {
  const short = formatDuration(seconds)
  try {
    if (parseDuration(short.replace(' ', '')) === seconds) return short
  } catch {
    // Fractional or negative input does not survive the round trip; fall through to seconds.
  }
  return `${seconds}s (about ${short})`
}

const RISK_ORDER: readonly Risk[] = ['low', 'medium', 'high']

function highestRisk(templates: readonly TokenTemplate[]): Risk {
  return templates.reduce<Risk>(
    (highest, template) => (RISK_ORDER.indexOf(template.risk) > RISK_ORDER.indexOf(highest) ? template.risk : highest),
    'low',
  )
}

function uniquePermissions(permissions: readonly PermissionRef[]): PermissionRef[] {
  const seen = new Set<string>()
  return permissions.filter((permission) => {
    const key = `${permission.scope} ${permission.name}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ')
}

const SCOPE_WORDS: Record<ScopeId, string> = {
  [SCOPES.account]: 'account',
  [SCOPES.zone]: 'zone',
  [SCOPES.r2Bucket]: 'R2 bucket',
  [SCOPES.user]: 'user',
}

/** Rule (c): each hand-grouped policy must stay within one scope type. */
function checkExtraPolicyScopes(request: MintRequest): Refusal[] {
  return (request.extraPolicies ?? []).flatMap((policy, index) => {
    const scopes = [...new Set(policy.permissions.map((permission) => permission.scope))]
    if (scopes.length <= 1) return []
    const byScope = scopes
      .map((scope) => {
        const names = policy.permissions.filter((permission) => permission.scope === scope).map((permission) => permission.name)
        return `${SCOPE_WORDS[scope]}: ${names.join(', ')}`
      })
      .join('; ')
    return [
      {
        rule: 'mixed-scopes',
        message:
          `Refused extra policy #${index + 1}: it mixes scopes in one policy (${byScope}). ` +
          'Cloudflare may reject a policy that mixes scopes, and it hides what the token can reach. ' +
          'Use one policy per scope type, or list the permissions in extraPermissions and cfwrap makes one policy per scope.',
      },
    ]
  })
}

/** Rule (a) and its sibling: DNS and data-destroying permissions never ride along with a deploy permission. */
function checkForbiddenCombinations(permissions: readonly PermissionRef[]): Refusal[] {
  const deploy = permissions.filter((permission) => DEPLOY_PERMISSIONS.includes(permission.name)).map((p) => p.name)
  if (deploy.length === 0) return []
  const refusals: Refusal[] = []
  const dns = permissions.filter((permission) => isDnsPermission(permission.name)).map((p) => p.name)
  if (dns.length > 0) {
    refusals.push({
      rule: 'dns-with-deploy',
      message:
        `Refused: DNS permissions (${dns.join(', ')}) in the same token as deploy permissions (${deploy.join(', ')}). ` +
        'Whoever holds both can publish code and point traffic at it, so one leaked token could hijack the site. ' +
        'Mint two tokens instead: one for the deploy, and a separate dns-edit token for the DNS change.',
    })
  }
  const destroying = permissions.filter((permission) => DATA_DESTROYING_PERMISSIONS.includes(permission.name)).map((p) => p.name)
  if (destroying.length > 0) {
    refusals.push({
      rule: 'd1-with-deploy',
      message:
        `Refused: ${destroying.join(', ')} in the same token as deploy permissions (${deploy.join(', ')}). ` +
        'A migration can destroy data, so it must not be bundled with a deploy token. ' +
        'Mint a separate d1-migrations token for the migration step.',
    })
  }
  return refusals
}

/** Rule (b): administration permissions are refused for agent owners unless explicitly allowed. */
function checkAdminForAgent(
  request: MintRequest,
  permissions: readonly PermissionRef[],
  owner: string,
  ownerIsAgent: boolean,
  agentPattern: string,
  warnings: string[],
): Refusal[] {
  const admin = permissions.filter((permission) => ADMIN_PERMISSIONS.includes(permission.name)).map((p) => p.name)
  if (admin.length === 0) return []
  if (ownerIsAgent && request.allowAdminForAgent !== true) {
    return [
      {
        rule: 'admin-for-agent',
        message:
          `Refused: administration permissions (${admin.join(', ')}) for owner "${owner}", which looks like an agent ` +
          `(it matches /${agentPattern}/i). These let the holder change the account or mint further tokens, ` +
          'which an agent should not do on its own. Mint it for a human owner, or set allowAdminForAgent: true if you really mean it.',
      },
    ]
  }
  warnings.push(
    `This token can administer the account or user (${admin.join(', ')})${ownerIsAgent ? ' and is for an agent (allowed explicitly)' : ''}.`,
  )
  return []
}

/** Rules (d) and (e): a deadline unless permanent is asked for, and a TTL inside the templates' bounds. */
function checkLifetime(
  request: MintRequest,
  templates: readonly TokenTemplate[],
  warnings: string[],
): { refusals: Refusal[]; ttlSeconds: number | null; maxTtlSeconds: number } {
  const maxTtlSeconds = Math.min(...templates.map((template) => template.maxTtlSeconds))
  const defaultTtlSeconds = Math.min(...templates.map((template) => template.defaultTtlSeconds))
  const requested = request.ttlSeconds
  if (request.permanent === true) {
    if (requested !== undefined) {
      return {
        refusals: [
          {
            rule: 'permanent-conflict',
            message:
              `Refused: the request asks for a permanent token and also for a TTL of ${describeTtl(requested)}. ` +
              'Drop "permanent" to get a token that expires, or drop the TTL to get one that never expires.',
          },
        ],
        ttlSeconds: null,
        maxTtlSeconds,
      }
    }
    warnings.push('This token never expires: it stays valid until you delete it.')
    return { refusals: [], ttlSeconds: null, maxTtlSeconds }
  }
  if (requested === 0) {
    return {
      refusals: [
        {
          rule: 'deadline-required',
          message:
            'Refused: a TTL of 0 would mint a token without a deadline. cfwrap tokens expire unless you explicitly ' +
            `ask for permanent: true. Give a TTL between ${formatDuration(MIN_TTL_SECONDS)} and ${formatDuration(maxTtlSeconds)}, ` +
            'or ask for a permanent token if you really need one.',
        },
      ],
      ttlSeconds: null,
      maxTtlSeconds,
    }
  }
  const ttlSeconds = requested ?? defaultTtlSeconds
  const limitedBy = templates.filter((template) => template.maxTtlSeconds === maxTtlSeconds).map((t) => t.name)
  const refuse = (message: string) => ({ refusals: [{ rule: 'ttl-bounds' as const, message }], ttlSeconds, maxTtlSeconds })
  if (!Number.isInteger(ttlSeconds)) {
    return refuse(`Refused: a TTL of ${ttlSeconds} seconds is not a whole number of seconds. Give whole seconds (or a duration such as 15m).`)
  }
  if (ttlSeconds < MIN_TTL_SECONDS) {
    return refuse(
      `Refused: a TTL of ${ttlSeconds}s is below the ${MIN_TTL_SECONDS}s minimum; the token would expire before the command gets going. ` +
        `Ask for at least ${MIN_TTL_SECONDS}s.`,
    )
  }
  if (ttlSeconds > maxTtlSeconds) {
    return refuse(
      `Refused: a TTL of ${describeTtl(ttlSeconds)} is longer than the ${formatDuration(maxTtlSeconds)} maximum for ${limitedBy.join(', ')}` +
        `${templates.length > 1 ? ' (combined templates get the smallest maximum)' : ''}. ` +
        `Ask for ${formatDuration(maxTtlSeconds)} or less and mint a fresh token when it runs out.`,
    )
  }
  return { refusals: [], ttlSeconds, maxTtlSeconds }
}

/** Rule (f): every scope the permissions use has its resource id, and each id is well-formed. */
function checkResources(
  request: MintRequest,
  permissions: readonly PermissionRef[],
): { refusals: Refusal[]; resources: ResourceIds } {
  const refusals: Refusal[] = []
  const resources: ResourceIds = {}
  const namesAt = (...scopes: ScopeId[]) =>
    permissions.filter((permission) => scopes.includes(permission.scope)).map((permission) => permission.name)

  /** Refuses a missing or malformed id for the scope `what`; returns the id, lowercased, when it is fine. */
  const checkId = (what: 'account' | 'zone', needs: string[], value: string | undefined, whereToFind: string): string | undefined => {
    if (needs.length === 0) return undefined
    if (!value) {
      refusals.push({
        rule: 'resource-required',
        message: `Refused: ${needs.join(', ')} must be narrowed to one ${what}, but no ${what} id was given. Give the ${what} id (32 hex characters; copy it from ${whereToFind}).`,
      })
      return undefined
    }
    if (!isCloudflareId(value)) {
      refusals.push({
        rule: 'resource-invalid',
        message: `Refused: the ${what} id is not a Cloudflare id (got ${value.length} characters; ids are 32 hex characters 0-9, a-f). Copy the ${what} id from ${whereToFind}.`,
      })
      return undefined
    }
    return value.toLowerCase()
  }
  const accountId = checkId('account', namesAt(SCOPES.account, SCOPES.r2Bucket), request.accountId, "the dashboard's Account Home, or from `wrangler whoami`")
  if (accountId) resources.accountId = accountId
  const zoneId = checkId('zone', namesAt(SCOPES.zone), request.zoneId, "on the zone's Overview page in the dashboard")
  if (zoneId) resources.zoneId = zoneId

  const needsBucket = namesAt(SCOPES.r2Bucket)
  if (needsBucket.length > 0) {
    const bucketProblem = request.bucket ? r2BucketNameProblem(request.bucket) : null
    if (!request.bucket) {
      refusals.push({
        rule: 'resource-required',
        message:
          `Refused: ${needsBucket.join(', ')} must be narrowed to one R2 bucket, but no bucket was given. ` +
          'Pass the bucket name (as listed by `wrangler r2 bucket list`).',
      })
    } else if (bucketProblem !== null) {
      refusals.push({
        rule: 'resource-invalid',
        message: `Refused: the bucket name ${bucketProblem}. Check the name with \`wrangler r2 bucket list\`.`,
      })
    } else {
      resources.bucket = request.bucket
    }
    const jurisdiction = request.jurisdiction ?? DEFAULT_R2_JURISDICTION
    if (!/^[a-z][a-z0-9]{0,31}$/.test(jurisdiction)) {
      refusals.push({
        rule: 'resource-invalid',
        message:
          'Refused: the R2 jurisdiction must be a lowercase word such as "default", "eu" or "fedramp". ' +
          'Leave it out for buckets in the default jurisdiction.',
      })
    } else {
      resources.jurisdiction = jurisdiction
    }
  }

  const needsUser = namesAt(SCOPES.user)
  if (needsUser.length > 0) {
    if (!request.userId) {
      refusals.push({
        rule: 'resource-required',
        message:
          `Refused: ${needsUser.join(', ')} must be narrowed to one user, but no user id was given. ` +
          'Pass your user id (32 hex characters, the `id` returned by GET /user).',
      })
    } else if (!isCloudflareId(request.userId)) {
      refusals.push({
        rule: 'resource-invalid',
        message: `Refused: the user id is not a Cloudflare id (got ${request.userId.length} characters; ids are 32 hex characters 0-9, a-f).`,
      })
    } else {
      resources.userId = request.userId.toLowerCase()
    }
  }
  return { refusals, resources }
}

/** The token name: each segment valid and the whole within Cloudflare's length limit. */
function checkTokenName(parts: TokenNameParts): { refusals: Refusal[]; tokenName: string } {
  const refusals: Refusal[] = []
  for (const segment of TOKEN_NAME_SEGMENTS) {
    const problem = tokenNameSegmentProblem(segment, parts[segment])
    if (problem !== null) refusals.push({ rule: 'token-name', message: `Refused: ${problem}` })
  }
  if (refusals.length > 0) return { refusals, tokenName: '' }
  try {
    return { refusals: [], tokenName: formatTokenName(parts) }
  } catch (error) {
    // Segments were checked above, so what is left is the length limit.
    if (!(error instanceof TokenNameError)) throw error
    return { refusals: [{ rule: 'token-name', message: `Refused: ${error.message}` }], tokenName: '' }
  }
}

/**
 * Checks a mint request against the guard rules and, when it passes, returns the plan to mint.
 * All refusals are collected (not just the first) so the user can fix everything in one go.
 * The request is re-validated with `MintRequestSchema` because it may come from the CLI or over IPC.
 */
export function checkMintRequest(request: MintRequest, settings: SettingsInput): MintCheck {
  const parsedRequest = MintRequestSchema.safeParse(request)
  if (!parsedRequest.success) {
    return {
      ok: false,
      refusals: [
        {
          rule: 'invalid-request',
          message: `Refused: the mint request is malformed: ${describeSchemaIssues(parsedRequest.error.issues)}. Fix the fields listed and try again.`,
        },
      ],
    }
  }
  const parsedSettings = SettingsSchema.safeParse(settings)
  if (!parsedSettings.success) {
    return {
      ok: false,
      refusals: [
        {
          rule: 'invalid-settings',
          message: `Refused: the settings are invalid: ${describeSchemaIssues(parsedSettings.error.issues)}. Fix them in the settings and try again.`,
        },
      ],
    }
  }
  const mint = parsedRequest.data
  const config = parsedSettings.data
  const refusals: Refusal[] = []
  const warnings: string[] = []

  const templateNames = [...new Set([mint.template, ...(mint.extraTemplates ?? [])])]
  const templates: TokenTemplate[] = []
  for (const name of templateNames) {
    const template = findTemplate(name)
    if (template === undefined) {
      refusals.push({
        rule: 'unknown-template',
        message: `Refused: there is no template called "${name}". Pick one of: ${quoteList(TEMPLATE_NAMES)}.`,
      })
    } else {
      templates.push(template)
    }
  }
  if (templates.length === 0) return { ok: false, refusals }

  const permissions = uniquePermissions([
    ...templates.flatMap((template) => template.permissions),
    ...(mint.extraPermissions ?? []),
    ...(mint.extraPolicies ?? []).flatMap((policy) => policy.permissions),
  ])

  const agentPattern = config.agentOwnerPattern ?? DEFAULT_AGENT_OWNER_PATTERN
  const rawOwner = mint.owner ?? config.defaultOwner
  const ownerIsAgent = isAgentOwner(rawOwner, agentPattern)

  refusals.push(...checkExtraPolicyScopes(mint))
  refusals.push(...checkForbiddenCombinations(permissions))
  refusals.push(...checkAdminForAgent(mint, permissions, rawOwner, ownerIsAgent, agentPattern, warnings))
  const lifetime = checkLifetime(mint, templates, warnings)
  refusals.push(...lifetime.refusals)
  const { refusals: resourceRefusals, resources } = checkResources(mint, permissions)
  refusals.push(...resourceRefusals)

  const nameParts: TokenNameParts = {
    prefix: normalizeTokenNameSegment(mint.prefix ?? config.namePrefix),
    project: normalizeTokenNameSegment(mint.project),
    env: normalizeTokenNameSegment(mint.env),
    // Template names contain no ".", so joining with "." keeps a combined purpose readable and splittable.
    purpose: templates.map((template) => template.name).join('.'),
    owner: normalizeTokenNameSegment(rawOwner),
  }
  const { refusals: nameRefusals, tokenName } = checkTokenName(nameParts)
  refusals.push(...nameRefusals)

  if (refusals.length > 0) return { ok: false, refusals }

  if (ownerIsAgent) {
    for (const template of templates.filter((candidate) => !candidate.agentSafe)) {
      warnings.push(`${template.title} (${template.name}) is not meant for unattended agents; watch what "${nameParts.owner}" does with it.`)
    }
  }

  return {
    ok: true,
    plan: {
      templates: templates.map((template) => template.name),
      permissions,
      resources,
      tokenName,
      nameParts,
      owner: nameParts.owner,
      ownerIsAgent,
      permanent: mint.permanent === true,
      temporary: mint.permanent !== true,
      ttlSeconds: lifetime.ttlSeconds,
      maxTtlSeconds: lifetime.maxTtlSeconds,
      risk: highestRisk(templates),
      warnings,
    },
  }
}
