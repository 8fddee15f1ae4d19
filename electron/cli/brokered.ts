/**
 * cfwrap as a requester of the broker: inside `cfwrap --sandbox` (where `CFWRAP_BROKER` names the
 * agent socket and there is no keychain or state), and for `cfwrap --mint` whenever a broker runs.
 * Loaded only on those paths.
 */
import { UsageError } from '../../shared/common/errors'
import type { MintRequest } from '../../shared/common/guards'
import { holdSecret } from '../../shared/common/redact'
import type { GrantedToken, TokenAsk } from '../../shared/common/broker/protocol'
import { brokerCall } from '../../shared/node/broker/client'

const requester = (): { pid: number; cwd: string } => ({ pid: process.pid, cwd: process.cwd() })

/** A mint request as an ask: a template and where it applies. The broker decides the owner (always an agent name). */
function askOf(request: MintRequest): TokenAsk {
  const refused = (['prefix', 'allowAdminForAgent', 'extraTemplates', 'extraPermissions', 'extraPolicies', 'userId'] as const).filter((field) => request[field] !== undefined)
  if (refused.length > 0) throw new UsageError(`through the broker a request names a template and where it applies; ${refused.join(', ')} cannot be given.`)
  const { template, project, env, ttlSeconds, permanent, owner, accountId, zoneId, bucket, jurisdiction } = request
  const optional = { ttlSeconds, permanent, owner, accountId, zoneId, bucket, jurisdiction }
  return { template, project, env, ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) }
}

/** Asks the broker for a token; while a person decides, says so on stderr. Resolves with what was granted. */
export async function mintThroughBroker(socket: string, request: MintRequest, reason: string): Promise<GrantedToken> {
  return (await brokerCall(
    socket,
    { op: 'request', ask: askOf(request), reason, requester: requester() },
    {
      onPending: (id) =>
        process.stderr.write(`cfwrap: waiting for a person to approve request ${id} (the tray app, or \`cfwrap --pending\` and \`cfwrap --approve ${id}\` outside the sandbox)…\n`),
    },
  )) as GrantedToken
}

/** The secret of a token the broker granted, for this one run; registered so every message redacts it. */
export async function leaseFromBroker(socket: string, name: string): Promise<GrantedToken & { secret: string }> {
  const lease = (await brokerCall(socket, { op: 'lease', name, requester: requester() })) as GrantedToken & { secret: string }
  holdSecret(lease.secret)
  return lease
}

/** What the broker granted that is still usable. */
export async function listFromBroker(socket: string): Promise<GrantedToken[]> {
  return (await brokerCall(socket, { op: 'list' })) as GrantedToken[]
}

/** Revokes a token the broker granted. */
export async function revokeThroughBroker(socket: string, name: string): Promise<void> {
  await brokerCall(socket, { op: 'revoke', name })
}
