// Applies the security policy (security-policy.ts) to Electron's session and to every webContents
// the app ever creates. Applied from `web-contents-created`, so a webContents created later (DevTools,
// a future second window) is covered without anyone remembering to.
import { shell, type Session, type WebContents } from 'electron'
import { CONTENT_SECURITY_POLICY, isAllowedExternalUrl, isAllowedSessionRequest, isPermissionGranted } from './security-policy'

/** Opens `url` in the default browser when it is on the allow list; other URLs are dropped. */
export function openExternalIfAllowed(url: string): boolean {
  if (!isAllowedExternalUrl(url)) return false
  // Reviewed for electronegativity's OPEN_EXTERNAL_JS_CHECK: only https URLs on the exact-host
  // allow-list get here, so a page cannot make the OS open file:, smb: or custom-scheme URLs.
  void shell.openExternal(url) // eng-disable OPEN_EXTERNAL_JS_CHECK
  return true
}

/**
 * Denies every permission except writing the clipboard from our own pages (see
 * `WINDOW_PERMISSIONS`; main shows notifications itself), and every device. Cancels network
 * requests the window has no reason to make, and adds the CSP header to every response except the
 * dev server's (Vite's hot reload needs inline scripts there; a packaged app never has one).
 */
export function hardenSession(session: Session, devOrigin: string | null, isTrustedUrl: (url: string) => boolean): void {
  session.setPermissionRequestHandler((_webContents, permission, callback, details) => {
    callback(isPermissionGranted(permission, details.requestingUrl, isTrustedUrl))
  })
  session.setPermissionCheckHandler((_webContents, permission, requestingOrigin) => isPermissionGranted(permission, requestingOrigin, isTrustedUrl))
  session.setDevicePermissionHandler(() => false)
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedSessionRequest(details.url, devOrigin) })
  })
  session.webRequest.onHeadersReceived((details, callback) => {
    const fromDevServer = devOrigin !== null && details.url.startsWith(`${devOrigin}/`)
    if (fromDevServer) {
      callback({})
      return
    }
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
}

/**
 * Keeps a webContents on our pages: navigation and redirects away from `isTrustedUrl` are
 * cancelled (allow-listed web pages go to the browser instead), new windows are never opened,
 * and `<webview>` cannot be attached.
 */
export function hardenWebContents(contents: WebContents, isTrustedUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event) => {
    if (isTrustedUrl(event.url)) return
    event.preventDefault()
    openExternalIfAllowed(event.url)
  })
  contents.on('will-redirect', (event) => {
    if (isTrustedUrl(event.url)) return
    event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => {
    event.preventDefault()
  })
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfAllowed(url)
    return { action: 'deny' }
  })
}
