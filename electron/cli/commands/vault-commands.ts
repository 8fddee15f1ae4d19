import { UserError, UsageError } from '../../../shared/common/errors'
import type { TokenRecord } from '../../../shared/common/state'
import { appendAudit } from '../../../shared/node/audit'
import { Vault } from '../../../shared/node/vault'
import { CloudflareIdArg, IsoDateArg, optionValue, TokenNameArg, type Invocation } from '../args'
import { relativeTime } from '../output'
import { readSecretFromStdin } from '../read-secret'

/** A token record as `--list --json` prints it: metadata and fingerprint, never a secret. */
export function listEntry(token: TokenRecord, now: number = Date.now()): TokenRecord & { expired: boolean; secondsLeft: number | null } {
  const secondsLeft = token.expiresAt ? Math.round((Date.parse(token.expiresAt) - now) / 1000) : null
  return { ...token, expired: secondsLeft !== null && secondsLeft <= 0, secondsLeft }
}

/** `--add`, `--list`, `--remove`, `--bind`, `--unbind`. */
export async function vaultCommand(invocation: Invocation): Promise<number> {
  const vault = Vault.open()
  switch (invocation.mode) {
    case 'add': {
      const name = optionValue(invocation, '--add', TokenNameArg) as string
      const accountId = optionValue(invocation, '--account', CloudflareIdArg) ?? null
      const expiresAt = optionValue(invocation, '--expires', IsoDateArg) ?? null
      if (expiresAt && Date.parse(expiresAt) <= Date.now()) throw new UsageError(`--expires ${expiresAt} is in the past.`)
      if (await vault.find(name)) throw new UserError(`a token named ${name} already exists; remove it first with \`cfwrap --remove ${name}\`.`)
      const secret = await readSecretFromStdin(`Paste the token for ${name} (input hidden): `)
      const record = await vault.addToken(
        { name, tokenId: null, accountId, expiresAt, template: null, source: 'dashboard', role: 'command', temporary: false },
        secret,
      )
      appendAudit(vault.paths.audit, { event: 'added', token: name, fingerprint: record.fingerprint })
      process.stdout.write(`added ${name} (fingerprint ${record.fingerprint})\n`)
      return 0
    }
    case 'list': {
      const state = await vault.readState()
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
      const record = await vault.find(name)
      // A minted token still alive on Cloudflare: forgetting it here first would leave nothing that can
      // delete it (--revoke needs the record), so say which command does what before anything is lost.
      if (record?.source === 'minted' && record.tokenId && record.status !== 'missing' && invocation.options['--yes'] !== true) {
        throw new UserError(
          `${name} was minted by cfwrap and still exists on Cloudflare: \`cfwrap --revoke ${name}\` deletes it there and here; ` +
            `\`cfwrap --remove ${name} --yes\` only forgets it here (Cloudflare then expires it ${record.expiresAt ? `at ${record.expiresAt}` : 'never: it has no deadline'}).`,
        )
      }
      const removed = await vault.removeLocal(name)
      appendAudit(vault.paths.audit, { event: 'removed', token: name, fingerprint: removed.fingerprint })
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
      await vault.update((state) => {
        if (!state.tokens.some((t) => t.name === name)) throw new UserError(`no token named ${name}; \`cfwrap --list\` shows the tokens you have.`)
        state.bindings[cwd] = name
      })
      process.stdout.write(`bound ${name} to ${cwd}: \`cfwrap <command>\` here and below now uses it.\n`)
      return 0
    }
    case 'unbind': {
      const cwd = process.cwd()
      const had = await vault.update((state) => {
        const bound = state.bindings[cwd]
        delete state.bindings[cwd]
        return bound
      })
      process.stdout.write(had ? `unbound ${had} from ${cwd}.\n` : `nothing was bound to ${cwd}.\n`)
      return 0
    }
    default:
      throw new UsageError(`unexpected mode ${invocation.mode}`)
  }
}
