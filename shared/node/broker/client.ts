// The requester's and the person's side of the broker sockets: one message, its answer.
import net from 'node:net'
import { UserError } from '../../common/errors'
import { BROKER_PROTOCOL_VERSION, BrokerReplySchema } from '../../common/broker/protocol'

/** The broker refused what was asked (a person denied it, or a rule does); exit status 1 with its sentence. */
export class BrokerRefusedError extends UserError {
  override name = 'BrokerRefusedError'
  constructor(message: string) {
    super(message, 1, 'refused')
  }
}

/** Options of {@link brokerCall}. */
export interface BrokerCallOptions {
  /** Called when the broker says the request waits for a person, with the request's id. */
  onPending?: (requestId: string) => void
  /** Gives up after this long (default: never for a request that waits for a person, 15 s otherwise). */
  timeoutMs?: number
  /** Gives up when aborted (the connection closes, so the broker drops a pending request). */
  signal?: AbortSignal
}

/**
 * Sends one message (`op` and its fields) to the socket at `path` and resolves with the answer's
 * value; a refusal throws {@link BrokerRefusedError}, anything else a UserError with one sentence.
 */
export function brokerCall(path: string, message: Record<string, unknown> & { op: string }, options: BrokerCallOptions = {}): Promise<unknown> {
  const id = 1
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path)
    let buffered = ''
    let settled = false
    const finish = (error: Error | null, value?: unknown): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(value)
    }
    const timeoutMs = options.timeoutMs ?? (message.op === 'request' ? 0 : 15_000)
    const timer = setTimeout(() => finish(new UserError(`the broker did not answer within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs || 2 ** 31 - 1)
    if (!timeoutMs) timer.unref()
    options.signal?.addEventListener('abort', () => finish(new UserError('gave up waiting for the broker (timeout); the request was withdrawn.')))
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(`${JSON.stringify({ v: BROKER_PROTOCOL_VERSION, id, ...message })}\n`))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? 'none is running there' : (error.code ?? 'it could not be reached')
      finish(new UserError(`cannot reach the cfwrap broker at ${path}: ${why}. Start the tray app or \`cfwrap --daemon\`.`))
    })
    socket.on('close', () => finish(new UserError('the broker closed the connection before answering.')))
    socket.on('data', (chunk: string) => {
      buffered += chunk
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        let reply
        try {
          reply = BrokerReplySchema.parse(JSON.parse(line))
        } catch {
          return finish(new UserError('the broker answered something that is not its protocol.'))
        }
        if (reply.re !== id && reply.re !== null) continue
        if (!reply.ok) return finish(reply.denied ? new BrokerRefusedError(reply.error) : new UserError(reply.error))
        if (reply.pending !== undefined) {
          options.onPending?.(reply.pending)
          continue
        }
        return finish(null, reply.value)
      }
    })
  })
}
