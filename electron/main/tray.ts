// The tray icon and its menu. The menu's content comes from `buildTrayMenu` (tray-menu.ts); this
// file only hands it to Electron, again on every change.
import { Menu, Tray, nativeImage, type NativeImage } from 'electron'
import type { CoreSnapshot } from '../../shared/common/ipc'
import { buildTrayMenu, trayTitle, trayTooltip, type TrayMenuContext, type TrayMenuHandlers } from './tray-menu'
import { COLOR_ICON_PNG, TEMPLATE_ICON_PNG } from './tray-icon'

/**
 * How often the menu is rebuilt while it shows deadlines. The labels count whole minutes, so 30 s
 * keeps them at most half a minute stale; the snapshot pushes rebuild it on every real change.
 */
export const TRAY_REFRESH_MS = 30_000

/** The tray icon for this platform: a template image on macOS, the orange icon elsewhere. */
export function trayIcon(platform: NodeJS.Platform): NativeImage {
  const png = platform === 'darwin' ? TEMPLATE_ICON_PNG : COLOR_ICON_PNG
  const icon = nativeImage.createFromBuffer(Buffer.from(png.x1, 'base64'), { scaleFactor: 1 })
  icon.addRepresentation({ scaleFactor: 2, buffer: Buffer.from(png.x2, 'base64') })
  if (platform === 'darwin') icon.setTemplateImage(true)
  return icon
}

/** The tray's controller; the caller keeps it referenced, or the icon disappears when garbage-collected. */
export interface TrayController {
  /** Rebuilds the menu from this snapshot. */
  render(snapshot: CoreSnapshot): void
  destroy(): void
}

/**
 * Creates the tray icon. `context()` is read on every rebuild (login-item state lives outside
 * the snapshot). On Windows a left click opens the window; on macOS and Linux a click opens the
 * menu, which starts with "Open cfwrap".
 */
export function createTray(handlers: TrayMenuHandlers, context: () => TrayMenuContext, initial: CoreSnapshot): TrayController {
  const tray = new Tray(trayIcon(process.platform))
  let latest = initial
  const render = (snapshot: CoreSnapshot): void => {
    latest = snapshot
    const now = new Date()
    // A new Menu every time: on Linux (AppIndicator) a changed item shows only after
    // setContextMenu is called again with a menu.
    tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenu(snapshot, now, handlers, context())))
    tray.setToolTip(trayTooltip(snapshot, now))
    if (process.platform === 'darwin') tray.setTitle(trayTitle(snapshot))
  }
  if (process.platform === 'win32') tray.on('click', () => handlers.open())
  const refresh = setInterval(() => {
    if (latest.tokens.some((token) => token.expiresAt !== null)) render(latest)
  }, TRAY_REFRESH_MS)
  render(initial)
  return {
    render,
    destroy() {
      clearInterval(refresh)
      tray.destroy()
    },
  }
}
