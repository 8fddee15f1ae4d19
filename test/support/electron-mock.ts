// A stand-in for the `electron` module in unit tests, in the manner of electron/fiddle's
// tests/mocks: small hand-written classes that record what the code under test asked for, and
// nothing else. Used as `vi.mock('electron', () => import('../support/electron-mock'))`; the test
// then imports the same singletons from this file to drive and inspect them.
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

type Listener = (...args: never[]) => unknown

/** ipcMain: records handlers and, like Electron, refuses a second handler for a channel. */
export class IpcMainMock {
  readonly handlers = new Map<string, Listener>()
  handle = vi.fn((channel: string, listener: Listener) => {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, listener)
  })
  removeHandler = vi.fn((channel: string) => {
    this.handlers.delete(channel)
  })
  on = vi.fn()
}

/** Constructor options a Notification was given. */
export interface NotificationOptionsMock {
  title: string
  body: string
  urgency?: string
}

/** Notification: every instance is kept in `instances`; tests emit 'click' and 'close' on them. */
export class NotificationMock extends EventEmitter {
  static instances: NotificationMock[] = []
  static isSupported = vi.fn(() => true)
  shown = false
  constructor(readonly options: NotificationOptionsMock) {
    super()
    NotificationMock.instances.push(this)
  }
  show = vi.fn(() => {
    this.shown = true
  })
  close = vi.fn()
}

/** ipcRenderer: `invoke` is a spy; `on`/`removeListener` are a real EventEmitter so pushes can be emitted. */
export class IpcRendererMock extends EventEmitter {
  invoke = vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined)
}

/** contextBridge: remembers what was exposed under which key. */
export class ContextBridgeMock {
  readonly exposed = new Map<string, unknown>()
  exposeInMainWorld = vi.fn((key: string, api: unknown) => {
    this.exposed.set(key, api)
  })
}

/** The `details` of a navigation event, with the preventDefault the handlers call. */
export interface NavigationEventMock {
  url: string
  defaultPrevented: boolean
  preventDefault(): void
}

/** A navigation event for `url`. */
export function navigationEvent(url: string): NavigationEventMock {
  return {
    url,
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true
    },
  }
}

/** webContents: an EventEmitter with the window-open handler and `send` recorded. */
export class WebContentsMock extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
  setWindowOpenHandler = vi.fn((handler: (details: { url: string }) => { action: string }) => {
    this.windowOpenHandler = handler
  })
  send = vi.fn()
}

/** BrowserWindow: keeps its constructor options and the URL it loaded; `instances` lists every window made. */
export class BrowserWindowMock extends EventEmitter {
  static instances: BrowserWindowMock[] = []
  readonly webContents = new WebContentsMock()
  destroyed = false
  visible = false
  loadedUrl: string | null = null
  constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
    super()
    BrowserWindowMock.instances.push(this)
  }
  loadURL = vi.fn(async (url: string) => {
    this.loadedUrl = url
  })
  show = vi.fn(() => {
    this.visible = true
  })
  focus = vi.fn()
  restore = vi.fn()
  isMinimized = vi.fn(() => false)
  isDestroyed = vi.fn(() => this.destroyed)
  /** What Electron does when the person closes the window. */
  close(): void {
    this.destroyed = true
    this.emit('closed')
  }
}

/** Tray: records every context menu, tooltip and title it was given. */
export class TrayMock extends EventEmitter {
  static instances: TrayMock[] = []
  readonly menus: unknown[] = []
  tooltip = ''
  title = ''
  destroyed = false
  constructor(readonly image: unknown) {
    super()
    TrayMock.instances.push(this)
  }
  setContextMenu = vi.fn((menu: unknown) => {
    this.menus.push(menu)
  })
  setToolTip = vi.fn((text: string) => {
    this.tooltip = text
  })
  setTitle = vi.fn((text: string) => {
    this.title = text
  })
  destroy = vi.fn(() => {
    this.destroyed = true
  })
}

/** A nativeImage: remembers its representations. */
export class NativeImageMock {
  readonly representations: { scaleFactor: number; buffer: Buffer }[] = []
  template = false
  constructor(buffer: Buffer, scaleFactor: number) {
    this.representations.push({ buffer, scaleFactor })
  }
  addRepresentation = vi.fn((options: { scaleFactor: number; buffer: Buffer }) => {
    this.representations.push(options)
  })
  setTemplateImage = vi.fn((template: boolean) => {
    this.template = template
  })
}

type RequestListener = (details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: Record<string, unknown>) => void) => void

/** session: records the handlers it was given so tests can call them. */
export class SessionMock {
  permissionRequestHandler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string }) => void) | null = null
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null
  devicePermissionHandler: ((...args: unknown[]) => boolean) | null = null
  beforeRequest: RequestListener | null = null
  headersReceived: RequestListener | null = null
  readonly protocolHandlers = new Map<string, (request: Request) => Promise<Response> | Response>()
  setPermissionRequestHandler = vi.fn((handler: SessionMock['permissionRequestHandler']) => {
    this.permissionRequestHandler = handler
  })
  setPermissionCheckHandler = vi.fn((handler: SessionMock['permissionCheckHandler']) => {
    this.permissionCheckHandler = handler
  })
  setDevicePermissionHandler = vi.fn((handler: SessionMock['devicePermissionHandler']) => {
    this.devicePermissionHandler = handler
  })
  webRequest = {
    onBeforeRequest: vi.fn((listener: RequestListener) => {
      this.beforeRequest = listener
    }),
    onHeadersReceived: vi.fn((listener: RequestListener) => {
      this.headersReceived = listener
    }),
  }
  protocol = {
    handle: vi.fn((scheme: string, handler: (request: Request) => Promise<Response> | Response) => {
      this.protocolHandlers.set(scheme, handler)
    }),
  }
}

// The module's exports, under the names the code under test imports from 'electron'.

/** The `ipcMain` singleton. */
export const ipcMain = new IpcMainMock()
/** The `ipcRenderer` singleton. */
export const ipcRenderer = new IpcRendererMock()
/** The `contextBridge` singleton. */
export const contextBridge = new ContextBridgeMock()
/** The `Notification` class. */
export const Notification = NotificationMock
/** The `BrowserWindow` class. */
export const BrowserWindow = BrowserWindowMock
/** The `Tray` class. */
export const Tray = TrayMock
/** `Menu`: `buildFromTemplate` wraps the template so tests can read it back. */
export const Menu = { buildFromTemplate: vi.fn((template: unknown[]) => ({ template })) }
/** `nativeImage`: only `createFromBuffer`. */
export const nativeImage = {
  createFromBuffer: vi.fn((buffer: Buffer, options?: { scaleFactor?: number }) => new NativeImageMock(buffer, options?.scaleFactor ?? 1)),
}
/** `shell`: only `openExternal`, recorded. */
export const shell = { openExternal: vi.fn(async (_url: string) => undefined) }
/** `protocol`: only the scheme registration (handlers are registered on a session). */
export const protocol = { registerSchemesAsPrivileged: vi.fn() }

/** Forgets everything recorded, between tests. */
export function resetElectronMock(): void {
  ipcMain.handlers.clear()
  ipcMain.handle.mockClear()
  ipcMain.removeHandler.mockClear()
  ipcRenderer.removeAllListeners()
  ipcRenderer.invoke.mockReset()
  contextBridge.exposed.clear()
  contextBridge.exposeInMainWorld.mockClear()
  NotificationMock.instances = []
  BrowserWindowMock.instances = []
  TrayMock.instances = []
  Menu.buildFromTemplate.mockClear()
  NotificationMock.isSupported.mockReset().mockReturnValue(true)
  shell.openExternal.mockClear()
  protocol.registerSchemesAsPrivileged.mockClear()
}
