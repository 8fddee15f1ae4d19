import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  APP_SCHEME_PRIVILEGES,
  CONTENT_SECURITY_POLICY,
  RENDERER_ENTRY_URL,
  devServerOrigin,
  isAllowedExternalUrl,
  isAllowedSessionRequest,
  isAppUrl,
  trustedRendererUrl,
} from '../../electron/main/security-policy'
import { createMainWindow } from '../../electron/main/window'
import { NAVIGATE_PUSH_CHANNEL, SNAPSHOT_PUSH_CHANNEL } from '../../shared/common/ipc'
import { snapshot } from '../support/fake-core'
import { resolveRendererFile } from '../../electron/main/renderer-files'
import { hardenSession, hardenWebContents } from '../../electron/main/hardening'
import { registerAppScheme, serveRenderer } from '../../electron/main/app-protocol'
import { BrowserWindowMock, SessionMock, WebContentsMock, navigationEvent, protocol, resetElectronMock, shell } from '../support/electron-mock'

vi.mock('electron', () => import('../support/electron-mock'))

beforeEach(() => resetElectronMock())

describe('the window', () => {
  function openWindow(): { window: ReturnType<typeof createMainWindow>; browserWindow: BrowserWindowMock } {
    const window = createMainWindow({ preloadPath: '/app/out/preload/index.js', entryUrl: RENDERER_ENTRY_URL })
    window.show()
    const browserWindow = BrowserWindowMock.instances[0]
    if (!browserWindow) throw new Error('no window was created')
    return { window, browserWindow }
  }

  it('turns on every isolation setting and off every risky one', () => {
    const { browserWindow } = openWindow()
    expect(browserWindow.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      spellcheck: false,
    })
    expect(browserWindow.options.show).toBe(false)
  })

  it('loads our page from the custom protocol, never file://', () => {
    const { browserWindow } = openWindow()
    expect(browserWindow.loadedUrl).toBe('app://cfwrap/index.html')
  })

  it('holds a navigation until the page has loaded, then sends it; pushes snapshots only to a loaded window', () => {
    const { window, browserWindow } = openWindow()
    const contents = browserWindow.webContents
    window.show({ view: 'findings', item: 'f1' })
    window.pushSnapshot(snapshot())
    expect(contents.send).not.toHaveBeenCalled()
    expect(BrowserWindowMock.instances).toHaveLength(1)
    contents.emit('did-finish-load')
    expect(contents.send).toHaveBeenCalledWith(NAVIGATE_PUSH_CHANNEL, { view: 'findings', item: 'f1' })
    const pushed = snapshot({ revision: 2 })
    window.pushSnapshot(pushed)
    expect(contents.send).toHaveBeenLastCalledWith(SNAPSHOT_PUSH_CHANNEL, pushed)
    expect(window.webContents()).toBe(contents)
  })

  it('forgets a closed window, so IPC from it is refused, and makes a new one on the next show', () => {
    const { window, browserWindow } = openWindow()
    browserWindow.close()
    expect(window.webContents()).toBeNull()
    window.show()
    expect(BrowserWindowMock.instances).toHaveLength(2)
  })
})

describe('content security policy', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1).join(' ')]))

  it('allows only the app itself, no network, no inline or eval code', () => {
    expect(directives.get('default-src')).toBe("'self'")
    expect(directives.get('script-src')).toBe("'self'")
    expect(directives.get('connect-src')).toBe("'none'")
    expect(directives.get('object-src')).toBe("'none'")
    expect(directives.get('frame-ancestors')).toBe("'none'")
    expect(directives.get('base-uri')).toBe("'none'")
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/)
  })

  it('the custom scheme does not bypass the CSP', () => {
    expect(APP_SCHEME_PRIVILEGES.privileges).toEqual({ standard: true, secure: true, supportFetchAPI: true })
    registerAppScheme()
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([APP_SCHEME_PRIVILEGES])
  })
})

describe('app URLs and the dev server', () => {
  it('recognises our own pages by scheme and host', () => {
    expect(isAppUrl(RENDERER_ENTRY_URL)).toBe(true)
    expect(isAppUrl('app://cfwrap/assets/index.js')).toBe(true)
    expect(isAppUrl('app://other/index.html')).toBe(false)
    expect(isAppUrl('app://user:pw@cfwrap/index.html')).toBe(false)
    expect(isAppUrl('file:///app/out/renderer/index.html')).toBe(false)
    expect(isAppUrl('https://cfwrap/index.html')).toBe(false)
    expect(isAppUrl('not a url')).toBe(false)
  })

  it('trusts a dev server only when unpackaged and on loopback', () => {
    expect(devServerOrigin('http://localhost:5173/', false)).toBe('http://localhost:5173')
    expect(devServerOrigin('http://127.0.0.1:5173', false)).toBe('http://127.0.0.1:5173')
    expect(devServerOrigin('http://localhost:5173/', true)).toBeNull()
    expect(devServerOrigin('http://evil.example:5173/', false)).toBeNull()
    expect(devServerOrigin('https://localhost:5173/', false)).toBeNull()
    expect(devServerOrigin(undefined, false)).toBeNull()
    expect(trustedRendererUrl(null)('http://localhost:5173/')).toBe(false)
    expect(trustedRendererUrl('http://localhost:5173')('http://localhost:5173/index.html')).toBe(true)
    expect(trustedRendererUrl('http://localhost:5173')('http://localhost:5174/')).toBe(false)
  })

  it('opens only allow-listed https pages in the browser', () => {
    expect(isAllowedExternalUrl('https://dash.cloudflare.com/profile/api-tokens')).toBe(true)
    expect(isAllowedExternalUrl('https://developers.cloudflare.com/fundamentals/api/')).toBe(true)
    expect(isAllowedExternalUrl('http://dash.cloudflare.com/')).toBe(false)
    expect(isAllowedExternalUrl('https://dash.cloudflare.com.evil.example/')).toBe(false)
    expect(isAllowedExternalUrl('https://evil.example/?https://dash.cloudflare.com')).toBe(false)
    expect(isAllowedExternalUrl('https://user@dash.cloudflare.com/')).toBe(false)
    expect(isAllowedExternalUrl('https://dash.cloudflare.com:8443/')).toBe(false)
    expect(isAllowedExternalUrl('file:///etc/passwd')).toBe(false)
    expect(isAllowedExternalUrl('javascript:alert(1)')).toBe(false)
    expect(isAllowedExternalUrl('smb://host/share')).toBe(false)
  })

  it('lets the window session load only our pages and DevTools (plus the dev server in npm run dev)', () => {
    expect(isAllowedSessionRequest('app://cfwrap/assets/x.js', null)).toBe(true)
    expect(isAllowedSessionRequest('devtools://devtools/bundled/inspector.html', null)).toBe(true)
    expect(isAllowedSessionRequest('data:image/png;base64,AAAA', null)).toBe(true)
    expect(isAllowedSessionRequest('https://dash.cloudflare.com/', null)).toBe(false)
    expect(isAllowedSessionRequest('file:///etc/passwd', null)).toBe(false)
    expect(isAllowedSessionRequest('http://localhost:5173/', null)).toBe(false)
    expect(isAllowedSessionRequest('http://localhost:5173/src/main.tsx', 'http://localhost:5173')).toBe(true)
    expect(isAllowedSessionRequest('ws://localhost:5173/', 'http://localhost:5173')).toBe(true)
    expect(isAllowedSessionRequest('ws://localhost:9999/', 'http://localhost:5173')).toBe(false)
  })
})

describe('renderer file resolution', () => {
  const root = '/app/out/renderer'

  it('serves files under the renderer folder with their content type', () => {
    expect(resolveRendererFile(root, 'app://cfwrap/')).toEqual({ ok: true, file: '/app/out/renderer/index.html', contentType: 'text/html; charset=utf-8' })
    expect(resolveRendererFile(root, 'app://cfwrap/assets/index-abc.js')).toMatchObject({ ok: true, file: '/app/out/renderer/assets/index-abc.js', contentType: 'text/javascript; charset=utf-8' })
    expect(resolveRendererFile(root, 'app://cfwrap/assets/index.css?v=1#x')).toMatchObject({ ok: true, file: '/app/out/renderer/assets/index.css' })
  })

  it.each([
    'app://cfwrap/../main/index.js',
    'app://cfwrap/assets/../../main/cfwrap.js',
    'app://cfwrap/%2e%2e/main/index.js',
    'app://cfwrap/assets/%2e%2e%2f%2e%2e%2fmain/index.js',
    'app://cfwrap/..%2fmain/index.js',
    'app://cfwrap/..%5cmain%5cindex.js',
    'app://cfwrap/assets%5c..%5c..%5cmain.js',
    'app://cfwrap/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd',
    'app://cfwrap/index.html%00.js',
    'app://cfwrap//etc/passwd',
  ])('never leaves the renderer folder: %s', (url) => {
    const lookup = resolveRendererFile(root, url)
    if (lookup.ok) expect(lookup.file.startsWith(`${root}/`)).toBe(true)
    else expect([400, 403, 404]).toContain(lookup.status)
  })

  it('refuses traversal outright, foreign hosts, other methods and unknown file types', () => {
    // URL parsing itself folds `..` and `%2e%2e` segments (WHATWG), so those resolve inside the
    // folder; an encoded slash survives parsing and is refused after decoding.
    expect(resolveRendererFile(root, 'app://cfwrap/%2e%2e/main/index.js')).toMatchObject({ ok: true, file: '/app/out/renderer/main/index.js' })
    expect(resolveRendererFile(root, 'app://cfwrap/..%2fmain/index.js')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'app://cfwrap/assets/%2e%2e%2f%2e%2e%2fmain/index.js')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'app://cfwrap/a%5cb.js')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'app://other/index.html')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'https://cfwrap/index.html')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'app://cfwrap/index.html', 'POST')).toMatchObject({ ok: false, status: 405 })
    expect(resolveRendererFile(root, 'app://cfwrap/secrets.db')).toMatchObject({ ok: false, status: 404 })
    expect(resolveRendererFile(root, 'app://cfwrap/%E0%A4%A')).toMatchObject({ ok: false, status: 400 })
  })
})

describe('the app:// protocol handler', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfwrap-protocol-'))
    mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true })
    writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>cfwrap</title>')
    writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(dir, 'outside.js'), 'secret()')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function fetchApp(url: string, method = 'GET'): Promise<Response> {
    const session = new SessionMock()
    serveRenderer(session as never, join(dir, 'renderer'))
    const handler = session.protocolHandlers.get('app')
    if (!handler) throw new Error('no app: handler')
    return handler(new Request(url, { method }))
  }

  it('serves renderer files with the CSP and nosniff headers', async () => {
    const response = await fetchApp('app://cfwrap/assets/app.js')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('console.log(1)')
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('refuses a file outside the renderer folder and answers 404 for a missing one', async () => {
    const outside = await fetchApp('app://cfwrap/..%2foutside.js')
    expect(outside.status).toBe(403)
    expect(await outside.text()).toBe('')
    // `%2e%2e` is folded by URL parsing into the folder itself, where there is no outside.js.
    expect((await fetchApp('app://cfwrap/%2e%2e/outside.js')).status).toBe(404)
    expect((await fetchApp('app://cfwrap/missing.js')).status).toBe(404)
  })
})

describe('session and webContents hardening', () => {
  it('denies every permission request and check, except clipboard writes from our own pages', () => {
    const session = new SessionMock()
    hardenSession(session as never, null, trustedRendererUrl(null))
    for (const permission of ['media', 'notifications', 'clipboard-read', 'openExternal', 'geolocation', 'hid', 'fileSystem']) {
      const callback = vi.fn()
      session.permissionRequestHandler?.({}, permission, callback, { requestingUrl: RENDERER_ENTRY_URL })
      expect(callback).toHaveBeenCalledWith(false)
      expect(session.permissionCheckHandler?.({}, permission, 'app://cfwrap', {})).toBe(false)
    }
    const ours = vi.fn()
    session.permissionRequestHandler?.({}, 'clipboard-sanitized-write', ours, { requestingUrl: RENDERER_ENTRY_URL })
    expect(ours).toHaveBeenCalledWith(true)
    expect(session.permissionCheckHandler?.({}, 'clipboard-sanitized-write', 'app://cfwrap', {})).toBe(true)
    const foreign = vi.fn()
    session.permissionRequestHandler?.({}, 'clipboard-sanitized-write', foreign, { requestingUrl: 'https://evil.example/' })
    expect(foreign).toHaveBeenCalledWith(false)
    expect(session.permissionCheckHandler?.({}, 'clipboard-sanitized-write', 'https://evil.example', {})).toBe(false)
    expect(session.devicePermissionHandler?.({})).toBe(false)
  })

  it('cancels requests to the network and adds the CSP header to responses', () => {
    const session = new SessionMock()
    hardenSession(session as never, null, trustedRendererUrl(null))
    const beforeRequest = vi.fn()
    session.beforeRequest?.({ url: 'https://evil.example/beacon' }, beforeRequest)
    expect(beforeRequest).toHaveBeenCalledWith({ cancel: true })
    session.beforeRequest?.({ url: 'app://cfwrap/index.html' }, beforeRequest)
    expect(beforeRequest).toHaveBeenLastCalledWith({ cancel: false })
    const headers = vi.fn()
    session.headersReceived?.({ url: 'app://cfwrap/index.html', responseHeaders: { 'X-Other': ['1'] } }, headers)
    expect(headers).toHaveBeenCalledWith({ responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })

  it('leaves the dev server responses alone in npm run dev', () => {
    const session = new SessionMock()
    hardenSession(session as never, 'http://localhost:5173', trustedRendererUrl('http://localhost:5173'))
    const headers = vi.fn()
    session.headersReceived?.({ url: 'http://localhost:5173/src/main.tsx', responseHeaders: {} }, headers)
    expect(headers).toHaveBeenCalledWith({})
  })

  it('keeps the window on our pages, sends allow-listed links to the browser, refuses new windows and webviews', () => {
    const contents = new WebContentsMock()
    hardenWebContents(contents as never, trustedRendererUrl(null))

    const internal = navigationEvent('app://cfwrap/index.html')
    contents.emit('will-navigate', internal)
    expect(internal.defaultPrevented).toBe(false)

    const dashboard = navigationEvent('https://dash.cloudflare.com/profile/api-tokens')
    contents.emit('will-navigate', dashboard)
    expect(dashboard.defaultPrevented).toBe(true)
    expect(shell.openExternal).toHaveBeenCalledWith('https://dash.cloudflare.com/profile/api-tokens')

    const evil = navigationEvent('https://evil.example/')
    contents.emit('will-navigate', evil)
    expect(evil.defaultPrevented).toBe(true)
    expect(shell.openExternal).toHaveBeenCalledTimes(1)

    const redirect = navigationEvent('https://evil.example/')
    contents.emit('will-redirect', redirect)
    expect(redirect.defaultPrevented).toBe(true)

    const webview = navigationEvent('app://cfwrap/')
    contents.emit('will-attach-webview', webview)
    expect(webview.defaultPrevented).toBe(true)

    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(contents.windowOpenHandler?.({ url: 'https://developers.cloudflare.com/' })).toEqual({ action: 'deny' })
    expect(shell.openExternal).toHaveBeenLastCalledWith('https://developers.cloudflare.com/')
    expect(shell.openExternal).toHaveBeenCalledTimes(2)
  })
})
