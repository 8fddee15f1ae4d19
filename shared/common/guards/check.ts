// The guards' verdict on one mint request: the rules in the order they run, all refusals collected.
import { findTemplate, templateCatalog, type TokenTemplate } from '../templates'
import { normalizeTokenNameSegment, type TokenNameParts } from '../token-name'
import { highestRisk, isAgentOwner, quoteList, uniquePermissions } from './permissions'
import { checkAdminForAgent } from './rules/admin-for-agent'
import { checkForbiddenCombinations } from './rules/forbidden-combinations'
import { checkLifetime } from './rules/lifetime'
import { checkExtraPolicyScopes } from './rules/mixed-scopes'
import { checkResources } from './rules/resources'
import { checkTokenName } from './rules/token-name'
import { DEFAULT_AGENT_OWNER_PATTERN, SettingsSchema, type MintCheck, type MintRequest, type Refusal, type SettingsInput } from './schemas'
import { describeIssues } from '../schema-issues'

/**
 * Checks a mint request against the guard rules and, when it passes, returns the plan to mint.
 * All refusals are collected (not just the first) so the user can fix everything in one go.
 * The request's shape was checked where it came in (every surface parses with `MintRequestSchema`);
 * the settings are parsed here because their defaults live in `SettingsSchema`.
 */
export function checkMintRequest(request: MintRequest, settings: SettingsInput): MintCheck {
  const parsedSettings = SettingsSchema.safeParse(settings)
  if (!parsedSettings.success) {
    return {
      ok: false,
      refusals: [
        {
          rule: 'invalid-settings',
          message: `Refused: the settings are invalid: ${describeIssues(parsedSettings.error.issues, 'the settings')}. Fix them in the settings and try again.`,
        },
      ],
    }
  }
  const mint = request
  const config = parsedSettings.data
  const refusals: Refusal[] = []
  const warnings: string[] = []

  const templateNames = [...new Set([mint.template, ...(mint.extraTemplates ?? [])])]
  const templates: TokenTemplate[] = []
  for (const name of templateNames) {
    const template = findTemplate(name, config.customTemplates)
    if (template === undefined) {
      refusals.push({
        rule: 'unknown-template',
        field: 'template',
        message: `Refused: there is no template called "${name}". Pick one of: ${quoteList(templateCatalog(config.customTemplates).map((known) => known.name))}.`,
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
