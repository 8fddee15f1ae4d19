import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import * as z from 'zod/mini'
import type { scanFile } from './file-scan'

/** One file to scan, as a worker receives it. */
export interface ScanEntry {
  path: string
  origin: 'shell-profile' | 'project'
  gitIgnored: boolean | undefined
}

/** A batch of files for a worker. */
export const ScanBatchSchema = z.object({
  id: z.number(),
  files: z.array(z.object({ path: z.string(), origin: z.enum(['shell-profile', 'project']), gitIgnored: z.optional(z.boolean()) })),
  maxBytes: z.number(),
})

type Scanned = ReturnType<typeof scanFile>

/** Files per batch: small enough that the last batch leaves no thread waiting long, large enough that messages cost nothing (about 1 MB of ordinary source). */
const BATCH_FILES = 100

/** Where the built worker program is, next to the bundle that loads it; null when running from source (tests). */
function workerProgram(): string | null {
  for (const candidate of [join(__dirname, 'scan-worker.js'), join(__dirname, '..', 'scan-worker.js')]) if (existsSync(candidate)) return candidate
  return null
}

/** `entries` cut into consecutive batches of {@link BATCH_FILES} (as index ranges). */
function batchesOf(count: number): Array<[number, number]> {
  const batches: Array<[number, number]> = []
  for (let start = 0; start < count; start += BATCH_FILES) batches.push([start, Math.min(count, start + BATCH_FILES)])
  return batches
}

/**
 * Scanning on more than one core: the scanner is pure CPU work per file. {@link run} shares the
 * files out in batches as each thread asks for more, this one included, which starts at once: a
 * worker that comes up late (a few hundred ms on a busy 2-core machine) or runs slow never leaves
 * the others waiting.
 */
export class ScanPool {
  private readonly workers: Worker[] = []
  private readonly online = new Set<Worker>()

  private constructor(program: string, count: number) {
    for (let i = 0; i < count; i++) {
      try {
        const worker = new Worker(program)
        worker.unref()
        worker.once('online', () => this.online.add(worker))
        worker.on('error', () => this.online.delete(worker))
        this.workers.push(worker)
      } catch {
        // This thread does that worker's share.
      }
    }
  }

  /** A pool with one worker per further core (at most 3), or null where there is one core or no built worker (source runs, tests). */
  static start(program: string | null = workerProgram()): ScanPool | null {
    const extra = Math.min(availableParallelism(), 4) - 1
    return program === null || extra < 1 ? null : new ScanPool(program, extra)
  }

  /**
   * Scans `entries`, results in their order. A batch given to a worker that then fails is scanned
   * here: nothing is skipped.
   */
  async run(entries: ScanEntry[], maxBytes: number, scan: (entry: ScanEntry) => Scanned): Promise<Scanned[]> {
    const results = new Array<Scanned>(entries.length)
    const batches = batchesOf(entries.length)
    let next = 0
    const scanHere = ([from, to]: [number, number]): void => {
      for (let index = from; index < to; index++) results[index] = scan(entries[index] as ScanEntry)
    }
    // Each worker holds two batches: its answer is only taken in when this thread yields (between
    // its own batches), and with one batch it would wait idle for that meanwhile.
    const outstanding = new Map<Worker, Array<[number, number]>>()
    const pending = (): number => [...outstanding.values()].reduce((sum, queue) => sum + queue.length, 0)
    let wakeMain: (() => void) | null = null
    const feed = (worker: Worker): void => {
      if (next >= batches.length) return
      const batch = batches[next++] as [number, number]
      outstanding.set(worker, [...(outstanding.get(worker) ?? []), batch])
      worker.postMessage({ id: batch[0], files: entries.slice(batch[0], batch[1]), maxBytes })
    }
    const listeners = this.workers.map((worker) => {
      const onMessage = (message: { id: number; results: Scanned[] }): void => {
        const queue = outstanding.get(worker) ?? []
        const batch = queue.shift()
        if (batch && message.id === batch[0] && message.results.length === batch[1] - batch[0]) message.results.forEach((scanned, at) => (results[batch[0] + at] = scanned))
        else if (batch) scanHere(batch)
        feed(worker)
        wakeMain?.()
      }
      const onFailure = (): void => {
        for (const batch of outstanding.get(worker) ?? []) scanHere(batch)
        outstanding.delete(worker)
        wakeMain?.()
      }
      const onOnline = (): void => {
        feed(worker)
        feed(worker)
      }
      worker.on('message', onMessage)
      worker.once('error', onFailure)
      worker.once('exit', onFailure)
      if (this.online.has(worker)) onOnline()
      else worker.once('online', onOnline)
      return () => {
        worker.off('message', onMessage)
        worker.off('error', onFailure)
        worker.off('exit', onFailure)
        worker.off('online', onOnline)
      }
    })
    // This thread takes batches too, yielding between them so the workers' answers are taken in.
    while (next < batches.length) {
      scanHere(batches[next++] as [number, number])
      await new Promise((resume) => setImmediate(resume))
    }
    while (pending() > 0) await new Promise<void>((resume) => (wakeMain = resume))
    for (const stop of listeners) stop()
    return results
  }

  /** Stops the workers. */
  close(): void {
    for (const worker of this.workers) void worker.terminate()
  }
}
