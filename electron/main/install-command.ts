// "Install cfwrap command in PATH", the way editors install their shell command (VS Code's "Install
// 'code' command in PATH"): a small script named `cfwrap` in a folder on PATH that runs the CLI
// bundled inside the app (out/main/cfwrap.js) with the app's own executable in Node mode
// (ELECTRON_RUN_AS_NODE=1). Why the app's executable and not `node`:
// - it is always there, where Node may not be installed at all, or be a version the bundle was not
//   built for;
// - on macOS the keychain grants access per signed program: items the app stored are read by the
//   same signed binary without a "cfwrap wants to use your keychain" prompt that `node` would get.
// Consequence for packaging: the RunAsNode fuse must stay on (electron-builder.yml says why).
// Pure functions decide the script text and the folder; `installCfwrapCommand` does the file I/O.
import { accessSync, constants, chmodSync, lstatSync, readFileSync, statSync } from 'node:fs'
import { join, posix, win32 } from 'node:path'
import { writeFileAtomic } from '../../shared/node/fs-atomic'

/** Platforms the command can be installed on. */
export type ShimPlatform = 'darwin' | 'linux' | 'win32'

/** Marks a file as one cfwrap installed, so a reinstall may replace it and nothing else is overwritten. */
export const SHIM_MARKER = 'Installed by the cfwrap app ("Install cfwrap command in PATH").'

/** Where the app and its bundled CLI are. */
export interface CliLocation {
  /** The app's executable (Electron), run in Node mode. */
  executable: string
  /** The bundled CLI, `<app>/out/main/cfwrap.js` (inside app.asar when packaged). */
  cliPath: string
  /**
   * The AppImage file when the app runs from one. Its executable and CLI then sit under a mount
   * point that changes on every run, so the script starts the AppImage and finds the CLI beside
   * the executable at run time.
   */
  appImage?: string | undefined
}

/** A POSIX shell word for `text`, in single quotes (which need no escaping but `'` itself). */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/**
 * Finds the CLI next to the AppImage's executable at run time (resources/app.asar/out/main) and
 * puts its path at argv[1], where `node -e` leaves nothing, so the CLI sees the usual argv.
 */
const APPIMAGE_BOOTSTRAP =
  'const p=require("path");const cli=p.join(p.dirname(process.execPath),"resources","app.asar","out","main","cfwrap.js");process.argv.splice(1,0,cli);require(cli)'

/** The `cfwrap` script for macOS and Linux. */
export function posixShimScript(location: CliLocation): string {
  const app = location.appImage ?? location.executable
  const run = location.appImage
    ? `ELECTRON_RUN_AS_NODE=1 exec "$app" -e ${shellQuote(APPIMAGE_BOOTSTRAP)} -- "$@"`
    : `ELECTRON_RUN_AS_NODE=1 exec "$app" ${shellQuote(location.cliPath)} "$@"`
  return [
    '#!/bin/sh',
    `# ${SHIM_MARKER}`,
    '# Runs the cfwrap command bundled in the app with the app itself in Node mode.',
    `app=${shellQuote(app)}`,
    'if [ ! -x "$app" ]; then',
    '  echo "cfwrap: the cfwrap app is no longer at $app. Open it and choose \\"Install cfwrap command in PATH\\" again." >&2',
    '  exit 1',
    'fi',
    run,
    '',
  ].join('\n')
}

/** `text` inside a double-quoted cmd.exe argument in a batch file: `%` must be doubled there. */
function batchQuote(text: string): string {
  return `"${text.replaceAll('%', '%%')}"`
}

/** The `cfwrap.cmd` shim for Windows. */
export function windowsShimScript(location: CliLocation): string {
  return [
    '@echo off',
    `rem ${SHIM_MARKER}`,
    'rem Runs the cfwrap command bundled in the app with the app itself in Node mode.',
    'setlocal',
    'set ELECTRON_RUN_AS_NODE=1',
    `${batchQuote(location.executable)} ${batchQuote(location.cliPath)} %*`,
    'exit /b %ERRORLEVEL%',
    '',
  ].join('\r\n')
}

/** The shim text for `platform`. */
export function shimScript(platform: ShimPlatform, location: CliLocation): string {
  return platform === 'win32' ? windowsShimScript(location) : posixShimScript(location)
}

/** Where the command goes. */
export interface InstallTarget {
  /** The folder. */
  dir: string
  /** The file written: `<dir>/cfwrap` or `<dir>\cfwrap.cmd`. */
  file: string
  /** Whether the folder is on the PATH the app was started with. */
  onPath: boolean
}

/** What `chooseInstallTarget` needs to know about the machine. */
export interface InstallEnvironment {
  platform: ShimPlatform
  env: NodeJS.ProcessEnv
  home: string
  /** True when `dir` exists, is a folder, and this user may create files in it. */
  isWritableDir(dir: string): boolean
}

function pathModule(platform: ShimPlatform): typeof posix {
  return platform === 'win32' ? win32 : posix
}

/** True when `dir` is one of the entries of `PATH` (compared after normalising; case-insensitively on Windows). */
export function isOnPath(dir: string, platform: ShimPlatform, env: NodeJS.ProcessEnv): boolean {
  const paths = pathModule(platform)
  const variable = platform === 'win32' ? (env.Path ?? env.PATH ?? '') : (env.PATH ?? '')
  const fold = (text: string): string => {
    const normalized = paths.normalize(text).replace(/[\\/]+$/, '')
    return platform === 'win32' ? normalized.toLowerCase() : normalized
  }
  const wanted = fold(dir)
  return variable
    .split(platform === 'win32' ? ';' : ':')
    .filter((entry) => entry !== '')
    .some((entry) => fold(entry) === wanted)
}

/**
 * The folder to install into. macOS/Linux: `/usr/local/bin` when this user may write there (on
 * every PATH, no sudo prompt needed), else `~/.local/bin` (the XDG user bin folder; created when
 * missing). Windows: `%LOCALAPPDATA%\Microsoft\WindowsApps`, which Windows 10+ puts on every
 * user's PATH, when it is there and writable, else `%LOCALAPPDATA%\cfwrap\bin`.
 */
export function chooseInstallTarget(machine: InstallEnvironment): InstallTarget {
  const { platform, env, home } = machine
  const paths = pathModule(platform)
  const target = (dir: string): InstallTarget => ({
    dir,
    file: paths.join(dir, platform === 'win32' ? 'cfwrap.cmd' : 'cfwrap'),
    onPath: isOnPath(dir, platform, env),
  })
  if (platform === 'win32') {
    const localAppData = env.LOCALAPPDATA || paths.join(home, 'AppData', 'Local')
    const windowsApps = paths.join(localAppData, 'Microsoft', 'WindowsApps')
    const preferred = target(windowsApps)
    if (preferred.onPath && machine.isWritableDir(windowsApps)) return preferred
    return target(paths.join(localAppData, 'cfwrap', 'bin'))
  }
  if (machine.isWritableDir('/usr/local/bin')) return target('/usr/local/bin')
  return target(paths.join(home, '.local', 'bin'))
}

/** What happened, in words for the dialog. */
export interface InstallOutcome {
  ok: boolean
  file: string | null
  message: string
  detail: string
}

/** The dialog text after installing into `target`. */
export function installedMessage(target: InstallTarget, platform: ShimPlatform): InstallOutcome {
  const message = `Installed the cfwrap command as ${target.file}.`
  if (target.onPath) return { ok: true, file: target.file, message, detail: 'Open a new terminal and run `cfwrap --help`.' }
  const howToAdd =
    platform === 'win32'
      ? `Add ${target.dir} to your user Path (Settings > System > About > Advanced system settings > Environment Variables), then open a new terminal.`
      : `Add it to your shell profile (e.g. ~/.profile or ~/.zshrc):\n  export PATH="${target.dir}:$PATH"\nthen open a new terminal.`
  return { ok: true, file: target.file, message, detail: `${target.dir} is not on the PATH cfwrap was started with. ${howToAdd}` }
}

/** The file-system operations the installer needs; tests pass stand-ins. */
export interface InstallFiles {
  isWritableDir(dir: string): boolean
  /** The current contents of `file`; null when there is none; 'foreign' for a symlink or an unreadable file. */
  readExisting(file: string): string | null | 'foreign'
  writeExecutable(file: string, text: string): void
}

/** InstallFiles on the real file system. */
export const nodeInstallFiles: InstallFiles = {
  isWritableDir(dir) {
    try {
      if (!statSync(dir).isDirectory()) return false
      accessSync(dir, constants.W_OK)
      return true
    } catch {
      return false
    }
  },
  readExisting(file) {
    try {
      // A symlink is someone else's install (npm link, a package manager): never write through it.
      if (lstatSync(file).isSymbolicLink()) return 'foreign'
    } catch {
      return null
    }
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return 'foreign'
    }
  },
  writeExecutable(file, text) {
    writeFileAtomic(file, text)
    // Executable and readable by everyone: /usr/local/bin is shared by all users of the machine.
    chmodSync(file, 0o755)
  },
}

/**
 * Installs (or reinstalls) the command. Refuses to replace a `cfwrap` that cfwrap did not write,
 * such as one from `npm link`, and says where it is instead.
 */
export function installCfwrapCommand(
  platform: ShimPlatform,
  location: CliLocation,
  env: NodeJS.ProcessEnv,
  home: string,
  files: InstallFiles = nodeInstallFiles,
): InstallOutcome {
  const target = chooseInstallTarget({ platform, env, home, isWritableDir: (dir) => files.isWritableDir(dir) })
  const existing = files.readExisting(target.file)
  if (existing !== null && (existing === 'foreign' || !existing.includes(SHIM_MARKER))) {
    return {
      ok: false,
      file: target.file,
      message: `A different cfwrap command is already at ${target.file}.`,
      detail: 'It was not installed by this app (npm link?). Remove it first if you want the app to install its own.',
    }
  }
  try {
    files.writeExecutable(target.file, shimScript(platform, location))
  } catch (error) {
    return {
      ok: false,
      file: target.file,
      message: `Could not write ${target.file}.`,
      detail: error instanceof Error ? error.message : String(error),
    }
  }
  return installedMessage(target, platform)
}

/** Where the CLI is for the running app: beside Electron in the app folder (or app.asar). */
export function cliLocation(executable: string, appPath: string, appImage: string | undefined): CliLocation {
  return { executable, cliPath: join(appPath, 'out', 'main', 'cfwrap.js'), appImage }
}
