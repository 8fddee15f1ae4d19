// The fake's records and the envelope of every answer.
import { randomBytes } from 'node:crypto'
import { ResourceMap, TokenCondition } from './types'

export interface UserRecord {
  id: string
  email: string
  firstName: string
  lastName: string
  createdOn: number
  globalApiKey: string | null
}

export interface AccountRecord {
  id: string
  name: string
  createdOn: number
  memberUserIds: Set<string>
}

export type OwnerRef = { kind: 'user'; userId: string } | { kind: 'account'; accountId: string }

export interface StoredPolicy {
  id: string
  effect: 'allow' | 'deny'
  resources: ResourceMap
  permissionGroupIds: string[]
}

export interface StoredToken {
  id: string
  name: string
  owner: OwnerRef
  value: string
  disabled: boolean
  issuedOn: number
  modifiedOn: number
  lastUsedOn: number | null
  notBefore: number | null
  expiresOn: number | null
  policies: StoredPolicy[]
  condition: TokenCondition
  /** Creation order, for stable listing. */
  sequence: number
}

export type Principal = { kind: 'token'; token: StoredToken } | { kind: 'global-key'; user: UserRecord }

export interface ApiAnswer {
  status: number
  body: unknown
  headers?: Record<string, string>
  /** Raw body (not JSON) for edge error pages. */
  rawBody?: string
}

export interface ErrorDetail {
  code: number
  message: string
  error_chain?: Array<{ code: number; message: string }>
}

/** Thrown inside handlers; turned into a v4 failure envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain?: Array<{ code: number; message: string }>,
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
}

export const HEX32 = /^[0-9a-f]{32}$/
export const DEFAULT_USER_ID = '7c5dae5552338874e5053f2534d2767a'
export const DEFAULT_USER_EMAIL = 'developer@example.com'
export const DEFAULT_ACCOUNT_ID = '023e105f4ecef8ad9ca31a8372d0c353'
export const DEFAULT_ACCOUNT_NAME = 'Example Account'
export const SUPER_ADMIN_ROLE = 'Super Administrator - All Privileges'
export const FIVE_MINUTES_MS = 5 * 60 * 1000
export const MAX_BODY_BYTES = 1024 * 1024

export function randomHex32(): string {
  return randomBytes(16).toString('hex')
}

// The API reports whole-second UTC timestamps.
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function toMs(value: Date | string | number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (!Number.isFinite(ms)) throw new Error(`not a date: ${String(value)}`)
  return Math.floor(ms / 1000) * 1000
}

export function envelope(result: unknown, resultInfo?: Record<string, number>): unknown {
  return resultInfo === undefined
    ? { success: true, errors: [], messages: [], result }
    : { success: true, errors: [], messages: [], result, result_info: resultInfo }
}

export function ok(result: unknown, resultInfo?: Record<string, number>): ApiAnswer {
  return { status: 200, body: envelope(result, resultInfo) }
}

export function failureAnswer(error: ApiError): ApiAnswer {
  const detail: ErrorDetail = { code: error.code, message: error.message }
  if (error.chain) detail.error_chain = error.chain
  return {
    status: error.status,
    body: { success: false, errors: [detail], messages: [], result: null },
    ...(error.headers ? { headers: error.headers } : {}),
  }
}
