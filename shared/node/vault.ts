import { readFileSync, renameSync } from 'node:fs'
import { prettifyError } from 'zod/mini'
import { UserError } from '../common/errors'
import { emptyState, StateSchema, type State, type TokenRecord } from '../common/state'
import { ensurePrivateDir, writeFileAtomic } from './fs-atomic'
import { lazyLoad } from './lazy-load'
import { createKeychainStore, type SecretStore } from './keychain'
import { configDir, keychainAccount, keychainNamespace, namespaceOf, storePaths } from './paths'

/** The state file could not be parsed; it has been moved aside (never deleted) and the message says where. */
export class CorruptStateError extends UserError {
  override name = 'CorruptStateError'
  constructor(
    message: string,
    readonly movedTo: string | null,
  ) {
    super(message, 1)
  }
}

/** Options for {@link Vault.open}. */
export interface VaultOptions {
  /** Config directory; defaults to {@link configDir}. */
  dir?: string
  env?: NodeJS.ProcessEnv
  secrets?: SecretStore
}

/**
 * Token metadata in a JSON state file plus secrets in the OS keychain. The state file is written
 * atomically under a cross-process lock, because the tray app, the daemon and any number of
 * `cfwrap` processes share it.
 */
export class Vault {
  readonly paths: ReturnType<typeof storePaths>

  private constructor(
    readonly dir: string,
    readonly secrets: SecretStore,
    /** Prefix of every keychain account this vault owns, so separate homes never collide. */
    readonly namespace: string,
  ) {
    this.paths = storePaths(dir)
  }

  /** Opens the vault of `$CFWRAP_HOME` or the platform config directory. */
  static open(options: VaultOptions = {}): Vault {
    const env = options.env ?? process.env
    const dir = options.dir ?? configDir(env)
    const namespace = options.dir === undefined ? keychainNamespace(env) : namespaceOf(dir)
    return new Vault(dir, options.secrets ?? createKeychainStore(), namespace)
  }

  /** The keychain account under which the secret of token `name` is stored. */
  keychainAccount(name: string): string {
    return keychainAccount(this.namespace, name)
  }

  /** Reads and validates the state file (no lock: writers replace it atomically). */
  async readState(): Promise<State> {
    let text: string
    try {
      text = readFileSync(this.paths.state, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
      throw new UserError(`cfwrap cannot read its state file ${this.paths.state}: ${(error as Error).message}.`)
    }
    let parsed: unknown
    let problem: string
    try {
      parsed = JSON.parse(text)
      const result = StateSchema.safeParse(parsed)
      if (result.success) return result.data
      problem = prettifyError(result.error).split('\n').slice(0, 3).join('; ')
    } catch (error) {
      problem = (error as Error).message
    }
    throw this.moveCorruptStateAside(problem)
  }

  private moveCorruptStateAside(problem: string): CorruptStateError {
    const movedTo = `${this.paths.state}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
    try {
      renameSync(this.paths.state, movedTo)
    } catch {
      // Another process moved it first; report without a path rather than lose the error.
      return new CorruptStateError(
        `cfwrap's state file ${this.paths.state} is corrupt (${problem}); it was moved aside by another cfwrap process. Secrets are still in the keychain.`,
        null,
      )
    }
    return new CorruptStateError(
      `cfwrap's state file was corrupt (${problem}) and has been moved to ${movedTo}; nothing was deleted and the secrets are still in the keychain: repair that file and move it back to ${this.paths.state}, or re-add your tokens.`,
      movedTo,
    )
  }

  /**
   * Reads the state under the cross-process lock, lets `mutate` change it, and writes it back
   * atomically. Returns what `mutate` returns.
   */
  async update<T>(mutate: (state: State) => T | Promise<T>): Promise<T> {
    ensurePrivateDir(this.dir)
    // Lazy: only writers pay for the lock library.
    const { lock } = await lazyLoad<typeof import('proper-lockfile')>('proper-lockfile', () => import('proper-lockfile'))
    const release = await lock(this.paths.state, {
      lockfilePath: this.paths.lock,
      realpath: false,
      stale: 10_000,
      retries: { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
    })
    try {
      const state = await this.readState()
      const result = await mutate(state)
      writeFileAtomic(this.paths.state, `${JSON.stringify(state, null, 2)}\n`)
      return result
    } finally {
      await release()
    }
  }

  /** All token records. */
  async list(): Promise<TokenRecord[]> {
    return (await this.readState()).tokens
  }

  /** The record of token `name`, if any. */
  async find(name: string): Promise<TokenRecord | undefined> {
    return (await this.list()).find((token) => token.name === name)
  }

  /** Reads the secret of token `name` from the keychain; a missing secret is a clear error. */
  async readSecret(name: string): Promise<string> {
    const secret = await this.secrets.get(this.keychainAccount(name))
    if (secret === null) {
      throw new UserError(
        `The keychain has no secret for token ${name}; remove it with \`cfwrap --remove ${name}\` and add or mint it again.`,
      )
    }
    return secret
  }

  /**
   * Stores a token made elsewhere (for example in the dashboard). Journaled so a crash at any
   * point leaves nothing unaccounted for: a `pending` record first, then the keychain item, then
   * the record becomes `active`. A `pending` record found later points at what to clean up.
   */
  async addToken(
    input: Omit<TokenRecord, 'fingerprint' | 'createdAt' | 'status'> & { createdAt?: string },
    secret: string,
  ): Promise<TokenRecord> {
    // Lazy: SHA-256 is needed only when a secret is stored, never on the path that runs a command.
    const { fingerprint } = await import('../common/fingerprint')
    const record: TokenRecord = {
      ...input,
      fingerprint: fingerprint(secret),
      createdAt: input.createdAt ?? new Date().toISOString(),
      status: 'pending',
    }
    await this.update((state) => {
      if (state.tokens.some((token) => token.name === record.name)) {
        throw new UserError(`a token named ${record.name} already exists; remove it first with \`cfwrap --remove ${record.name}\`.`)
      }
      state.tokens.push(record)
    })
    try {
      await this.secrets.set(this.keychainAccount(record.name), secret)
    } catch (error) {
      await this.update((state) => dropRecord(state, record.name))
      throw error
    }
    await this.patch(record.name, { status: 'active' })
    return { ...record, status: 'active' }
  }

  /**
   * Forgets token `name` locally: the keychain item first, then the record and its bindings, so a
   * crash in between leaves a record without a secret (reported, and removable again) rather than
   * a secret nobody knows about. With `tokenId`, only the record of that token; with `onlyIf`, only
   * a record that passes it. Safe to repeat; false when there was nothing to forget.
   */
  async forget(name: string, options: { tokenId?: string | null; onlyIf?: (record: TokenRecord) => boolean } = {}): Promise<boolean> {
    const matches = (record: TokenRecord): boolean =>
      record.name === name && (options.tokenId === undefined || record.tokenId === options.tokenId) && (options.onlyIf?.(record) ?? true)
    // Even without a record the secret may be there (a crash after the record went): delete it first.
    await this.secrets.delete(this.keychainAccount(name))
    return this.update((state) => {
      const record = state.tokens.find(matches)
      return record ? dropRecord(state, name, record.tokenId) : false
    })
  }

  /** Changes fields of record `name` (only if it still has `tokenId`, when given); false when there is no such record. */
  async patch(name: string, patch: Partial<TokenRecord>, tokenId?: string | null): Promise<boolean> {
    return this.update((state) => {
      const record = state.tokens.find((token) => token.name === name && (tokenId === undefined || token.tokenId === tokenId))
      if (!record) return false
      Object.assign(record, patch)
      return true
    })
  }

  /** {@link forget} for a command: the record it forgot, or a clear error when there is none. */
  async removeLocal(name: string): Promise<TokenRecord> {
    const record = await this.find(name)
    if (!record) throw new UserError(`no token named ${name}; \`cfwrap --list\` shows the tokens you have.`)
    await this.forget(name)
    return record
  }
}

/** Removes the record `name` (only if it still has `tokenId`, when given) and its directory bindings, inside an {@link Vault.update}. Returns whether it was there. */
export function dropRecord(state: State, name: string, tokenId?: string | null): boolean {
  const before = state.tokens.length
  state.tokens = state.tokens.filter((token) => token.name !== name || (tokenId !== undefined && token.tokenId !== tokenId))
  if (state.tokens.length === before) return false
  for (const [dir, bound] of Object.entries(state.bindings)) if (bound === name) delete state.bindings[dir]
  return true
}
