/**
 * The broker (ssh-agent's model): one process of this user, the tray app's or `cfwrap --daemon`'s
 * core, owns the minting credential and answers requesters over `agent.sock`. An agent asks for a
 * token by template; the approval policy decides whether a person must approve it first, and only
 * `control.sock` (never bound into the sandbox) or the window can approve. What the broker granted
 * is all an agent can list, lease (the one answer that carries a secret) or revoke.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, unlinkSync } from 'node:fs'
import { UserError } from '../../common/errors'
import type { TokenEvent } from '../../common/events'
import type { MintPlan } from '../../common/guards'
import { approvalReasonsForPlan, coveredByApproval, MAX_APPROVAL_WINDOW_MS, type ApprovalPolicy, type StandingApproval } from '../../common/broker/policy'
import { AgentMessageSchema, ControlMessageSchema, type AgentMessage, type ControlMessage, type GrantedToken, type PendingRequest, type TemplateInfo, type TokenAsk } from '../../common/broker/protocol'
import { describePolicies } from '../../common/policy'
import type { TokenRecord } from '../../common/state'
import { templateCatalog, type TokenTemplate } from '../../common/templates'
import { scopesOf } from '../state-views'
import { BrokerRefusedError, brokerCall } from './client'
import { serveSocket, type MessageContext, type SocketLimits, type SocketServer } from './ndjson-server'
import type { BrokerPaths } from './paths'
import { describeChain, processChain } from './process-chain'
import { ensurePrivateDir } from '../private-files'

/** What the broker needs of the service it runs in. */
export interface BrokerHost {
  /** The guards' plan for an agent's ask (owner forced to an agent name); throws MintRefusedError. */
  plan(ask: TokenAsk): Promise<MintPlan>
  /** Mints a planned token marked as granted by the broker. */
  mint(plan: MintPlan): Promise<TokenRecord>
  /** The approval policy now in force. */
  policy(): Promise<ApprovalPolicy>
  /** The person's own templates (the policy judges them by their declared risk and defaults). */
  customTemplates(): Promise<TokenTemplate[]>
  /** The commands `run_with_token` may run, as argv prefixes. */
  allowlist(): Promise<string[][]>
  /** Stores a change to the approval policy; returns the policy now in force. */
  setPolicy(change: Partial<ApprovalPolicy>): Promise<ApprovalPolicy>
  /** The vault's records (to list and check what agents may use). */
  records(): Promise<TokenRecord[]>
  /** The secret of a stored token (from the keychain). */
  readSecret(name: string): Promise<string>
  /** Revokes a token as `cfwrap --revoke` would. */
  revoke(name: string): Promise<void>
  /** Every request, decision and lease goes here (the service's event bus, and so the audit log). */
  emit(event: TokenEvent): void
  /** The pending list changed (the window and the tray show it). */
  changed(): void
  now(): number
}

interface Pending {
  view: PendingRequest
  plan: MintPlan
  decide(outcome: { approved: true; forMs?: number } | { approved: false }): void
}

/** A token the broker granted and that is still usable: active, and before its deadline. */
function usableGrant(record: TokenRecord, now: number): boolean {
  return record.grantedBy === 'broker' && record.status === 'active' && (record.expiresAt === null || Date.parse(record.expiresAt) > now)
}

function grantedView(record: TokenRecord, custom: readonly TokenTemplate[]): GrantedToken {
  return { name: record.name, template: record.template, scopes: scopesOf(record, custom), expiresAt: record.expiresAt, fingerprint: record.fingerprint }
}

/** When a token of `template` needs a person under `policy`, in words. */
function approvalText(template: TokenTemplate, policy: ApprovalPolicy): string {
  if (policy.risks.includes(template.risk)) return `always: its risk is ${template.risk}`
  const when = [
    ...(policy.envs.length > 0 ? [`for ${policy.envs.join(' or ')}`] : []),
    ...(policy.aboveDefaultTtl ? [`for a TTL above ${template.defaultTtlSeconds}s`] : []),
    ...(policy.permanent ? ['when permanent'] : []),
  ]
  return when.length > 0 ? `only ${when.join(', ')}; otherwise granted at once` : 'never: granted at once'
}

/** The broker's decisions, independent of the sockets (unit-testable); {@link startBroker} serves them. */
export class Broker {
  private readonly pending = new Map<string, Pending>()
  private approvals: StandingApproval[] = []

  constructor(private readonly host: BrokerHost) {}

  /** Requests waiting for a person, oldest first. */
  pendingRequests(): PendingRequest[] {
    return [...this.pending.values()].map((entry) => entry.view)
  }

  /** Standing approvals still in force. */
  standingApprovals(): StandingApproval[] {
    const now = this.host.now()
    this.approvals = this.approvals.filter((approval) => Date.parse(approval.until) > now)
    return this.approvals
  }

  /** An agent asks for a token: granted at once when the policy allows, else it waits for a person (or for `signal`). */
  async request(ask: TokenAsk, reason: string, requester: { pid: number; cwd: string }, context: Pick<MessageContext, 'pending' | 'signal'>): Promise<GrantedToken> {
    const chain = processChain(requester.pid)
    const plan = await this.host.plan(ask)
    const covered = coveredByApproval(this.standingApprovals(), ask, this.host.now())
    const needs = covered ? [] : approvalReasonsForPlan(plan, await this.host.policy(), await this.host.customTemplates())
    const requestId = randomBytes(6).toString('hex')
    const time = new Date(this.host.now()).toISOString()
    this.host.emit({ type: 'broker-request', time, requestId, name: plan.tokenName, template: ask.template, chain: describeChain(chain), cwd: requester.cwd, reason, needsApproval: needs })
    if (needs.length > 0) {
      const outcome = await new Promise<{ approved: true; forMs?: number } | { approved: false }>((resolve) => {
        const view: PendingRequest = {
          id: requestId,
          ask,
          name: plan.tokenName,
          policies: describePolicies(plan),
          ttlSeconds: plan.ttlSeconds,
          risk: plan.risk,
          needsApprovalBecause: needs,
          reason,
          chain,
          cwd: requester.cwd,
          createdAt: time,
        }
        this.pending.set(requestId, { view, plan, decide: resolve })
        context.pending(requestId)
        this.host.changed()
        context.signal.addEventListener('abort', () => {
          // The requester went away (Ctrl-C, its agent stopped): nothing left to approve.
          if (this.pending.delete(requestId)) this.host.changed()
        })
      })
      if (!outcome.approved) throw new BrokerRefusedError(`A person denied request ${requestId} (${plan.tokenName}); nothing was minted.`)
      if (context.signal.aborted) throw new UserError('the requester went away before the request was approved.')
    }
    const record = await this.host.mint(plan)
    return grantedView(record, await this.host.customTemplates())
  }

  /** A person approves a pending request, for it alone or (with `forMs`) for the same template, project and env for that long. */
  approve(requestId: string, forMs?: number): { requestId: string; until: string | null } {
    const entry = this.take(requestId)
    let until: string | null = null
    if (forMs !== undefined) {
      if (forMs > MAX_APPROVAL_WINDOW_MS) throw new UserError('an approval window is at most 8 hours.', 2, 'usage')
      until = new Date(this.host.now() + forMs).toISOString()
      this.approvals.push({ template: entry.view.ask.template, project: entry.view.ask.project, env: entry.view.ask.env, until })
    }
    this.host.emit({ type: 'broker-decision', time: new Date(this.host.now()).toISOString(), requestId, approved: true, ...(until ? { until } : {}) })
    entry.decide(forMs === undefined ? { approved: true } : { approved: true, forMs })
    return { requestId, until }
  }

  /** A person denies a pending request; its requester gets one sentence and exit status 1. */
  deny(requestId: string): { requestId: string } {
    const entry = this.take(requestId)
    this.host.emit({ type: 'broker-decision', time: new Date(this.host.now()).toISOString(), requestId, approved: false })
    entry.decide({ approved: false })
    return { requestId }
  }

  /** What the broker granted that is still usable. */
  async granted(): Promise<GrantedToken[]> {
    const now = this.host.now()
    const custom = await this.host.customTemplates()
    return (await this.host.records()).filter((record) => usableGrant(record, now)).map((record) => grantedView(record, custom))
  }

  /** The secret of a granted token, for one run: the one answer that carries a secret. */
  async lease(name: string, requester: { pid: number | null }): Promise<GrantedToken & { secret: string }> {
    const record = (await this.host.records()).find((candidate) => candidate.name === name)
    if (!record || !usableGrant(record, this.host.now())) {
      throw new BrokerRefusedError(`${name} is not a token the broker granted, or it is past its deadline; ask for one with \`cfwrap --mint TEMPLATE\`.`)
    }
    const secret = await this.host.readSecret(name)
    const chain = requester.pid === null ? 'unknown' : describeChain(processChain(requester.pid))
    this.host.emit({ type: 'leased', time: new Date(this.host.now()).toISOString(), token: name, tokenId: record.tokenId, fingerprint: record.fingerprint, chain })
    return { ...grantedView(record, await this.host.customTemplates()), secret }
  }

  /** Revokes a token the broker granted (an agent cannot revoke the person's own). */
  async revoke(name: string): Promise<{ name: string }> {
    const record = (await this.host.records()).find((candidate) => candidate.name === name)
    if (!record || record.grantedBy !== 'broker') throw new BrokerRefusedError(`${name} is not a token the broker granted; an agent cannot revoke it.`)
    await this.host.revoke(name)
    return { name }
  }

  /** Every template an agent may ask for, with when its tokens need approval. */
  async templates(): Promise<TemplateInfo[]> {
    const policy = await this.host.policy()
    const custom = await this.host.customTemplates()
    return templateCatalog(custom).map((template) => ({
      name: template.name,
      title: template.title,
      description: template.description,
      permissions: template.permissions.map((permission) => permission.name),
      risk: template.risk,
      defaultTtlSeconds: template.defaultTtlSeconds,
      maxTtlSeconds: template.maxTtlSeconds,
      agentSafe: template.agentSafe,
      custom: custom.includes(template),
      approval: approvalText(template, policy),
    }))
  }

  /** The commands `run_with_token` may run (argv prefixes). */
  allowlist(): Promise<string[][]> {
    return this.host.allowlist()
  }

  /** A tool call of the MCP server, for the audit log with the requester's chain. */
  audit(tool: string, detail: string, requester: { pid: number }): null {
    this.host.emit({ type: 'mcp-call', time: new Date(this.host.now()).toISOString(), tool, detail, chain: describeChain(processChain(requester.pid)) })
    return null
  }

  /** The approval policy now in force. */
  policy(): Promise<ApprovalPolicy> {
    return this.host.policy()
  }

  /** Changes the approval policy (only over `control.sock` or from the window). */
  setPolicy(change: Partial<ApprovalPolicy>): Promise<ApprovalPolicy> {
    return this.host.setPolicy(change)
  }

  /** Denies everything still pending (the broker stops). */
  closeAll(): void {
    for (const id of [...this.pending.keys()]) {
      const entry = this.pending.get(id)
      this.pending.delete(id)
      entry?.decide({ approved: false })
    }
  }

  private take(requestId: string): Pending {
    const entry = this.pending.get(requestId)
    if (!entry) throw new UserError(`no pending request ${requestId}; \`cfwrap --pending\` lists them.`)
    this.pending.delete(requestId)
    this.host.changed()
    return entry
  }
}

/** The two sockets of a running broker. */
export interface BrokerServer {
  broker: Broker
  paths: BrokerPaths
  close(): Promise<void>
}

/** The one answer to `hello`: who serves, so a second start can say which one runs. */
function helloValue(): { pid: number; protocol: number } {
  return { pid: process.pid, protocol: 1 }
}

/**
 * Throws when another process already serves a broker for this vault, naming it; a socket nobody
 * answers on is a leftover of a crash and does not count. The daemon asks before it starts anything.
 */
export async function refuseSecondBroker(paths: BrokerPaths): Promise<void> {
  if (!existsSync(paths.control)) return
  const running = await brokerCall(paths.control, { op: 'hello' }, { timeoutMs: 2000 }).then(
    (value) => value as { pid: number },
    () => null,
  )
  if (running) throw new UserError(`a cfwrap broker already runs for this vault (pid ${running.pid}: the tray app or \`cfwrap --daemon\`); use that one, or stop it first.`)
}

/**
 * Serves `broker` on its two sockets in `paths.dir` (created 0700; sockets 0600). A broker that
 * already answers there is another process's: this one refuses to start and says whose it is; a
 * socket nobody answers on is a leftover of a crash and is replaced.
 */
export async function startBroker(broker: Broker, paths: BrokerPaths, limits: Partial<SocketLimits> = {}): Promise<BrokerServer> {
  ensurePrivateDir(paths.root)
  ensurePrivateDir(paths.dir)
  await refuseSecondBroker(paths)
  for (const path of [paths.agent, paths.control]) {
    try {
      unlinkSync(path)
    } catch {
      // Not there.
    }
  }
  const agent: SocketServer = await serveSocket(paths.agent, AgentMessageSchema, (message: AgentMessage, context) => {
    switch (message.op) {
      case 'hello':
        return Promise.resolve(helloValue())
      case 'request':
        return broker.request(message.ask, message.reason, message.requester, context)
      case 'list':
        return broker.granted()
      case 'lease':
        return broker.lease(message.name, { pid: message.requester?.pid ?? null })
      case 'revoke':
        return broker.revoke(message.name)
      case 'templates':
        return broker.templates()
      case 'allowlist':
        return broker.allowlist()
      case 'audit':
        return Promise.resolve(broker.audit(message.tool, message.detail, message.requester))
    }
  }, limits)
  const control: SocketServer = await serveSocket(paths.control, ControlMessageSchema, async (message: ControlMessage) => {
    switch (message.op) {
      case 'hello':
        return helloValue()
      case 'pending':
        return { requests: broker.pendingRequests(), approvals: broker.standingApprovals() }
      case 'approve':
        return broker.approve(message.requestId, message.forMs)
      case 'deny':
        return broker.deny(message.requestId)
      case 'policy':
        return message.set ? broker.setPolicy(message.set) : broker.policy()
    }
  }, limits)
  return {
    broker,
    paths,
    close: async () => {
      broker.closeAll()
      await Promise.all([agent.close(), control.close()])
    },
  }
}
