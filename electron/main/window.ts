// The one window: created on demand, destroyed when closed (the app lives on in the tray), and
// the only receiver of the snapshot and navigation pushes.
import { BrowserWindow, type WebContents } from 'electron'
import { NAVIGATE_PUSH_CHANNEL, SNAPSHOT_PUSH_CHANNEL, type CoreSnapshot, type Navigate } from '../../shared/common/ipc'

/** Where the window's files are and which page it opens. */
export interface MainWindowOptions {
  preloadPath: string
  /** `app://cfwrap/index.html`, or the dev server's URL in `npm run dev`. */
  entryUrl: string
}

/** Controls the one window. */
export interface MainWindow {
  /** Shows (creating if needed) and focuses the window, at `target` when given. */
  show(target?: Navigate): void
  /** Pushes a snapshot to the window if it is open. */
  pushSnapshot(snapshot: CoreSnapshot): void
  /** The window's webContents, or null when it is closed: the only sender IPC accepts. */
  webContents(): WebContents | null
}

/** A MainWindow that creates its BrowserWindow lazily. */
export function createMainWindow(options: MainWindowOptions): MainWindow {
  let window: BrowserWindow | null = null
  let loaded = false
  // A navigation asked for before the page finished loading is sent once it has: earlier, the
  // renderer has not subscribed yet and the message would be lost.
  let pendingTarget: Navigate | null = null

  const send = (channel: string, payload: unknown): void => {
    if (window === null || window.isDestroyed() || !loaded) return
    window.webContents.send(channel, payload)
  }

  const create = (): BrowserWindow => {
    // Every security-relevant preference is spelled out even where it equals Electron's default,
    // so a changed default or a careless edit shows up in review, in electronegativity (which
    // reads this literal) and in test/unit/main-security.test.ts.
    const created = new BrowserWindow({
      width: 1040,
      height: 720,
      minWidth: 720,
      minHeight: 480,
      title: 'cfwrap',
      // Shown on `ready-to-show`, so the window never flashes empty.
      show: false,
      autoHideMenuBar: true,
      webPreferences: {
        // Reviewed for electronegativity's PRELOAD_JS_CHECK: the preload exposes one named method
        // per IPC channel and two subscriptions, never ipcRenderer or Node APIs.
        preload: options.preloadPath, // eng-disable PRELOAD_JS_CHECK
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
        // A middle click would otherwise ask to open a link in a new window (denied anyway).
        disableBlinkFeatures: 'Auxclick',
        navigateOnDragDrop: false,
        spellcheck: false,
      },
    })
    loaded = false
    created.once('ready-to-show', () => created.show())
    created.webContents.on('did-finish-load', () => {
      loaded = true
      if (pendingTarget !== null) {
        send(NAVIGATE_PUSH_CHANNEL, pendingTarget)
        pendingTarget = null
      }
    })
    created.on('closed', () => {
      window = null
      loaded = false
    })
    void created.loadURL(options.entryUrl)
    return created
  }

  return {
    show(target) {
      if (window === null || window.isDestroyed()) window = create()
      else {
        if (window.isMinimized()) window.restore()
        window.show()
        window.focus()
      }
      if (target === undefined) return
      if (loaded) send(NAVIGATE_PUSH_CHANNEL, target)
      else pendingTarget = target
    },
    pushSnapshot(snapshot) {
      send(SNAPSHOT_PUSH_CHANNEL, snapshot)
    },
    webContents: () => (window === null || window.isDestroyed() ? null : window.webContents),
  }
}
