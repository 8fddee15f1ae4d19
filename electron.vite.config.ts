import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build, type Plugin } from 'vite'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import pkg from './package.json'

/**
 * Builds the `cfwrap` CLI (plain Node) during `electron-vite build`, as a bundle of its own next to
 * the main process (out/main/cfwrap.js). Its own build, not a second input of the main build: two
 * inputs share chunks, and the CLI's start-up path would then load five files instead of two.
 * Only its lazily imported modes become separate chunks (out/main/cli/), loaded when chosen.
 */
function cfwrapCli(): Plugin {
  return {
    name: 'cfwrap-cli',
    apply: 'build',
    async closeBundle() {
      await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          ssr: resolve(__dirname, 'electron/cli/cfwrap.ts'),
          outDir: resolve(__dirname, 'out/main'),
          emptyOutDir: false,
          target: 'node20',
          minify: process.env.CFWRAP_NO_MINIFY !== '1',
          sourcemap: false,
          rollupOptions: {
            output: { format: 'cjs', entryFileNames: 'cfwrap.js', chunkFileNames: 'cli/[name]-[hash].js' },
          },
        },
        // Runtime dependencies stay external (the native keychain module must); everything else
        // (zod, @noble/hashes) is bundled so start-up reads one file instead of a package tree.
        ssr: { external: Object.keys(pkg.dependencies), noExternal: true },
      })
      // The scan worker (shared/node/scan-pool.ts starts it for large trees): a bundle of its own,
      // so that starting it loads one file and nothing of the CLI's start-up path changes.
      await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          ssr: resolve(__dirname, 'shared/node/scan-worker.ts'),
          outDir: resolve(__dirname, 'out/main'),
          emptyOutDir: false,
          target: 'node20',
          minify: process.env.CFWRAP_NO_MINIFY !== '1',
          sourcemap: false,
          rollupOptions: { output: { format: 'cjs', entryFileNames: 'scan-worker.js', codeSplitting: false } },
        },
        ssr: { external: Object.keys(pkg.dependencies), noExternal: true },
      })
      // The file `npm link` (and the bin entry of an install) points at: without the execute bit every
      // rebuild would break the linked `cfwrap` command with "Permission denied".
      chmodSync(resolve(__dirname, 'out/main/cfwrap.js'), 0o755)
      writeCodeCaches()
    },
  }
}

/**
 * Writes the V8 code caches of the CLI's chunks (electron/cli/code-cache.ts) with training runs
 * of the wrapper's own paths in a throwaway home: `--oauth true` and `--token NAME true` for a
 * token that does not exist (the state read and its schemas; no keychain item is needed). The
 * caches suit the Node that built them; any other (Electron's own Node) rejects them and compiles.
 */
function writeCodeCaches(): void {
  const home = mkdtempSync(join(tmpdir(), 'cfwrap-code-cache-'))
  try {
    const env = { ...process.env, CFWRAP_HOME: home, CFWRAP_WRITE_CODE_CACHE: '1', NO_COLOR: '1' }
    for (const args of [['--oauth', 'true'], ['--token', 'code-cache-training', 'true']]) {
      spawnSync(process.execPath, [resolve(__dirname, 'out/main/cfwrap.js'), ...args], { env, stdio: 'ignore', timeout: 30_000 })
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

export default defineConfig({
  main: {
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'electron/main/index.ts') } },
      minify: true,
      sourcemap: false,
    },
    plugins: [cfwrapCli()],
  },
  preload: {
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
    plugins: [react()],
  },
})
