// Composition root of the tray app: one instance, one core, and the adapters that show it (tray,
// notifications, window) or feed it (IPC, power events, quit). Decisions live in the pure modules
// beside this file; here they are only wired together.
import { join } from 'node:path'
import { app, clipboard, dialog, powerMonitor, session, type MessageBoxOptions } from 'electron'
import type { Result } from '../../shared/common/ipc'
import type { Core } from '../../shared/node/core-api'
import { resultOf } from '../../shared/node/ipc-adapter'
import { APP_HELP_TEXT, parseAppArgs, wantsHelp } from './app-args'
import { APP_ID } from './app-identity'
import { registerAppScheme, serveRenderer } from './app-protocol'
import { createAppCore } from './core-factory'
import { adoptPrompt, QUIT_CHOICES, quitPrompt, revokeAllPrompt, revokeAllReport, revokePrompt, type DialogText } from './dialog-text'
import { hardenSession, hardenWebContents } from './hardening'
import { cliLocation, installCfwrapCommand, type ShimPlatform } from './install-command'
import { registerIpcHandlers } from './ipc-main'
import { createLoginItem, startedAtLogin, type LoginItem } from './login-item'
import { createNotificationBatcher } from './notification-plan'
import { createDesktopNotifier } from './notifications'
import { RENDERER_ENTRY_URL, devServerOrigin, trustedRendererUrl } from './security-policy'
import { createTray, type TrayController } from './tray'
import { cfwrapCommandFor } from '../../shared/common/token-views'
import type { TrayMenuHandlers } from './tray-menu'
import { createMainWindow, type MainWindow } from './window'

// Both must happen before `ready`: the scheme's privileges cannot be granted later, and
// `enableSandbox` makes every renderer sandboxed whatever its own webPreferences say.
registerAppScheme()
app.enableSandbox()

/** Shows a message box with the words from dialog-text.ts; resolves to the chosen button index. */
async function ask(text: DialogText, type: MessageBoxOptions['type'] = 'question'): Promise<number> {
  const { response } = await dialog.showMessageBox({ type, noLink: true, ...text })
  return response
}

/** Tells the person a command failed; nothing when it succeeded. */
function reportFailure(result: Result<unknown>): void {
  if (!result.ok) void dialog.showMessageBox({ type: 'error', message: result.error })
}

/** The shim flavour for this OS: the BSDs and other Unixes take the POSIX script, like Linux. */
function shimPlatform(): ShimPlatform {
  return process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux'
}

/** What the tray menu's items do. */
function trayHandlers(core: Core, window: MainWindow, loginItem: LoginItem, rerender: () => void): TrayMenuHandlers {
  return {
    open: (target) => window.show(target),
    copyCommand: (name) => clipboard.writeText(cfwrapCommandFor(name)),
    revoke: (name) => {
      void ask(revokePrompt(name), 'warning').then(async (response) => {
        if (response === 0) reportFailure(await resultOf(() => core.revoke({ name })))
      })
    },
    revokeAll: () => {
      void ask(revokeAllPrompt(core.currentSnapshot()), 'warning').then(async (response) => {
        if (response !== 0) return
        const result = await resultOf(() => core.revokeAll({}))
        if (!result.ok) return reportFailure(result)
        const report = revokeAllReport(result.value)
        if (report) void dialog.showMessageBox({ type: 'warning', ...report })
      })
    },
    adopt: (finding) => {
      void ask(adoptPrompt(`${finding.file}:${finding.line}`)).then(async (response) => {
        if (response === 0) reportFailure(await resultOf(() => core.adopt(finding)))
      })
    },
    approveRequest: (requestId, forMs) => {
      void resultOf(() => core.approveRequest(forMs === undefined ? { requestId } : { requestId, forMs })).then(reportFailure)
    },
    denyRequest: (requestId) => {
      void resultOf(() => core.denyRequest({ requestId })).then(reportFailure)
    },
    setWatchPaused: (paused) => {
      void resultOf(() => core.setWatchPaused({ paused })).then(reportFailure)
    },
    installCommand: () => {
      const location = cliLocation(process.execPath, app.getAppPath(), process.env.APPIMAGE)
      const outcome = installCfwrapCommand(shimPlatform(), location, process.env, app.getPath('home'))
      void dialog.showMessageBox({ type: outcome.ok ? 'info' : 'warning', message: outcome.message, detail: outcome.detail })
    },
    setStartAtLogin: (enabled) => {
      try {
        loginItem.setEnabled(enabled)
      } catch (error) {
        void dialog.showMessageBox({ type: 'error', message: 'Could not change "Start at login".', detail: error instanceof Error ? error.message : String(error) })
      }
      rerender()
    },
    quit: () => app.quit(),
  }
}

/**
 * Asks on quit whether to revoke live temporary tokens (their deadline cannot be enforced while
 * the app is closed), then stops the core before letting the quit through. Skipped when the OS is
 * shutting down: there is no one to answer, and Cloudflare's `expires_on` still holds.
 */
function guardQuit(core: Core, tray: () => TrayController | null): void {
  let approved = false
  let inProgress = false
  let systemShuttingDown = false
  powerMonitor.on('shutdown', () => {
    systemShuttingDown = true
  })
  app.on('before-quit', (event) => {
    if (approved) return
    event.preventDefault()
    if (inProgress) return
    inProgress = true
    void (async () => {
      const live = systemShuttingDown ? [] : core.liveTemporaryTokens()
      if (live.length > 0) {
        const choice = QUIT_CHOICES[await ask(quitPrompt(live), 'warning')]
        if (choice !== 'revoke-and-quit' && choice !== 'quit') {
          inProgress = false
          return
        }
        if (choice === 'revoke-and-quit') {
          const failures: string[] = []
          for (const name of live) {
            const result = await resultOf(() => core.revoke({ name }))
            if (!result.ok) failures.push(`${name}: ${result.error}`)
          }
          if (failures.length > 0) {
            await dialog.showMessageBox({
              type: 'warning',
              message: 'Some tokens could not be revoked now.',
              detail: `${failures.join('\n')}\n\nCloudflare still expires them at their deadline, and cfwrap retries when it starts again.`,
            })
          }
        }
      }
      await core.stop().catch(() => undefined)
      tray()?.destroy()
      approved = true
      app.quit()
    })()
  })
}

/** Everything that needs the app to be ready. */
async function startWhenReady(core: Core, window: MainWindow, devOrigin: string | null, isTrustedUrl: (url: string) => boolean, openWindow: boolean): Promise<void> {
  hardenSession(session.defaultSession, devOrigin, isTrustedUrl)
  serveRenderer(session.defaultSession, join(__dirname, '../renderer'))
  registerIpcHandlers(core, { webContents: () => window.webContents(), isTrustedUrl })

  const notifier = createDesktopNotifier((target) => window.show(target))
  const notifications = createNotificationBatcher({ show: (spec) => notifier.show(spec), home: app.getPath('home') })
  core.onEvent((event) => notifications.push(event))

  const loginItem = createLoginItem()
  let tray: TrayController | null = null
  const handlers = trayHandlers(core, window, loginItem, () => tray?.render(core.currentSnapshot()))
  tray = createTray(handlers, () => ({ startAtLogin: loginItem.isEnabled() }), core.currentSnapshot())
  core.subscribe((snapshot) => {
    tray?.render(snapshot)
    window.pushSnapshot(snapshot)
  })

  // Timers stop while the machine sleeps: sweep deadlines as soon as it wakes or is unlocked.
  const sweep = (): void => {
    void core.sweepNow().catch(() => undefined)
  }
  powerMonitor.on('resume', sweep)
  powerMonitor.on('unlock-screen', sweep)
  guardQuit(core, () => tray)
  // macOS: clicking the Dock icon of a running app.
  app.on('activate', () => window.show())

  try {
    await core.start()
  } catch (error) {
    // The tray stays up so the person can read the state and quit; the message is the core's own.
    dialog.showErrorBox('cfwrap could not start its background work', error instanceof Error ? error.message : String(error))
  }
  if (openWindow) window.show(parseAppArgs(process.argv).target)
}

function main(): void {
  // Windows shows notifications only for an app with an AppUserModelID, and groups them by it.
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID)
  const devOrigin = devServerOrigin(process.env.ELECTRON_RENDERER_URL, app.isPackaged)
  const isTrustedUrl = trustedRendererUrl(devOrigin)
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, isTrustedUrl))
  // Closing the window leaves the app running in the tray; registering this handler is what
  // stops Electron's default quit-on-last-window.
  app.on('window-all-closed', () => undefined)

  const window = createMainWindow({
    preloadPath: join(__dirname, '../preload/index.js'),
    entryUrl: devOrigin === null ? RENDERER_ENTRY_URL : `${devOrigin}/`,
  })
  const core = createAppCore(process.env)
  // A second launch (from the app menu, a terminal, the login item) focuses this one instead.
  app.on('second-instance', (_event, argv) => {
    void app.whenReady().then(() => window.show(parseAppArgs(argv).target))
  })
  void app
    .whenReady()
    .then(() => startWhenReady(core, window, devOrigin, isTrustedUrl, !startedAtLogin(process.argv)))
    .catch((error: unknown) => {
      // Without its tray the app would run invisibly: say why and leave.
      dialog.showErrorBox('cfwrap could not start', error instanceof Error ? error.message : String(error))
      app.exit(1)
    })
}

if (wantsHelp(process.argv)) {
  process.stdout.write(APP_HELP_TEXT)
  app.exit(0)
} else if (app.requestSingleInstanceLock()) main()
else app.quit()
