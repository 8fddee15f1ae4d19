// Token secrets in Cloudflare's format: prefix, body and CRC32 checksum.
import { randomInt } from 'node:crypto'
import { crc32 } from 'node:zlib'

export const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const SECRET_BODY_LENGTH = 40

/** Prefixes of Cloudflare's 2026 credential format: user token, account token, Global API Key. */
export type SecretPrefix = 'cfut_' | 'cfat_' | 'cfk_'

export function crc32Hex(text: string): string {
  return crc32(text).toString(16).padStart(8, '0')
}

/**
 * A secret in Cloudflare's 2026 shape: prefix + 40 [A-Za-z0-9] + 8 lowercase hex. The suffix is the
 * CRC32 of everything before it, prefix included (the fake's pick; the real input is undocumented).
 */
export function makeTokenSecret(prefix: SecretPrefix): string {
  let body = ''
  for (let i = 0; i < SECRET_BODY_LENGTH; i++) body += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)]
  return `${prefix}${body}${crc32Hex(prefix + body)}`
}

/** Whether a string has the 2026 secret shape and a matching CRC32 suffix (as `makeTokenSecret` computes it). */
export function hasValidSecretChecksum(secret: string): boolean {
  const match = /^(cfut_|cfat_|cfk_)([A-Za-z0-9]{40})([0-9a-f]{8})$/.exec(secret)
  if (!match) return false
  return crc32Hex(`${match[1]}${match[2]}`) === match[3]
}
