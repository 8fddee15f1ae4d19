// Run by secret-input.test.ts in a private keyring (see private-keyring.ts): reads racing the
// deletion of the same items, through a store that writes on the main thread and one that writes
// on a worker thread. Prints what happened as one JSON line; never a secret.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Vault } from '../../shared/node/vault'
import { fakeSecret } from './cli'

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-stress-'))
  // Main thread: 40 items, each read while it is deleted.
  const vault = Vault.open({ dir })
  const accounts = Array.from({ length: 40 }, (_, index) => vault.keychainAccount(`race-${index}`))
  for (const account of accounts) await vault.secrets.set(account, fakeSecret())
  const raced = await Promise.all(accounts.map(async (account) => (await Promise.all([vault.secrets.get(account).catch(errorText), vault.secrets.delete(account)]))[0]))
  const raceFailures = raced.filter((read): read is string => typeof read === 'string' && !read.startsWith('cfut_'))
  const raceGone = (await Promise.all(accounts.map((account) => vault.secrets.get(account)))).every((value) => value === null)

  // Worker thread: set, read back by a main-thread store, replace, then race reads against deletes.
  const writer = Vault.open({ dir, writeKeychainOffThread: true })
  const workerAccounts = Array.from({ length: 30 }, (_, index) => writer.keychainAccount(`worker-${index}`))
  const secrets = workerAccounts.map(() => fakeSecret())
  await Promise.all(workerAccounts.map((account, index) => writer.secrets.set(account, secrets[index] as string)))
  const readBack = await Promise.all(workerAccounts.map((account) => vault.secrets.get(account)))
  const replaced = fakeSecret()
  await writer.secrets.set(workerAccounts[0] as string, replaced)
  const replacedReadBack = await vault.secrets.get(workerAccounts[0] as string)
  const outcomes = await Promise.all(workerAccounts.map(async (account) => Promise.all([vault.secrets.get(account).catch(errorText), writer.secrets.delete(account)])))
  const secondDelete = await writer.secrets.delete(workerAccounts[0] as string)
  const workerGone = (await Promise.all(workerAccounts.map((account) => vault.secrets.get(account)))).every((value) => value === null)
  console.log(
    JSON.stringify({
      raceFailures,
      raceGone,
      readBackMatches: readBack.every((value, index) => value === secrets[index]),
      replacedMatches: replacedReadBack === replaced,
      workerReadFailures: outcomes.map(([read]) => read).filter((read): read is string => typeof read === 'string' && !read.startsWith('cfut_')),
      deleted: outcomes.map(([, deleted]) => deleted),
      secondDelete,
      workerGone,
    }),
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(errorText(error))
    process.exit(1)
  },
)
