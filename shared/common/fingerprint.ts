import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'

/** Length, in hex characters, of a secret's fingerprint. */
export const FINGERPRINT_LENGTH = 12

/** The fingerprint by which a secret is named everywhere: the first 12 hex digits of its SHA-256. */
export function fingerprint(secret: string): string {
  return bytesToHex(sha256(utf8ToBytes(secret))).slice(0, FINGERPRINT_LENGTH)
}
