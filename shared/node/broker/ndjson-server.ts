/**
 * One Unix socket speaking newline-delimited JSON, hardened for callers that may be hostile: a
 * size cap per message, a cap on connections and on messages in flight per connection, and
 * timeouts for idle connections and half-sent lines. Every message is validated with its schema;
 * a bad one gets one error line (and, when the stream cannot be trusted any more, a closed
 * connection). Nothing a caller sends can stop the server or change anything by itself.
 */
import { chmodSync, unlinkSync } from 'node:fs'
import net from 'node:net'
import type * as z from 'zod/mini'
import { UserError } from '../../common/errors'
import { BROKER_PROTOCOL_VERSION, MAX_MESSAGE_BYTES } from '../../common/broker/protocol'
import { redact } from '../../common/redact'
import { describeIssues } from '../../common/schema-issues'

/** Limits of one server; the defaults suit a broker of one user. */
export interface SocketLimits {
  maxConnections: number
  maxInFlight: number
  idleTimeoutMs: number
  partialLineTimeoutMs: number
}

const DEFAULT_LIMITS: SocketLimits = { maxConnections: 512, maxInFlight: 16, idleTimeoutMs: 60_000, partialLineTimeoutMs: 10_000 }

/** What a handler gets besides the message: a way to send an interim answer, and a signal for a caller that went away. */
export interface MessageContext {
  /** Sends `{ ok: true, pending }` ahead of the final answer (a request waiting for a person). */
  pending(id: string): void
  /** Aborted when the connection closes. */
  signal: AbortSignal
}

/** A running socket server. */
export interface SocketServer {
  readonly path: string
  /** Connections open now. */
  connections(): number
  close(): Promise<void>
}

/** One error sentence for a caller: a UserError as it is, anything else as "unexpected", always redacted. */
function errorText(error: unknown): string {
  if (error instanceof UserError) return redact(error.message.replace(/\n+/g, ' '))
  return `unexpected error: ${redact(error instanceof Error ? error.message : String(error))}`
}

/**
 * Listens on `path` (which must be in a directory only this user can enter) and answers each
 * message with `handle`. The socket is made 0600 before the first connection can matter.
 */
export async function serveSocket<M extends { id: number }>(
  path: string,
  schema: z.ZodMiniType<M>,
  handle: (message: M, context: MessageContext) => Promise<unknown>,
  limits: Partial<SocketLimits> = {},
): Promise<SocketServer> {
  const { maxConnections, maxInFlight, idleTimeoutMs, partialLineTimeoutMs } = { ...DEFAULT_LIMITS, ...limits }
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    if (sockets.size >= maxConnections) {
      socket.end(`${JSON.stringify({ v: BROKER_PROTOCOL_VERSION, re: null, ok: false, error: 'the broker is busy; try again.' })}\n`)
      return
    }
    sockets.add(socket)
    const abort = new AbortController()
    let buffered = ''
    let inFlight = 0
    let closed = false
    const send = (reply: Record<string, unknown>): void => {
      if (!closed && socket.writable) socket.write(`${JSON.stringify({ v: BROKER_PROTOCOL_VERSION, ...reply })}\n`)
    }
    const fail = (re: number | null, error: string, close: boolean): void => {
      send({ re, ok: false, error })
      if (close) shut()
    }
    const shut = (): void => {
      if (closed) return
      closed = true
      socket.end()
      setTimeout(() => socket.destroy(), 1000).unref()
    }
    // Idle: nothing received and nothing in flight for a while. Half a line: a partial message left hanging.
    let partialTimer: NodeJS.Timeout | null = null
    socket.setTimeout(idleTimeoutMs, () => {
      if (inFlight === 0) fail(null, 'closed: idle for too long.', true)
    })
    socket.on('close', () => {
      closed = true
      sockets.delete(socket)
      if (partialTimer) clearTimeout(partialTimer)
      abort.abort()
    })
    socket.on('error', () => undefined)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      if (closed) return
      buffered += chunk
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (Buffer.byteLength(line) > MAX_MESSAGE_BYTES) return fail(null, `closed: a message is larger than ${MAX_MESSAGE_BYTES} bytes.`, true)
        if (line.trim() === '') continue
        onLine(line)
        if (closed) return
      }
      if (Buffer.byteLength(buffered) > MAX_MESSAGE_BYTES) return fail(null, `closed: a message is larger than ${MAX_MESSAGE_BYTES} bytes.`, true)
      if (partialTimer) clearTimeout(partialTimer)
      partialTimer = buffered === '' ? null : setTimeout(() => fail(null, 'closed: half a message, and the rest never came.', true), partialLineTimeoutMs)
      partialTimer?.unref()
    })
    const onLine = (line: string): void => {
      let raw: unknown
      try {
        raw = JSON.parse(line)
      } catch {
        return fail(null, 'closed: a message was not JSON.', true)
      }
      const id = typeof raw === 'object' && raw !== null && Number.isInteger((raw as { id?: unknown }).id) ? ((raw as { id: number }).id) : null
      const version = typeof raw === 'object' && raw !== null ? (raw as { v?: unknown }).v : undefined
      if (version !== BROKER_PROTOCOL_VERSION) return fail(id, `closed: this broker speaks protocol version ${BROKER_PROTOCOL_VERSION}.`, true)
      const parsed = schema.safeParse(raw)
      if (!parsed.success) return fail(id, `invalid message: ${describeIssues(parsed.error.issues, 'the message')}.`, false)
      if (inFlight >= maxInFlight) return fail(id, `closed: more than ${maxInFlight} messages at once.`, true)
      inFlight++
      const message = parsed.data
      void handle(message, { pending: (requestId) => send({ re: message.id, ok: true, value: null, pending: requestId }), signal: abort.signal })
        .then(
          (value) => send({ re: message.id, ok: true, value: value ?? null }),
          (error: unknown) => send({ re: message.id, ok: false, error: errorText(error), ...(error instanceof UserError && error.category === 'refused' ? { denied: true } : {}) }),
        )
        .finally(() => {
          inFlight--
        })
    }
  })
  server.maxConnections = maxConnections + 16
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  chmodSync(path, 0o600)
  return {
    path,
    connections: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      try {
        unlinkSync(path)
      } catch {
        // Already gone.
      }
    },
  }
}
