import { UserError, UsageError } from '../../../shared/common/errors'
import type { TokenRecord } from '../../../shared/common/state'
import { CloudflareIdArg, IsoDateArg, optionValue, TokenNameArg, type Invocation } from '../args'
import { relativeTime } from '../output'
import { readSecretFromStdin } from '../read-secret'
import { openService } from '../service'

/** A token record as `--list --json` prints it: metadata and fingerprint, never a secret. */
export function listEntry(token: TokenRecord, now: number = Date.now()): TokenRecord & { expired: boolean; secondsLeft: number | null } {
  const secondsLeft = token.expiresAt ? Math.round((Date.parse(token.expiresAt) - now) / 1000) : null
  return { ...token, expired: secondsLeft !== null && secondsLeft <= 0, secondsLeft }
}

/** `--list` inside the sandbox: what the broker granted, the only tokens an agent can use there. */
async function listGranted(socket: string, json: boolean): Promise<number> {
  const { listFromBroker } = await import('../brokered')
  const tokens = await listFromBroker(socket)
  if (json) process.stdout.write(`${JSON.stringify({ tokens })}\n`)
  else if (tokens.length === 0) process.stdout.write('The broker has granted no tokens yet; ask for one with `cfwrap --mint TEMPLATE`.\n')
  else for (const token of tokens) process.stdout.write(`${token.name}  ${token.expiresAt ? `expires ${relativeTime(token.expiresAt)}` : 'no deadline'}  ${token.fingerprint ?? '-'}\n`)
  return 0
}

/** `--add`, `--list`, `--remove`, `--bind`, `--unbind`. */
export async function vaultCommand(invocation: Invocation): Promise<number> {
  const service = openService()
  switch (invocation.mode) {
    case 'add': {
      const name = optionValue(invocation, '--add', TokenNameArg) as string
      const accountId = optionValue(invocation, '--account', CloudflareIdArg) ?? null
      const expiresAt = optionValue(invocation, '--expires', IsoDateArg) ?? null
      if (expiresAt && Date.parse(expiresAt) <= Date.now()) throw new UsageError(`--expires ${expiresAt} is in the past.`)
      // Asked before the secret is read, so nobody pastes a secret for nothing.
      if ((await service.list()).tokens.some((token) => token.name === name)) {
        throw new UserError(`a token named ${name} already exists; remove it first with \`cfwrap --remove ${name}\`.`)
      }
      const secret = await readSecretFromStdin(`Paste the token for ${name} (input hidden): `)
      const record = await service.add({ name, secret, accountId, expiresAt })
      process.stdout.write(`added ${name} (fingerprint ${record.fingerprint})\n`)
      return 0
    }
    case 'list': {
      if (process.env.CFWRAP_BROKER) return listGranted(process.env.CFWRAP_BROKER, invocation.options['--json'] === true)
      const state = await service.list()
      const tokens = state.tokens
      const boundDirs = (name: string): string[] => Object.entries(state.bindings).filter(([, bound]) => bound === name).map(([dir]) => dir)
      if (invocation.options['--json']) {
        process.stdout.write(`${JSON.stringify({ tokens: tokens.map((t) => ({ ...listEntry(t), boundTo: boundDirs(t.name) })), bindings: state.bindings })}\n`)
        return 0
      }
      if (tokens.length === 0) {
        process.stdout.write('No tokens. Add one with `cfwrap --add NAME` or mint one with `cfwrap --mint TEMPLATE --ttl 15m`.\n')
        return 0
      }
      const rows = tokens.map((t) => [
        t.name,
        t.role === 'minting' ? 'minting' : t.temporary ? 'temporary' : 'command',
        t.expiresAt ? (Date.parse(t.expiresAt) <= Date.now() ? `expired ${relativeTime(t.expiresAt)}` : `expires ${relativeTime(t.expiresAt)}`) : 'no deadline',
        t.fingerprint ?? '-',
        // lastError already names the attempt ("attempt 3: …"), see reaper.ts.
        t.status + (t.lastError ? ` (${t.lastError})` : ''),
      ])
      const header = ['NAME', 'ROLE', 'DEADLINE', 'FINGERPRINT', 'STATUS']
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
      for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`)
      const bindings = Object.entries(state.bindings)
      if (bindings.length > 0) {
        process.stdout.write(`\nBound (\`cfwrap <command>\` there and below uses the token):\n${bindings.map(([dir, name]) => `  ${dir}  ${name}\n`).join('')}`)
      }
      return 0
    }
    case 'remove': {
      const name = optionValue(invocation, '--remove', TokenNameArg) as string
      const removed = await service.remove({ name, confirmed: invocation.options['--yes'] === true })
      const note =
        removed.source === 'minted' && removed.tokenId && removed.status !== 'missing'
          ? ` It still exists on Cloudflare ${removed.expiresAt ? `until ${removed.expiresAt}` : 'with no deadline'}; delete it in the dashboard (My Profile → API Tokens) if it must go sooner.`
          : removed.source === 'dashboard'
            ? ' The token itself still exists on Cloudflare; delete it in the dashboard if it is no longer needed.'
            : ''
      process.stdout.write(`removed ${name} from cfwrap.${note}\n`)
      return 0
    }
    case 'bind': {
      const name = optionValue(invocation, '--bind', TokenNameArg) as string
      const cwd = process.cwd()
      await service.bind({ dir: cwd, name })
      process.stdout.write(`bound ${name} to ${cwd}: \`cfwrap <command>\` here and below now uses it.\n`)
      return 0
    }
    case 'unbind': {
      const cwd = process.cwd()
      const had = await service.unbind({ dir: cwd })
      process.stdout.write(had ? `unbound ${had} from ${cwd}.\n` : `nothing was bound to ${cwd}.\n`)
      return 0
    }
    default:
      throw new UsageError(`unexpected mode ${invocation.mode}`)
  }
}
