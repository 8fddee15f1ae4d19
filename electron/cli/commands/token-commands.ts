import { openSync } from 'node:fs'
import { basename } from 'node:path'
import { createInterface } from 'node:readline'
import { ReadStream, WriteStream } from 'node:tty'
import { DurationParseError, parseDuration } from '../../../shared/common/duration'
import { UsageError, UserError } from '../../../shared/common/errors'
import { describeTokenEvent, type TokenEvent } from '../../../shared/common/events'
import { MintRequestSchema, type MintRequest } from '../../../shared/common/guards'
import { describeIssues } from '../../../shared/common/schema-issues'
import { slugifyTokenNameSegment } from '../../../shared/common/token-name'
import { agentSocket } from '../../../shared/node/broker/paths'
import { MintRefusedError } from '../../../shared/node/mint'
import { NoMintingCredentialError } from '../../../shared/node/minting-credential'
import { isMintedRecord } from '../../../shared/node/token-records'
import { rotationAdvice } from '../../../shared/node/token-service'
import { Vault } from '../../../shared/node/vault'
import { CloudflareIdArg, optionValue, TokenNameArg, type Invocation } from '../args'
import { printError, printWarning, relativeTime } from '../output'
import { readSecretFromStdin } from '../read-secret'
import { openService } from '../service'

/** `--setup`, `--mint`, `--revoke`, `--revoke-all`, `--reap`. */
export async function tokenCommand(invocation: Invocation): Promise<number> {
  switch (invocation.mode) {
    case 'setup':
      return setupCommand(invocation)
    case 'mint':
      return mintCommand(invocation)
    case 'revoke':
      return revokeCommand(invocation)
    case 'revoke-all':
      return revokeAllCommand(invocation)
    case 'reap':
      return reapCommand(invocation)
    case 'roll': {
      const name = optionValue(invocation, '--roll', TokenNameArg) as string
      const rolled = await openService().roll({ name })
      process.stdout.write(`rolled ${rolled.name}: the old secret (fingerprint ${rolled.previous ?? '-'}) no longer works; the new one (fingerprint ${rolled.current}) is in the keychain.\n`)
      return 0
    }
    default:
      throw new UsageError(`unexpected mode ${invocation.mode}`)
  }
}

// ----- --setup -----

/** `cfwrap --setup [--account ID]`: checks and stores the minting credential (secret from stdin). */
async function setupCommand(invocation: Invocation): Promise<number> {
  const accountId = optionValue(invocation, '--account', CloudflareIdArg)
  const secret = await readSecretFromStdin('Paste the minting token (API Tokens Write; input hidden): ')
  const { minting, replaced, defaultAccount } = await openService().setupMinting({ secret, ...(accountId ? { accountId } : {}) })
  const whose =
    minting.owner === 'account'
      ? `account-owned, account ${minting.accountId}`
      : `user-owned${minting.accountId ? `, default account ${minting.accountId}${defaultAccount === 'derived' ? ' (the only one it sees)' : ''}` : ''}`
  process.stdout.write(
    `stored the minting credential as ${minting.name} (${whose}, fingerprint ${minting.fingerprint}). ` +
      'cfwrap uses it only to mint and delete tokens; it is never injected into commands.\n',
  )
  if (typeof defaultAccount === 'object') {
    process.stdout.write(
      `No default account to mint for (${defaultAccount.none}): pass --account ID to your first \`cfwrap --mint\` ` +
        "(the id is on the dashboard's Account Home, or shown by `wrangler whoami`); cfwrap remembers it as the default.\n",
    )
  }
  for (const fingerprint of replaced) {
    if (fingerprint !== minting.fingerprint) {
      process.stdout.write(`It replaces the previous minting credential (fingerprint ${fingerprint ?? '-'}); delete that one in the dashboard if nothing else uses it.\n`)
    }
  }
  return 0
}

// ----- --mint -----

function stringOption(invocation: Invocation, flag: string): string | undefined {
  const value = invocation.options[flag]
  return typeof value === 'string' ? value : undefined
}

/** The mint request of `cfwrap --mint`: the options as given, the project defaulting to this directory's name. */
function mintRequestOf(invocation: Invocation): MintRequest {
  const ttlText = stringOption(invocation, '--ttl')
  let ttlSeconds: number | undefined
  if (ttlText !== undefined) {
    try {
      ttlSeconds = parseDuration(ttlText)
    } catch (error) {
      if (error instanceof DurationParseError) throw new UsageError(`--ttl: ${error.message}`)
      throw error
    }
  }
  const optional = (flag: string, field: keyof MintRequest) => (stringOption(invocation, flag) !== undefined ? { [field]: stringOption(invocation, flag) } : {})
  const request = MintRequestSchema.safeParse({
    template: invocation.options['--mint'],
    project: stringOption(invocation, '--project') ?? slugifyTokenNameSegment(basename(process.cwd())) ?? 'project',
    env: stringOption(invocation, '--env') ?? 'dev',
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    ...(invocation.options['--permanent'] === true ? { permanent: true } : {}),
    ...optional('--owner', 'owner'),
    ...optional('--prefix', 'prefix'),
    ...optional('--account', 'accountId'),
    ...optional('--zone', 'zoneId'),
    ...optional('--bucket', 'bucket'),
    ...optional('--jurisdiction', 'jurisdiction'),
    ...(invocation.options['--allow-admin-for-agent'] === true ? { allowAdminForAgent: true } : {}),
  })
  if (!request.success) throw new UsageError(`--mint: ${describeIssues(request.error.issues)}.`)
  return request.data
}

async function mintThroughBrokerLazily(socket: string, request: MintRequest, reason: string) {
  const { mintThroughBroker } = await import('../brokered')
  return mintThroughBroker(socket, request, reason)
}

/** What the broker granted, printed as a mint prints its token. */
function printGranted(granted: { name: string; expiresAt: string | null; fingerprint: string | null }, nameOnly: boolean, json: boolean): number {
  if (nameOnly) process.stdout.write(`${granted.name}\n`)
  else if (json) process.stdout.write(`${JSON.stringify({ ...granted, via: 'broker' })}\n`)
  else {
    process.stdout.write(
      `granted ${granted.name} (fingerprint ${granted.fingerprint ?? '-'}) by the broker\n` +
        `  ${granted.expiresAt ? `deadline ${granted.expiresAt} (${relativeTime(granted.expiresAt)})` : 'no deadline'}\n` +
        `  use it: cfwrap --token ${granted.name} <command>\n`,
    )
  }
  return 0
}

/**
 * With no broker to ask, a mint the approval policy reserves for a person is confirmed on the
 * invoking terminal itself (its controlling tty, not stdin, which a script or an agent feeds):
 * the word "mint" has to be typed. Without a terminal, it is refused.
 */
async function confirmMintOnTerminal(template: string, needs: readonly string[]): Promise<void> {
  let fd: number
  try {
    fd = openSync('/dev/tty', 'r+')
  } catch {
    throw new UserError(
      `this ${template} token needs a person's approval (${needs.join(', ')}), and there is neither a broker to ask nor a terminal: ` +
        'start the tray app or `cfwrap --daemon` and approve it there (`cfwrap --pending`, `cfwrap --approve ID`), or run the mint in a terminal.',
      1,
      'refused',
    )
  }
  // tty streams, not file streams: a file read of a terminal blocks a thread-pool thread until a line
  // comes, and then the process cannot exit.
  const input = new ReadStream(fd)
  const output = new WriteStream(fd)
  const rl = createInterface({ input, output })
  try {
    const answer = await new Promise<string>((resolve) =>
      rl.question(
        `This ${template} token needs a person's approval (${needs.join(', ')}). No broker runs to ask (the tray app or \`cfwrap --daemon\` would give a stronger check). Type "mint" to create it: `,
        resolve,
      ),
    )
    if (answer.trim() !== 'mint') throw new UserError('not confirmed; nothing was minted.', 1, 'refused')
  } finally {
    rl.close()
    input.destroy()
    output.destroy()
  }
}

/** `cfwrap --mint TEMPLATE --ttl DURATION [...]`: prints the new token's name and deadline, never its secret. */
async function mintCommand(invocation: Invocation): Promise<number> {
  const nameOnly = invocation.options['--name-only'] === true
  const json = invocation.options['--json'] === true
  if (nameOnly && json) throw new UsageError('--name-only and --json exclude each other.')
  const request = mintRequestOf(invocation)
  const reason = stringOption(invocation, '--reason') ?? ''
  // With a broker running (and always inside the sandbox), the mint is the broker's decision.
  const socket = agentSocket(process.env)
  if (socket) return printGranted(await mintThroughBrokerLazily(socket, request, reason), nameOnly, json)
  if (reason !== '') printWarning('cfwrap: warning: --reason is shown to the person who approves a request; no broker runs, so nobody sees it.')
  const service = openService()
  let minted
  try {
    const needs = await service.approvalNeeded(request)
    if (needs.length > 0) await confirmMintOnTerminal(request.template, needs)
    minted = await service.mint(request)
  } catch (error) {
    if (!(error instanceof MintRefusedError)) throw error
    for (const refusal of error.refusals) printError(refusal.message)
    if (request.accountId === undefined && error.refusals.some((refusal) => refusal.rule === 'resource-required' && refusal.field === 'accountId')) {
      printError(`give it as \`cfwrap --mint ${request.template} --account ID …\`; the first account you give is remembered as the default.`)
    }
    return 1
  }
  for (const warning of minted.warnings) printWarning(`cfwrap: warning: ${warning}`)
  if (minted.rememberedAccount) process.stderr.write(`cfwrap: account ${minted.rememberedAccount} is now the default for \`cfwrap --mint\`.\n`)
  if (nameOnly) {
    process.stdout.write(`${minted.name}\n`)
  } else if (json) {
    const { rememberedAccount: _remembered, ...printed } = minted
    process.stdout.write(`${JSON.stringify(printed)}\n`)
  } else {
    const deadline = minted.expiresAt
      ? `deadline ${minted.expiresAt} (${relativeTime(minted.expiresAt)}): Cloudflare expires it then, and the tray app or \`cfwrap --daemon\` deletes it (\`cfwrap --reap\` cleans up otherwise)`
      : 'no deadline: it stays valid until you run `cfwrap --revoke` on it'
    process.stdout.write(
      `minted ${minted.name} (fingerprint ${minted.fingerprint})\n` +
        minted.policies.map((line) => `  can: ${line}\n`).join('') +
        `  ${deadline}\n` +
        `  use it: cfwrap --token ${minted.name} <command>\n`,
    )
  }
  return 0
}

// ----- --revoke -----

/** `cfwrap --revoke NAME [--yes]`: deletes a minted token on Cloudflare, then locally. */
async function revokeCommand(invocation: Invocation): Promise<number> {
  const name = optionValue(invocation, '--revoke', TokenNameArg) as string
  if (process.env.CFWRAP_BROKER) {
    const { revokeThroughBroker } = await import('../brokered')
    await revokeThroughBroker(process.env.CFWRAP_BROKER, name)
    process.stdout.write(`revoked ${name}: deleted on Cloudflare by the broker.\n`)
    return 0
  }
  const { outcome } = await openService().revoke({ name, forgetDashboardToken: invocation.options['--yes'] === true })
  process.stdout.write(
    outcome === 'forgotten-locally'
      ? `removed ${name} from cfwrap. It still exists on Cloudflare until you delete it in the dashboard.\n`
      : `revoked ${name}: ${outcome === 'already-gone' ? 'it was already gone on Cloudflare' : 'deleted on Cloudflare'} and removed from the keychain.\n`,
  )
  return 0
}

// ----- --revoke-all -----

async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve))
    return answer.trim().toLowerCase() === 'yes'
  } finally {
    rl.close()
  }
}

function printRotationAdvice(lines: string[]): void {
  process.stdout.write(`Also rotate what cfwrap cannot delete for you:\n${lines.map((line, i) => `  ${i + 1}. ${line}\n`).join('')}`)
}

/** `cfwrap --revoke-all [--yes]`: the incident button. Deletes every token cfwrap minted, on Cloudflare and locally. */
async function revokeAllCommand(invocation: Invocation): Promise<number> {
  const service = openService()
  const { tokens } = await service.list()
  const minted = tokens.filter(isMintedRecord)
  if (invocation.options['--yes'] !== true) {
    if (!process.stdin.isTTY) {
      throw new UsageError('--revoke-all deletes every token cfwrap minted, on Cloudflare and here; there is no terminal to ask, so pass --yes to confirm.')
    }
    const ok = await confirmOnTerminal(`Delete all ${minted.length} tokens this vault minted, on Cloudflare and here? Type "yes" to go on: `)
    if (!ok) {
      process.stderr.write('cancelled; nothing was deleted.\n')
      return 1
    }
  }
  let result
  try {
    result = await service.revokeAll({})
  } catch (error) {
    if (error instanceof NoMintingCredentialError) {
      const vault = Vault.open()
      process.stderr.write(rotationAdvice(await vault.readState(), vault.paths.audit).join('\n') + '\n')
    }
    throw error
  }
  const deleted = result.deleted.length
  process.stdout.write(
    `revoke-all: deleted ${deleted} token${deleted === 1 ? '' : 's'} on Cloudflare (${result.alreadyGone.length} already gone) and removed ${result.forgotten} from the keychain.\n`,
  )
  if (result.listProblem) printError(`could not list cfwrap's tokens on Cloudflare (${result.listProblem}); only the tokens in this vault were deleted. Run --revoke-all again once Cloudflare answers.`)
  for (const failure of result.failed) printError(`not deleted: ${failure.error}`)
  if (result.foreign.length > 0) {
    process.stdout.write(
      `Left alone: ${result.foreign.length} live token${result.foreign.length === 1 ? '' : 's'} named like cfwrap's that this vault did not mint ` +
        `(another machine's, CI's, or made in the dashboard); check them in the dashboard:\n${result.foreign.map((token) => `  ${token.name} (${token.id})\n`).join('')}`,
    )
  }
  printRotationAdvice(result.rotateAlso)
  return result.failed.length > 0 || result.listProblem ? 1 : 0
}

// ----- --reap -----

/** `cfwrap --reap [--json]`: one reconcile and sweep, then exit; exit 1 if anything is left undone. */
async function reapCommand(invocation: Invocation): Promise<number> {
  const json = invocation.options['--json'] === true
  const service = openService()
  const events: TokenEvent[] = []
  service.onEvent((event) => {
    if (event.type !== 'token') return
    events.push(event.event)
    if (!json) process.stdout.write(`${describeTokenEvent(event.event)}\n`)
  })
  const result = await service.reap()
  const failed = result.failed > 0 || !result.reconcile.ok
  if (json) {
    const { foreign, ...reconcile } = result.reconcile
    process.stdout.write(`${JSON.stringify({ ok: !failed, deleted: result.deleted, failed: result.failed, foreign, reconcile, events })}\n`)
  } else {
    process.stdout.write(
      `reap: ${result.deleted} deleted at their deadline, ${result.reconcile.orphansDeleted} dead tokens deleted, ` +
        `${result.reconcile.pendingDropped} unfinished mints cleaned up, ${result.failed + result.reconcile.failed} failed` +
        `${result.reconcile.ok ? '' : ' (could not reconcile with Cloudflare)'}.\n`,
    )
    for (const record of result.stillFailing) printError(`${record.name}: ${record.lastError ?? 'delete failed'} (attempt ${record.attempts ?? 1})`)
    if (result.reconcile.foreign.length > 0) {
      process.stdout.write(
        `not this vault's, left alone: ${result.reconcile.foreign.map((token) => `${token.name} (${token.id})`).join(', ')}\n`,
      )
    }
  }
  return failed ? 1 : 0
}
