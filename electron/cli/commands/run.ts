import { dirname, basename } from 'node:path'
import { UserError, UsageError } from '../../../shared/common/errors'
import type { State, TokenRecord } from '../../../shared/common/state'
import { appendAudit } from '../../../shared/node/audit'
import { dotenvShadowWarnings, findDotenvCredentials, wranglerDotenvFiles, wranglerEnvFromArgs } from '../../../shared/node/dotenv-credentials'
import { createKeychainStore } from '../../../shared/node/keychain'
import { configDir, keychainAccount, keychainNamespace, storePaths } from '../../../shared/node/paths'
import { checkedKeychainSecret, readForRun } from '../../../shared/node/run-state'
import { buildChildEnv, exitStatusOf, preloadSpawn, runWrapped, type Injection } from '../../../shared/node/wrap'
import { takePrefetchedSecret } from '../prefetch'
import { optionValue, TokenNameArg, type Invocation } from '../args'
import { printError, printWarning, relativeTime } from '../output'

/** Why a command could not be started, in words. */
const SPAWN_FAILURES: Record<string, string> = {
  ENOENT: 'command not found',
  EACCES: 'permission denied (is it executable?)',
  ENOTDIR: 'a part of its path is not a directory',
  EISDIR: 'it is a directory',
  ENOEXEC: 'it is not a program this system can run',
}

/** The command as the audit log names it: its file name, or the path as given when that says more (`.`, `./`). */
function commandName(command: string): string {
  const name = basename(command)
  return name === '' || name === '.' || name === '..' ? command : name
}

/** The token bound to `cwd` or its nearest bound ancestor directory. */
export function boundTokenFor(bindings: State['bindings'], cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const bound = bindings[dir]
    if (bound) return bound
    if (dirname(dir) === dir) return undefined
  }
}

/** Refuses tokens that must not be injected (minting credential, unfinished, past the deadline). */
export function checkInjectable(token: TokenRecord, now: number = Date.now()): void {
  if (token.role === 'minting') {
    throw new UserError(`${token.name} is the minting credential; cfwrap never injects it into commands. Mint a scoped token with \`cfwrap --mint TEMPLATE --ttl 15m\`.`)
  }
  if (token.status !== 'active') {
    throw new UserError(`token ${token.name} is ${token.status} and cannot be used; mint a new one with \`cfwrap --mint ${token.template ?? 'TEMPLATE'} --ttl 15m\`.`)
  }
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) {
    const renew = token.template
      ? `mint a new one with \`cfwrap --mint ${token.template} --ttl 15m\``
      : `make a new token in the dashboard and add it with \`cfwrap --add NAME\``
    throw new UserError(`token ${token.name} expired ${relativeTime(token.expiresAt, now)} (${token.expiresAt}); ${renew}.`)
  }
}

/** `cfwrap [--token NAME | --oauth] [--no-mask] [--] <command> [args…]` */
export async function runCommand(invocation: Invocation): Promise<number> {
  const [command, ...args] = invocation.command as [string, ...string[]]
  const oauth = invocation.options['--oauth'] === true
  const requested = optionValue(invocation, '--token', TokenNameArg)
  if (oauth && requested) throw new UsageError('--token and --oauth exclude each other.')

  // The vault's parts this path needs, without vault.ts: it loads the state's other schemas, and
  // is imported only when the state file needs the full reader (damage, recovery).
  const dir = configDir(process.env)
  const paths = storePaths(dir)
  const accountOf = (name: string): string => keychainAccount(keychainNamespace(process.env), name)
  const cwd = process.cwd()
  let token: Pick<TokenRecord, 'name' | 'tokenId' | 'fingerprint' | 'accountId'> | null = null
  let injection: Injection = { oauth: true }
  let secret: string | null = null
  let secretPending: Promise<string> | null = null
  const broker = process.env.CFWRAP_BROKER
  if (broker && !oauth) {
    // Inside the sandbox: no keychain and no state, only the broker, which leases what it granted.
    if (!requested) throw new UsageError('inside the sandbox, name the token: cfwrap --token NAME <command> (`cfwrap --list` shows what the broker granted).')
    const { leaseFromBroker } = await import('../brokered')
    const lease = await leaseFromBroker(broker, requested)
    secretPending = Promise.resolve(lease.secret)
    token = { name: lease.name, tokenId: null, fingerprint: lease.fingerprint, accountId: null }
  } else if (!oauth) {
    // Only the record the command runs with is validated: 1,000 tokens must not slow every command down.
    const view = await readForRun(dir, (bindings) => requested ?? boundTokenFor(bindings, cwd), async () => (await import('../../../shared/node/vault')).Vault.open().readState())
    const name = view.name
    if (!name) {
      const names = view.commandNames()
      throw new UsageError(
        `no token chosen for ${cwd}: pass --token NAME, or bind one to this directory with \`cfwrap --bind NAME\`${names.length ? ` (you have: ${names.join(', ')})` : '; add one with `cfwrap --add NAME` or mint one with `cfwrap --mint`'}.`,
      )
    }
    const record = view.record
    if (!record) throw new UserError(`no token named ${name}; \`cfwrap --list\` shows the tokens you have.`)
    checkInjectable(record)
    token = record
    // Start the keychain read now and finish the rest of the preparation while it runs on the
    // thread pool: it is the slowest step of starting a wrapped command.
    const tokenName = token.name
    const prefetched = takePrefetchedSecret(accountOf(tokenName))
    secretPending = (prefetched ?? createKeychainStore().get(accountOf(tokenName))).then((value) => checkedKeychainSecret(tokenName, value))
    // Handled below; this only keeps an early rejection from being reported as unhandled.
    secretPending.catch(() => undefined)
  }
  // Load child_process while the keychain answers, not after.
  void preloadSpawn()
  const dotenvSkipped: Array<{ file: string; detail: string }> = []
  const dotenvFound = findDotenvCredentials(wranglerDotenvFiles(cwd, wranglerEnvFromArgs(args) ?? process.env.CLOUDFLARE_ENV), dotenvSkipped)
  for (const skipped of dotenvSkipped) {
    printWarning(`cfwrap: warning: ${skipped.file} was not checked for credentials (${skipped.detail}); Wrangler may still try to read it.`)
  }
  if (secretPending) {
    secret = await secretPending
    injection = { token: secret, accountId: token?.accountId ?? null }
  }

  const env = buildChildEnv(process.env, injection)
  for (const warning of dotenvShadowWarnings(dotenvFound, env)) {
    printWarning(warning)
  }

  const noMask = invocation.options['--no-mask'] === true
  const exit = await runWrapped({ command, args, env, maskSecret: noMask ? null : secret })
  const status = exitStatusOf(exit)
  if (exit.spawnError) printError(`cannot run ${command}: ${SPAWN_FAILURES[exit.spawnError.code ?? ''] ?? exit.spawnError.code ?? 'it could not be started'}.`)
  // Inside the sandbox the broker audited the lease; there is no log of ours to write here.
  if (!broker) try {
    appendAudit(paths.audit, {
    event: 'run',
    token: token?.name ?? null,
    fingerprint: token?.fingerprint ?? null,
    tokenId: token?.tokenId ?? null,
    command: commandName(command),
    cwd,
    exit: exit.signal ? null : status,
    signal: exit.signal,
    ...(oauth ? { detail: 'oauth' } : {}),
    })
  } catch (error) {
    printWarning(`cfwrap: warning: could not write the audit log: ${(error as Error).message}`)
  }

  if (exit.signal) {
    // Die by the same signal so a parent shell sees exactly what the child did.
    process.kill(process.pid, exit.signal)
  }
  return status
}
