// "Start at login" on Linux: Electron's `app.setLoginItemSettings` works on macOS and Windows only,
// so on Linux cfwrap writes an XDG autostart entry, the file desktop sessions (GNOME, KDE, Xfce…)
// start at login. The text and the path are pure functions; the file I/O is a three-method adapter.
import { readFileSync, rmSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { writeFileAtomic } from '../../shared/node/fs-atomic'

/** The argument that tells a starting app it was started at login: tray only, no window. */
export const HIDDEN_ARG = '--hidden'

/** File name of the autostart entry. */
export const AUTOSTART_FILE_NAME = 'cfwrap.desktop'

/**
 * `$XDG_CONFIG_HOME/autostart/cfwrap.desktop`. The XDG spec says a relative `XDG_CONFIG_HOME` is
 * invalid and must be ignored, so only an absolute one is used; otherwise `~/.config`.
 */
export function linuxAutostartPath(env: NodeJS.ProcessEnv, home: string): string {
  const configHome = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config')
  return join(configHome, 'autostart', AUTOSTART_FILE_NAME)
}

/**
 * One argument of a desktop entry's `Exec` key. The Desktop Entry spec quotes an argument holding
 * a reserved character in double quotes, escaping `"`, `` ` ``, `$` and `\` inside them with a
 * backslash; the key's value is then escaped once more as a string (so every backslash doubles),
 * and a literal `%` is written `%%` because `%` starts a field code.
 */
export function desktopExecArgument(argument: string): string {
  const needsQuoting = argument === '' || /[^A-Za-z0-9_@%+=:,./-]/.test(argument)
  const quoted = needsQuoting ? `"${argument.replace(/["`$\\]/g, (character) => `\\${character}`)}"` : argument
  return quoted.replaceAll('\\', '\\\\').replaceAll('%', '%%')
}

/** What the autostart entry starts. */
export interface AutostartCommand {
  /** The program: the AppImage itself when run from one (its mount point changes every run), else the app's executable. */
  executable: string
  /** Arguments before `--hidden`: the app's folder when running unpackaged (`electron .`), else none. */
  args: readonly string[]
}

/** The text of the XDG autostart entry that starts cfwrap in the tray at login. */
export function linuxAutostartDesktopFile(command: AutostartCommand): string {
  const exec = [command.executable, ...command.args, HIDDEN_ARG].map(desktopExecArgument).join(' ')
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=cfwrap',
    'Comment=Time-boxed Cloudflare API tokens from the tray',
    `Exec=${exec}`,
    'Terminal=false',
    'NoDisplay=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n')
}

/** The file operations the Linux login item needs; tests pass an in-memory stand-in. */
export interface AutostartFiles {
  read(path: string): string | null
  write(path: string, text: string): void
  remove(path: string): void
}

/** AutostartFiles on the real file system. */
export const nodeAutostartFiles: AutostartFiles = {
  read(path) {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return null
    }
  },
  write(path, text) {
    // Not a secret, but written like every file cfwrap writes: 0600, atomically, so a session
    // starting while the box is ticked never reads half an entry.
    writeFileAtomic(path, text)
  },
  remove(path) {
    rmSync(path, { force: true })
  },
}

/** Turns the Linux autostart entry on and off; "on" means the file exists and says so. */
export function linuxLoginItem(path: string, command: AutostartCommand, files: AutostartFiles = nodeAutostartFiles): { isEnabled(): boolean; setEnabled(enabled: boolean): void } {
  return {
    isEnabled() {
      const text = files.read(path)
      // A session's settings app may switch an entry off by setting Hidden=true or this key.
      return text !== null && !/^Hidden=true$/m.test(text) && !/^X-GNOME-Autostart-enabled=false$/m.test(text)
    },
    setEnabled(enabled) {
      if (enabled) files.write(path, linuxAutostartDesktopFile(command))
      else files.remove(path)
    },
  }
}
