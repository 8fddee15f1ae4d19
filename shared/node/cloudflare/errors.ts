// Cloudflare's failures reduced to a small `kind` and one sentence that never carries a secret.
import { UserError } from '../../common/errors'
import type { ApiErrorKind } from '../../common/events'
import { redact } from '../../common/redact'

type CloudflareModule = typeof import('cloudflare')

/** A Cloudflare API failure, reduced to what callers decide on. The message never contains a secret. */
export class CloudflareApiError extends UserError {
  override name = 'CloudflareApiError'
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly details: { status?: number; code?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, 1, 'api')
  }

  /** Seconds Cloudflare asked us to wait (429 only). */
  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds
  }

  /** True for failures worth retrying later without anyone changing anything. */
  get transient(): boolean {
    return this.kind === 'rate-limited' || this.kind === 'server' || this.kind === 'network'
  }
}


/** Codes Cloudflare uses for a bad, expired or under-privileged credential (see cloudflare.md). */
const AUTH_CODES = new Set([1000, 1001, 6003, 6111, 9106, 9109, 10000])

function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined
}

/** When a 429 carries no retry-after: Cloudflare's block lasts 5 minutes, but asking again after 1 is cheap. */
export const DEFAULT_RETRY_AFTER_SECONDS = 60

/** Turns whatever the SDK threw into a {@link CloudflareApiError} describing `what` was attempted. */
export function mapSdkError(sdk: CloudflareModule, error: unknown, what: string, baseURL: string): CloudflareApiError {
  if (error instanceof CloudflareApiError) return error
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new CloudflareApiError('network', `Cloudflare did not answer ${what} in time; it is retried later.`)
  }
  if (error instanceof sdk.APIConnectionError || !(error instanceof sdk.APIError)) {
    let host = baseURL
    try {
      host = new URL(baseURL).host
    } catch {
      // Keep the URL as given.
    }
    return new CloudflareApiError('network', `cfwrap cannot reach the Cloudflare API (${host}) for ${what}; check the network connection.`)
  }
  const status = error.status ?? 0
  const first = (error.errors as Array<{ code?: unknown; message?: unknown }> | undefined)?.[0]
  const code = typeof first?.code === 'number' ? first.code : undefined
  // Cloudflare's own text is scrubbed of the credential and of anything token-shaped.
  const apiMessage = typeof first?.message === 'string' ? redact(first.message) : ''
  const detail = apiMessage ? ` (Cloudflare says: ${apiMessage}${code !== undefined ? `, code ${code}` : ''})` : ` (HTTP ${status})`
  const details = { status, ...(code !== undefined ? { code } : {}) }
  if (status === 429) {
    const headers = error.headers as Headers | undefined
    const retryAfterSeconds = parseRetryAfter(headers?.get('retry-after')) ?? DEFAULT_RETRY_AFTER_SECONDS
    return new CloudflareApiError('rate-limited', `Cloudflare is rate limiting this account; ${what} can be tried again in ${Math.max(1, retryAfterSeconds)}s.`, {
      ...details,
      retryAfterSeconds,
    })
  }
  if (status === 404) return new CloudflareApiError('not-found', `Cloudflare found nothing for ${what}${detail}.`, details)
  if (status >= 500) return new CloudflareApiError('server', `Cloudflare had an internal error during ${what}${detail}; it is retried later.`, details)
  // 403: the credential authenticated but lacks a permission (Cloudflare answers 9109 or 10000 here).
  if (status === 403) {
    return new CloudflareApiError('permission', `Cloudflare refused ${what}: the minting credential lacks the permission for it${detail}.`, details)
  }
  if (status === 401 || (code !== undefined && AUTH_CODES.has(code))) {
    return new CloudflareApiError(
      'auth',
      `Cloudflare rejected the minting credential during ${what}${detail}: it may be revoked, expired or mistyped. Store a working one with \`cfwrap --setup\`.`,
      details,
    )
  }
  if (/quota|maximum number of|too many (api )?tokens/i.test(apiMessage)) {
    return new CloudflareApiError('quota', `Cloudflare refused ${what}: the token quota is used up${detail}.`, details)
  }
  return new CloudflareApiError('bad-request', `Cloudflare refused ${what}${detail}.`, details)
}
