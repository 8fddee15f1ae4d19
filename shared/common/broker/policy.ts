/**
 * When an agent's token request needs a person's approval. Pure: the broker calls it with the
 * guards' plan, the template and the policy from the settings; the window and `cfwrap --policy`
 * show and edit the same policy.
 */
import * as z from 'zod/mini'
import type { MintPlan } from '../guards'
import { findTemplate, type Risk, type TokenTemplate } from '../templates'

/** The approval policy, as stored in the settings. Every rule defaults to "ask". */
export const ApprovalPolicySchema = z.object({
  /** Templates of these risks need approval (default: high). */
  risks: z._default(z.array(z.enum(['low', 'medium', 'high'])), ['high']),
  /** Environments (the name's env part) that need approval (default: prod). */
  envs: z._default(z.array(z.string().check(z.maxLength(40))), ['prod']),
  /** A TTL above the template's default needs approval (default: yes). */
  aboveDefaultTtl: z._default(z.boolean(), true),
  /** A permanent token needs approval (default: yes). */
  permanent: z._default(z.boolean(), true),
})

/** The approval policy with its defaults filled in. */
export type ApprovalPolicy = z.output<typeof ApprovalPolicySchema>

/** The policy a fresh install uses. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = ApprovalPolicySchema.parse({})

/** What an approval decision looks at: the planned token, in the guards' terms. */
export interface PlannedToken {
  templates: readonly TokenTemplate[]
  env: string
  ttlSeconds: number | null
  risk: Risk
}

/**
 * Why this token needs a person's approval under `policy`, one short reason each; empty when it
 * may be granted at once (a low-risk template within its defaults, say).
 */
export function approvalReasons(token: PlannedToken, policy: ApprovalPolicy): string[] {
  const reasons: string[] = []
  if (policy.risks.includes(token.risk)) reasons.push(`its risk is ${token.risk}`)
  if (policy.envs.includes(token.env)) reasons.push(`it is for ${token.env}`)
  if (token.ttlSeconds === null) {
    if (policy.permanent) reasons.push('it never expires')
  } else if (policy.aboveDefaultTtl && token.templates.some((template) => token.ttlSeconds! > template.defaultTtlSeconds)) {
    reasons.push("its lifetime is above the template's default")
  }
  return reasons
}

/** {@link approvalReasons} for a plan the guards made. */
export function approvalReasonsForPlan(plan: MintPlan, policy: ApprovalPolicy, custom: readonly TokenTemplate[] = []): string[] {
  const templates = plan.templates.map((name) => findTemplate(name, custom)).filter((template): template is TokenTemplate => template !== undefined)
  return approvalReasons({ templates, env: plan.nameParts.env, ttlSeconds: plan.ttlSeconds, risk: plan.risk }, policy)
}

/** Longest window a standing approval (same template, project and env) may cover. */
export const MAX_APPROVAL_WINDOW_MS = 8 * 60 * 60 * 1000

/** A standing approval: requests for the same template, project and env are granted until `until`. */
export const StandingApprovalSchema = z.object({
  template: z.string(),
  project: z.string(),
  env: z.string(),
  until: z.iso.datetime({ offset: true }),
})

/** A standing approval. */
export type StandingApproval = z.infer<typeof StandingApprovalSchema>

/** True when a standing approval still covers a request for this template, project and env at `now`. */
export function coveredByApproval(approvals: readonly StandingApproval[], request: { template: string; project: string; env: string }, now: number): boolean {
  return approvals.some((approval) => approval.template === request.template && approval.project === request.project && approval.env === request.env && Date.parse(approval.until) > now)
}

/** What `run_with_token` of `cfwrap --mcp` may run unless the settings say otherwise: Wrangler, directly or through npx. */
export const DEFAULT_RUN_ALLOWLIST: readonly (readonly string[])[] = [['wrangler'], ['npx', 'wrangler']]
