// The secret scanner: finds plaintext credentials in shell profiles and project files.
//
// Design notes
// - Pure and browser-safe: text or bytes in, findings out; no Node built-ins, no I/O. Callers read
//   files, decide `origin` and `gitIgnored`, and pass them in a ScanContext.
// - Two levels. Four "candidate" regexes run over the whole text in native code, each anchored on
//   something rare so the engine skips through ordinary text (one alternation of everything
//   tries every alternative at every position and ran at a third of the speed): (a) a vendor
//   prefix found at its `_`, `-` or `.` and confirmed by a lookbehind (cfut_, sk-, SG.), a few
//   rare literals (AIza, eyJ…), the Slack webhook host and the private-key header; (b) an `=` or
//   `:` right after a name ending in a secret word (TOKEN, SECRET, PASSWORD, KEY, AUTH,
//   Authorization, CLOUDFLARE…); (c) a statement at a line start that binds with a blank (fish
//   `set`, `setenv`, `ENV`, `.netrc`); (d) `://user:password@`. A cheap check at each hit (does a
//   token shape really start here? does the line hold a value?) drops most of them. The lines
//   that survive, in text order and each once, are parsed by `parseLine` (assignment forms,
//   quotes, comments, exports) and searched for tokens. Lines without a candidate are never
//   split or sliced, and line numbers are counted (by native indexOf) only up to the last
//   finding. This is what makes a 100 MB tree cheap: nothing allocates per line.
// - Linear time: every regex is either a literal alternation, or bounded quantifiers over
//   character classes anchored by a sticky position or a literal. The only repeated groups (a
//   `ghs_` token's `.part`s, a name's `_PROD` suffixes) are bounded and start with a separator
//   their body cannot contain, so they never backtrack into each other.
//   The private-key footer search is memoised (FooterFinder) so that headers without footers do
//   not rescan the text. Long lines are parsed once, not once per hit on them.
// - Prefix-less formats (pre-2026 Cloudflare tokens and Global API Keys, Access and R2 secrets, AWS
//   secret keys and session tokens, Twilio secrets, generic secrets) are reported only when the
//   name they are bound to says what they are; names that say "id", "hash" or "public" never make
//   a secret (`values.ts`). Prefixed tokens are reported whatever they are called:
//   `NEXT_PUBLIC_KEY=sk_live_…` is a leak.
// - Placeholders, references (`$VAR`, `$(cmd)`, `op://…`) and documentation samples are dropped.
// - Never stores the secret: a finding carries kind, place and `fingerprint()`.
// - Severity (see `severityOf`): commented → low; shell profile → critical when exported (also by a
//   later bare `export X`), else high; project file → high, or medium when git ignores it. A
//   generic secret (a secret-named key, no known format) is one step lower.
// - Columns count UTF-16 code units (as JavaScript and most editors do). Lines end at \n; a \r
//   before it is dropped; a lone \r (classic Mac) does not end a line.
// - Bytes (`scanBytes`): over the cap or binary (NUL or >10% control bytes in the first 8 KiB) →
//   skipped with a reason. UTF-16 with a BOM is decoded. Invalid UTF-8 is decoded lossily and
//   scanned anyway, because every credential format is ASCII and a Latin-1 comment in a
//   .bashrc must not hide the token two lines below; the result counts the replacements.

import { fingerprint } from '../fingerprint'
import type { Finding, ScanContext, ScanResult } from './finding'
import type { SecretKind, Severity } from './kinds'
import { parseLine, syntaxForFile, type Binding, type Syntax } from './line-structure'
import { FooterFinder, TOKEN_ANCHORED_SOURCE, TOKEN_PREFIX_SOURCE, URL_CREDENTIALS_SOURCE, findUrlPasswords, matchPrivateKeyAt, matchSlackWebhookAt, matchTokenAt } from './tokens'
import { isPlaceholder, isReference, isWeakPassword, kindFromName, nameSaysPublic, type NameHints } from './values'

const SLACK_HOST = 'hooks.slack.com/'
const PRIVATE_KEY_HEADER = '-----BEGIN '
// The first pass: separate regexes, each anchored on something rare so the engine skips quickly
// through ordinary text (one alternation of everything would try every alternative everywhere).
// - SHAPE_CANDIDATE: a vendor prefix, the Slack webhook host or a private-key header.
const SHAPE_CANDIDATE = new RegExp(TOKEN_ANCHORED_SOURCE, 'g')
// How far before its anchor letter a letter-anchored prefix starts (see TOKEN_ANCHORED_SOURCE).
const LETTER_ANCHOR_OFFSETS = [0, 1, 2, 4]
// - NAME_CANDIDATE: an `=` or `:` right after a name ending in a secret or vendor word (TOKEN,
//   SECRET, PASSWORD, KEY, AUTH, CREDENTIALS, Authorization, CLOUDFLARE…; one short `_PROD`
//   or `_2` suffix allowed, two cost twice the time): where generic secrets, `.npmrc`'s _authToken and the
//   prefix-less formats (CF_API_TOKEN, X-Auth-Key, AWS_SECRET_ACCESS_KEY) are bound.
const NAME_CANDIDATE =
  /[=:](?<=(?:secrets?|token|passw(?:or)?d|pwd|passphrase|auth|credentials?|key|authorization|cloudflare)(?:_[a-z0-9]{1,10})?["']?[ \t]{0,3}[=:])/gi
// - STATEMENT_CANDIDATE: a line that binds a name to a value without `=` or `:` after it: fish
//   `set`, csh `setenv`, `setx`, `launchctl setenv`, Dockerfile `ENV`, PowerShell `Set-Item` and
//   `[Environment]::SetEnvironmentVariable(…)`, `.netrc`'s `machine`/`login`/`password`.
//   Anchored on the newline before it.
const STATEMENT_CANDIDATE =
  /(?:^|\n)[ \t]*(?:(?:set(?:env|x)?|ENV|passw(?:or)?d|machine|login|(?:Set|New)-Item|launchctl)[ \t]|\[(?:System\.)?Environment\]::)/g
// - URL_CANDIDATE: `://user:password@`, anchored on its literal `://`.
const URL_CANDIDATE = new RegExp(URL_CREDENTIALS_SOURCE, 'g')
const TOKEN_IN_LINE = new RegExp(`${TOKEN_PREFIX_SOURCE}|hooks\\.slack\\.com\\/|-----BEGIN `, 'g')
// A value a name could make a secret: after `=`, `:` or a blank (and an optional quote or auth
// scheme), 8 or more characters a generator uses. Most lines that merely mention a token fail it.
const CONTEXT_VALUE_SHAPE = /[=:\s]\s*["'`]?(?:Bearer\s+|Token\s+)?[A-Za-z0-9_+/=.~!@%^&*:;,?#-]{8}/
const QUERY_PARAMETER = /[?&]([A-Za-z_][A-Za-z0-9_.-]{0,63})=([^&\s"'#]{1,512})/g
const CLOUDFLARE_WORD = /cloudflare/i
const EXPORT_WORD = /\b(?:export|declare|typeset|setenv)\b/g
// Passwords that only ever appear in examples and local development defaults.
const DUMMY_PASSWORDS = new Set(['password', 'passwd', 'secret', 'changeme', 'pass123', 'password123', 'example', 'mypassword', 'yourpassword'])
// Documentation writes `user:pass@`, `abc:xyz@`, `u:pw@`, `foo:bar@`; a password worth stealing is longer.
const MIN_URL_PASSWORD_LENGTH = 6
const CR = 13
/** Longest value a name alone can make a secret (AWS session tokens reach a few KB). */
const MAX_NAMED_VALUE_LENGTH = 4096

/** A secret located on one line before it becomes a finding. */
interface Hit {
  kind: SecretKind
  /** Offsets in the line. */
  start: number
  end: number
  /** What gets fingerprinted: the text at [start, end), or a private key's normalised body. */
  secret: string
}

/** The severity of a finding from where it is and how it is written (rules in the design notes above). */
export function severityOf(ctx: ScanContext, commented: boolean, exported: boolean): Severity {
  if (commented) return 'low'
  if (ctx.origin === 'shell-profile') return exported ? 'critical' : 'high'
  return ctx.gitIgnored === true ? 'medium' : 'high'
}

const ONE_STEP_LOWER: Readonly<Record<Severity, Severity>> = { critical: 'high', high: 'medium', medium: 'low', low: 'low' }

/** `severityOf`, one step lower for a generic secret: its name, not its format, says it is one. */
function severityOfKind(kind: SecretKind, ctx: ScanContext, commented: boolean, exported: boolean): Severity {
  const severity = severityOf(ctx, commented, exported)
  return kind === 'generic-secret' ? ONE_STEP_LOWER[severity] : severity
}

/**
 * The parts of one line already claimed by a secret, so that a URL password or a named value is
 * not reported again inside a token. Claims never overlap; few per line, so a linear check is
 * fastest, and a per-character map takes over on pathological lines with thousands of them.
 */
class ClaimedSpans {
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  private map: Uint8Array | undefined

  constructor(private readonly lineLength: number) {}

  add(start: number, end: number): void {
    this.starts.push(start)
    this.ends.push(end)
    if (this.map === undefined && this.starts.length > 32) {
      this.map = new Uint8Array(this.lineLength + 1)
      for (let i = 0; i < this.starts.length; i++) this.map.fill(1, this.starts[i], this.ends[i])
    } else if (this.map !== undefined) {
      this.map.fill(1, start, end)
    }
  }

  /** True when [start, end) touches a claimed span. Callers keep end - start small (≤ 512). */
  overlaps(start: number, end: number): boolean {
    const last = Math.max(end, start + 1)
    if (this.map !== undefined) {
      for (let i = start; i < last; i++) if (this.map[i] === 1) return true
      return false
    }
    for (let i = 0; i < this.starts.length; i++) if (start < (this.ends[i] as number) && (this.starts[i] as number) < last) return true
    return false
  }
}

/** How far back from a secret `bindingAt` looks for the binding that holds it (bounds pathological lines). */
const BINDING_LOOKBACK = 64

/** The innermost binding whose value holds `offset`, given bindings sorted by valueStart. */
function bindingAt(sorted: readonly Binding[], offset: number): Binding | undefined {
  // Last binding starting at or before offset, by binary search.
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((sorted[middle] as Binding).valueStart <= offset) low = middle + 1
    else high = middle
  }
  // Nested bindings start inside their parents, so the innermost holder is the nearest one that holds.
  for (let i = low - 1; i >= 0 && i >= low - BINDING_LOOKBACK; i--) {
    const binding = sorted[i] as Binding
    if (offset < binding.valueEnd) return binding
  }
  return undefined
}

/** One scan of one text; holds the lazily counted line numbers and the footer memo. */
class TextScanner {
  readonly findings: Finding[] = []
  /** Findings from plain `X=secret` statements, which a bare `export X` elsewhere in a profile exports. */
  private readonly exportableLater = new Set<Finding>()
  private readonly fingerprints = new Map<string, string>()
  private readonly syntax: Syntax
  private readonly footers: FooterFinder
  // Lines are counted only up to where findings are: countedLines newlines lie before countedTo.
  private countedTo = 0
  private countedLines = 0
  // The last YAML line whose parents were looked up (see yamlParentsOf).
  private yamlMemo: { lineStart: number; indent: number; parents: string[] } | undefined
  // The last line tested by lineHoldsValue, and its answer.
  private shapeCheckedLine = -1
  private lineHasShape = false

  constructor(
    private readonly text: string,
    private readonly ctx: ScanContext,
  ) {
    this.syntax = syntaxForFile(ctx.file)
    this.footers = new FooterFinder(text)
  }

  run(): Finding[] {
    const lineStarts: number[] = []
    this.collectLines(SHAPE_CANDIDATE, lineStarts, (match, at) => {
      const lead = match[1] ?? match[2] ?? match[3]
      if (lead !== undefined) return this.tokenStartsAt(at - lead.length)
      // A prefix found at a letter inside it (the `z` of AIza, the `J` of eyJ): its start is a few characters back.
      return LETTER_ANCHOR_OFFSETS.some((back) => at - back >= 0 && this.tokenStartsAt(at - back))
    })
    this.collectLines(NAME_CANDIDATE, lineStarts, (_match, _at, lineStart, lineEnd) => this.lineHoldsValue(lineStart, lineEnd))
    this.collectLines(STATEMENT_CANDIDATE, lineStarts, (_match, _at, lineStart, lineEnd) => this.lineHoldsValue(lineStart, lineEnd))
    this.collectLines(URL_CANDIDATE, lineStarts, () => true)
    // Lines in text order, each once; a private key's own lines are skipped (scanLine's resume).
    lineStarts.sort((a, b) => a - b)
    let resume = 0
    for (let i = 0; i < lineStarts.length; i++) {
      const lineStart = lineStarts[i] as number
      if (lineStart < resume || (i > 0 && lineStart === lineStarts[i - 1])) continue
      let lineEnd = this.text.indexOf('\n', lineStart)
      if (lineEnd === -1) lineEnd = this.text.length
      resume = this.scanLine(lineStart, lineEnd)
    }
    if (this.ctx.origin === 'shell-profile') this.applyLaterExports()
    return this.findings
  }

  /**
   * Runs one first-pass regex over the whole text and adds the start of every line where a hit
   * passes `worthParsing`; once a line is in, the rest of it is skipped.
   */
  private collectLines(
    candidates: RegExp,
    lineStarts: number[],
    worthParsing: (match: RegExpExecArray, at: number, lineStart: number, lineEnd: number) => boolean,
  ): void {
    const text = this.text
    candidates.lastIndex = 0
    let lineStart = 0
    let lineEnd = -1
    for (let match = candidates.exec(text); match !== null; match = candidates.exec(text)) {
      // A match that starts with the newline before its line (STATEMENT_CANDIDATE) belongs to that line.
      const at = match[0].charCodeAt(0) === 10 ? match.index + 1 : match.index
      if (at >= lineEnd) {
        lineStart = at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1
        lineEnd = text.indexOf('\n', at)
        if (lineEnd === -1) lineEnd = text.length
      }
      if (!worthParsing(match, at, lineStart, lineEnd)) continue
      lineStarts.push(lineStart)
      // Resume at the newline itself: STATEMENT_CANDIDATE's next match starts with it.
      candidates.lastIndex = lineEnd
      lineEnd = -1
    }
  }

  /** Whether the line holds something a name could make a secret (CONTEXT_VALUE_SHAPE); one test per line. */
  private lineHoldsValue(lineStart: number, lineEnd: number): boolean {
    if (this.shapeCheckedLine !== lineStart) {
      this.shapeCheckedLine = lineStart
      this.lineHasShape = CONTEXT_VALUE_SHAPE.test(this.text.slice(lineStart, lineEnd))
    }
    return this.lineHasShape
  }

  /** Cheap confirmation that the candidate at `at` really starts a secret. */
  private tokenStartsAt(at: number): boolean {
    if (this.text.startsWith(SLACK_HOST, at)) return matchSlackWebhookAt(this.text, at) !== undefined
    if (this.text.startsWith(PRIVATE_KEY_HEADER, at)) return true
    return matchTokenAt(this.text, at) !== undefined
  }

  /** Finds every secret on the line [lineStart, lineEnd); returns where the candidate search resumes. */
  private scanLine(lineStart: number, lineEnd: number): number {
    const text = this.text
    let end = lineEnd
    if (end > lineStart && text.charCodeAt(end - 1) === CR) end--
    const line = text.slice(lineStart, end)
    let resume = lineEnd + 1
    const hits: Hit[] = []
    const claimed = new ClaimedSpans(line.length)

    TOKEN_IN_LINE.lastIndex = 0
    for (let match = TOKEN_IN_LINE.exec(line); match !== null; match = TOKEN_IN_LINE.exec(line)) {
      const at = match.index
      let hit: Hit | undefined
      if (match[0] === SLACK_HOST) {
        const webhook = matchSlackWebhookAt(line, at)
        if (webhook !== undefined) hit = { ...webhook, secret: line.slice(webhook.start, webhook.end) }
      } else if (match[0] === PRIVATE_KEY_HEADER) {
        const key = matchPrivateKeyAt(text, lineStart + at, this.footers)
        if (key !== undefined) {
          hit = { kind: 'private-key', start: at, end: Math.min(key.end - lineStart, line.length), secret: key.body }
          // Skip the key's own lines; resume after the line holding its footer.
          const footerLineEnd = text.indexOf('\n', key.end)
          resume = Math.max(resume, footerLineEnd === -1 ? text.length : footerLineEnd + 1)
        }
      } else {
        const token = matchTokenAt(line, at)
        if (token !== undefined) hit = { ...token, secret: line.slice(token.start, token.end) }
      }
      if (hit !== undefined) {
        hits.push(hit)
        claimed.add(hit.start, hit.end)
        TOKEN_IN_LINE.lastIndex = Math.max(TOKEN_IN_LINE.lastIndex, hit.end)
      }
    }

    if (line.includes('://')) {
      for (const url of findUrlPasswords(line)) {
        if (claimed.overlaps(url.start, url.end) || isDummyPassword(url.user, url.password, hostAfter(line, url.end + 1))) continue
        hits.push({ kind: 'url-password', start: url.start, end: url.end, secret: url.password })
        claimed.add(url.start, url.end)
      }
    }

    const structure = parseLine(line, this.syntax)
    const bindings = line.includes('?') || line.includes('&') ? structure.bindings.concat(queryParameterBindings(line)) : structure.bindings
    const hints: NameHints = { cloudflareOnLine: CLOUDFLARE_WORD.test(line) }
    if (this.syntax === 'yaml' && (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9)) hints.parents = this.yamlParentsOf(lineStart)
    for (const binding of bindings) {
      const { valueStart, valueEnd } = binding
      if (valueEnd - valueStart < 8 || valueEnd - valueStart > MAX_NAMED_VALUE_LENGTH || claimed.overlaps(valueStart, valueEnd)) continue
      const value = line.slice(valueStart, valueEnd)
      const kind = kindFromName(binding.name, value, hints)
      if (kind === undefined) continue
      hits.push({ kind, start: valueStart, end: valueEnd, secret: value })
      claimed.add(valueStart, valueEnd)
    }

    if (hits.length > 0) this.report(lineStart, structure.commentStart, bindings, hits)
    return resume
  }

  private report(lineStart: number, commentStart: number, bindings: readonly Binding[], hits: Hit[]): void {
    hits.sort((a, b) => a.start - b.start)
    const sorted = bindings.slice().sort((a, b) => a.valueStart - b.valueStart)
    const line = this.lineNumberAt(lineStart)
    const lineSecrets: LineSecrets = { hits }
    for (const hit of hits) {
      const binding = bindingAt(sorted, hit.start)
      // Browser keys (Firebase, Maps) are public by design when the name says so; see nameSaysPublic.
      if (hit.kind === 'google-api-key' && binding !== undefined && nameSaysPublic(binding.name)) continue
      const commented = commentStart !== -1 && hit.start >= commentStart
      const exported = binding?.exported ?? false
      const variable = binding !== undefined && isSafeName(binding.name, lineSecrets) ? binding.name : undefined
      const finding: Finding = {
        file: this.ctx.file,
        line,
        column: hit.start + 1,
        kind: hit.kind,
        severity: severityOfKind(hit.kind, this.ctx, commented, exported),
        fingerprint: this.fingerprintOf(hit.secret),
        commented,
        exported,
      }
      if (variable !== undefined) finding.variable = variable
      this.findings.push(finding)
      if (binding?.setsVariable === true && !exported && !commented) this.exportableLater.add(finding)
    }
  }

  /**
   * `yamlParents`, remembered for the last line asked: a following line with the same indentation
   * has the same parents unless a key with less indentation lies between them, which is checked
   * over just the lines in between. So a long run of sibling keys costs one walk up, not one each.
   */
  private yamlParentsOf(lineStart: number): string[] {
    const indent = indentationAt(this.text, lineStart)
    const memo = this.yamlMemo
    if (memo !== undefined && memo.indent === indent && memo.lineStart < lineStart && !keyLessIndentedBetween(this.text, memo.lineStart, lineStart, indent)) {
      memo.lineStart = lineStart
      return memo.parents
    }
    const parents = yamlParents(this.text, lineStart)
    this.yamlMemo = { lineStart, indent, parents }
    return parents
  }

  /** `fingerprint()` with a per-scan cache: generated files repeat one secret thousands of times. */
  private fingerprintOf(secret: string): string {
    let known = this.fingerprints.get(secret)
    if (known === undefined) {
      known = fingerprint(secret)
      this.fingerprints.set(secret, known)
    }
    return known
  }

  /** 1-based number of the line starting at `lineStart`; counts newlines only since the last call. */
  private lineNumberAt(lineStart: number): number {
    const text = this.text
    for (let next = text.indexOf('\n', this.countedTo); next !== -1 && next < lineStart; next = text.indexOf('\n', this.countedTo)) {
      this.countedLines++
      this.countedTo = next + 1
    }
    return this.countedLines + 1
  }

  /**
   * In a profile, `X=secret` followed (or preceded) by a bare `export X` exports the secret too.
   * Looked for only when some finding needs it, so most files never pay for this pass.
   */
  private applyLaterExports(): void {
    if (this.exportableLater.size === 0) return
    const exportedNames = new Set<string>()
    const text = this.text
    EXPORT_WORD.lastIndex = 0
    for (let match = EXPORT_WORD.exec(text); match !== null; match = EXPORT_WORD.exec(text)) {
      const lineStart = text.lastIndexOf('\n', match.index) + 1
      let lineEnd = text.indexOf('\n', match.index)
      if (lineEnd === -1) lineEnd = text.length
      const structure = parseLine(text.slice(lineStart, lineEnd).replace(/\r$/, ''), 'shell')
      for (const name of structure.exportedNames) exportedNames.add(name)
      for (const binding of structure.bindings) {
        const inComment = structure.commentStart !== -1 && binding.valueStart >= structure.commentStart
        if (binding.exported && !inComment) exportedNames.add(binding.name)
      }
      EXPORT_WORD.lastIndex = lineEnd + 1
    }
    for (const finding of this.exportableLater) {
      if (finding.variable === undefined || !exportedNames.has(finding.variable)) continue
      finding.exported = true
      finding.severity = severityOfKind(finding.kind, this.ctx, false, true)
    }
  }
}

/** Longest variable name a finding carries; longer "names" are text the parser mistook for one. */
const MAX_NAME_LENGTH = 128

/** Above this many secrets on one line, names are checked against a set of them instead of one by one. */
const LINEAR_NAME_CHECK_HITS = 64

/** The secrets found on one line, for `isSafeName`: the set of them and their distinct lengths. */
interface LineSecrets {
  hits: readonly Hit[]
  set?: Set<string>
  lengths?: number[]
}

/** True when `name` contains one of the line's secrets; by substring lookups when the line holds many. */
function nameHoldsSecret(name: string, secrets: LineSecrets): boolean {
  if (secrets.hits.length <= LINEAR_NAME_CHECK_HITS) {
    for (const hit of secrets.hits) if (hit.secret.length > 0 && name.includes(hit.secret)) return true
    return false
  }
  if (secrets.set === undefined) {
    secrets.set = new Set(secrets.hits.map((hit) => hit.secret).filter((secret) => secret.length > 0 && secret.length <= MAX_NAME_LENGTH))
    secrets.lengths = [...new Set([...secrets.set].map((secret) => secret.length))].sort((x, y) => x - y)
  }
  for (const length of secrets.lengths ?? []) {
    if (length > name.length) break
    for (let at = 0; at + length <= name.length; at++) if (secrets.set.has(name.slice(at, at + length))) return true
  }
  return false
}

/**
 * Whether a binding's name may go into a finding. Names come from the file's text, and a
 * `KEY: value` reading of `ghp_…: x` or `curl -u AKIA…:secret` would make a secret the name:
 * such names, and any that contain a secret found on the line, are left out.
 */
function isSafeName(name: string, secrets: LineSecrets): boolean {
  if (name.length > MAX_NAME_LENGTH) return false
  if (nameHoldsSecret(name, secrets)) return false
  TOKEN_IN_LINE.lastIndex = 0
  for (let match = TOKEN_IN_LINE.exec(name); match !== null; match = TOKEN_IN_LINE.exec(name)) {
    if (matchTokenAt(name, match.index) !== undefined || matchSlackWebhookAt(name, match.index) !== undefined) return false
  }
  return true
}

/** How many lines above a YAML line `yamlParents` looks for the keys it is nested under. */
const YAML_PARENT_LOOKBACK_LINES = 200
const YAML_KEY = /^([ \t]*)(?:-[ \t]+)?["']?([A-Za-z0-9_.-]{1,64})["']?[ \t]*:(?:[ \t\r]|$)/

/** Spaces and tabs at the start of the line at `lineStart`. */
function indentationAt(text: string, lineStart: number): number {
  let i = lineStart
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
  return i - lineStart
}

/** Whether a YAML key line indented less than `indent` starts in [from, to) (after the line at `from`). */
function keyLessIndentedBetween(text: string, from: number, to: number, indent: number): boolean {
  for (let start = text.indexOf('\n', from) + 1; start > 0 && start < to; start = text.indexOf('\n', start) + 1) {
    if (indentationAt(text, start) >= indent) continue
    const end = text.indexOf('\n', start)
    if (YAML_KEY.test(text.slice(start, Math.min(end === -1 ? text.length : end, start + 256)))) return true
  }
  return false
}

/**
 * The keys a YAML line at `lineStart` is nested under, outermost first, found by walking up to
 * lines with less indentation (a bounded number of lines; comments and blank lines skipped).
 */
function yamlParents(text: string, lineStart: number): string[] {
  const parents: string[] = []
  let end = lineStart - 1
  const own = text.slice(lineStart, lineStart + 256)
  let indent = own.length - own.replace(/^[ \t]+/, '').length
  for (let seen = 0; end > 0 && indent > 0 && seen < YAML_PARENT_LOOKBACK_LINES; seen++) {
    const start = text.lastIndexOf('\n', end - 1) + 1
    const line = text.slice(start, Math.min(end, start + 256))
    end = start - 1
    const match = YAML_KEY.exec(line)
    if (match === null) continue
    const lineIndent = (match[1] ?? '').length
    if (lineIndent >= indent) continue
    parents.unshift(match[2] ?? '')
    indent = lineIndent
  }
  return parents
}

/** `?token=…&api_key=…` parameters as bindings, so they name and give context to their values. */
function queryParameterBindings(line: string): Binding[] {
  const bindings: Binding[] = []
  QUERY_PARAMETER.lastIndex = 0
  for (let match = QUERY_PARAMETER.exec(line); match !== null; match = QUERY_PARAMETER.exec(line)) {
    const [whole, name = '', value = ''] = match
    const valueEnd = match.index + whole.length
    bindings.push({ name, valueStart: valueEnd - value.length, valueEnd, exported: false, setsVariable: false })
  }
  return bindings
}

/** The host of a URL whose authority continues at `from` (just past its `@`), lower-cased. */
function hostAfter(line: string, from: number): string {
  URL_HOST.lastIndex = from
  return (URL_HOST.exec(line)?.[0] ?? '').toLowerCase()
}
const URL_HOST = /\[[0-9a-fA-F:.]*\]|[A-Za-z0-9._-]*/y

/**
 * True for hosts that only exist on the developer's machine or in documentation: localhost,
 * loopback and unspecified addresses, `.local`/`.localhost`/`.test`/`.example`/`.internal`,
 * example.com/org/net, and single-label names (docker-compose services such as `db`).
 */
function isLocalOrExampleHost(host: string): boolean {
  if (host === '' || !host.includes('.')) return true
  if (host.startsWith('127.') || host === '0.0.0.0' || host === '[::1]' || host === '[::]') return true
  if (/(?:^|\.)(?:localhost|local|test|example|invalid|internal)$/.test(host)) return true
  return /(?:^|\.)example\.(?:com|org|net)$/.test(host)
}

function isDummyPassword(user: string, password: string, host: string): boolean {
  if (password.length < MIN_URL_PASSWORD_LENGTH || password === user || isReference(password) || DUMMY_PASSWORDS.has(password.toLowerCase())) return true
  // A tutorial's `mypassword` or a service's default on localhost is nobody's secret.
  if (isLocalOrExampleHost(host) && isWeakPassword(password)) return true
  // Percent-encoded or templated placeholders: %3Cpassword%3E, {password}, <password>.
  const decoded = password.replace(/%3C/gi, '<').replace(/%3E/gi, '>').replace(/%7B/gi, '{')
  return isPlaceholder(decoded)
}

/** Every plaintext secret in `text` (a leading BOM is ignored; LF or CRLF lines), in order of position. */
export function scanText(text: string, ctx: ScanContext): Finding[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  return new TextScanner(body, ctx).run()
}

/** Default cap on the size of a file `scanBytes` scans. */
export const DEFAULT_MAX_SCAN_BYTES = 5 * 1024 * 1024
/** How much of the start of a file the binary check looks at. */
const SNIFF_LENGTH = 8 * 1024
/** Share of control characters in the sniffed bytes above which a file counts as binary. */
const MAX_CONTROL_SHARE = 0.1

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false })

/** Why the first bytes say this is not text, or undefined for text. */
function binaryReason(bytes: Uint8Array): string | undefined {
  const length = Math.min(bytes.length, SNIFF_LENGTH)
  let control = 0
  for (let i = 0; i < length; i++) {
    const byte = bytes[i] as number
    if (byte === 0) return `NUL byte at offset ${i}`
    // Tab, LF, VT, FF, CR and ESC (colour codes in prompts) are normal in text files.
    if ((byte < 32 && byte !== 9 && byte !== 10 && byte !== 11 && byte !== 12 && byte !== 13 && byte !== 27) || byte === 127) control++
  }
  if (length > 0 && control / length > MAX_CONTROL_SHARE) return `${control} control bytes in the first ${length}`
  return undefined
}

function countReplacements(text: string): number {
  let count = 0
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) count++
  return count
}

/**
 * Whether bytes that start with a UTF-16 BOM really are UTF-16: an even length, and in the first
 * 4 KiB enough code units whose high byte is zero (ASCII letters, digits, spaces and line ends in
 * UTF-16), which 8-bit text after a stray BOM never has.
 */
function looksLikeUtf16(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): boolean {
  if (bytes.length % 2 !== 0) return false
  const end = Math.min(bytes.length, 4098)
  let units = 0
  let zeroHigh = 0
  for (let i = 2; i + 1 < end; i += 2) {
    units++
    if (bytes[encoding === 'utf-16le' ? i + 1 : i] === 0) zeroHigh++
  }
  return units === 0 || zeroHigh * 20 >= units
}

/**
 * Scans a file's bytes: skips files over `maxBytes` (default 5 MiB) and binary files, decodes
 * UTF-8 (or UTF-16 with a BOM), and scans invalid UTF-8 lossily rather than not at all.
 */
export function scanBytes(bytes: Uint8Array, ctx: ScanContext, opts: { maxBytes?: number } = {}): ScanResult {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_SCAN_BYTES
  if (bytes.length > maxBytes) {
    return { findings: [], skipped: { reason: 'too-large', detail: `${bytes.length} bytes, over the ${maxBytes}-byte limit` } }
  }
  // Windows PowerShell writes UTF-16 with a BOM; its NUL bytes would otherwise look binary. The BOM
  // is a claim, not proof: FF FE before plain ASCII would decode into CJK look-alikes and hide every
  // secret, so UTF-16 is believed only with evidence (see looksLikeUtf16).
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined
  if (utf16 !== undefined && !looksLikeUtf16(bytes, utf16)) {
    const rest = bytes.subarray(2)
    const binary = binaryReason(rest)
    if (binary !== undefined) return { findings: [], skipped: { reason: 'binary', detail: binary } }
    const text = lossyUtf8.decode(rest)
    const replacements = countReplacements(text)
    return {
      findings: scanText(text, ctx),
      ...(replacements > 0 ? { invalidUtf8Replacements: replacements } : {}),
      notice: `starts with a ${utf16.toUpperCase()} byte-order mark, but what follows is 8-bit text; read as UTF-8 instead`,
    }
  }
  if (utf16 !== undefined) {
    let text: string
    try {
      text = new TextDecoder(utf16).decode(bytes)
    } catch {
      return { findings: [], skipped: { reason: 'binary', detail: `${utf16} text, which this runtime cannot decode` } }
    }
    return { findings: scanText(text, ctx) }
  }
  const binary = binaryReason(bytes)
  if (binary !== undefined) return { findings: [], skipped: { reason: 'binary', detail: binary } }
  try {
    return { findings: scanText(strictUtf8.decode(bytes), ctx) }
  } catch {
    // Not UTF-8 (Latin-1 comments, a stray byte): secrets are ASCII, so a lossy decode loses none.
    const text = lossyUtf8.decode(bytes)
    return { findings: scanText(text, ctx), invalidUtf8Replacements: countReplacements(text) }
  }
}
