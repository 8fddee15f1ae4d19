import type { StdioOptions } from 'node:child_process'
import { constants } from 'node:os'
import { fstatSync, readSync, statSync, writeSync, writev } from 'node:fs'
import type { Readable } from 'node:stream'
import { CLOUDFLARE_CREDENTIAL_VARS } from '../common/credentials'
import { lazyLoad } from './lazy-load'
import { SecretMasker } from './mask'

/** What to inject into a child: one token (and its account), or nothing so Wrangler uses its OAuth login. */
export type Injection = { token: string; accountId: string | null } | { oauth: true }

/**
 * The child's environment: the parent's, minus every Cloudflare credential variable, plus exactly
 * the injected token. Everything else passes through unchanged, `CLOUDFLARE_API_BASE_URL` included.
 */
export function buildChildEnv(parentEnv: NodeJS.ProcessEnv, injection: Injection): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parentEnv }
  for (const name of CLOUDFLARE_CREDENTIAL_VARS) delete env[name]
  if ('token' in injection) {
    env.CLOUDFLARE_API_TOKEN = injection.token
    if (injection.accountId) env.CLOUDFLARE_ACCOUNT_ID = injection.accountId
  }
  return env
}

/** How a wrapped child ended. `spawnError` is set when it never started (e.g. command not found). */
export interface WrappedExit {
  code: number | null
  signal: NodeJS.Signals | null
  spawnError?: NodeJS.ErrnoException
}

/** Options for {@link runWrapped}. */
export interface RunWrappedOptions {
  command: string
  args: readonly string[]
  env: NodeJS.ProcessEnv
  /** The secret to mask in piped output; null disables masking. */
  maskSecret: string | null
  /** Whether fd 1 / fd 2 are terminals; defaults to asking the OS (without creating the stdio streams). */
  stdoutIsTTY?: boolean
  stderrIsTTY?: boolean
  cwd?: string
}

type ChildProcessModule = typeof import('node:child_process')
let childProcessModule: Promise<ChildProcessModule> | undefined

/**
 * Loads child_process (~2–3 ms) ahead of need, so the wrapper can do it while the keychain
 * answers instead of after.
 */
export function preloadSpawn(): Promise<ChildProcessModule> {
  childProcessModule ??= lazyLoad<ChildProcessModule>('node:child_process')
  return childProcessModule
}

let devNull: number | null | undefined

/**
 * What an output descriptor leads to: a terminal (handed to the child untouched, so interactive
 * tools work), the null device (nobody can read it: nothing to mask, no pipe needed), or anything
 * else a person or program may read (pipe, file, socket: masked). fstat answers the common cases
 * without loading node:tty; only a character device that is not /dev/null needs isatty().
 */
export async function outputKind(fd: number): Promise<'terminal' | 'null' | 'readable'> {
  let stat
  try {
    stat = fstatSync(fd)
  } catch {
    return 'readable'
  }
  if (!stat.isCharacterDevice()) return 'readable'
  if (devNull === undefined) {
    try {
      devNull = statSync('/dev/null').rdev
    } catch {
      devNull = null // Windows: no /dev/null; isatty() decides below.
    }
  }
  if (devNull !== null && stat.rdev === devNull) return 'null'
  // isatty() instead of process.stdout.isTTY: touching process.stdout builds a stream we may never use.
  const { isatty } = await preloadTty()
  return isatty(fd) ? 'terminal' : 'readable'
}

type TtyModule = typeof import('node:tty')
let ttyModule: Promise<TtyModule> | undefined

/** Loads node:tty ahead of need: it pulls in net and streams (~2 ms), so load it while the keychain answers. */
export function preloadTty(): Promise<TtyModule> {
  ttyModule ??= lazyLoad<TtyModule>('node:tty')
  return ttyModule
}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** The identity of what an output descriptor leads to (device and inode), to tell when fd 1 and fd 2 are one file or pipe. */
function outputIdentity(fd: number): string | null {
  try {
    const stat = fstatSync(fd)
    return `${stat.dev}:${stat.ino}`
  } catch {
    return null
  }
}

/**
 * Runs one command with the given environment. argv goes to the child as a vector (no shell string
 * is ever built), stdin is inherited, SIGINT/SIGTERM/SIGHUP are forwarded. Output that goes to a
 * terminal is handed over untouched so interactive tools keep working; output that goes anywhere
 * else is piped through a {@link SecretMasker} when a secret is given.
 *
 * When stdout and stderr lead to the same file or pipe (`2>&1`), both go through ONE masker in the
 * order they are read, and are written to fd 1: masked apart, half a secret on each would be
 * reassembled in the file. The wrapper returns when the command exits, after draining what it had
 * already written: a background child that keeps the pipes open (`sleep 5 &`) does not hold it up.
 */
export async function runWrapped(options: RunWrappedOptions): Promise<WrappedExit> {
  // Windows runs most CLIs (wrangler, npx) through .cmd shims, which child_process cannot start
  // without a shell; cross-spawn resolves and quotes them correctly, still without a shell string.
  const { spawn } =
    process.platform === 'win32'
      ? await lazyLoad<{ spawn: ChildProcessModule['spawn'] }>('cross-spawn')
      : await preloadSpawn()
  const secret = options.maskSecret ? options.maskSecret : null
  const maskOut = secret !== null && (options.stdoutIsTTY === undefined ? (await outputKind(1)) === 'readable' : !options.stdoutIsTTY)
  const maskErr = secret !== null && (options.stderrIsTTY === undefined ? (await outputKind(2)) === 'readable' : !options.stderrIsTTY)
  const stdio: StdioOptions = ['inherit', maskOut ? 'pipe' : 'inherit', maskErr ? 'pipe' : 'inherit']
  const oneStream = maskOut && maskErr && outputIdentity(1) !== null && outputIdentity(1) === outputIdentity(2)

  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(options.command, [...options.args], { stdio, env: options.env, cwd: options.cwd })
    } catch (error) {
      // Some failures (ENOTDIR for `./file/`, EACCES on some systems) are thrown, not emitted.
      resolve({ code: null, signal: null, spawnError: error as NodeJS.ErrnoException })
      return
    }
    const forward = (signal: NodeJS.Signals): void => {
      // The child may already be gone; kill() then fails harmlessly.
      child.kill(signal)
    }
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward)
    const stopForwarding = (): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward)
    }

    const outputs: MaskedOutput[] = []
    const sources: PipedSource[] = []
    if (secret !== null) {
      const stdout = child.stdout ? new MaskedOutput(1, secret) : null
      const stderr = child.stderr ? (oneStream && stdout ? stdout : new MaskedOutput(2, secret)) : null
      for (const output of [stdout, stderr]) if (output && !outputs.includes(output)) outputs.push(output)
      if (child.stdout && stdout) sources.push(new PipedSource(child.stdout, stdout))
      if (child.stderr && stderr) sources.push(new PipedSource(child.stderr, stderr))
    }
    let settled = false
    const finish = (exit: WrappedExit): void => {
      if (settled) return
      settled = true
      stopForwarding()
      for (const source of sources) source.drainAndClose()
      for (const output of outputs) output.flush()
      // Written asynchronously: the exit waits until every masked byte is out (or its reader gone).
      void Promise.all(outputs.map((output) => output.done())).then(() => resolve(exit))
    }

    child.once('error', (error: NodeJS.ErrnoException) => finish({ code: null, signal: null, spawnError: error }))
    if (sources.every((source) => source.canDrainAtExit)) {
      // The command's exit is the end: what it wrote is drained from the pipes now, not when every
      // process that inherited them (a background child) has closed them too.
      child.once('exit', (code, signal) => finish({ code, signal }))
    } else {
      // No descriptor to drain (Windows): wait for the pipes to close so no masked output is lost.
      child.once('close', (code, signal) => finish({ code, signal }))
    }
  })
}

const DRAIN_BUFFER_BYTES = 1 << 20
/** Written read buffers kept for reuse; more are left to the garbage collector. */
const MAX_SPARE_BUFFERS = 4
/** A read buffer with less room than this left is full: the next read goes into another one. */
const MIN_READ_BYTES = 64 << 10
/** Masked output waiting to be written beyond which the child's pipes are no longer read (until it drains below the low mark). */
const QUEUE_HIGH_BYTES = 8 << 20
const QUEUE_LOW_BYTES = 2 << 20

/** The OS file descriptor behind a child's output stream, where Node exposes one (not on Windows). */
function descriptorOf(stream: Readable): number | null {
  const fd = (stream as unknown as { _handle?: { fd?: unknown } })._handle?.fd
  return typeof fd === 'number' && fd >= 0 ? fd : null
}

/** Blocks the thread for `ms` (used only to wait out EAGAIN on a non-blocking output). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Writes all of `data` to `fd` synchronously; false once the reader has gone away (EPIPE). */
function writeAllSync(fd: number, data: Buffer): boolean {
  let offset = 0
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EAGAIN') sleepSync(1) // an inherited non-blocking descriptor that is full
      else if (code === 'EPIPE') return false
      else throw error
    }
  }
  return true
}

/** True when `fd` is a regular file: a write there never waits for a reader. */
function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile()
  } catch {
    return false
  }
}

/**
 * One masked destination (fd 1 or 2): a masker, and how its output reaches the descriptor.
 *
 * Into a regular file, synchronously: such a write never waits for a reader, and it is about
 * twice as fast as going through the thread pool. Into a pipe, socket or anything else, through a
 * queue written with `writev` on libuv's thread pool: a synchronous write to a full pipe
 * (`cfwrap … | slow-reader`) would stop the wrapper reading the child's output meanwhile, so the
 * stages took turns instead of overlapping. Order is kept (one write in flight, in queue order);
 * past {@link QUEUE_HIGH_BYTES} waiting, the sources pause, so memory stays bounded.
 */
class MaskedOutput {
  private readonly masker: SecretMasker
  /** False once the reader went away (EPIPE) or the descriptor failed. */
  open = true
  private readonly closers: Array<() => void> = []
  private readonly pausers: Array<(paused: boolean) => void> = []
  private queue: Buffer[] = []
  private queuedBytes = 0
  private writing = false
  private paused = false
  private idle: Array<() => void> = []
  private readonly synchronous: boolean
  /** Bytes ever queued and ever written: a lent read buffer is free again once its last byte is out. */
  private queuedTotal = 0
  private writtenTotal = 0
  /** The buffer reads go into, and where its free part starts (see {@link readTarget}). */
  private readBuffer: Buffer | null = null
  private readOffset = 0
  /** Full read buffers whose bytes are queued, each with the {@link queuedTotal} at which it ends. */
  private lent: Array<{ end: number; buffer: Buffer }> = []
  /** Read buffers whose bytes are all written, for the next read. */
  private spares: Buffer[] = []

  constructor(
    private readonly fd: number,
    secret: string,
  ) {
    this.masker = new SecretMasker(secret)
    this.synchronous = isRegularFile(fd)
  }

  /** Masks and queues one chunk read from any source that feeds this output; the chunk must not be reused by the caller. */
  push(chunk: Buffer): void {
    this.enqueue(this.masker.push(chunk))
  }

  /**
   * Where the next read from a child's pipe goes: the free end of the current read buffer. Reads
   * fill one buffer after another and are queued as views of it, never copied; a buffer whose
   * bytes are all written is used again. Both matter in bulk output: a copy per read, or a fresh
   * megabyte per read for the kernel to fault in, cost more than the masking itself.
   */
  readTarget(): Buffer {
    if (this.readBuffer === null) this.readBuffer = this.spares.pop() ?? Buffer.allocUnsafe(DRAIN_BUFFER_BYTES)
    return this.readBuffer.subarray(this.readOffset)
  }

  /** Masks and queues the first `read` bytes of the last {@link readTarget}. */
  pushRead(read: number): void {
    const buffer = this.readBuffer as Buffer
    this.push(buffer.subarray(this.readOffset, this.readOffset + read))
    // Into a file the bytes are written before push returns: the same buffer serves the next read.
    if (this.synchronous) return
    this.readOffset += read
    if (buffer.length - this.readOffset >= MIN_READ_BYTES) return
    // Full: it is lent to the queue until the last of its bytes is written.
    this.lent.push({ end: this.queuedTotal, buffer })
    this.readBuffer = null
    this.readOffset = 0
  }

  /** Queues what the masker held back; once, at the end. */
  flush(): void {
    this.enqueue(this.masker.flush())
  }

  /** Resolves once everything queued is written, or the reader is gone. */
  done(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  /** Whether the queue is over its high mark: sources stop reading until it drains. */
  get full(): boolean {
    return this.paused
  }

  /** Registers how to close a source when the reader goes away. */
  onReaderGone(close: () => void): void {
    this.closers.push(close)
  }

  /** Registers how to pause (true) and resume (false) a source. */
  onPressure(pause: (paused: boolean) => void): void {
    this.pausers.push(pause)
  }

  private enqueue(pieces: Buffer[]): void {
    if (!this.open) return
    if (this.synchronous) {
      for (const piece of pieces) if (this.open && !writeAllSync(this.fd, piece)) this.readerGone()
      return
    }
    for (const piece of pieces) {
      if (piece.length === 0) continue
      this.queue.push(piece)
      this.queuedBytes += piece.length
      this.queuedTotal += piece.length
    }
    if (!this.paused && this.queuedBytes > QUEUE_HIGH_BYTES) this.setPaused(true)
    this.writeNext()
  }

  /** EPIPE (`| head` left) or a failing descriptor: close the child's side too, so it sees EPIPE as it would without cfwrap in between. */
  private readerGone(): void {
    this.open = false
    for (const close of this.closers) close()
    if (this.paused) this.setPaused(false)
  }

  private setPaused(paused: boolean): void {
    this.paused = paused
    for (const pause of this.pausers) pause(paused)
  }

  private writeNext(): void {
    if (this.writing) return
    if (!this.open || this.queue.length === 0) {
      this.queue = []
      this.queuedBytes = 0
      for (const resolve of this.idle.splice(0)) resolve()
      return
    }
    const batch = this.queue
    this.queue = []
    this.writing = true
    writev(this.fd, batch, (error, written) => {
      this.writing = false
      if (error) {
        const code = error.code
        if (code === 'EAGAIN') {
          // An inherited non-blocking pipe that is full: try the same bytes again shortly.
          this.queue = [...batch, ...this.queue]
          setTimeout(() => this.writeNext(), 1)
          return
        }
        this.readerGone()
        this.writeNext()
        return
      }
      this.queuedBytes -= written
      this.writtenTotal += written
      for (let first = this.lent[0]; first !== undefined && first.end <= this.writtenTotal; first = this.lent[0]) {
        this.lent.shift()
        if (this.spares.length < MAX_SPARE_BUFFERS) this.spares.push(first.buffer)
      }
      const rest = remainderAfter(batch, written)
      if (rest.length > 0) this.queue = [...rest, ...this.queue]
      if (this.paused && this.queuedBytes < QUEUE_LOW_BYTES) this.setPaused(false)
      this.writeNext()
    })
  }
}

/** What of `buffers` is left after the first `written` bytes went out (a short write). */
function remainderAfter(buffers: Buffer[], written: number): Buffer[] {
  let skip = written
  let index = 0
  while (index < buffers.length && skip >= (buffers[index] as Buffer).length) skip -= (buffers[index++] as Buffer).length
  if (index >= buffers.length) return []
  return [(buffers[index] as Buffer).subarray(skip), ...buffers.slice(index + 1)]
}

/** One of the child's output pipes, feeding a {@link MaskedOutput}. */
class PipedSource {
  private fd: number | null

  constructor(
    private readonly stream: Readable,
    private readonly output: MaskedOutput,
  ) {
    this.fd = descriptorOf(stream)
    output.onReaderGone(() => stream.destroy())
    // Resuming only resumes the stream: what it had already read comes first, and its next chunk
    // starts the direct reads again (draining here first would put newer bytes before those).
    output.onPressure((paused) => (paused ? stream.pause() : stream.resume()))
    // After each chunk the stream delivers (64 KiB), read whatever else is already waiting straight
    // from the descriptor, up to 1 MiB at a time, until it would block. Bulk output then costs one
    // system call per megabyte instead of one stream event per 64 KiB: about 4x the throughput.
    // Order is kept: this runs inside the stream's own read callback, on the one JS thread, and
    // only once the stream holds nothing older (after a pause it may hand out several chunks).
    stream.on('data', (chunk: Buffer) => {
      output.push(chunk)
      if (stream.readableLength === 0) this.drain()
    })
    stream.on('error', () => undefined)
  }

  /** Whether what is left in the pipe can be read at the child's exit (a descriptor to read from). */
  get canDrainAtExit(): boolean {
    return this.fd !== null
  }

  /**
   * Reads what is waiting in the pipe right now, until it would block or ends, or (unless `all`:
   * at the child's exit, when what is left is bounded) until the output is over its high mark.
   */
  private drain(all = false): void {
    while (this.fd !== null && this.output.open && (all || !this.output.full)) {
      const target = this.output.readTarget()
      let read: number
      try {
        read = readSync(this.fd, target, 0, target.length, null)
      } catch (error) {
        // EAGAIN: nothing more yet, the stream wakes us for the next chunk. Anything else: stop
        // draining and leave the rest to the stream.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') this.fd = null
        return
      }
      if (read === 0) return // end of output: the stream reports it next
      this.output.pushRead(read)
      // A short read emptied the pipe: the stream wakes us for the next chunk. Reading on would only
      // fail with EAGAIN, and each such failure is an exception Node builds (a few thousand per
      // gigabyte). At the child's exit, read until the pipe says it is empty.
      if (!all && read < target.length) return
    }
  }

  /** At the child's exit: takes what the stream buffered and what the pipe holds, then closes our end. */
  drainAndClose(): void {
    // First: read() hands each chunk to the 'data' listeners too, which would queue it twice.
    this.stream.removeAllListeners('data')
    for (let chunk = this.stream.read() as Buffer | null; chunk !== null; chunk = this.stream.read() as Buffer | null) this.output.push(chunk)
    this.drain(true)
    this.stream.destroy()
  }
}

/** Exit status to use for a child that ended as described: its own code, or 128 + signal number. */
export function exitStatusOf(exit: WrappedExit): number {
  if (exit.spawnError) return exit.spawnError.code === 'ENOENT' ? 127 : 126
  if (exit.signal) return 128 + ((constants.signals as Record<string, number>)[exit.signal] ?? 0)
  return exit.code ?? 1
}
