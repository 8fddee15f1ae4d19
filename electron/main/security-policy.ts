// The app's security policy as plain data and pure predicates (CSP, URL allow-lists, the IPC
// sender check), so a unit test reads every one of them without starting Electron. The adapters
// (window.ts, hardening.ts, app-protocol.ts, ipc-main.ts) only apply what is decided here; the
// window's webPreferences are written where the window is created (window.ts), where
// electronegativity can read them. Electron's checklist:
// https://www.electronjs.org/docs/latest/tutorial/security
import type { CustomScheme } from 'electron'

/** The custom scheme the window is served from; `file://` would grant the page every local file. */
export const APP_SCHEME = 'app'

/** The one host of the custom scheme. */
export const APP_HOST = 'cfwrap'

/** The page the window opens. */
export const RENDERER_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/**
 * The custom scheme's privileges. `standard` gives it an origin and relative-URL resolution like
 * https, `secure` makes it a secure context, `supportFetchAPI` lets the page fetch its own assets.
 * Deliberately absent: `bypassCSP` (the CSP must hold), `corsEnabled`, `allowServiceWorkers`,
 * `stream`. Must be registered before the app's `ready` event.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
}

/**
 * The Content-Security-Policy sent with every page and asset the window loads. Same directives as
 * the `<meta>` in renderer/index.html, so the two never disagree; the header also covers the
 * directives a `<meta>` cannot carry (`frame-ancestors`). `connect-src 'none'`: the window talks to
 * the core over IPC only, never to the network.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers added to every response of the custom protocol. */
export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
}

/** The parts of a URL that decide whether it belongs to the app, or null for an unparsable URL. */
function parseUrl(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * True for URLs of the app's own pages (`app://cfwrap/…`). Compares scheme and host, not
 * `URL.origin`: for a scheme WHATWG does not know, Node reports the origin as the string "null".
 */
export function isAppUrl(url: string): boolean {
  const parsed = parseUrl(url)
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === ''
}

/**
 * The dev server origin electron-vite starts for `npm run dev`, or null. Honoured only for an
 * unpackaged app and only on the loopback interface, so an environment variable can never make a
 * packaged app trust a remote page.
 */
export function devServerOrigin(rendererUrl: string | undefined, isPackaged: boolean): string | null {
  if (isPackaged || !rendererUrl) return null
  const parsed = parseUrl(rendererUrl)
  if (!parsed || parsed.protocol !== 'http:') return null
  if (!['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)) return null
  return parsed.origin
}

/** A predicate for "this URL is our renderer": the custom protocol, plus the dev server when given. */
export function trustedRendererUrl(devOrigin: string | null): (url: string) => boolean {
  return (url) => {
    if (isAppUrl(url)) return true
    if (devOrigin === null) return false
    const parsed = parseUrl(url)
    return parsed !== null && parsed.origin === devOrigin
  }
}

/**
 * Web pages the window may hand to the default browser (via `shell.openExternal`); everything else
 * is refused. https only, exact hosts: the Cloudflare dashboard and docs, and this project's pages.
 */
export const EXTERNAL_URL_HOSTS: readonly string[] = ['dash.cloudflare.com', 'developers.cloudflare.com', 'www.cloudflare.com']

/** True when `url` may be opened in the default browser. */
export function isAllowedExternalUrl(url: string): boolean {
  const parsed = parseUrl(url)
  if (!parsed || parsed.protocol !== 'https:') return false
  if (parsed.username !== '' || parsed.password !== '' || parsed.port !== '') return false
  return EXTERNAL_URL_HOSTS.includes(parsed.hostname)
}

/** The parts of an IPC event the sender check reads (structurally a subset of Electron's). */
export interface IpcSenderInfo {
  sender: unknown
  senderFrame: { url: string; parent: unknown } | null
}

/**
 * True when an IPC message comes from our window's main frame showing our page. Checks identity
 * (the exact webContents we created) and what it shows (the frame's URL), because either alone can
 * be fooled: another webContents could load our URL, and our webContents could be navigated away.
 */
export function isTrustedSender(
  event: IpcSenderInfo,
  expectedSender: unknown,
  isTrustedUrl: (url: string) => boolean,
): boolean {
  if (expectedSender === null || expectedSender === undefined) return false
  if (event.sender !== expectedSender) return false
  const frame = event.senderFrame
  // A null frame means it navigated or was destroyed after sending; a parent means a sub-frame.
  if (frame === null || frame.parent !== null) return false
  return isTrustedUrl(frame.url)
}

/** Schemes the window's session may load besides our renderer: DevTools' own pages and inline data. */
const INTERNAL_SCHEMES: readonly string[] = ['devtools:', 'chrome-extension:', 'data:', 'blob:']

/**
 * True for requests the window's session lets through; everything else is cancelled before it
 * leaves the machine. The window needs no network at all (it reaches the core over IPC), so this
 * backs the CSP's `connect-src 'none'` for anything the CSP does not cover. In `npm run dev` the
 * dev server's HTTP and its hot-reload WebSocket are allowed too.
 */
export function isAllowedSessionRequest(url: string, devOrigin: string | null): boolean {
  const parsed = parseUrl(url)
  if (!parsed) return false
  if (INTERNAL_SCHEMES.includes(parsed.protocol) || isAppUrl(url)) return true
  if (devOrigin === null) return false
  if (parsed.protocol === 'http:') return parsed.origin === devOrigin
  if (parsed.protocol === 'ws:') return `http://${parsed.host}` === devOrigin
  return false
}

/**
 * The one permission the window gets, and only on our own pages: writing (never reading) the
 * clipboard, for the window's "Copy cfwrap command" button (which copies a token's name, never a
 * secret). Every other permission — camera, microphone, notifications from the page, clipboard
 * reads, HID, USB, serial, geolocation… — is denied.
 */
export const WINDOW_PERMISSIONS: readonly string[] = ['clipboard-sanitized-write']

/** True when `permission`, asked for by a page at `requestingUrl`, is granted. */
export function isPermissionGranted(permission: string, requestingUrl: string | undefined, isTrustedUrl: (url: string) => boolean): boolean {
  return WINDOW_PERMISSIONS.includes(permission) && requestingUrl !== undefined && isTrustedUrl(requestingUrl)
}
