import { spawn, spawnSync, type SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The built CLI; tests run it exactly as a user would (`npm run build` first). */
export const CLI = resolve(__dirname, '..', '..', 'out', 'main', 'cfwrap.js')

/** A fresh cfwrap home (state + audit dir) in a temp directory. */
export function makeHome(prefix = 'cfwrap-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A random secret in the shape of a 2026 user API token (never a real one). */
export function fakeSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const body = Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join('')
  return `cfut_${body}${randomBytes(4).toString('hex')}`
}

/** The environment for a CLI child: this process's, with the given home, no Cloudflare credentials and no colour. */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CFWRAP_HOME: home, NO_COLOR: '1', ...extra }
  for (const key of ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL', 'CF_API_KEY', 'CF_EMAIL']) {
    if (!(key in extra)) delete env[key]
  }
  return env
}

/** Result of a finished CLI run. */
export interface CliResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the built CLI to completion. */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; input?: string; cwd?: string }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (status, signal) => resolvePromise({ status, signal, stdout, stderr }))
    // A child that stops reading early (it refused a huge input) closes its stdin: that is its answer, not a test failure.
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

/** Starts the built CLI and returns the child (for signal tests). */
export function startCli(args: string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }) {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
}

/** Adds a token to the vault of `home` through the CLI (secret on stdin). */
export function addTokenSync(home: string, name: string, secret: string, extraArgs: string[] = []): void {
  const result = spawnSync(process.execPath, [CLI, '--add', name, ...extraArgs], { env: cliEnv(home), input: secret, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`cfwrap --add ${name} failed: ${result.stderr}`)
}

/** Every regular file below `dir`, with its bytes. */
export function filesBelow(dir: string): { path: string; bytes: Buffer; mode: number }[] {
  const out: { path: string; bytes: Buffer; mode: number }[] = []
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry)
    const stat = statSync(full)
    if (stat.isDirectory()) out.push(...filesBelow(full))
    else out.push({ path: full, bytes: readFileSync(full), mode: stat.mode & 0o777 })
  }
  return out
}
