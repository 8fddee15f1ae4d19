/**
 * The broker's wire protocol: newline-delimited JSON over two Unix sockets, one zod schema per
 * message. `agent.sock` is for requesters (an agent, or `cfwrap` inside the sandbox): ask for a
 * token, list and lease what the broker granted, revoke it. `control.sock` is for the person's own
 * tools (`cfwrap --pending/--approve/--deny/--policy`): it is never bound into the sandbox.
 * Nothing here carries a secret except the answer to a granted `lease`.
 */
import * as z from 'zod/mini'
import { STORED_TOKEN_NAME } from '../ids'
import { ApprovalPolicySchema } from './policy'

/** The protocol version every message carries; a message of another version gets an error and the connection closes. */
export const BROKER_PROTOCOL_VERSION = 1

/** Longest message line the broker reads; a longer one closes the connection. */
export const MAX_MESSAGE_BYTES = 16 * 1024

const Name = z.string().check(z.minLength(1), z.maxLength(120), z.regex(STORED_TOKEN_NAME))
const Segment = z.string().check(z.minLength(1), z.maxLength(60))
const Base = { v: z.literal(BROKER_PROTOCOL_VERSION), id: z.number().check(z.int(), z.nonnegative()) }

/** What an agent may ask for: a template and where it applies, never the permissions themselves. */
export const TokenAskSchema = z.strictObject({
  template: z.string().check(z.minLength(1), z.maxLength(60)),
  project: Segment,
  env: Segment,
  ttlSeconds: z.optional(z.number().check(z.int(), z.positive())),
  permanent: z.optional(z.boolean()),
  owner: z.optional(Segment),
  accountId: z.optional(z.string().check(z.maxLength(64))),
  zoneId: z.optional(z.string().check(z.maxLength(64))),
  bucket: z.optional(z.string().check(z.maxLength(64))),
  jurisdiction: z.optional(z.string().check(z.maxLength(32))),
})
/** A token request from an agent. */
export type TokenAsk = z.infer<typeof TokenAskSchema>

/** Who asks, as the requester reports it; the broker adds the process chain it reads from the OS. */
export const RequesterSchema = z.strictObject({
  pid: z.number().check(z.int(), z.positive()),
  cwd: z.string().check(z.maxLength(4096)),
})

/** Messages to `agent.sock`. */
export const AgentMessageSchema = z.discriminatedUnion('op', [
  z.strictObject({ ...Base, op: z.literal('hello') }),
  z.strictObject({ ...Base, op: z.literal('request'), ask: TokenAskSchema, reason: z.string().check(z.maxLength(500)), requester: RequesterSchema }),
  z.strictObject({ ...Base, op: z.literal('list') }),
  z.strictObject({ ...Base, op: z.literal('lease'), name: Name, requester: z.optional(RequesterSchema) }),
  z.strictObject({ ...Base, op: z.literal('revoke'), name: Name }),
  z.strictObject({ ...Base, op: z.literal('templates') }),
  z.strictObject({ ...Base, op: z.literal('allowlist') }),
  z.strictObject({ ...Base, op: z.literal('audit'), tool: z.string().check(z.maxLength(40)), detail: z.string().check(z.maxLength(500)), requester: RequesterSchema }),
])
/** A message to `agent.sock`. */
export type AgentMessage = z.infer<typeof AgentMessageSchema>

/** Messages to `control.sock`. */
export const ControlMessageSchema = z.discriminatedUnion('op', [
  z.strictObject({ ...Base, op: z.literal('hello') }),
  z.strictObject({ ...Base, op: z.literal('pending') }),
  z.strictObject({ ...Base, op: z.literal('approve'), requestId: z.string().check(z.minLength(1), z.maxLength(40)), forMs: z.optional(z.number().check(z.int(), z.positive())) }),
  z.strictObject({ ...Base, op: z.literal('deny'), requestId: z.string().check(z.minLength(1), z.maxLength(40)) }),
  z.strictObject({ ...Base, op: z.literal('policy'), set: z.optional(z.partial(ApprovalPolicySchema)) }),
])
/** A message to `control.sock`. */
export type ControlMessage = z.infer<typeof ControlMessageSchema>

/** A request waiting for a person, as `--pending` and the window show it (the reason is the requester's text, untrusted). */
export const PendingRequestSchema = z.object({
  id: z.string(),
  ask: TokenAskSchema,
  /** The token name it would get. */
  name: z.string(),
  /** What it could do, one line per policy. */
  policies: z.array(z.string()),
  ttlSeconds: z.nullable(z.number()),
  risk: z.enum(['low', 'medium', 'high']),
  /** Why the policy asks a person. */
  needsApprovalBecause: z.array(z.string()),
  reason: z.string(),
  /** Process names and pids from the requester up, as the OS reports them (e.g. cfwrap ← bash ← claude). */
  chain: z.array(z.object({ pid: z.number(), name: z.string() })),
  cwd: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
})
/** A pending request. */
export type PendingRequest = z.infer<typeof PendingRequestSchema>

/** A token the broker granted, as requesters see it (no secret). */
export const GrantedTokenSchema = z.object({
  name: z.string(),
  template: z.nullable(z.string()),
  /** What it can do, one line per policy. */
  scopes: z.array(z.string()),
  expiresAt: z.nullable(z.iso.datetime({ offset: true })),
  fingerprint: z.nullable(z.string()),
})
/** A granted token. */
export type GrantedToken = z.infer<typeof GrantedTokenSchema>

/** A template as requesters see it, with when its tokens need a person's approval. */
export const TemplateInfoSchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  permissions: z.array(z.string()),
  risk: z.enum(['low', 'medium', 'high']),
  defaultTtlSeconds: z.number(),
  maxTtlSeconds: z.number(),
  agentSafe: z.boolean(),
  custom: z.boolean(),
  /** When a token of it needs approval, in words ("always: its risk is high", "for prod, or a TTL above 1h"). */
  approval: z.string(),
})
/** A template as requesters see it. */
export type TemplateInfo = z.infer<typeof TemplateInfoSchema>

/** Every answer: to message `re`, a value or one sentence. A `request` may get `pending` first and its outcome later. */
export const BrokerReplySchema = z.union([
  z.object({ v: z.literal(BROKER_PROTOCOL_VERSION), re: z.nullable(z.number()), ok: z.literal(false), error: z.string(), denied: z.optional(z.boolean()) }),
  z.object({ v: z.literal(BROKER_PROTOCOL_VERSION), re: z.number(), ok: z.literal(true), value: z.unknown(), pending: z.optional(z.string()) }),
])
/** A broker answer. */
export type BrokerReply = z.infer<typeof BrokerReplySchema>
