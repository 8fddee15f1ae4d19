/**
 * Crash-test helper, run with tsx as a real process: mints a token (or reaps) and SIGKILLs itself
 * at the named step, the way a power cut or `kill -9` would stop cfwrap. The production code only
 * exposes step hooks; the killing lives here.
 *
 *   tsx mint-crash-helper.ts mint <intent-recorded|created|secret-stored|activated> <accountId> <env>
 *   tsx mint-crash-helper.ts reap <marked-deleting|deleted-on-cloudflare|secret-deleted|record-removed> <tokenName>
 *
 * Reads CFWRAP_HOME and CLOUDFLARE_API_BASE_URL like the CLI. Exits 3 if the step was never reached.
 */
import { auditSubscriber } from '../../shared/node/audit-events'
import { mintToken, planMint } from '../../shared/node/mint'
import { mintingApiProvider, openMintingClient } from '../../shared/node/minting-credential'
import { Reaper } from '../../shared/node/reaper'
import { Vault } from '../../shared/node/vault'

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  // SIGKILL cannot be caught; this only satisfies the type checker.
  throw new Error('unreachable')
}

async function main(): Promise<void> {
  const [mode, target, ...rest] = process.argv.slice(2)
  const vault = Vault.open()
  if (mode === 'mint') {
    const [accountId, env] = rest
    const api = await openMintingClient(vault)
    await mintToken({
      vault,
      api,
      plan: planMint({ template: 'workers-deploy', project: 'crash', env: env ?? 'dev', owner: 'crash', ttlSeconds: 900, accountId }, { namePrefix: 'cfwrap', defaultOwner: 'crash' }),
      onStep: (step) => {
        if (step === target) die()
      },
    })
  } else if (mode === 'reap') {
    const [name] = rest
    const reaper = new Reaper({
      vault,
      api: mintingApiProvider(vault),
      // As in the daemon: the audit log hears the reaper's events.
      onEvent: auditSubscriber(vault.paths.audit),
      onStep: (step, tokenName) => {
        if (step === target && tokenName === name) die()
      },
    })
    await reaper.reapOnce()
  } else {
    process.stderr.write('usage: mint-crash-helper.ts mint|reap STEP ...\n')
    process.exit(2)
  }
  process.stderr.write(`step ${target} was never reached\n`)
  process.exit(3)
}

main().catch((error: unknown) => {
  process.stderr.write(`crash helper failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
