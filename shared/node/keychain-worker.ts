import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import * as z from 'zod/mini'

/** One keychain write, as the worker receives it. */
export type KeychainWrite = { op: 'set'; service: string; account: string; secret: string } | { op: 'delete'; service: string; account: string }

const ReplySchema = z.union([
  z.object({ id: z.number(), ok: z.literal(true), value: z.boolean() }),
  z.object({ id: z.number(), ok: z.literal(false), message: z.string() }),
])

// The worker's whole program. It constructs each entry (which opens a D-Bus connection and blocks
// for ~7 ms) on its own thread; the operation itself then runs on libuv's pool, so the next
// entry's construction overlaps the previous operation. Error texts come from the native store
// and never contain the secret.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { AsyncEntry } = require(workerData.modulePath)
parentPort.on('message', (request) => {
  let entry
  try {
    entry = new AsyncEntry(request.service, request.account, workerData.entryOptions)
  } catch (error) {
    parentPort.postMessage({ id: request.id, ok: false, message: String(error && error.message || error) })
    return
  }
  const work = request.op === 'set' ? entry.setPassword(request.secret).then(() => true) : entry.deleteCredential()
  work.then(
    (value) => parentPort.postMessage({ id: request.id, ok: true, value: value === true }),
    (error) => parentPort.postMessage({ id: request.id, ok: false, message: String(error && error.message || error) }),
  )
})
`

/** The worker could not start or stopped (in a packaged app that cannot load the addon in a worker, say): the caller does the work itself. */
export class KeychainWorkerGone extends Error {
  override name = 'KeychainWorkerGone'
}

/**
 * Keychain writes and deletions on a worker thread, so that a burst of them (the reaper deleting
 * 200 tokens due at once) never blocks the event loop that sends the Cloudflare deletions. The
 * worker starts on first use and holds the process open only while a request is outstanding.
 */
export class KeychainWorker {
  private worker: Worker | null = null
  private gone: KeychainWorkerGone | null = null
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (value: boolean) => void; reject: (error: Error) => void }>()

  /** `modulePath` is where the addon is; resolved from here by default. */
  constructor(
    private readonly entryOptions: object,
    private readonly modulePath?: string,
  ) {}

  /** Runs one write or deletion; resolves with the store's answer (for a deletion: whether there was an item). */
  run(request: KeychainWrite): Promise<boolean> {
    if (this.gone) return Promise.reject(this.gone)
    let worker: Worker
    try {
      worker = this.start()
    } catch (error) {
      this.gone = new KeychainWorkerGone(`the keychain worker could not start: ${error instanceof Error ? error.message : String(error)}`)
      return Promise.reject(this.gone)
    }
    const id = this.nextId++
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      if (this.waiting.size === 1) worker.ref()
      worker.postMessage({ ...request, id })
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    // The addon is resolved here, where the bundler and Electron's asar redirection know where it is.
    const localRequire = typeof require === 'function' ? require : createRequire(__filename)
    const modulePath = this.modulePath ?? localRequire.resolve('@napi-rs/keyring')
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath, entryOptions: this.entryOptions } })
    worker.unref()
    worker.on('message', (message: unknown) => {
      const reply = ReplySchema.safeParse(message)
      if (!reply.success) return
      const waiter = this.waiting.get(reply.data.id)
      if (!waiter) return
      this.waiting.delete(reply.data.id)
      if (this.waiting.size === 0) worker.unref()
      if (reply.data.ok) waiter.resolve(reply.data.value)
      else waiter.reject(new Error(reply.data.message))
    })
    // Either way every request still waiting, and every later one, is handed back to the caller.
    const fail = (detail: string): void => {
      this.worker = null
      this.gone ??= new KeychainWorkerGone(`the keychain worker stopped: ${detail}`)
      for (const waiter of this.waiting.values()) waiter.reject(this.gone)
      this.waiting.clear()
    }
    worker.on('error', (error) => fail(error.message))
    worker.on('exit', (code) => fail(`exit code ${code}`))
    this.worker = worker
    return worker
  }
}
