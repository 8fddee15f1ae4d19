// Where the last `cfwrap --scan` saw each secret: absolute file, line and fingerprint, never the
// value. `--adopt FILE:LINE` compares the line with it, so a line that changed since the scan is
// refused instead of adopting whatever is there now.

import { join, resolve } from 'node:path'
import * as z from 'zod/mini'
import { writeFileAtomic } from './fs-atomic'
import { readPrivateFile } from './private-files'

const FILE_NAME = 'last-scan.json'
/** More findings than this are not remembered: a scan that large is not followed by one adopt. */
const MAX_REMEMBERED = 2000

const LastScanSchema = z.object({
  findings: z.array(z.object({ file: z.string(), line: z.number(), fingerprint: z.string() })),
})

/** Remembers where a scan found what (best effort: a scan never fails for want of this file). */
export function rememberScan(dir: string, findings: readonly { file: string; line: number; fingerprint: string }[], cwd = process.cwd()): void {
  try {
    const kept = findings.slice(0, MAX_REMEMBERED).map((finding) => ({ file: resolve(cwd, finding.file), line: finding.line, fingerprint: finding.fingerprint }))
    writeFileAtomic(join(dir, FILE_NAME), `${JSON.stringify({ findings: kept })}\n`)
  } catch {
    // A read-only or missing state directory: adopt then checks nothing beyond the current file.
  }
}

/** The fingerprints the last scan saw on `line` of `file` (absolute), or undefined when it saw that file's line empty or never scanned it. */
export function fingerprintsSeenAt(dir: string, file: string, line: number): string[] | undefined {
  let parsed
  try {
    parsed = LastScanSchema.safeParse(JSON.parse(readPrivateFile(join(dir, FILE_NAME))))
  } catch {
    return undefined
  }
  if (!parsed.success) return undefined
  const seen = parsed.data.findings.filter((finding) => finding.file === file && finding.line === line).map((finding) => finding.fingerprint)
  return seen.length > 0 ? seen : undefined
}
