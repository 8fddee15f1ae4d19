import { createKeychainStore } from '../../shared/node/keychain'
import { STORED_TOKEN_NAME } from '../../shared/common/ids'
import { keychainAccount, keychainNamespace } from '../../shared/node/paths'

let prefetched: { account: string; secret: Promise<string | null> } | null = null

/**
 * Starts reading the secret of `--token NAME` from the keychain before anything else is loaded.
 * The keychain answers over D-Bus (or the platform's equivalent) on a worker thread; meanwhile the
 * main thread loads and validates everything else. Nothing is decided here: the run path
 * validates the arguments and the token fully, and uses this read only if it asks for the same
 * keychain account. A failure here is left for that path to report.
 */
export function prefetchTokenSecret(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  // Inside the sandbox there is no keychain: the secret comes from the broker as a lease.
  if (env.CFWRAP_BROKER) return
  let name: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--' || !arg.startsWith('-')) break
    if (arg === '--token' || arg === '-t') name = argv[++i]
    else if (arg.startsWith('--token=')) name = arg.slice('--token='.length)
    else if (arg !== '--no-mask') return // any other option: not the hot path, skip the prefetch
  }
  if (!name || !STORED_TOKEN_NAME.test(name)) return
  const account = keychainAccount(keychainNamespace(env), name)
  const secret = createKeychainStore().get(account)
  secret.catch(() => undefined) // reported by the run path if it uses this read
  prefetched = { account, secret }
}

/** The prefetched read for `account`, if one was started for exactly that account. */
export function takePrefetchedSecret(account: string): Promise<string | null> | undefined {
  if (prefetched?.account !== account) return undefined
  const { secret } = prefetched
  prefetched = null
  return secret
}
