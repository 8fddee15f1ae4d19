// electron-builder.yml is checked here because building installers needs Electron's downloads and
// is not part of CI: the configuration is validated with electron-builder's own schema, and the
// settings the app relies on are asserted one by one.
import { readFileSync } from 'node:fs'
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
    expect(packageJson.scripts.prestart).toBe('install-electron')
    expect(packageJson.scripts.predev).toBe('install-electron')
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
