import * as z from 'zod/mini'
import { UsageError } from '../../shared/common/errors'
import { CLOUDFLARE_ID, STORED_TOKEN_NAME } from '../../shared/common/ids'

/**
 * The one table of cfwrap's command line. The parser's options, which options each mode allows,
 * lazy loading of each mode's code (main.ts) and `--help` (help.ts) all come from it, so the help
 * text cannot drift from what the parser accepts.
 *
 * Vault management is by options, never by bare words: a bare word is always the command to run,
 * so no program name can ever collide with a cfwrap sub-command.
 */
export const OPTIONS = {
  '--help': { summary: 'show this help' },
  '--version': { summary: "print cfwrap's version" },
  '--token': { value: 'NAME', summary: 'the token to inject (default: the one bound to this directory or its nearest parent)' },
  '--oauth': { summary: 'inject nothing and remove every Cloudflare credential, so Wrangler uses `wrangler login`' },
  '--no-mask': { summary: 'do not mask the secret in piped output (output to a terminal is never touched)' },
  '--json': { summary: 'print JSON for scripts' },
  '--add': { value: 'NAME', summary: 'store a token made elsewhere (secret from stdin)' },
  '--account': { value: 'ID', summary: 'a Cloudflare account id (32 hex)' },
  '--expires': { value: 'ISO8601', summary: 'when the added token expires' },
  '--list': { summary: 'list tokens and directory bindings (metadata only)' },
  '--remove': { value: 'NAME', summary: 'forget a token here' },
  '--bind': { value: 'NAME', summary: 'use NAME by default in this directory and below' },
  '--unbind': { summary: 'remove the binding of this directory' },
  '--setup': { summary: 'check and store the minting credential (secret from stdin)' },
  '--mint': { value: 'TEMPLATE', summary: 'mint a time-boxed, least-privilege token' },
  '--ttl': { value: 'DURATION', summary: "how long it lives: 90s, 15m, 1h (default: the template's)" },
  '--permanent': { summary: 'mint without a deadline' },
  '--project': { value: 'P', summary: "the name's project part (default: this directory's name)" },
  '--env': { value: 'E', summary: "the name's env part (default: dev)" },
  '--owner': { value: 'O', summary: "the name's owner part (default: settings, or your user name)" },
  '--prefix': { value: 'X', summary: "the name's prefix (default: settings, or cfwrap)" },
  '--zone': { value: 'ID', summary: 'the zone a DNS token is narrowed to' },
  '--bucket': { value: 'NAME', summary: 'the R2 bucket an upload token is narrowed to' },
  '--jurisdiction': { value: 'J', summary: "the R2 bucket's jurisdiction (default: default)" },
  '--name-only': { summary: "print only the new token's name" },
  '--allow-admin-for-agent': { summary: 'allow account or user administration for an agent-like owner' },
  '--revoke': { value: 'NAME', summary: 'delete a token on Cloudflare and here' },
  '--revoke-all': { summary: 'incident button: delete every token this vault minted' },
  '--roll': { value: 'NAME', summary: "roll a minted token's secret on Cloudflare (the old one dies; the new one goes to the keychain)" },
  '--yes': { summary: 'confirm without asking' },
  '--reap': { summary: 'one reconcile and sweep, then exit (1 if anything is left undone)' },
  '--daemon': { summary: 'run the reaper and the leak watcher in the foreground' },
  '--watch': { value: 'PATH', repeat: true, summary: 'a project root to watch for this run (repeatable)' },
  '--scan': { summary: 'scan files for secrets (exit 1 when something is found)' },
  '--adopt': { value: 'FILE:LINE', summary: 'move the Cloudflare API token on that line into the keychain, leaving a comment (a backup is kept)' },
  '--name': { value: 'NAME', summary: 'the name to keep the adopted token under (default: <project>:<variable>)' },
  '--fingerprint': { value: 'FP', summary: 'the fingerprint --scan printed: refuse if the line now holds another secret' },
  '--staged': { summary: 'scan what git would commit (the index), not the files' },
  '--verify': { summary: 'ask Cloudflare whether each token found is still alive (sends each found token to the verify endpoint)' },
  '--install-git-hook': { summary: 'make every commit of this repository run `cfwrap --scan --staged`' },
  '--uninstall-git-hook': { summary: "remove cfwrap's pre-commit hook (the previous one comes back)" },
  '--doctor': { summary: 'profiles, shadowing of the Wrangler login, vault health' },
  '--reason': { value: 'TEXT', summary: 'why the token is needed (shown to the person who approves it)' },
  '--pending': { summary: "agents' token requests waiting for your approval" },
  '--approve': { value: 'ID', summary: 'approve a pending request' },
  '--for': { value: 'DURATION', summary: 'also grant the same template, project and env for this long (at most 8h)' },
  '--deny': { value: 'ID', summary: 'deny a pending request' },
  '--policy': { summary: "show or change when an agent's request needs approval" },
  '--set': { value: 'RULE=VALUE', repeat: true, summary: 'risks=high,medium | envs=prod,staging | above-default-ttl=yes|no | permanent=yes|no' },
  '--sandbox': { summary: 'run a command (an agent) under bubblewrap: no keychain, no state, only the broker' },
  '--allow': { value: 'PATH', repeat: true, summary: 'a path to make reachable in the sandbox (repeatable)' },
  '--templates': { summary: 'list the built-in templates and your own' },
  '--mcp': { summary: 'serve the MCP tools for coding agents over stdio (needs a running broker)' },
  '--import': { value: 'FILE', summary: 'add templates of your own from a JSON file (one template or a list)' },
  '--drop': { value: 'NAME', summary: 'remove a template of your own' },
} as const satisfies Record<string, { value?: string; repeat?: boolean; summary: string }>

/** A cfwrap option. */
export type OptionName = keyof typeof OPTIONS

/** What the rest of the command line is for: a command to run, paths to scan, or nothing. */
type Operands = 'command' | 'paths' | 'none'

/** One mode of cfwrap: the option that selects it, the options it allows, what follows them. */
interface ModeSpec {
  /** The option that selects the mode; null for running a command (the default). */
  flag: OptionName | null
  /** Options the mode accepts besides its own flag, in the order `--help` shows them. */
  options: readonly OptionName[]
  operands: Operands
  /** Shown in the usage line after the options (`<command> [args...]`, `[PATH ...]`). */
  operandUsage?: string
  /** Options shown as alternatives (`--token NAME | --oauth`) instead of each in brackets. */
  oneOf?: readonly OptionName[]
}

/** Every mode, in the order `--help` lists them. */
export const MODE_SPECS = {
  run: { flag: null, options: ['--token', '--oauth', '--no-mask'], operands: 'command', operandUsage: '[--] <command> [args...]', oneOf: ['--token', '--oauth'] },
  add: { flag: '--add', options: ['--account', '--expires'], operands: 'none' },
  list: { flag: '--list', options: ['--json'], operands: 'none' },
  remove: { flag: '--remove', options: ['--yes'], operands: 'none' },
  bind: { flag: '--bind', options: [], operands: 'none' },
  unbind: { flag: '--unbind', options: [], operands: 'none' },
  setup: { flag: '--setup', options: ['--account'], operands: 'none' },
  mint: {
    flag: '--mint',
    options: ['--ttl', '--permanent', '--project', '--env', '--owner', '--prefix', '--account', '--zone', '--bucket', '--jurisdiction', '--allow-admin-for-agent', '--reason', '--name-only', '--json'],
    operands: 'none',
  },
  revoke: { flag: '--revoke', options: ['--yes'], operands: 'none' },
  'revoke-all': { flag: '--revoke-all', options: ['--yes'], operands: 'none' },
  roll: { flag: '--roll', options: [], operands: 'none' },
  reap: { flag: '--reap', options: ['--json'], operands: 'none' },
  daemon: { flag: '--daemon', options: ['--json', '--watch'], operands: 'none' },
  scan: { flag: '--scan', options: ['--staged', '--verify', '--json'], operands: 'paths', operandUsage: '[PATH ...]' },
  adopt: { flag: '--adopt', options: ['--name', '--fingerprint', '--json'], operands: 'none' },
  'install-git-hook': { flag: '--install-git-hook', options: [], operands: 'none' },
  'uninstall-git-hook': { flag: '--uninstall-git-hook', options: [], operands: 'none' },
  doctor: { flag: '--doctor', options: ['--json'], operands: 'none' },
  pending: { flag: '--pending', options: ['--json'], operands: 'none' },
  approve: { flag: '--approve', options: ['--for'], operands: 'none' },
  deny: { flag: '--deny', options: [], operands: 'none' },
  policy: { flag: '--policy', options: ['--set', '--json'], operands: 'none' },
  mcp: { flag: '--mcp', options: [], operands: 'none' },
  templates: { flag: '--templates', options: ['--import', '--drop', '--json'], operands: 'none' },
  sandbox: { flag: '--sandbox', options: ['--project', '--allow'], operands: 'command', operandUsage: '[--] <command> [args...]' },
  help: { flag: '--help', options: [], operands: 'none' },
  version: { flag: '--version', options: [], operands: 'none' },
} as const satisfies Record<string, ModeSpec>

/** What a cfwrap invocation asks for. `run` (the default) runs a command. */
export type Mode = keyof typeof MODE_SPECS

/** Every mode. */
export const MODES = Object.keys(MODE_SPECS) as Mode[]

const MODE_OF_FLAG = new Map<string, Mode>(MODES.flatMap((mode) => (MODE_SPECS[mode].flag ? [[MODE_SPECS[mode].flag as string, mode] as const] : [])))

/** Short forms the parser accepts (listed by --help). */
export const SHORT_ALIASES: Record<string, OptionName> = { '-h': '--help', '-V': '--version', '-t': '--token' }

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
    const spec: { value?: string; repeat?: boolean } | undefined = (OPTIONS as Record<string, { value?: string; repeat?: boolean }>)[flag]
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
    const selects = MODE_OF_FLAG.get(flag)
    if (selects) modes.add(selects)
  }
  if (modes.has('help')) return { mode: 'help', options, command: [], paths: [] }
  if (modes.has('version')) return { mode: 'version', options, command: [], paths: [] }
  if (modes.size > 1) throw new UsageError(`choose one of ${[...modes].map((m) => `--${m}`).join(', ')}.`)
  const mode: Mode = modes.values().next().value ?? 'run'
  const spec: ModeSpec = MODE_SPECS[mode]
  // Each mode's allowed options come from the same table as --help.
  for (const flag of Object.keys(options)) {
    if (flag !== spec.flag && !(spec.options as readonly string[]).includes(flag)) {
      throw new UsageError(`${flag} cannot be used with ${mode === 'run' ? 'a command' : spec.flag}.`)
    }
  }
  if (spec.operands === 'paths') return { mode, options, command: [], paths: rest }
  if (spec.operands === 'command') {
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
export const CloudflareIdArg = z.string().check(z.regex(CLOUDFLARE_ID, 'a Cloudflare id is 32 lowercase hex digits'))
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
