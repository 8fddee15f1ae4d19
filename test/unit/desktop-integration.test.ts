// Start at login (XDG autostart entry) and "Install cfwrap command in PATH": the file texts and the
// folder choices, plus the installer against a real temporary folder.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HIDDEN_ARG, desktopExecArgument, linuxAutostartDesktopFile, linuxAutostartPath, linuxLoginItem, type AutostartFiles } from '../../electron/main/autostart'
import {
  SHIM_MARKER,
  chooseInstallTarget,
  installCfwrapCommand,
  isOnPath,
  nodeInstallFiles,
  posixShimScript,
  shellQuote,
  windowsShimScript,
  type InstallFiles,
} from '../../electron/main/install-command'

describe('XDG autostart entry', () => {
  it('lives in $XDG_CONFIG_HOME/autostart, or ~/.config/autostart when that is unset or relative', () => {
    expect(linuxAutostartPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/jane')).toBe('/xdg/autostart/cfwrap.desktop')
    expect(linuxAutostartPath({}, '/home/jane')).toBe('/home/jane/.config/autostart/cfwrap.desktop')
    expect(linuxAutostartPath({ XDG_CONFIG_HOME: 'relative/dir' }, '/home/jane')).toBe('/home/jane/.config/autostart/cfwrap.desktop')
  })

  it('starts the app hidden in the tray', () => {
    expect(linuxAutostartDesktopFile({ executable: '/opt/cfwrap/cfwrap', args: [] })).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.0',
        'Name=cfwrap',
        'Comment=Time-boxed Cloudflare API tokens from the tray',
        'Exec=/opt/cfwrap/cfwrap --hidden',
        'Terminal=false',
        'NoDisplay=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    )
  })

  it('starts the AppImage file and, unpackaged, passes the app folder to Electron', () => {
    const text = linuxAutostartDesktopFile({ executable: '/home/jane/Apps/cfwrap-0.1.0.AppImage', args: [] })
    expect(text).toContain('Exec=/home/jane/Apps/cfwrap-0.1.0.AppImage --hidden\n')
    const dev = linuxAutostartDesktopFile({ executable: '/src/cfwrap/node_modules/electron/dist/electron', args: ['/src/cfwrap'] })
    expect(dev).toContain('Exec=/src/cfwrap/node_modules/electron/dist/electron /src/cfwrap --hidden\n')
  })

  it('quotes Exec arguments the way the Desktop Entry spec asks', () => {
    expect(desktopExecArgument('/opt/My Apps/cfwrap')).toBe('"/opt/My Apps/cfwrap"')
    // Inside quotes ` $ " \ get a backslash, then the value's string escaping doubles each backslash.
    expect(desktopExecArgument('/opt/a$b`c"d\\e')).toBe('"/opt/a\\\\$b\\\\`c\\\\"d\\\\\\\\e"')
    expect(desktopExecArgument('/opt/100%/cfwrap')).toBe('/opt/100%%/cfwrap')
    expect(desktopExecArgument(HIDDEN_ARG)).toBe('--hidden')
  })

  it('is enabled while the file exists and the session has not switched it off', () => {
    const store = new Map<string, string>()
    const files: AutostartFiles = {
      read: (path) => store.get(path) ?? null,
      write: (path, text) => void store.set(path, text),
      remove: (path) => void store.delete(path),
    }
    const item = linuxLoginItem('/xdg/autostart/cfwrap.desktop', { executable: '/opt/cfwrap/cfwrap', args: [] }, files)
    expect(item.isEnabled()).toBe(false)
    item.setEnabled(true)
    expect(store.get('/xdg/autostart/cfwrap.desktop')).toContain('Exec=/opt/cfwrap/cfwrap --hidden')
    expect(item.isEnabled()).toBe(true)
    store.set('/xdg/autostart/cfwrap.desktop', `${store.get('/xdg/autostart/cfwrap.desktop')}Hidden=true\n`)
    expect(item.isEnabled()).toBe(false)
    item.setEnabled(false)
    expect(store.size).toBe(0)
  })

  it('writes a private file, atomically, on the real file system', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfwrap-autostart-'))
    try {
      const path = linuxAutostartPath({ XDG_CONFIG_HOME: dir }, '/nonexistent')
      const item = linuxLoginItem(path, { executable: '/opt/cfwrap/cfwrap', args: [] })
      item.setEnabled(true)
      expect(readFileSync(path, 'utf8')).toContain('[Desktop Entry]')
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(item.isEnabled()).toBe(true)
      item.setEnabled(false)
      expect(item.isEnabled()).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('cfwrap shim scripts', () => {
  const location = {
    executable: '/Applications/cfwrap.app/Contents/MacOS/cfwrap',
    cliPath: '/Applications/cfwrap.app/Contents/Resources/app.asar/out/main/cfwrap.js',
  }

  it('runs the bundled CLI with the app in Node mode, passing every argument through', () => {
    const script = posixShimScript(location)
    expect(script.startsWith('#!/bin/sh\n')).toBe(true)
    expect(script).toContain(SHIM_MARKER)
    expect(script).toContain("app='/Applications/cfwrap.app/Contents/MacOS/cfwrap'\n")
    expect(script).toContain(`ELECTRON_RUN_AS_NODE=1 exec "$app" '/Applications/cfwrap.app/Contents/Resources/app.asar/out/main/cfwrap.js' "$@"\n`)
  })

  it('starts an AppImage and finds the CLI beside its executable at run time', () => {
    const script = posixShimScript({ ...location, appImage: '/home/jane/Apps/cfwrap.AppImage' })
    expect(script).toContain("app='/home/jane/Apps/cfwrap.AppImage'\n")
    expect(script).toMatch(/ELECTRON_RUN_AS_NODE=1 exec "\$app" -e '[^']*process\.argv\.splice\(1,0,cli\)[^']*' -- "\$@"\n/)
    expect(script).not.toContain('app.asar/out/main/cfwrap.js')
  })

  it('quotes paths for the shell', () => {
    expect(shellQuote("/Users/o'neil/cfwrap")).toBe(`'/Users/o'\\''neil/cfwrap'`)
    const script = posixShimScript({ executable: "/opt/it's here/cfwrap", cliPath: '/opt/$HOME/`x`/cfwrap.js' })
    expect(script).toContain(`app='/opt/it'\\''s here/cfwrap'`)
    expect(script).toContain(`'/opt/$HOME/\`x\`/cfwrap.js'`)
  })

  it('really runs: arguments with spaces and quotes reach the CLI unchanged, and its exit status comes back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfwrap-shim-'))
    try {
      // Stand-ins: an "app" that is node (ignoring ELECTRON_RUN_AS_NODE) and a CLI that prints its argv.
      const app = join(dir, 'fake app')
      writeFileSync(app, `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 99\nexec "${process.execPath}" "$@"\n`)
      chmodSync(app, 0o755)
      const cli = join(dir, "it's cfwrap.js")
      writeFileSync(cli, 'console.log(JSON.stringify(process.argv.slice(2))); process.exitCode = 0')
      const shim = join(dir, 'cfwrap')
      writeFileSync(shim, posixShimScript({ executable: app, cliPath: cli }))
      chmodSync(shim, 0o755)
      const args = ['--token', 'a b', "it's", '$HOME', '--', '-e']
      expect(JSON.parse(execFileSync(shim, args, { encoding: 'utf8' }))).toEqual(args)
      rmSync(app)
      let status = 0
      let stderr = ''
      try {
        execFileSync(shim, [], { encoding: 'utf8', stdio: 'pipe' })
      } catch (error) {
        status = (error as { status: number }).status
        stderr = String((error as { stderr: string }).stderr)
      }
      expect(status).toBe(1)
      expect(stderr).toContain('Install cfwrap command in PATH')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('writes a Windows .cmd shim with CRLF line ends and doubled percent signs', () => {
    const script = windowsShimScript({
      executable: 'C:\\Users\\jane\\AppData\\Local\\Programs\\cfwrap\\cfwrap.exe',
      cliPath: 'C:\\Users\\jane\\100%\\resources\\app.asar\\out\\main\\cfwrap.js',
    })
    expect(script.split('\r\n')).toEqual([
      '@echo off',
      `rem ${SHIM_MARKER}`,
      'rem Runs the cfwrap command bundled in the app with the app itself in Node mode.',
      'setlocal',
      'set ELECTRON_RUN_AS_NODE=1',
      '"C:\\Users\\jane\\AppData\\Local\\Programs\\cfwrap\\cfwrap.exe" "C:\\Users\\jane\\100%%\\resources\\app.asar\\out\\main\\cfwrap.js" %*',
      'exit /b %ERRORLEVEL%',
      '',
    ])
  })
})

describe('where the command is installed', () => {
  it('prefers /usr/local/bin when writable, else ~/.local/bin, and says whether that is on PATH', () => {
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin' }
    expect(chooseInstallTarget({ platform: 'darwin', env, home: '/Users/jane', isWritableDir: (dir) => dir === '/usr/local/bin' })).toEqual({
      dir: '/usr/local/bin',
      file: '/usr/local/bin/cfwrap',
      onPath: true,
    })
    expect(chooseInstallTarget({ platform: 'linux', env, home: '/home/jane', isWritableDir: () => false })).toEqual({
      dir: '/home/jane/.local/bin',
      file: '/home/jane/.local/bin/cfwrap',
      onPath: false,
    })
    expect(chooseInstallTarget({ platform: 'linux', env: { PATH: '/home/jane/.local/bin/:/usr/bin' }, home: '/home/jane', isWritableDir: () => false }).onPath).toBe(true)
  })

  it('uses WindowsApps on Windows when it is on the user Path, else a cfwrap folder', () => {
    const env = { LOCALAPPDATA: 'C:\\Users\\jane\\AppData\\Local', Path: 'C:\\Windows;c:\\users\\jane\\appdata\\local\\microsoft\\windowsapps\\' }
    expect(chooseInstallTarget({ platform: 'win32', env, home: 'C:\\Users\\jane', isWritableDir: () => true })).toEqual({
      dir: 'C:\\Users\\jane\\AppData\\Local\\Microsoft\\WindowsApps',
      file: 'C:\\Users\\jane\\AppData\\Local\\Microsoft\\WindowsApps\\cfwrap.cmd',
      onPath: true,
    })
    expect(chooseInstallTarget({ platform: 'win32', env: { ...env, Path: 'C:\\Windows' }, home: 'C:\\Users\\jane', isWritableDir: () => true })).toEqual({
      dir: 'C:\\Users\\jane\\AppData\\Local\\cfwrap\\bin',
      file: 'C:\\Users\\jane\\AppData\\Local\\cfwrap\\bin\\cfwrap.cmd',
      onPath: false,
    })
  })

  it('compares PATH entries exactly on POSIX', () => {
    expect(isOnPath('/usr/local/bin', 'linux', { PATH: '/usr/local/bin2:/usr/local' })).toBe(false)
    expect(isOnPath('/usr/local/bin', 'linux', { PATH: '/USR/LOCAL/BIN' })).toBe(false)
    expect(isOnPath('/usr/local/bin', 'linux', {})).toBe(false)
  })
})

describe('installCfwrapCommand', () => {
  let home: string
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cfwrap-install-'))
  })
  afterEach(() => rmSync(home, { recursive: true, force: true }))

  /** The real file system, except that /usr/local/bin counts as not writable. */
  const userOnly: InstallFiles = { ...nodeInstallFiles, isWritableDir: (dir) => dir !== '/usr/local/bin' && nodeInstallFiles.isWritableDir(dir) }
  const location = { executable: '/opt/cfwrap/cfwrap', cliPath: '/opt/cfwrap/resources/app.asar/out/main/cfwrap.js' }

  it('writes an executable script into ~/.local/bin, and explains how to put it on PATH', () => {
    const outcome = installCfwrapCommand('linux', location, { PATH: '/usr/bin' }, home, userOnly)
    const file = join(home, '.local', 'bin', 'cfwrap')
    expect(outcome).toMatchObject({ ok: true, file, message: `Installed the cfwrap command as ${file}.` })
    expect(outcome.detail).toContain(`export PATH="${join(home, '.local', 'bin')}:$PATH"`)
    expect(readFileSync(file, 'utf8')).toBe(posixShimScript(location))
    expect(statSync(file).mode & 0o777).toBe(0o755)
  })

  it('replaces its own earlier script but never someone else’s cfwrap', () => {
    const bin = join(home, '.local', 'bin')
    expect(installCfwrapCommand('linux', location, { PATH: bin }, home, userOnly)).toMatchObject({ ok: true, detail: 'Open a new terminal and run `cfwrap --help`.' })
    expect(installCfwrapCommand('linux', { ...location, executable: '/opt/new/cfwrap' }, { PATH: bin }, home, userOnly).ok).toBe(true)
    expect(readFileSync(join(bin, 'cfwrap'), 'utf8')).toContain('/opt/new/cfwrap')

    writeFileSync(join(bin, 'cfwrap'), '#!/bin/sh\necho mine\n')
    const refused = installCfwrapCommand('linux', location, { PATH: bin }, home, userOnly)
    expect(refused).toMatchObject({ ok: false, message: `A different cfwrap command is already at ${join(bin, 'cfwrap')}.` })
    expect(readFileSync(join(bin, 'cfwrap'), 'utf8')).toBe('#!/bin/sh\necho mine\n')
  })

  it('never writes through a symlink (npm link)', () => {
    const bin = join(home, '.local', 'bin')
    mkdirSync(bin, { recursive: true })
    const target = join(home, 'linked.js')
    writeFileSync(target, `// ${SHIM_MARKER}`)
    symlinkSync(target, join(bin, 'cfwrap'))
    expect(installCfwrapCommand('linux', location, { PATH: bin }, home, userOnly).ok).toBe(false)
    expect(readFileSync(target, 'utf8')).toBe(`// ${SHIM_MARKER}`)
  })
})
