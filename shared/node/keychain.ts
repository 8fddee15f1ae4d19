import type { AsyncEntry as AsyncEntryType } from '@napi-rs/keyring'
import { UserError } from '../common/errors'
import { holdSecret } from '../common/redact'
import { lazyLoad } from './lazy-load'
import type { KeychainWorker, KeychainWrite } from './keychain-worker'

/** A place to keep secrets by account name. The OS keychain in the product; the interface keeps callers testable. */
export interface SecretStore {
  /** The secret stored under `account`, or null when there is none. */
  get(account: string): Promise<string | null>
  /** Stores (or replaces) the secret under `account`. */
  set(account: string, secret: string): Promise<void>
  /** Deletes the secret under `account`; false when there was none. */
  delete(account: string): Promise<boolean>
}

/** The keychain is locked, absent or refused access; the message names the fix in one sentence. */
export class KeychainUnavailableError extends UserError {
  override name = 'KeychainUnavailableError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, 'keychain', options)
  }
}

/** The service name under which cfwrap's keychain items are stored. */
export const KEYCHAIN_SERVICE = 'cfwrap'

function unavailable(cause: unknown): KeychainUnavailableError {
  // The native error text names the store and the failure (for example "unlock prompt was dismissed");
  // it never contains a secret, so it is safe to show after our own sentence.
  const detail = cause instanceof Error ? cause.message : String(cause)
  const fix =
    process.platform === 'darwin'
      ? 'the macOS login keychain is locked or unreachable: unlock it (security unlock-keychain) and try again'
      : process.platform === 'win32'
        ? 'Windows Credential Manager is unreachable: sign in to a normal desktop session and try again'
        : 'the OS keychain (Secret Service, e.g. gnome-keyring) is locked or not running: unlock your login keyring, or on a headless machine start one with `printf %s PASSWORD | gnome-keyring-daemon --unlock --components=secrets` inside a D-Bus session, and try again'
  return new KeychainUnavailableError(`cfwrap cannot use the keychain: ${fix} (${detail}).`, { cause })
}

type KeyringModule = typeof import('@napi-rs/keyring')
let keyringModule: Promise<KeyringModule> | undefined


/**
 * The package of @napi-rs/keyring's prebuilt addon for this platform, where we know it. Its own
 * loader (index.js) first reads /usr/bin/ldd to tell musl from glibc, probes for a local build and
 * reads the addon package's version: about 1.5 ms of the wrapper's start-up before the first
 * keychain read can begin. A platform not listed here, or an addon that does not load (musl,
 * another layout), takes that loader.
 */
const PREBUILT_ADDONS: Record<string, string> = {
  'linux-x64': '@napi-rs/keyring-linux-x64-gnu',
  'linux-arm64': '@napi-rs/keyring-linux-arm64-gnu',
  'darwin-x64': '@napi-rs/keyring-darwin-x64',
  'darwin-arm64': '@napi-rs/keyring-darwin-arm64',
  'win32-x64': '@napi-rs/keyring-win32-x64-msvc',
}

/** The keychain module through `require` (which must exist): the prebuilt addon directly where it loads, else the library's loader. */
function requireKeyring(): KeyringModule {
  const addon = PREBUILT_ADDONS[`${process.platform}-${process.arch}`]
  if (addon !== undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const candidate = require(addon) as KeyringModule
      if (typeof candidate.findCredentialsAsync === 'function' && typeof candidate.AsyncEntry === 'function') return candidate
    } catch {
      // Not installed or not loadable here: the library's own loader finds the right one.
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@napi-rs/keyring') as KeyringModule
}

function loadKeyring(): Promise<KeyringModule> {
  // Loaded on first use: commands that never touch a secret (--help, --list) skip the native addon.
  keyringModule ??= typeof require === 'function' ? new Promise((resolve) => resolve(requireKeyring())) : lazyLoad<KeyringModule>('@napi-rs/keyring')
  return keyringModule
}

/** The keychain module loaded synchronously where `require` exists; null under the ESM test runner. */
function loadKeyringNow(): KeyringModule | null {
  if (typeof require !== 'function') return null
  const loaded = requireKeyring()
  keyringModule ??= Promise.resolve(loaded)
  return loaded
}

// Pin Linux to Secret Service: the default silently falls back to the kernel keyring, which other
// processes (the tray app vs. a cfwrap in a terminal) cannot read and which is lost on reboot.
const ENTRY_OPTIONS = { linux: { store: 'secret-service' as const } }

/**
 * The OS keychain (Keychain, Credential Manager, Secret Service) via @napi-rs/keyring.
 *
 * Each secret gets a service name of its own (`cfwrap/<account>`). That is what lets a read run
 * entirely off the main thread: `findCredentialsAsync(service)` connects and searches on libuv's
 * thread pool and returns exactly one item, whereas constructing an Entry blocks the main thread
 * for ~8 ms while it opens a D-Bus connection. On the start-up path of `cfwrap cmd` that overlap
 * is most of the wrapper's cost.
 */
export function createKeychainStore(service: string = KEYCHAIN_SERVICE, options: { writeOffThread?: boolean } = {}): SecretStore {
  const serviceFor = (account: string): string => `${service}/${account}`
  // Long-running processes (the daemon, the tray app) write and delete on a worker thread: the
  // reaper deleting 200 tokens would otherwise block its own event loop for over a second. Loaded
  // only there, so the wrapper's start-up path never pays for worker_threads; if the worker cannot
  // run (a packaged app that cannot load the addon in a worker), the work is done here instead.
  const worker: Promise<KeychainWorker> | null = options.writeOffThread ? import('./keychain-worker').then((loaded) => new loaded.KeychainWorker(ENTRY_OPTIONS)) : null
  const entry = async (account: string): Promise<AsyncEntryType> => {
    const { AsyncEntry } = await loadKeyring()
    try {
      return new AsyncEntry(serviceFor(account), account, ENTRY_OPTIONS)
    } catch (error) {
      throw unavailable(error)
    }
  }
  /** The worker's answer to `request` (a deletion: whether there was an item); null when there is no worker (or it is gone), and the caller does the work itself. */
  const offThread = async (request: KeychainWrite): Promise<boolean | null> => {
    if (!worker) return null
    const loaded = await worker
    try {
      return await loaded.run(request)
    } catch (error) {
      if (error instanceof Error && error.name === 'KeychainWorkerGone') return null
      throw error
    }
  }
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work()
    } catch (error) {
      if (error instanceof KeychainUnavailableError) throw error
      throw unavailable(error)
    }
  }
  return {
    get: (account) => {
      const pick = (found: { account: string; password: string }[]): string | null => {
        const secret = found.find((credential) => credential.account === account)?.password ?? null
        holdSecret(secret)
        return secret
      }
      // A search lists the matching items, then reads each one; an item deleted between the two
      // (another process revoking it) fails the read with "No such interface … Secret.Item". That
      // is a vanished item, not a locked keychain, so a failed search is tried once more, and only
      // a second failure is reported as the keychain being unavailable.
      const search = (keyring: KeyringModule): Promise<string | null> =>
        keyring
          .findCredentialsAsync(serviceFor(account))
          .catch(() => keyring.findCredentialsAsync(serviceFor(account)))
          .then(pick, (error: unknown) => Promise.reject(unavailable(error)))
      // Where require() exists (the bundled CLI), the read is put on the thread pool synchronously,
      // before this call returns: an `await` first would delay it until the caller's synchronous
      // work (loading the rest of the CLI) is done, and the point is to overlap the two.
      const keyring = loadKeyringNow()
      if (keyring) {
        try {
          return search(keyring)
        } catch (error) {
          return Promise.reject(unavailable(error))
        }
      }
      return guard(async () => search(await loadKeyring()))
    },
    set: (account, secret) => {
      holdSecret(secret)
      return guard(async () => {
        if ((await offThread({ op: 'set', service: serviceFor(account), account, secret })) !== null) return
        await (await entry(account)).setPassword(secret)
      })
    },
    delete: (account) =>
      guard(async () => {
        const answer = await offThread({ op: 'delete', service: serviceFor(account), account })
        return answer !== null ? answer : (await entry(account)).deleteCredential()
      }),
  }
}
