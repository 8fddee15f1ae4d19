import { existsSync, readdirSync } from 'node:fs'
import { DEFAULT_MAX_SCAN_BYTES as MAX_CONFIG_BYTES } from '../common/scan'
import { readRegularFile } from './safe-read'
import { join } from 'node:path'
import { CLOUDFLARE_CREDENTIAL_VARS, wranglerEffectiveCredential, type CloudflareCredentialVar } from '../common/credentials'
import type { ShadowWarning } from '../common/ipc'
import { profileCredentialExports } from '../common/shadow-rules'
import { findDotenvCredentials, wranglerDotenvFiles } from './dotenv-credentials'

/**
 * Wrangler's config directory: `~/.wrangler` when it exists, else `$XDG_CONFIG_HOME/.wrangler`,
 * whose default is platform-specific (Wrangler resolves it with xdg-app-paths).
 */
export function wranglerConfigDir(home: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const legacy = join(home, '.wrangler')
  if (existsSync(legacy)) return legacy
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, '.wrangler')
  if (platform === 'darwin') return join(home, 'Library', 'Preferences', '.wrangler')
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'xdg.config', '.wrangler')
  return join(home, '.config', '.wrangler')
}

/** A stored `wrangler login`: the file that holds it. */
export interface WranglerLogin {
  file: string
  profile: string
  encrypted: boolean
}

/**
 * The OAuth logins Wrangler has stored: `config/default.toml` (with an `oauth_token`),
 * `config/default.enc` (keyring storage), and named profiles `config/<profile>.toml|.enc`.
 */
export function findWranglerLogins(home: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): WranglerLogin[] {
  const configDir = join(wranglerConfigDir(home, platform, env), 'config')
  let entries: string[]
  try {
    entries = readdirSync(configDir)
  } catch {
    return []
  }
  const logins: WranglerLogin[] = []
  for (const entry of entries.sort()) {
    const file = join(configDir, entry)
    if (entry.endsWith('.enc')) logins.push({ file, profile: entry.slice(0, -4), encrypted: true })
    else if (entry.endsWith('.toml')) {
      // Unreadable (or not a regular file): cannot tell, so do not claim a login.
      const read = readRegularFile(file, MAX_CONFIG_BYTES)
      if ('bytes' in read && /^\s*oauth_token\s*=\s*"[^"]+"/m.test(read.bytes.toString('utf8'))) logins.push({ file, profile: entry.slice(0, -5), encrypted: false })
    }
  }
  return logins
}

/** Inputs of {@link detectShadowing}. */
export interface ShadowInputs {
  home: string
  platform?: NodeJS.Platform
  /** The environment the product was started with. */
  env: NodeJS.ProcessEnv
  /** Shell start-up files to read for exported credentials. */
  profiles: string[]
  /** Watched project roots: Wrangler loads `.env*` from a project when run there. */
  projectRoots: string[]
}

interface Source {
  variable: CloudflareCredentialVar
  source: ShadowWarning['source']
  file: string | null
  line: number | null
}

function describeSource(s: Source): string {
  return s.source === 'environment' ? `${s.variable} in the environment cfwrap was started with` : `${s.variable}, set in ${s.file}:${s.line}`
}

/**
 * Warnings for every Cloudflare credential that makes Wrangler ignore a stored OAuth login:
 * from the environment, exported by a shell start-up file, or in a `.env*` Wrangler loads in a
 * watched project. Each names what Wrangler will actually use, where it comes from, and the fix.
 * Empty when there is no login to shadow.
 */
export function detectShadowing(inputs: ShadowInputs): ShadowWarning[] {
  const platform = inputs.platform ?? process.platform
  const logins = findWranglerLogins(inputs.home, platform, inputs.env)
  if (logins.length === 0) return []
  const loginText = `Wrangler is logged in with OAuth (${logins.map((l) => l.file).join(', ')})`

  const shellSources: Source[] = []
  for (const variable of CLOUDFLARE_CREDENTIAL_VARS) {
    if (inputs.env[variable]) shellSources.push({ variable, source: 'environment', file: null, line: null })
  }
  for (const file of inputs.profiles) {
    const read = readRegularFile(file, MAX_CONFIG_BYTES)
    if (!('bytes' in read)) continue
    for (const found of profileCredentialExports(read.bytes.toString('utf8'))) shellSources.push({ variable: found.variable, source: 'shell-profile', file, line: found.line })
  }

  const warnings: ShadowWarning[] = []
  const effectiveOf = (sources: Source[]): string => {
    const vars: Partial<Record<CloudflareCredentialVar, string>> = {}
    for (const s of sources) vars[s.variable] = 'set'
    const effective = wranglerEffectiveCredential(vars)
    return effective.kind === 'global-key'
      ? `the Global API Key in ${effective.keyVar} with ${effective.emailVar}`
      : effective.kind === 'api-token'
        ? `the API token in ${effective.tokenVar}`
        : 'the OAuth login'
  }
  const add = (s: Source, effective: string, where: string): void => {
    const fix =
      s.source === 'environment'
        ? `Unset ${s.variable} where it is set (often a shell start-up file), keep tokens in cfwrap (\`cfwrap --add NAME\`), and run Wrangler with \`cfwrap --oauth wrangler …\` to use your login.`
        : s.source === 'shell-profile'
          ? `Remove the export from ${s.file}:${s.line}, keep the token in cfwrap instead (\`cfwrap --add NAME\`), and run Wrangler with \`cfwrap --oauth wrangler …\` to use your login.`
          : `Remove ${s.variable} from ${s.file}, or run Wrangler there with \`cfwrap --token NAME …\` or \`cfwrap --oauth …\` (cfwrap warns when a .env would still win).`
    warnings.push({
      id: `${s.source}:${s.file ?? ''}:${s.line ?? ''}:${s.variable}`,
      variable: s.variable,
      source: s.source,
      file: s.file,
      line: s.line,
      effective,
      message: `${loginText}, but ${describeSource(s)} overrides it${where}: Wrangler will use ${effective} instead.`,
      fix,
    })
  }

  const shellEffective = effectiveOf(shellSources)
  for (const s of shellSources) add(s, shellEffective, '')

  for (const root of inputs.projectRoots) {
    const dotenv = findDotenvCredentials(wranglerDotenvFiles(root)).map<Source>((d) => ({ variable: d.variable, source: 'dotenv', file: d.file, line: d.line }))
    if (dotenv.length === 0) continue
    // Wrangler fills a variable from .env only when the environment leaves it empty.
    const fromShell = new Set(shellSources.map((s) => s.variable))
    const effective = effectiveOf([...shellSources, ...dotenv.filter((d) => !fromShell.has(d.variable))])
    for (const d of dotenv) if (!fromShell.has(d.variable)) add(d, effective, ` when Wrangler runs in ${root}`)
  }
  return warnings
}
