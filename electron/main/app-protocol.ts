// Serves the renderer from `app://cfwrap/…` instead of `file://`: a file:// page may read any local
// file the user can, a custom origin reaches only what this handler returns (files under
// out/renderer, see renderer-files.ts), each with the CSP header attached.
import { readFile } from 'node:fs/promises'
import { protocol, type Session } from 'electron'
import { resolveRendererFile } from './renderer-files'
import { APP_RESPONSE_HEADERS, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './security-policy'

/** Declares the scheme's privileges. Electron accepts this only before the app's `ready` event. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES])
}

/** Answers `app://cfwrap/…` requests of `session` from the files under `rendererRoot`. */
export function serveRenderer(session: Session, rendererRoot: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const lookup = resolveRendererFile(rendererRoot, request.url, request.method)
    if (!lookup.ok) return new Response(null, { status: lookup.status, headers: APP_RESPONSE_HEADERS })
    try {
      const body = await readFile(lookup.file)
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { ...APP_RESPONSE_HEADERS, 'content-type': lookup.contentType },
      })
    } catch {
      return new Response(null, { status: 404, headers: APP_RESPONSE_HEADERS })
    }
  })
}
