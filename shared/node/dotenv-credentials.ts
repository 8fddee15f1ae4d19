import { createRequire } from 'node:module'
import { join } from 'node:path'
import { readRegularFile } from './safe-read'
import { wranglerEffectiveCredential, type CloudflareCredentialVar, isCloudflareCredentialVar } from '../common/credentials'

/** A Cloudflare credential variable found in a `.env` file that Wrangler would load. */
export interface DotenvCredential {
  file: string
  line: number
  variable: CloudflareCredentialVar
}

/** The `.env` files Wrangler loads from `cwd` for the given Wrangler environment, in load order. */
export function wranglerDotenvFiles(cwd: string, wranglerEnv?: string): string[] {
  const names = ['.env', '.env.local']
  if (wranglerEnv) names.push(`.env.${wranglerEnv}`, `.env.${wranglerEnv}.local`)
  return names.map((name) => join(cwd, name))
}

/** Largest `.env` file the run path reads (Wrangler's own are a few lines; a bigger one is not a config file). */
const MAX_DOTENV_BYTES = 1024 * 1024

type DotenvModule = typeof import('dotenv')
type DotenvExpandModule = typeof import('dotenv-expand')

// Loaded only when a .env file exists: dotenv pulls in node:crypto, which the run path must not pay
// for in the many directories without one. A plain require in the bundled CLI; createRequire under
// the ESM test runner.
const requireHere: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url)

/** The line of the last assignment to `variable` (dotenv keeps the last one), for the warning's file:line. */
function lineOf(text: string, variable: string): number {
  const lines = text.split(/\r?\n|\r/)
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${variable}\\s*[=:]`)
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i] as string)) return i + 1
  return 1
}

/**
 * Cloudflare credentials that Wrangler would take from the given `.env` files, read with Wrangler's
 * own parser (`dotenv`, then `dotenv-expand` against the environment, as Wrangler does): files in
 * load order, a later file overriding an earlier one, `${VAR}` expanded. Only credentials whose value
 * ends up non-empty count. Read as safely as the scanner reads: a `.env` that is a FIFO, a link to a
 * device or a huge file is skipped (and said in `skipped`), never waited on or read to the end.
 */
export function findDotenvCredentials(
  files: string[],
  skipped: Array<{ file: string; detail: string }> = [],
  env: NodeJS.ProcessEnv = process.env,
): DotenvCredential[] {
  const texts: Array<{ file: string; text: string }> = []
  for (const file of files) {
    const read = readRegularFile(file, MAX_DOTENV_BYTES)
    if ('bytes' in read) texts.push({ file, text: read.bytes.toString('utf8') })
    else if (read.detail !== 'ENOENT') skipped.push({ file, detail: read.detail })
  }
  if (texts.length === 0) return []
  const { parse } = requireHere('dotenv') as DotenvModule
  const { expand } = requireHere('dotenv-expand') as DotenvExpandModule
  const merged: Record<string, string> = {}
  const origin = new Map<string, { file: string; line: number }>()
  for (const { file, text } of texts) {
    for (const [variable, value] of Object.entries(parse(text))) {
      merged[variable] = value
      if (isCloudflareCredentialVar(variable)) origin.set(variable, { file, line: lineOf(text, variable) })
    }
  }
  // Expanded against the environment without its credentials: those are what cfwrap replaces.
  const processEnv: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !isCloudflareCredentialVar(key)) processEnv[key] = value
  expand({ processEnv, parsed: { ...merged } })
  const found: DotenvCredential[] = []
  for (const [variable, where] of origin) {
    if (processEnv[variable]) found.push({ ...where, variable: variable as CloudflareCredentialVar })
  }
  // In load order, as a person reads the files.
  return found.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line)
}

/** The Wrangler environment named on a command line (`--env X`, `--env=X`, `-e X`), if any. */
export function wranglerEnvFromArgs(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--env' || arg === '-e') return args[i + 1]
    if (arg.startsWith('--env=')) return arg.slice('--env='.length)
  }
  return undefined
}

/**
 * Warnings for `.env` credentials that would change which credential Wrangler uses in a child run
 * by cfwrap. Wrangler fills a variable from `.env` only when the environment leaves it unset or
 * empty: with an injected token, a Global API Key + e-mail pair would still win over it; with
 * `--oauth`, any credential in `.env` replaces the OAuth login.
 */
export function dotenvShadowWarnings(found: DotenvCredential[], childEnv: NodeJS.ProcessEnv): string[] {
  if (found.length === 0) return []
  const combined: Partial<Record<CloudflareCredentialVar, string>> = {}
  for (const key of ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL', 'CF_API_KEY', 'CF_EMAIL'] as const) {
    if (childEnv[key]) combined[key] = childEnv[key]
  }
  const intended = wranglerEffectiveCredential(combined)
  for (const entry of found) if (!combined[entry.variable]) combined[entry.variable] = 'from-dotenv'
  const effective = wranglerEffectiveCredential(combined)
  if (JSON.stringify(effective) === JSON.stringify(intended)) return []
  const used =
    effective.kind === 'global-key'
      ? `${effective.keyVar} + ${effective.emailVar}`
      : effective.kind === 'api-token'
        ? effective.tokenVar
        : 'the OAuth login'
  const wanted = intended.kind === 'oauth' ? 'your OAuth login' : 'the token cfwrap injects'
  return found
    .filter((entry) => !childEnv[entry.variable])
    .map(
      (entry) =>
        `cfwrap: warning: ${entry.file}:${entry.line} sets ${entry.variable}; Wrangler loads that file and will use ${used} instead of ${wanted}. Remove it from the file, or run from another directory.`,
    )
}
