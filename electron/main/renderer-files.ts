// Maps `app://cfwrap/<path>` requests to files under out/renderer, refusing anything that would
// leave that folder. Pure (node:path only), so path traversal is unit-tested without Electron.
import { extname, isAbsolute, relative, resolve, sep } from 'node:path'
import { APP_HOST, APP_SCHEME } from './security-policy'

/** What a request for a renderer file resolves to. */
export type RendererFileLookup =
  | { ok: true; file: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string }

/** Content types of the files Vite emits; anything else is refused rather than guessed at. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
}

/** The content type served for `file`, or null when the extension is not one Vite emits. */
export function contentTypeFor(file: string): string | null {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? null
}

/**
 * Resolves a request URL to a file inside `root` (an absolute path). Refuses other schemes and
 * hosts, methods other than GET/HEAD, encoded or literal `..` that climbs out of `root`, backslashes
 * (a separator on Windows), NUL bytes and unknown file types. `/` serves index.html.
 */
export function resolveRendererFile(root: string, requestUrl: string, method = 'GET'): RendererFileLookup {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: `method ${method} is not served` }
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return { ok: false, status: 400, reason: 'unparsable URL' }
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { ok: false, status: 403, reason: 'foreign origin' }
  // Check the raw path before decoding too: URL parsing already folds literal `..`, but a `%2e%2e`,
  // `%2f` or `%5c` decoded afterwards must not get a second chance to climb.
  let decoded: string
  try {
    decoded = decodeURIComponent(url.pathname)
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' }
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 403, reason: 'forbidden character in path' }
  const segments = decoded.split('/').filter((segment) => segment !== '')
  if (segments.some((segment) => segment === '..' || segment === '.')) return { ok: false, status: 403, reason: 'path traversal' }
  const relativePath = segments.length === 0 ? 'index.html' : segments.join(sep)
  const rootPath = resolve(root)
  const file = resolve(rootPath, relativePath)
  const fromRoot = relative(rootPath, file)
  if (fromRoot === '' || fromRoot.startsWith('..') || isAbsolute(fromRoot)) return { ok: false, status: 403, reason: 'outside the renderer folder' }
  const contentType = contentTypeFor(file)
  if (contentType === null) return { ok: false, status: 404, reason: 'not a renderer asset' }
  return { ok: true, file, contentType }
}
