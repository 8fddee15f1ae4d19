import { join } from 'node:path'
import { readRegularFile } from './safe-read'
import { wranglerEffectiveCredential, type CloudflareCredentialVar, isCloudflareCredentialVar } from '../common/credentials'

/** A Cloudflare credential variable found in a `.env` file that Wrangler would load. */
export interface DotenvCredential {
  file: string
  line: number
  variable: CloudflareCredentialVar
}

// dotenv's own line grammar, reduced to what decides whether a variable gets a non-empty value.
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=|:\s)\s*(.*)$/

/** The `.env` files Wrangler loads from `cwd` for the given Wrangler environment, in load order. */
export function wranglerDotenvFiles(cwd: string, wranglerEnv?: string): string[] {
  const names = ['.env', '.env.local']
  if (wranglerEnv) names.push(`.env.${wranglerEnv}`, `.env.${wranglerEnv}.local`)
  return names.map((name) => join(cwd, name))
}

/** Largest `.env` file the run path reads (Wrangler's own are a few lines; a bigger one is not a config file). */
export const MAX_DOTENV_BYTES = 1024 * 1024

/**
 * Cloudflare credentials with a non-empty value in the given `.env` files. Read as safely as the
 * scanner reads: a `.env` that is a FIFO, a link to a device or a huge file is skipped (and said
 * in `skipped`), never waited on or read to the end.
 */
export function findDotenvCredentials(files: string[], skipped: Array<{ file: string; detail: string }> = []): DotenvCredential[] {
  const found: DotenvCredential[] = []
  for (const file of files) {
    const read = readRegularFile(file, MAX_DOTENV_BYTES)
    if (!('bytes' in read)) {
      if (read.detail !== 'ENOENT') skipped.push({ file, detail: read.detail })
      continue
    }
    const text = read.bytes.toString('utf8')
    text.split(/\r?\n/).forEach((raw, index) => {
      const match = ASSIGNMENT.exec(raw)
      if (!match) return
      const [, variable = '', rawValue = ''] = match
      if (!isCloudflareCredentialVar(variable)) return
      const value = rawValue.replace(/\s+#.*$/, '').trim().replace(/^(['"`])(.*)\1$/, '$2')
      if (value) found.push({ file, line: index + 1, variable })
    })
  }
  return found
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
