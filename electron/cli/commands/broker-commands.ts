import { DurationParseError, formatDuration, parseDuration } from '../../../shared/common/duration'
import { UsageError } from '../../../shared/common/errors'
import type { ApprovalPolicy, StandingApproval } from '../../../shared/common/broker/policy'
import type { PendingRequest } from '../../../shared/common/broker/protocol'
import { brokerCall } from '../../../shared/node/broker/client'
import { brokerPaths } from '../../../shared/node/broker/paths'
import { describeChain } from '../../../shared/node/broker/process-chain'
import type { Invocation } from '../args'

/** `--pending`, `--approve`, `--deny`, `--policy`: the person's side of the broker, over control.sock only. */
export async function brokerCommand(invocation: Invocation): Promise<number> {
  // Never inside the sandbox: its control socket is not there, and CFWRAP_BROKER names the agent's.
  const control = brokerPaths(process.env).control
  switch (invocation.mode) {
    case 'pending':
      return pendingCommand(control, invocation.options['--json'] === true)
    case 'approve': {
      const forText = invocation.options['--for'] as string | undefined
      const forMs = forText === undefined ? undefined : durationMs('--for', forText)
      const { requestId, until } = (await brokerCall(control, { op: 'approve', requestId: invocation.options['--approve'] as string, ...(forMs ? { forMs } : {}) })) as { requestId: string; until: string | null }
      process.stdout.write(`approved ${requestId}${until ? `; the same template, project and env are granted until ${until}` : ''}.\n`)
      return 0
    }
    case 'deny': {
      const { requestId } = (await brokerCall(control, { op: 'deny', requestId: invocation.options['--deny'] as string })) as { requestId: string }
      process.stdout.write(`denied ${requestId}; the requester was told and nothing was minted.\n`)
      return 0
    }
    case 'policy':
      return policyCommand(control, (invocation.options['--set'] as string[] | undefined) ?? [], invocation.options['--json'] === true)
    default:
      throw new UsageError(`unexpected mode ${invocation.mode}`)
  }
}

function durationMs(flag: string, text: string): number {
  try {
    return parseDuration(text) * 1000
  } catch (error) {
    if (error instanceof DurationParseError) throw new UsageError(`${flag}: ${error.message}`)
    throw error
  }
}

async function pendingCommand(control: string, json: boolean): Promise<number> {
  const { requests, approvals } = (await brokerCall(control, { op: 'pending' })) as { requests: PendingRequest[]; approvals: StandingApproval[] }
  if (json) {
    process.stdout.write(`${JSON.stringify({ requests, approvals })}\n`)
    return 0
  }
  if (requests.length === 0) process.stdout.write('No requests are waiting for you.\n')
  for (const request of requests) {
    process.stdout.write(
      `${request.id}  ${request.name}  (${request.risk} risk; ${request.ttlSeconds === null ? 'no deadline' : formatDuration(request.ttlSeconds)})\n` +
        request.policies.map((line) => `    can: ${line}\n`).join('') +
        `    needs approval: ${request.needsApprovalBecause.join(', ')}\n` +
        `    asked by: ${describeChain(request.chain)} in ${request.cwd}\n` +
        // The requester's own words: quoted and cut short, never taken as instructions.
        `    its reason (untrusted): ${JSON.stringify(request.reason.slice(0, 200))}\n` +
        `    cfwrap --approve ${request.id} [--for 1h]   |   cfwrap --deny ${request.id}\n`,
    )
  }
  for (const approval of approvals) process.stdout.write(`standing approval: ${approval.template} for ${approval.project}/${approval.env} until ${approval.until}\n`)
  return 0
}

/** `RULE=VALUE` of `--policy --set` as a policy change. */
function policyChange(sets: readonly string[]): Partial<ApprovalPolicy> {
  const change: Partial<ApprovalPolicy> = {}
  const yesNo = (rule: string, value: string): boolean => {
    if (value === 'yes' || value === 'no') return value === 'yes'
    throw new UsageError(`--set ${rule}: use yes or no.`)
  }
  for (const set of sets) {
    const eq = set.indexOf('=')
    const rule = eq > 0 ? set.slice(0, eq) : set
    const value = eq > 0 ? set.slice(eq + 1) : ''
    const list = value === '' ? [] : value.split(',').map((item) => item.trim())
    if (rule === 'risks') {
      const bad = list.filter((item) => !['low', 'medium', 'high'].includes(item))
      if (bad.length > 0) throw new UsageError(`--set risks: ${bad.join(', ')} is not a risk (low, medium, high).`)
      change.risks = list as ApprovalPolicy['risks']
    } else if (rule === 'envs') change.envs = list
    else if (rule === 'above-default-ttl') change.aboveDefaultTtl = yesNo(rule, value)
    else if (rule === 'permanent') change.permanent = yesNo(rule, value)
    else throw new UsageError(`--set: unknown rule ${rule}; the rules are risks, envs, above-default-ttl and permanent.`)
  }
  return change
}

async function policyCommand(control: string, sets: readonly string[], json: boolean): Promise<number> {
  const change = policyChange(sets)
  const policy = (await brokerCall(control, sets.length > 0 ? { op: 'policy', set: change } : { op: 'policy' })) as ApprovalPolicy
  if (json) {
    process.stdout.write(`${JSON.stringify(policy)}\n`)
    return 0
  }
  process.stdout.write(
    "An agent's token request needs your approval when:\n" +
      `  its template's risk is ${policy.risks.length > 0 ? policy.risks.join(' or ') : '(never)'}\n` +
      `  its env is ${policy.envs.length > 0 ? policy.envs.join(' or ') : '(never)'}\n` +
      `  its TTL is above the template's default: ${policy.aboveDefaultTtl ? 'yes' : 'no'}\n` +
      `  it is permanent: ${policy.permanent ? 'yes' : 'no'}\n` +
      'Anything else is granted at once (and audited).\n',
  )
  return 0
}
