/**
 * The one generic adapter between an untrusted caller (the window over IPC, and next the broker
 * socket) and the service: validate the request once with its channel's schema, call the typed
 * method, and turn what it throws into `{ ok: false, error }` with one redacted sentence. No switch,
 * no casts: the service's method for each channel is typed by the contract (`ServiceChannels`).
 */
import type * as z from 'zod/mini'
import { UserError } from '../common/errors'
import { CONTRACT, type Channel, type ParsedRequest, type Result, type Response, type ServiceChannels } from '../common/ipc'
import { redact } from '../common/redact'
import { describeIssues } from '../common/schema-issues'
import { MintRefusedError } from './mint'

/**
 * The contract seen channel by channel. The assignment is checked per channel, so indexing it with
 * a generic channel gives that channel's exact request type (indexing CONTRACT itself gives a union).
 */
const REQUESTS: { readonly [C in Channel]: { readonly request: z.ZodMiniType<ParsedRequest<C>, unknown> } } = CONTRACT

/** A thrown error as a result: refusals for mints, the sentence of a UserError, "unexpected" only for bugs. */
function errorResult<T>(error: unknown): Result<T> {
  if (error instanceof MintRefusedError) return { ok: false, error: redact(error.message), refusals: error.refusals }
  if (error instanceof UserError) return { ok: false, error: redact(error.message) }
  // A bug: the message only (stacks can carry values from deep frames), redacted as every message is.
  return { ok: false, error: `unexpected error: ${redact(error instanceof Error ? error.message : String(error))}` }
}

/** Validates `raw` against the channel's request schema and runs the service's method for it. */
export async function serveRequest<C extends Channel>(service: ServiceChannels, channel: C, raw: unknown): Promise<Result<Response<C>>> {
  if (!Object.hasOwn(CONTRACT, channel)) return { ok: false, error: `Invalid ${String(channel).slice(0, 40)} request: there is no such channel.` }
  const parsed = REQUESTS[channel].request.safeParse(raw)
  if (!parsed.success) return { ok: false, error: `Invalid ${channel} request: ${describeIssues(parsed.error.issues)}.` }
  const method: (request: ParsedRequest<C>) => Promise<Response<C>> = service[channel]
  return resultOf(() => method.call(service, parsed.data))
}

/** Runs one operation of the service; what it throws becomes `{ ok: false }` with one sentence (the tray uses it too). */
export async function resultOf<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await work() }
  } catch (error) {
    return errorResult(error)
  }
}
