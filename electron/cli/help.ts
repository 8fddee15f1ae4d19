import { MODE_SPECS, MODES, OPTIONS, SHORT_ALIASES, type Mode, type OptionName } from './args'

const SPECS = OPTIONS as Record<OptionName, { value?: string; repeat?: boolean; summary: string }>

/** `--flag VALUE` as it is written on a command line. */
function optionUsage(flag: OptionName): string {
  const spec = SPECS[flag]
  return `${flag}${spec.value ? ` ${spec.value}` : ''}${spec.repeat ? ' ...' : ''}`
}

/** One mode's usage, from the same table the parser uses: its flag, alternatives, then each optional option in brackets. */
export function usageOf(mode: Mode): string {
  const spec: { flag: OptionName | null; options: readonly OptionName[]; oneOf?: readonly OptionName[]; operandUsage?: string } = MODE_SPECS[mode]
  const oneOf = spec.oneOf ?? []
  const words = [
    'cfwrap',
    ...(spec.flag ? [optionUsage(spec.flag)] : []),
    ...(oneOf.length > 0 ? [`[${oneOf.map(optionUsage).join(' | ')}]`] : []),
    ...spec.options.filter((flag) => !oneOf.includes(flag)).map((flag) => `[${optionUsage(flag)}]`),
    ...(spec.operandUsage ? [spec.operandUsage] : []),
  ]
  // Wrapped at 100 columns, continuation lines indented under the first option.
  const lines: string[] = []
  let line = ''
  for (const word of words) {
    if (line && line.length + 1 + word.length > 98) {
      lines.push(line)
      line = `       ${word}`
    } else line = line ? `${line} ${word}` : word
  }
  lines.push(line)
  return lines.map((text) => `  ${text}`).join('\n')
}

const OPTION_COLUMN = 26

/** The text of `cfwrap --help`: usage lines and options generated from the parser's own table, then how things work. */
export const HELP_TEXT = `cfwrap: run one command with one short-lived, least-privilege Cloudflare token.

Usage:
${MODES.map(usageOf).join('\n')}

Options:
${(Object.keys(OPTIONS) as OptionName[]).map((flag) => `  ${optionUsage(flag).padEnd(OPTION_COLUMN)}${SPECS[flag].summary}`).join('\n')}
  Short forms: ${Object.entries(SHORT_ALIASES).map(([short, long]) => `${short} for ${long}`).join(', ')}.

Running a command:
  The command gets exactly one token in CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID when the
  token is bound to an account). CLOUDFLARE_API_TOKEN, CF_API_TOKEN, CLOUDFLARE_API_KEY,
  CLOUDFLARE_EMAIL, CF_API_KEY and CF_EMAIL from your environment are removed first. Piped output
  is masked. A bare word is always the command; options go before it. The exit status is the
  command's (128+n when it died by signal n).

Minting time-boxed tokens (once: \`cfwrap --setup\` with a dashboard token that has "API Tokens Write",
or "Account API Tokens Write" plus --account ID for an account token; the secret is read from stdin):
  TEMPLATE is workers-deploy, pages-deploy, d1-migrations, r2-upload, kv-write, queues, read-only
  or dns-edit: each grants only what that job needs. --ttl is at least 10s; each template has a
  maximum. A name already taken gets a counter (owner-2). --mint prints the name and deadline,
  never the secret:
    cfwrap --token "$(cfwrap --mint workers-deploy --ttl 15m --name-only)" wrangler deploy
  The tray app or \`cfwrap --daemon\` deletes temporary tokens at their deadline, on Cloudflare and
  here. cfwrap deletes only what this vault recorded: a live token that merely looks like cfwrap's
  (another machine's, CI's) is reported as foreign, never deleted.

Files: state and audit log in $CFWRAP_HOME, else the platform config directory
(~/.config/cfwrap on Linux). Secrets live only in the OS keychain.
Exit status: the command's; 1 on failure; 2 on a usage error. NO_COLOR turns colour off.
`
