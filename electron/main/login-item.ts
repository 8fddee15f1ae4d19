// "Start at login": Electron's login item on macOS and Windows, an XDG autostart entry on Linux
// (autostart.ts), behind one small interface the tray menu uses.
import { app } from 'electron'
import { HIDDEN_ARG, linuxAutostartPath, linuxLoginItem } from './autostart'

/** Whether cfwrap starts at login, and whether this run was such a start. */
export interface LoginItem {
  isEnabled(): boolean
  setEnabled(enabled: boolean): void
}

/**
 * The login item of the running app. Unpackaged (`electron .`), the executable is Electron itself
 * and needs the app's folder as its first argument; packaged, the executable is the app.
 */
export function createLoginItem(): LoginItem {
  const appArgs = app.isPackaged ? [] : [app.getAppPath()]
  if (process.platform === 'linux') {
    return linuxLoginItem(linuxAutostartPath(process.env, app.getPath('home')), {
      // An AppImage runs from a fresh mount point each time; $APPIMAGE is the file that stays.
      executable: process.env.APPIMAGE ?? process.execPath,
      args: appArgs,
    })
  }
  // Windows matches the registered entry by path and arguments, so read with the same ones.
  const settings = { path: process.execPath, args: [...appArgs, HIDDEN_ARG] }
  return {
    isEnabled: () => app.getLoginItemSettings(settings).openAtLogin,
    setEnabled: (enabled) => app.setLoginItemSettings({ ...settings, openAtLogin: enabled }),
  }
}

/**
 * True when this run was started by the login item: it passes `--hidden`, except on macOS, whose
 * login items cannot pass arguments, so there the OS is asked.
 */
export function startedAtLogin(argv: readonly string[]): boolean {
  if (argv.includes(HIDDEN_ARG)) return true
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin
}
