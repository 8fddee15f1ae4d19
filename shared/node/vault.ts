import { readdirSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { prettifyError } from 'zod/mini'
import { UserError } from '../common/errors'
import { secretProblem } from '../common/secret'
import { emptyState, StateSchema, TokenRecordSchema, type State, type TokenRecord } from '../common/state'
import { writeFileAtomic } from './fs-atomic'
import { createKeychainStore, type SecretStore } from './keychain'
import { configDir, keychainAccount, keychainNamespace, namespaceOf, storePaths } from './paths'
import { checkPrivateDir, ensurePrivateDir, readPrivateFile } from './private-files'
import { checkedKeychainSecret, readForRun, type RunView } from './run-state'
import { acquireLock } from './state-lock'

/**
 * The state file could not be parsed and this process had no good copy to put back; it has been moved
 * aside (never deleted) and the message says where.
 */
export class CorruptStateError extends UserError {
  override name = 'CorruptStateError'
  constructor(message: string) {
    super(message, 1, 'state')
  }
}

/** Something that happened to the state file and that a person should hear about. */
export interface StateProblem {
  /**
   * `restored`: the file was damaged and this process wrote back the last good state it held;
   * `repaired`: records that failed validation were dropped (their keychain items too), the rest kept;
   * `damaged`: a damaged copy that nobody could restore is waiting for the person (until it is moved away).
   */
  kind: 'restored' | 'repaired' | 'damaged'
  /** One plain sentence. */
  message: string
  /** Where the damaged file is now. */
  file: string
}

/** Options for {@link Vault.open}. */
export interface VaultOptions {
  /** Config directory; defaults to {@link configDir}. */
  dir?: string
  env?: NodeJS.ProcessEnv
  secrets?: SecretStore
  /** Keychain writes and deletions on a worker thread (long-running processes: the daemon and the tray app). */
  writeKeychainOffThread?: boolean
}

/** How often {@link Vault.onDidChange} checks the state file for changes made by other processes. */
const STATE_CHECK_INTERVAL_MS = 1_000

/** Prefix of the copies of a damaged state file that no process could restore (see {@link Vault.problems}). */
const DAMAGED_PREFIX = 'state.json.corrupt-'

/** What each vault directory's recoveries in this process were (per directory: several Vault objects may share one). */
const noticesByDir = new Map<string, StateProblem[]>()

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-')
}

type Parsed = { ok: true; state: State } | { ok: false; problem: string; salvaged: State | null; dropped: string[] }

/**
 * Parses the state file's text. JSON whose records are only partly valid is salvaged: the valid
 * records (and bindings, settings) are kept, the names of the dropped ones returned.
 */
function parseState(text: string): Parsed {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return { ok: false, problem: (error as Error).message, salvaged: null, dropped: [] }
  }
  const result = StateSchema.safeParse(json)
  if (result.success) return { ok: true, state: result.data }
  const problem = prettifyError(result.error).split('\n').slice(0, 3).join('; ')
  const raw = json as { tokens?: unknown }
  if (typeof json !== 'object' || json === null || !Array.isArray(raw.tokens)) return { ok: false, problem, salvaged: null, dropped: [] }
  const kept: TokenRecord[] = []
  const dropped: string[] = []
  for (const entry of raw.tokens) {
    const record = TokenRecordSchema.safeParse(entry)
    if (record.success) kept.push(record.data)
    else if (typeof (entry as { name?: unknown })?.name === 'string') dropped.push((entry as { name: string }).name)
  }
  const rest = StateSchema.safeParse({ ...(json as object), tokens: kept })
  const salvaged = rest.success ? rest.data : StateSchema.safeParse({ version: 1, tokens: kept, bindings: {} }).data ?? null
  return { ok: false, problem, salvaged, dropped }
}

/**
 * Token metadata in a JSON state file plus secrets in the OS keychain. The state file is written
 * atomically under a cross-process lock, because the tray app, the daemon and any number of
 * `cfwrap` processes share it.
 *
 * A damaged state file (truncated, hand-edited) must neither stop the reaper nor lose records: the
 * vault keeps the last good state it read or wrote, and when the file turns out damaged it moves
 * the file aside and writes that state back. Records that fail validation in otherwise good JSON
 * are dropped with their keychain items (never a secret without a record). Only a process that had
 * no good copy (a fresh CLI run) leaves the damage to the person, and every surface keeps saying so
 * until the damaged copy is moved away ({@link problems}).
 */
export class Vault {
  readonly paths: ReturnType<typeof storePaths>
  /** The last state this process read or wrote intact, as text (re-parsed only to restore it). */
  private lastGood: { text: string; hasTokens: boolean } | null = null
  private readonly problemListeners = new Set<(problem: StateProblem) => void>()
  private readonly changeListeners = new Set<() => void>()
  private changeTimer: NodeJS.Timeout | null = null
  private changeSignature = ''

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
    return new Vault(dir, options.secrets ?? createKeychainStore(undefined, { writeOffThread: options.writeKeychainOffThread }), namespace)
  }

  /** The keychain account under which the secret of token `name` is stored. */
  keychainAccount(name: string): string {
    return keychainAccount(this.namespace, name)
  }

  /** Reads and validates the state file (no lock: writers replace it atomically); a damaged file is recovered as described above. */
  async readState(): Promise<State> {
    return this.load(false)
  }

  /** What `cfwrap <command>` needs of the state (see {@link readForRun}), with this vault's full reader behind it. */
  async readForRun(pick: (bindings: State['bindings']) => string | undefined): Promise<RunView> {
    return readForRun(this.dir, pick, () => this.readState())
  }

  /**
   * What a person should hear about the state file: what this process restored or repaired, and
   * every damaged copy still waiting in the directory (until it is moved away, which resolves it).
   */
  problems(): StateProblem[] {
    let damaged: string[] = []
    try {
      damaged = readdirSync(this.dir).filter((entry) => entry.startsWith(DAMAGED_PREFIX))
    } catch {
      // No directory yet: nothing damaged.
    }
    return [
      ...(noticesByDir.get(this.dir) ?? []),
      ...damaged.map((entry) => ({
        kind: 'damaged' as const,
        file: join(this.dir, entry),
        message:
          `cfwrap's state file was damaged and no good copy was at hand; the damaged file is ${join(this.dir, entry)}. Tokens recorded only there are not ` +
          `reaped until you repair it and move it back to ${this.paths.state} (or delete it once nothing in it is needed).`,
      })),
    ]
  }

  /**
   * Calls `listener` when the state file changes, whoever wrote it (a `cfwrap --mint` in a terminal,
   * this process). One check per second (a stat) serves every listener of this vault: the reaper's
   * sweep and the app's snapshot share it. Returns an unsubscribe function.
   */
  onDidChange(listener: () => void): () => void {
    this.changeListeners.add(listener)
    if (this.changeTimer === null) {
      this.changeSignature = this.fileSignature()
      this.changeTimer = setInterval(() => {
        const signature = this.fileSignature()
        if (signature === this.changeSignature) return
        this.changeSignature = signature
        for (const each of [...this.changeListeners]) {
          try {
            each()
          } catch {
            // One listener's failure must not silence the others.
          }
        }
      }, STATE_CHECK_INTERVAL_MS)
      this.changeTimer.unref?.()
    }
    return () => {
      this.changeListeners.delete(listener)
      if (this.changeListeners.size === 0 && this.changeTimer !== null) {
        clearInterval(this.changeTimer)
        this.changeTimer = null
      }
    }
  }

  /** What changes when the state file is replaced (inode, size, mtime); `absent` when there is none. */
  private fileSignature(): string {
    try {
      const stats = statSync(this.paths.state)
      return `${stats.ino}:${stats.size}:${stats.mtimeMs}`
    } catch {
      return 'absent'
    }
  }

  /** Calls `listener` whenever this vault restores or repairs the state file; returns an unsubscribe function. */
  onProblem(listener: (problem: StateProblem) => void): () => void {
    this.problemListeners.add(listener)
    return () => this.problemListeners.delete(listener)
  }

  private async load(locked: boolean): Promise<State> {
    checkPrivateDir(this.dir)
    let text: string
    try {
      text = readPrivateFile(this.paths.state)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // Gone while this process held records: the same damage as a truncated file.
        if (this.lastGood?.hasTokens) return this.recover(locked, null, 'the file was deleted')
        return emptyState()
      }
      if (error instanceof UserError) throw error
      throw new UserError(`cfwrap cannot read its state file ${this.paths.state}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`)
    }
    const parsed = parseState(text)
    if (parsed.ok) {
      this.lastGood = { text, hasTokens: parsed.state.tokens.length > 0 }
      return parsed.state
    }
    return this.recover(locked, parsed, parsed.problem)
  }

  /** Recovers from a damaged state file under the lock (see the class comment). */
  private async recover(locked: boolean, parsed: Extract<Parsed, { ok: false }> | null, problem: string): Promise<State> {
    if (!locked) return this.withLock(() => this.load(true))
    const remembered = this.lastGood ? parseState(this.lastGood.text) : null
    const restoreFrom = remembered?.ok && !(parsed?.salvaged && parsed.salvaged.tokens.length > 0) ? remembered.state : null
    const useSalvage = restoreFrom === null && parsed?.salvaged ? parsed.salvaged : null
    if (!restoreFrom && !useSalvage) {
      if (parsed === null) return emptyState()
      const movedTo = join(this.dir, `${DAMAGED_PREFIX}${stamp()}`)
      renameSync(this.paths.state, movedTo)
      throw new CorruptStateError(
        `cfwrap's state file was damaged (${problem}) and has been moved to ${movedTo}; nothing was deleted and the secrets are still in the keychain: ` +
          `repair that file and move it back to ${this.paths.state}, or delete it and re-add your tokens.`,
      )
    }
    const movedTo = `${this.paths.state}.damaged-${stamp()}`
    if (parsed !== null) renameSync(this.paths.state, movedTo)
    const state = (useSalvage ?? restoreFrom) as State
    this.write(state)
    let notice: StateProblem
    if (useSalvage) {
      // Never a secret without a record: the dropped records' keychain items go too.
      for (const name of parsed?.dropped ?? []) await this.secrets.delete(this.keychainAccount(name)).catch(() => false)
      notice = {
        kind: 'repaired',
        file: movedTo,
        message: `cfwrap's state file had ${parsed?.dropped.length ?? 0} invalid record(s) (${problem}); they were dropped with their keychain items, the rest kept. The original is at ${movedTo}.`,
      }
    } else {
      notice = {
        kind: 'restored',
        file: parsed === null ? this.paths.state : movedTo,
        message:
          `cfwrap's state file was damaged (${problem}); the last good state this process held was written back, so nothing was lost` +
          (parsed === null ? '.' : `. The damaged file is at ${movedTo}.`),
      }
    }
    noticesByDir.set(this.dir, [...(noticesByDir.get(this.dir) ?? []), notice])
    for (const listener of this.problemListeners) {
      try {
        listener(notice)
      } catch {
        // A listener's failure must not undo the recovery.
      }
    }
    return structuredClone(state)
  }

  private write(state: State): void {
    const text = `${JSON.stringify(state, null, 2)}\n`
    writeFileAtomic(this.paths.state, text)
    this.lastGood = { text, hasTokens: state.tokens.length > 0 }
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    ensurePrivateDir(this.dir)
    const release = await acquireLock(this.paths.lock)
    try {
      return await work()
    } finally {
      release()
    }
  }

  /**
   * Reads the state under the cross-process lock, lets `mutate` change it, and writes it back
   * atomically. Returns what `mutate` returns.
   */
  async update<T>(mutate: (state: State) => T | Promise<T>): Promise<T> {
    return this.withLock(async () => {
      const state = await this.load(true)
      const result = await mutate(state)
      this.write(state)
      return result
    })
  }

  /** All token records. */
  async list(): Promise<TokenRecord[]> {
    return (await this.readState()).tokens
  }

  /** The record of token `name`, if any. */
  async find(name: string): Promise<TokenRecord | undefined> {
    return (await this.list()).find((token) => token.name === name)
  }

  /** Reads the secret of token `name` from the keychain; a missing or unusable secret is a clear error. */
  async readSecret(name: string): Promise<string> {
    return this.checkedSecret(name, await this.secrets.get(this.keychainAccount(name)))
  }

  /**
   * The keychain's answer for token `name` if it can be used as a secret: a missing item, and one
   * that something other than cfwrap left empty or filled with control bytes, are refused before
   * any command starts with it.
   */
  checkedSecret(name: string, secret: string | null): string {
    return checkedKeychainSecret(name, secret)
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
    const problem = secretProblem(secret)
    if (problem !== null) throw new UserError(`the secret for ${input.name} ${problem}.`)
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
