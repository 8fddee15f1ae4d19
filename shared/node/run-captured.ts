/**
 * Runs one command with one token, as `cfwrap --token` does, but with its output captured instead
 * of passed through: for `run_with_token` of `cfwrap --mcp`, whose caller gets the exit status and
 * the output, masked and cut to a cap. argv only, never a shell string; the child environment is
 * built by the wrapper's own `buildChildEnv`, so every other credential is stripped.
 */
import { spawn } from 'node:child_process'
import { MASK_MARKER } from './mask'
import { buildChildEnv } from './wrap'

/** What a captured run returns. */
export interface CapturedRun {
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  /** True when output beyond the cap was dropped. */
  truncated: boolean
  timedOut: boolean
  /** The command could not be started (ENOENT, EACCES…). */
  spawnError: string | null
}

/** Everything of `text` with the secret replaced by the marker, whole or split across chunks. */
function masked(text: string, secret: string): string {
  return text.split(secret).join(MASK_MARKER)
}

/** Runs `argv` in `cwd` with `secret` injected; output capped at `maxBytes` per stream, killed after `timeoutMs`. */
export function runCaptured(options: { argv: readonly string[]; cwd: string; secret: string; accountId: string | null; stdin?: string; timeoutMs: number; maxBytes: number; env?: NodeJS.ProcessEnv }): Promise<CapturedRun> {
  const [command, ...args] = options.argv as [string, ...string[]]
  const env = buildChildEnv(options.env ?? process.env, { token: options.secret, accountId: options.accountId })
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    const buffers = { stdout: [] as Buffer[], stderr: [] as Buffer[] }
    const sizes = { stdout: 0, stderr: 0 }
    let truncated = false
    let timedOut = false
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].on('data', (chunk: Buffer) => {
        // Kept a little past the cap so a secret that straddles it is still found and masked.
        const room = options.maxBytes + options.secret.length - sizes[stream]
        if (room <= 0) {
          truncated = true
          return
        }
        if (chunk.length > room) truncated = true
        const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
        buffers[stream].push(kept)
        sizes[stream] += kept.length
      })
    }
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.stdin ?? '')
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 2000).unref()
    }, options.timeoutMs)
    const finish = (exitCode: number | null, signal: string | null, spawnError: string | null): void => {
      clearTimeout(timer)
      const text = (stream: 'stdout' | 'stderr'): string => {
        const whole = masked(Buffer.concat(buffers[stream]).toString('utf8'), options.secret)
        return whole.length > options.maxBytes ? whole.slice(0, options.maxBytes) : whole
      }
      resolve({ exitCode, signal, stdout: text('stdout'), stderr: text('stderr'), truncated, timedOut, spawnError })
    }
    child.on('error', (error: NodeJS.ErrnoException) => finish(null, null, error.code ?? 'could not start'))
    child.on('close', (code, signal) => finish(code, signal, null))
  })
}
