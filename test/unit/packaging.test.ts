// electron-builder.yml is checked here because building installers needs Electron's downloads and
// is not part of CI: the configuration is validated with electron-builder's own schema, and the
// settings the app relies on are asserted one by one.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { APP_ID } from '../../electron/main/app-identity'

const ROOT = resolve(__dirname, '..', '..')
const requireHere = createRequire(join(ROOT, 'package.json'))

interface BuilderConfig {
  appId: string
  productName: string
  files: string[]
  asarUnpack: string[]
  electronFuses: Record<string, boolean>
  linux: { target: string[]; executableName: string }
  mac: { target: string }
  win: { target: string }
}

function loadConfig(): BuilderConfig {
  const yaml = requireHere('js-yaml') as { load(text: string): unknown }
  return yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig
}

async function validate(config: unknown): Promise<void> {
  const { validateConfiguration } = requireHere('app-builder-lib/out/util/config/config.js') as {
    validateConfiguration(config: unknown, logger: unknown): Promise<void>
  }
  const { DebugLogger } = requireHere('builder-util/out/DebugLogger.js') as { DebugLogger: new (enabled: boolean) => unknown }
  await validateConfiguration(config, new DebugLogger(false))
}

describe('electron-builder.yml', () => {
  it("matches electron-builder's schema (and the check would catch a typo)", async () => {
    await expect(validate(loadConfig())).resolves.toBeUndefined()
    const typo = loadConfig() as unknown as { linux: Record<string, unknown> }
    typo.linux.targets = ['AppImage']
    await expect(validate(typo)).rejects.toThrow(/Invalid configuration object/)
  })

  it('builds AppImage and deb, dmg, and NSIS installers of the app named cfwrap', () => {
    const config = loadConfig()
    expect(config.appId).toBe(APP_ID)
    expect(config.productName).toBe('cfwrap')
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.linux.executableName).toBe('cfwrap')
    expect(config.mac.target).toBe('dmg')
    expect(config.win.target).toBe('nsis')
  })

  it('fetches Electron before starting it: npm ci does not (Electron 45 downloads lazily) and electron-vite will not', () => {
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    const electron = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts?: Record<string, string> }
    // No install script: `npm ci` never touches the network for Electron's binary.
    expect(electron.scripts?.postinstall).toBeUndefined()
    expect(electron.bin['install-electron']).toBeDefined()
    expect(packageJson.scripts.prestart).toBe('node scripts/install-electron.mjs')
    expect(packageJson.scripts.predev).toBe('node scripts/install-electron.mjs')
  })

  it('offline, npm start says what could not be downloaded, from where, how to point it elsewhere, and that cfwrap works without it', () => {
    const cache = mkdtempSync(join(tmpdir(), 'cfwrap-electron-cache-'))
    try {
      const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'install-electron.mjs')], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: cache },
      })
      expect(run.status).toBe(1)
      expect(run.stderr).toMatch(/^cfwrap: could not download Electron [\d.]+'s binary from http:\/\/127\.0\.0\.1:9\/ \(the download server could not be reached\)/)
      expect(run.stderr).toMatch(/ELECTRON_MIRROR/)
      expect(run.stderr).toMatch(/The `cfwrap` command does not need Electron/)
      expect(run.stderr).not.toMatch(/TypeError| {4}at /)
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  })

  it('ships the built app with the CLI and unpacks the native keychain module', () => {
    const config = loadConfig()
    expect(config.files).toContain('out/**')
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; bin: Record<string, string> }
    expect(packageJson.main.startsWith('out/')).toBe(true)
    expect(packageJson.bin.cfwrap).toBe('out/main/cfwrap.js')
    expect(config.asarUnpack).toContain('**/node_modules/@napi-rs/**')
  })

  it('flips the hardening fuses, keeping RunAsNode for the installed cfwrap command', () => {
    expect(loadConfig().electronFuses).toMatchObject({
      runAsNode: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })
})

describe('the built cfwrap command', () => {
  it('is executable after every build (npm link points at it)', () => {
    // `npm test` builds before Vitest runs; the bin entry names this file.
    const bin = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.cfwrap as string
    expect(statSync(join(ROOT, bin)).mode & 0o111).toBe(0o111)
    expect(readFileSync(join(ROOT, bin), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true)
  })
})
