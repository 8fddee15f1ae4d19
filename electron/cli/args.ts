import * as z from 'zod/mini'
import { UsageError } from '../../shared/common/errors'
import { STORED_TOKEN_NAME } from './prefetch'

/** What a cfwrap invocation asks for. `run` (the default) runs a command. */
export type Mode = (typeof MODES)[number]

/** Every mode, each selected by the option of the same name (`--list` → `list`). */
export const MODES = [
  'run', 'help', 'version', 'add', 'list', 'remove', 'bind', 'unbind',
  'setup', 'mint', 'revoke', 'revoke-all', 'reap', 'daemon', 'scan', 'doctor',
] as const

interface OptionSpec {
  /** Takes a value (`--token NAME` or `--token=NAME`). */
  value?: boolean
  /** Selecting this option selects this mode. */
  mode?: Mode
  /** May be given several times (values are collected). */
  repeat?: boolean
}

// Vault management is by options, never by bare words: a bare word is always the command to run,
// so no program name can ever collide with a cfwrap sub-command.
const OPTIONS: Record<string, OptionSpec> = {
  '--help': { mode: 'help' },
  '--version': { mode: 'version' },
  '--token': { value: true },
  '--oauth': {},
  '--no-mask': {},
  '--json': {},
  '--add': { value: true, mode: 'add' },
  '--account': { value: true },
  '--expires': { value: true },
  '--list': { mode: 'list' },
  '--remove': { value: true, mode: 'remove' },
  '--bind': { value: true, mode: 'bind' },
  '--unbind': { mode: 'unbind' },
  '--setup': { mode: 'setup' },
  '--mint': { value: true, mode: 'mint' },
  '--ttl': { value: true },
  '--permanent': {},
  '--project': { value: true },
  '--env': { value: true },
  '--owner': { value: true },
  '--prefix': { value: true },
  '--zone': { value: true },
  '--bucket': { value: true },
  '--jurisdiction': { value: true },
  '--name-only': {},
  '--allow-admin-for-agent': {},
  '--revoke': { value: true, mode: 'revoke' },
  '--revoke-all': { mode: 'revoke-all' },
  '--yes': {},
  '--reap': { mode: 'reap' },
  '--daemon': { mode: 'daemon' },
  '--watch': { value: true, repeat: true },
  '--scan': { mode: 'scan' },
  '--doctor': { mode: 'doctor' },
}

const SHORT_ALIASES: Record<string, string> = { '-h': '--help', '-V': '--version', '-t': '--token' }

/** Modes whose bare words are paths (not a command to run). */
const MODES_WITH_PATHS: ReadonlySet<Mode> = new Set(['scan'])

/** A parsed command line: the mode, its option values, and the command (run) or paths (scan). */
export interface Invocation {
  mode: Mode
  options: Record<string, string | true | string[]>
  /** For `run`: the command and its arguments, exactly as given. */
  command: string[]
  /** For modes that take paths. */
  paths: string[]
}

/** Splits argv into options, then the command; throws {@link UsageError} on anything malformed. */
export function parseArgs(argv: readonly string[]): Invocation {
  const options: Invocation['options'] = {}
  const modes = new Set<Mode>()
  let rest: string[] = []
  let i = 0
  for (; i < argv.length; i++) {
    const raw = argv[i] as string
    if (raw === '--') {
      rest = argv.slice(i + 1)
      break
    }
    if (!raw.startsWith('-') || raw === '-') {
      rest = argv.slice(i)
      break
    }
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1
    const flag = SHORT_ALIASES[raw] ?? (eq > 0 ? raw.slice(0, eq) : raw)
    const spec = OPTIONS[flag]
    if (!spec) throw new UsageError(`unknown option ${flag}; see \`cfwrap --help\`.`)
    let value: string | true = true
    if (spec.value) {
      if (eq > 0) value = raw.slice(eq + 1)
      else {
        const next = argv[i + 1]
        if (next === undefined) throw new UsageError(`${flag} needs a value; see \`cfwrap --help\`.`)
        // `--add --token`: the next word is one of cfwrap's options, so the value is missing, not "--token".
        const nextFlag = next.startsWith('--') ? next.split('=')[0] as string : SHORT_ALIASES[next]
        if (nextFlag !== undefined && nextFlag in OPTIONS) throw new UsageError(`${flag} needs a value, but ${next} follows it; see \`cfwrap --help\`.`)
        value = next
        i++
      }
    } else if (eq > 0) {
      throw new UsageError(`${flag} takes no value.`)
    }
    if (spec.repeat) {
      const list = (options[flag] as string[] | undefined) ?? []
      list.push(value as string)
      options[flag] = list
    } else {
      if (flag in options) throw new UsageError(`${flag} given twice.`)
      options[flag] = value
    }
    if (spec.mode) modes.add(spec.mode)
  }
  if (modes.has('help')) return { mode: 'help', options, command: [], paths: [] }
  if (modes.has('version')) return { mode: 'version', options, command: [], paths: [] }
  if (modes.size > 1) throw new UsageError(`choose one of ${[...modes].map((m) => `--${m}`).join(', ')}.`)
  const mode: Mode = modes.values().next().value ?? 'run'
  if (MODES_WITH_PATHS.has(mode)) return { mode, options, command: [], paths: rest }
  if (mode === 'run') {
    if (rest.length === 0) throw new UsageError('no command given. Usage: cfwrap [--token NAME | --oauth] [--] <command> [args...]; see `cfwrap --help`.')
  } else if (rest.length > 0) {
    throw new UsageError(`--${mode} does not run a command (got "${rest[0]}").`)
  }
  return { mode, options, command: rest, paths: [] }
}

/** Names of tokens cfwrap stores: a letter or digit, then letters, digits and `._:@-`, at most 120 characters (never `-x`: it would read as an option). */
export const TokenNameArg = z.string().check(
  z.regex(STORED_TOKEN_NAME, 'a token name starts with a letter or digit and uses letters, digits and ._:@- (at most 120 characters)'),
)
/** A Cloudflare account or zone id. */
export const CloudflareIdArg = z.string().check(z.regex(/^[0-9a-f]{32}$/, 'a Cloudflare id is 32 lowercase hex digits'))
/** An ISO 8601 date-time with a zone. */
export const IsoDateArg = z.iso.datetime({ offset: true, error: 'use an ISO 8601 date-time with a zone, e.g. 2026-12-01T12:00:00Z' })

/** Validates one option's value with a schema; a failure is a usage error naming the option. */
export function optionValue<T>(invocation: Invocation, flag: string, schema: z.ZodMiniType<T>): T | undefined {
  const raw = invocation.options[flag]
  if (raw === undefined) return undefined
  const result = schema.safeParse(raw)
  if (!result.success) throw new UsageError(`${flag}: ${result.error.issues[0]?.message ?? 'invalid value'}.`)
  return result.data
}

/** Rejects options that make no sense in the invocation's mode. */
export function allowOnly(invocation: Invocation, allowed: readonly string[]): void {
  const modeFlag = `--${invocation.mode}`
  for (const flag of Object.keys(invocation.options)) {
    if (flag !== modeFlag && !allowed.includes(flag)) {
      throw new UsageError(`${flag} cannot be used with ${invocation.mode === 'run' ? 'a command' : modeFlag}.`)
    }
  }
}
