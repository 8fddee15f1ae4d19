// Secrets on the way in, as a careless user or a hostile tool would supply them: with a NUL byte, empty,
// huge, as an option-looking name, or written into the keychain behind cfwrap's back. The built CLI,
// the real keychain; no output may ever contain the secret or a piece of it.
import { afterEach, describe, expect, it } from 'vitest'
import { holdSecret, redact } from '../../shared/common/redact'
import { secretProblem } from '../../shared/common/secret'
import type { TokenRecord } from '../../shared/common/state'
import { KeychainWorker } from '../../shared/node/keychain-worker'
import { Vault } from '../../shared/node/vault'
import { join } from 'node:path'
import { cliEnv, fakeSecret, makeHome, runCli, type CliResult } from '../support/cli'
import { runInPrivateKeyring } from '../support/private-keyring'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function home(): string {
  const made = makeHome('cfwrap-secret-')
  cleanups.push(made.cleanup)
  return made.dir
}

/** Fails the test if any output holds the secret or any 8-character piece of it. */
function expectNoSecret(result: CliResult, secret: string): void {
  const output = `${result.stdout}${result.stderr}`
  for (let i = 0; i + 8 <= secret.length; i += 4) expect(output).not.toContain(secret.slice(i, i + 8))
}

/** A record plus a keychain item written directly, as a tool other than cfwrap could. */
async function plantKeychainItem(dir: string, name: string, secret: string): Promise<Vault> {
  const vault = Vault.open({ dir })
  const record: TokenRecord = {
    name, tokenId: null, accountId: null, expiresAt: null, template: null, fingerprint: '000000000000',
    createdAt: new Date().toISOString(), source: 'dashboard', role: 'command', temporary: false, status: 'active',
  }
  await vault.update((state) => {
    state.tokens.push(record)
  })
  await vault.secrets.set(vault.keychainAccount(name), secret)
  cleanups.push(() => void vault.secrets.delete(vault.keychainAccount(name)))
  return vault
}

describe('secrets on the way in', () => {
  it('a secret with a NUL byte is refused at --add with one sentence, and never printed', async () => {
    const dir = home()
    const secret = fakeSecret()
    const added = await runCli(['--add', 'n'], { env: cliEnv(dir), input: `${secret}\0` })
    expect(added.status).toBe(1)
    expect(added.stderr).toMatch(/^cfwrap: the secret on stdin contains a control character \(a NUL byte\) at position \d+; pass exactly the token\.\n$/)
    expectNoSecret(added, secret)
    const run = await runCli(['--token', 'n', 'true'], { env: cliEnv(dir) })
    expect(run.stderr).toMatch(/no token named n/)
  })

  it('a keychain item changed outside cfwrap (NUL byte, or empty) is refused before the command starts; nothing hangs', async () => {
    const dir = home()
    const secret = fakeSecret()
    await plantKeychainItem(dir, 'nul', `${secret}\u0000tail`)
    const nul = await runCli(['--token', 'nul', 'sh', '-c', 'echo started'], { env: cliEnv(dir) })
    expect(nul.status).toBe(1)
    expect(nul.stdout).toBe('')
    expect(nul.stderr).toMatch(/keychain item for token nul was changed outside cfwrap and contains a control character \(a NUL byte\)/)
    expectNoSecret(nul, secret)

    await plantKeychainItem(dir, 'empty', '')
    // With an empty secret and >64 KB of output the wrapper used to hang on a full pipe.
    const empty = await runCli(['--token', 'empty', 'sh', '-c', 'head -c 200000 /dev/zero'], { env: cliEnv(dir) })
    expect(empty.status).toBe(1)
    expect(empty.stdout).toBe('')
    expect(empty.stderr).toMatch(/keychain item for token empty (is missing|was changed outside cfwrap and is empty)/)
  })

  it('a 32 MB "secret" is refused as too large, not reported as a locked keychain', async () => {
    const dir = home()
    const huge = await runCli(['--add', 'big'], { env: cliEnv(dir), input: 'A'.repeat(32 * 1024 * 1024) })
    expect(huge.status).toBe(1)
    expect(huge.stderr).toMatch(/is larger than 16 KiB, which no API token is/)
    expect(huge.stderr).not.toMatch(/keychain/)
  })

  it('names that read as options are refused (exit 2)', async () => {
    const dir = home()
    for (const args of [['--add', '-x'], ['--add', '--token'], ['--token', '--oauth', 'true'], ['--bind', '-']]) {
      const result = await runCli(args, { env: cliEnv(dir), input: fakeSecret() })
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toMatch(/needs a value|starts with a letter or digit/)
    }
  })
})

describe('the redactor', () => {
  it('removes a held secret, its escaped form and its printable pieces from Node-style messages', () => {
    const secret = `${fakeSecret()}\u0000rest-of-it`
    holdSecret(secret)
    const nodeMessage = `The argument 'options.env['CLOUDFLARE_API_TOKEN']' must be a string without null bytes. Received ${JSON.stringify(secret)}`
    const shown = redact(nodeMessage)
    expect(shown).toContain('[redacted]')
    expect(shown).not.toContain(secret.slice(5, 25))
    expect(redact('cfwrap:shop:dev:workers-deploy:a-very-long-owner-name-that-is-not-secret')).toBe('cfwrap:shop:dev:workers-deploy:a-very-long-owner-name-that-is-not-secret')
  })

  it('secretProblem names each problem without quoting the value', () => {
    expect(secretProblem('')).toBe('is empty')
    expect(secretProblem('abc\u0007def')).toMatch(/control character \(U\+0007\) at position 4/)
    expect(secretProblem('abc def')).toMatch(/white space/)
    expect(secretProblem('\ud800abc')).toMatch(/not valid Unicode/)
    expect(secretProblem('x'.repeat(16 * 1024 + 1))).toMatch(/larger than 16 KiB/)
    expect(secretProblem(fakeSecret())).toBeNull()
  })
})

describe('the keychain under concurrent use', () => {
  // Both stress the Secret Service (reads racing deletions of the same items) in a keyring of their
  // own: gnome-keyring has been seen to die under such a race, and the suite's must not.
  const stress = (() => {
    let result: Record<string, unknown> | null = null
    return (): Record<string, unknown> => {
      if (result) return result
      const ran = runInPrivateKeyring('exec "$NODE" --import tsx "$SCRIPT"', { ...process.env, NODE: process.execPath, SCRIPT: join(__dirname, '..', 'support', 'keychain-stress.ts') }, 90_000)
      if (ran.status !== 0) throw new Error(`the keychain stress run failed (${ran.status}): ${ran.stderr}`)
      result = JSON.parse(ran.stdout.trim().split('\n').pop() as string) as Record<string, unknown>
      return result
    }
  })()

  it('a read racing the deletion of the same item gets the secret or nothing, never "the keychain is locked"', () => {
    // A Secret Service search lists items, then reads each; another process deleting one in between
    // used to surface as KeychainUnavailableError ("No such interface … Secret.Item") in the reader.
    const result = stress()
    expect(result.raceFailures).toEqual([])
    expect(result.raceGone).toBe(true)
  }, 120_000)

  it('with writes on a worker thread (the daemon, the tray): set, read, replace and delete agree with the keychain, and a read racing a delete is clean', () => {
    const result = stress()
    // Read back by a store that writes on the main thread: the same keychain items.
    expect(result.readBackMatches).toBe(true)
    expect(result.replacedMatches).toBe(true)
    expect(result.workerReadFailures).toEqual([])
    expect(result.deleted).toEqual(Array.from({ length: 30 }, () => true))
    expect(result.secondDelete).toBe(false)
    expect(result.workerGone).toBe(true)
  }, 120_000)

  it('a keychain worker that cannot load the addon hands every request back (the store then writes on the main thread)', async () => {
    const worker = new KeychainWorker({}, '/nonexistent/keyring.js')
    const request = { op: 'delete', service: 'cfwrap-test', account: 'nobody' } as const
    await expect(worker.run(request)).rejects.toMatchObject({ name: 'KeychainWorkerGone' })
    await expect(worker.run(request)).rejects.toMatchObject({ name: 'KeychainWorkerGone' })
  })
})
