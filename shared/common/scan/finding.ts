import * as z from 'zod/mini'
import { FINGERPRINT_LENGTH } from '../fingerprint'
import { SECRET_KINDS, SEVERITIES, type SecretKind, type Severity } from './kinds'

/** Where the scanned text came from; decides severity. */
export interface ScanContext {
  /** Path shown in findings (not read: the scanner does no I/O). Its name also picks the syntax (.json, .toml, .yaml…). */
  file: string
  /** A shell start-up file (exports reach every process) or a file inside a project. */
  origin: 'shell-profile' | 'project'
  /** For project files: whether git would ignore the file. Undefined counts as "would be committed". */
  gitIgnored?: boolean
}

/** One plaintext secret found in a file. Never carries the secret itself, only its fingerprint. */
export interface Finding {
  file: string
  /** 1-based line number. */
  line: number
  /** 1-based column, in UTF-16 code units, of the first character of the secret value. */
  column: number
  kind: SecretKind
  severity: Severity
  /** `fingerprint()` of the secret value (for private keys: of the key body without whitespace). */
  fingerprint: string
  /** The variable, key, header or query parameter the secret is assigned to, when there is one. */
  variable?: string
  /** The secret sits in a comment. */
  commented: boolean
  /** The assignment exports the variable to child processes (export, declare -x, set -gx, setenv…). */
  exported: boolean
}

/**
 * Why a file was not scanned: NUL bytes or many control characters in its first 8 KiB (`binary`),
 * or more bytes than the cap (`too-large`). `invalid-utf8` is reserved and not produced today:
 * such files are scanned after lossy decoding (secrets are ASCII), see `invalidUtf8Replacements`.
 */
export interface ScanSkip {
  reason: 'binary' | 'too-large' | 'invalid-utf8'
  /** One sentence for people, e.g. "7340032 bytes, over the 5242880-byte limit". */
  detail: string
}

/** The outcome of scanning one file's bytes. */
export interface ScanResult {
  findings: Finding[]
  /** Present when the file was not scanned at all; `findings` is then empty. */
  skipped?: ScanSkip
  /**
   * Present when the bytes were not valid UTF-8: the file was still scanned after replacing each bad
   * sequence with U+FFFD (secrets are ASCII, so none is lost), and this counts the replacements.
   */
  invalidUtf8Replacements?: number
  /** How the bytes were read when that was not what they claimed (a UTF-16 byte-order mark before 8-bit text). */
  notice?: string
}

/** zod/mini schema of a `ScanContext`. */
export const ScanContextSchema = z.object({
  file: z.string(),
  origin: z.enum(['shell-profile', 'project']),
  gitIgnored: z.optional(z.boolean()),
})

/** zod/mini schema of a `Finding`, for the IPC and --json boundaries. */
export const FindingSchema = z.object({
  file: z.string(),
  line: z.int().check(z.positive()),
  column: z.int().check(z.positive()),
  kind: z.enum(SECRET_KINDS),
  severity: z.enum(SEVERITIES),
  fingerprint: z.string().check(z.regex(new RegExp(`^[0-9a-f]{${FINGERPRINT_LENGTH}}$`))),
  variable: z.optional(z.string()),
  commented: z.boolean(),
  exported: z.boolean(),
})

/** zod/mini schema of a `ScanResult`. */
export const ScanResultSchema = z.object({
  findings: z.array(FindingSchema),
  skipped: z.optional(
    z.object({
      reason: z.enum(['binary', 'too-large', 'invalid-utf8']),
      detail: z.string(),
    }),
  ),
  invalidUtf8Replacements: z.optional(z.int().check(z.nonnegative())),
})

// Keep the hand-written interfaces and the schemas in step: each line fails to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _findingMatchesSchema: Same<z.infer<typeof FindingSchema>, Finding> = true
const _resultMatchesSchema: Same<z.infer<typeof ScanResultSchema>, ScanResult> = true
const _contextMatchesSchema: Same<z.infer<typeof ScanContextSchema>, ScanContext> = true
