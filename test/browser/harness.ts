/**
 * The real core for the browser tests: its own cfwrap home in a temp dir, the fake Cloudflare API
 * over real HTTP, the real keychain (the tests run under scripts/with-keyring.mjs), and a temp
 * folder the tests can watch for leaks.
 */
import { serveRequest } from '../../shared/node/ipc-adapter'
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Core } from '../../shared/node/core-api'
import { createCore } from '../../shared/node/core'
import { startFakeCloudflare, type FakeCloudflare } from '../support/fake-cloudflare'

/** A running core over the fake API, and everything it uses. */
export interface CoreHarness {
  core: Core
  fake: FakeCloudflare
  /** cfwrap's home (state.json, audit.jsonl). */
  home: string
  /** A project folder for leak-watching tests (not watched until a test adds it). */
  project: string
  /** The secret of the minting credential the fake knows; set up only when asked for. */
  mintingSecret: string
  close(): Promise<void>
}

/**
 * Starts the fake API and the real core. With `setupMinting`, the minting credential is stored
 * through the core's own `setupMinting` command (the settings test does it through the window).
 */
export async function startCoreHarness(options: { setupMinting?: boolean } = {}): Promise<CoreHarness> {
  const fake = await startFakeCloudflare()
  // realpath: the watcher reports real paths, and /tmp may be a symlink.
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'cfwrap-browser-')))
  const home = join(base, 'home')
  const userHome = join(base, 'user')
  const project = join(base, 'project')
  for (const dir of [home, userHome, project]) mkdirSync(dir, { recursive: true })
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CFWRAP_HOME: home,
    // Shell profiles are read from HOME: an empty one, so the developer's own files never show up.
    HOME: userHome,
    CLOUDFLARE_API_BASE_URL: fake.url,
  }
  for (const key of ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL', 'CF_API_KEY', 'CF_EMAIL']) delete env[key]
  const minting = fake.seedToken({ name: 'cfwrap minting (test)', permissions: [{ name: 'API Tokens Write' }] })
  const core = await createCore({ env })
  await core.start()
  if (options.setupMinting) {
    const result = await serveRequest(core, 'setupMinting', { secret: minting.value })
    if (!result.ok) throw new Error(`setupMinting failed: ${result.error}`)
  }
  return {
    core,
    fake,
    home,
    project,
    mintingSecret: minting.value,
    close: async () => {
      await core.stop()
      await fake.close()
      rmSync(base, { recursive: true, force: true })
    },
  }
}
