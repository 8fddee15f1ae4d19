// `cfwrap --adopt FILE:LINE`: moves a plaintext Cloudflare API token from a file into the vault.
//
// The file is someone's profile or project file, so every byte but the one line is kept exactly:
// UTF-8 files are edited as bytes (a Latin-1 comment elsewhere stays Latin-1), UTF-16 files are
// decoded and encoded back with their byte-order mark, line ends (LF, CRLF) and a missing final
// newline are untouched, and the file's mode is kept. The line is replaced, not deleted, by a
// comment saying where the token went and how to use it, so line numbers do not move.
//
// `planAdopt` reads and decides and changes nothing; `writeAdoptedFile` writes the backup and
// the new file with the comment the caller chose (it knows the token's name only once it has
// looked in the vault). Between them the caller stores the secret: if that fails, the file is
// untouched.

import { lstatSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { UserError } from '../common/errors'
import { ADOPTABLE_KINDS, SECRET_KIND_INFO, scanBytes, type Finding, type SecretKind } from '../common/scan'
import { tokenAtFinding } from '../common/scan/tokens'
import { STORED_TOKEN_NAME } from '../common/ids'
import { replaceFileAtomic, writeFileAtomic } from './fs-atomic'
import { readRegularFile } from './safe-read'


/** The largest file `--adopt` rewrites; profiles and `.env` files are far smaller. */
const MAX_ADOPT_BYTES = 5 * 1024 * 1024

type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be'

/** What `planAdopt` found: the secret, where it is, and how to build the file with that line replaced. */
export interface AdoptPlan {
  /** The file as given, and its real path (links resolved: only a regular file is edited). */
  path: string
  line: number
  secret: string
  fingerprint: string
  kind: SecretKind
  variable: string | null
  /** The file's bytes as read. */
  original: Uint8Array
  /** The file's bytes with the line replaced by `comment`, indented as the line was and behind the file's comment marker. */
  withComment: (comment: string) => Uint8Array
  /** The file's permission bits, kept on the new file. */
  mode: number
}

/** Splits `PATH:LINE` as given on the command line; the path may itself contain colons. */
export function parseFileLine(text: string): { file: string; line: number } | null {
  const match = /^(.+):([1-9][0-9]{0,8})$/.exec(text)
  return match ? { file: match[1] as string, line: Number(match[2]) } : null
}

function encodingOf(bytes: Uint8Array): Encoding {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le'
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be'
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8-bom'
  return 'utf-8'
}

/** The comment marker a file's syntax takes, or null for JSON, which has none. */
function commentMarker(path: string): string | null {
  const lower = path.toLowerCase()
  if (lower.endsWith('.json') || lower.endsWith('.jsonc') || lower.endsWith('.json5')) return null
  return '#'
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * True when the line holds nothing but the assignment of `secret` (to `variable`), in any of the
 * forms the scanner reads: `export X=v`, `X="v"`, `set -gx X v`, `setenv X v`, `$env:X = "v"`,
 * `X: v`, `X = "v"`, optionally followed by `;` and a comment. Anything else on the line would be
 * lost with it, so such lines are left for the person to edit.
 */
function isWholeAssignment(line: string, variable: string | null, secret: string): boolean {
  const name = variable === null ? '[A-Za-z_][A-Za-z0-9_.-]*' : escapeRegExp(variable)
  const lead = '(?:export\\s+|declare\\s+-[A-Za-z]*x[A-Za-z]*\\s+|typeset\\s+-[A-Za-z]*x[A-Za-z]*\\s+|set\\s+(?:-[A-Za-z]+\\s+|--[a-z]+\\s+)*|setenv\\s+|\\$env:)?'
  const value = `(["']?)${escapeRegExp(secret)}\\1`
  const pattern = new RegExp(`^\\s*${lead}["']?${name}["']?(?:\\s*[=:]\\s*|\\s+)${value}\\s*;?\\s*(?:#.*)?$`, 'i')
  return pattern.test(line)
}

/** Byte offsets of line `line` (1-based) in UTF-8 bytes: its start and the end of its content (before `\r\n` or `\n`). */
function utf8LineRange(bytes: Uint8Array, line: number, from: number): { start: number; end: number } | null {
  let start = from
  for (let n = 1; n < line; n++) {
    const next = bytes.indexOf(0x0a, start)
    if (next === -1) return null
    start = next + 1
  }
  if (start > bytes.length || (start === bytes.length && line > 1)) return null
  let end = bytes.indexOf(0x0a, start)
  if (end === -1) end = bytes.length
  if (end > start && bytes[end - 1] === 0x0d) end--
  return { start, end }
}

/**
 * Reads `path`, finds the adoptable secret on `line` (one of `expectedFingerprints` when
 * given: what the scan saw there), and says how to build the file with that line replaced. Throws a
 * UserError with one sentence for everything it refuses: not a regular file, a link, no such
 * line, no Cloudflare API token on it, a different secret than the scan saw, more than the
 * assignment on the line, JSON.
 */
export function planAdopt(
  path: string,
  line: number,
  options: { expectedFingerprints?: readonly string[]; isProfile: boolean },
): AdoptPlan {
  let linkStat
  try {
    linkStat = lstatSync(path)
  } catch (error) {
    throw new UserError(`cannot adopt from ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'it cannot be read'}.`)
  }
  if (linkStat.isSymbolicLink()) throw new UserError(`${path} is a symbolic link; cfwrap rewrites only regular files: adopt from ${safeRealpath(path)} instead.`)
  if (!linkStat.isFile()) throw new UserError(`${path} is not a regular file; cfwrap rewrites only regular files.`)
  const marker = commentMarker(path)
  if (marker === null) throw new UserError(`${path} is JSON, which has no comments to leave in the token's place: move the token by hand and keep it with \`cfwrap --add NAME\`.`)
  const read = readRegularFile(path, MAX_ADOPT_BYTES)
  if (!('bytes' in read)) throw new UserError(`cannot adopt from ${path}: ${read.detail}.`)
  const original = new Uint8Array(read.bytes)
  const result = scanBytes(original, { file: path, origin: options.isProfile ? 'shell-profile' : 'project' }, { maxBytes: MAX_ADOPT_BYTES })
  if (result.skipped) throw new UserError(`cannot adopt from ${path}: it is ${result.skipped.reason === 'binary' ? 'not a text file' : 'too large'}.`)
  const onLine = result.findings.filter((finding) => finding.line === line)
  const encoding = encodingOf(original)
  const { lineText, replace } = lineEditor(original, encoding, line, path)

  const expected = options.expectedFingerprints
  if (expected !== undefined && !onLine.some((finding) => expected.includes(finding.fingerprint))) {
    throw new UserError(`line ${line} of ${path} changed since the scan: the secret with fingerprint ${expected.join(' or ')} is no longer there. Scan again (\`cfwrap --scan ${path}\`) and adopt what it finds.`)
  }
  const candidates = onLine.filter((finding) => (expected === undefined || expected.includes(finding.fingerprint)) && !finding.commented)
  if (candidates.length === 0) {
    const other = onLine[0]
    throw new UserError(
      other === undefined
        ? `line ${line} of ${path} holds no secret cfwrap can see.`
        : other.commented
          ? `the secret on line ${line} of ${path} is commented out; delete the comment (and rotate the token if it was ever live).`
          : `line ${line} of ${path} holds a ${SECRET_KIND_INFO[other.kind].title}, not a Cloudflare API token; cfwrap keeps Cloudflare API tokens only.`,
    )
  }
  const adoptable = candidates.filter((finding) => ADOPTABLE_KINDS.has(finding.kind))
  if (adoptable.length === 0) {
    const title = SECRET_KIND_INFO[(candidates[0] as Finding).kind].title
    throw new UserError(`line ${line} of ${path} holds a ${title}, not a Cloudflare API token; cfwrap keeps Cloudflare API tokens only, so move it to your secret manager.`)
  }
  if (adoptable.length > 1) throw new UserError(`line ${line} of ${path} holds ${adoptable.length} tokens; say which with --fingerprint (\`cfwrap --scan ${path}\` prints them).`)
  const finding = adoptable[0] as Finding
  const secret = tokenAtFinding(lineText, finding)
  if (secret === null) throw new UserError(`line ${line} of ${path} changed while it was read; scan again.`)
  const variable = finding.variable ?? null
  if (!isWholeAssignment(lineText, variable, secret)) {
    throw new UserError(`line ${line} of ${path} holds more than the assignment of the token; put the assignment on a line of its own, or move the token by hand.`)
  }
  const indent = /^[ \t]*/.exec(lineText)?.[0] ?? ''
  const withComment = (comment: string): Uint8Array => replace(`${indent}${marker} ${comment}`)
  return { path, line, secret, fingerprint: finding.fingerprint, kind: finding.kind, variable, original, withComment, mode: linkStat.mode & 0o7777 }
}

/** The decoded text of one line and a function that returns the whole file with that line's content replaced. */
function lineEditor(bytes: Uint8Array, encoding: Encoding, line: number, path: string): { lineText: string; replace: (content: string) => Uint8Array } {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    let text: string
    try {
      text = new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(2))
    } catch {
      throw new UserError(`${path} starts like UTF-16 but is not valid UTF-16; edit it by hand.`)
    }
    let start = 0
    for (let n = 1; n < line; n++) {
      const next = text.indexOf('\n', start)
      if (next === -1) throw new UserError(`${path} has no line ${line}.`)
      start = next + 1
    }
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    if (end > start && text.charCodeAt(end - 1) === 13) end--
    return {
      lineText: text.slice(start, end),
      replace: (content) => {
        const units = Buffer.from(text.slice(0, start) + content + text.slice(end), 'utf16le')
        if (encoding === 'utf-16be') units.swap16()
        return new Uint8Array(Buffer.concat([Buffer.from(bytes.subarray(0, 2)), units]))
      },
    }
  }
  const range = utf8LineRange(bytes, line, encoding === 'utf-8-bom' ? 3 : 0)
  if (range === null) throw new UserError(`${path} has no line ${line}.`)
  return {
    lineText: new TextDecoder('utf-8').decode(bytes.subarray(range.start, range.end)),
    replace: (content) => new Uint8Array(Buffer.concat([Buffer.from(bytes.subarray(0, range.start)), Buffer.from(content, 'utf8'), Buffer.from(bytes.subarray(range.end))])),
  }
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return 'the file it points to'
  }
}

/**
 * Writes a 0600 backup of the original into `backupDir` (0700), then replaces the file atomically
 * with the line turned into `comment`, keeping its old mode. Refuses when the file changed since `planAdopt` read
 * it. Returns the backup's path.
 */
export function writeAdoptedFile(plan: AdoptPlan, comment: string, backupDir: string, now: Date): string {
  const current = readRegularFile(plan.path, MAX_ADOPT_BYTES)
  if (!('bytes' in current) || !Buffer.from(current.bytes).equals(Buffer.from(plan.original))) {
    throw new UserError(`${plan.path} changed while cfwrap was adopting its token; the token is stored, the file is untouched: run the adopt again.`)
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const backup = join(backupDir, `${basename(plan.path)}.${stamp}.${plan.fingerprint}.bak`)
  writeFileAtomic(backup, plan.original)
  replaceFileAtomic(plan.path, plan.withComment(comment), plan.mode)
  return backup
}

/** The project directory of a file: the nearest ancestor holding `.git`, a Wrangler config or `package.json`, else the file's own directory. */
export function projectDirOf(file: string, stopAt: string): string {
  const start = dirname(file)
  for (let dir = start; ; dir = dirname(dir)) {
    for (const marker of ['.git', 'wrangler.toml', 'wrangler.jsonc', 'wrangler.json', 'package.json']) {
      try {
        statSync(join(dir, marker))
        return dir
      } catch {
        // Not here; look further up.
      }
    }
    if (dir === stopAt || dirname(dir) === dir) return start
  }
}

/** A default vault name for an adopted token: `<place>:<variable>`, made to fit the stored-name rule. */
export function defaultAdoptName(place: string, variable: string | null, taken: (name: string) => boolean): string {
  const base = `${place}:${variable ?? 'cloudflare-token'}`.replace(/[^A-Za-z0-9._:@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'adopted'
  let name = STORED_TOKEN_NAME.test(base) ? base : 'adopted'
  for (let n = 2; taken(name); n++) name = `${base}-${n}`
  return name
}
