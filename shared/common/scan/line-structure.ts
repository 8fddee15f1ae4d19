// What one line says about names and values: which value is bound to which name, whether the
// binding is exported, and where a comment starts. Deliberately tolerant rather than a shell,
// YAML or TOML parser: it must never fail, must stay linear in the line's length, and only has
// to find names good enough to give a value context. Runs only on the few lines that hold a
// candidate secret, so clarity wins over speed here.

/** The grammar a file's lines are read with, chosen from its name. */
export type Syntax = 'shell' | 'yaml' | 'toml' | 'json' | 'netrc'

/** The syntax for a file name: JSON(C), TOML and YAML by extension, `.netrc`, everything else (profiles, .env, .npmrc, scripts, fish, csh, PowerShell, Dockerfiles) as shell. */
export function syntaxForFile(file: string): Syntax {
  const lower = file.toLowerCase()
  if (lower.endsWith('.json') || lower.endsWith('.jsonc') || lower.endsWith('.json5')) return 'json'
  if (lower.endsWith('.toml')) return 'toml'
  if (lower.endsWith('.yml') || lower.endsWith('.yaml')) return 'yaml'
  if (lower.endsWith('.netrc') || lower.endsWith('_netrc')) return 'netrc'
  return 'shell'
}

/** A value bound to a name on one line: a variable assignment, a YAML/TOML/JSON key, a header, a flag. */
export interface Binding {
  name: string
  /** Offset in the line of the value's first character (after any opening quote or `Bearer `). */
  valueStart: number
  /** Offset just past the value's last character (before any closing quote). */
  valueEnd: number
  /** Bound by `export`, `declare -x`, `typeset -x`, `set -x`/`-gx`/`-Ux`, `setenv` or PowerShell `$env:`. */
  exported: boolean
  /**
   * Sets a shell variable as a statement of its own (`X=v`, `local X=v`, `set X v`), so a bare
   * `export X` elsewhere exports it. False for a command's prefix (`X=v cmd`), keys, headers, flags.
   */
  setsVariable: boolean
}

/** The structure of one line. */
export interface LineStructure {
  bindings: Binding[]
  /** Offset where a comment starts (`#`, or `//` in JSON), or -1. Text after it is still parsed. */
  commentStart: number
  /** Names exported without a value outside comments (`export FOO`, `declare -x FOO`). */
  exportedNames: string[]
}

const SPACE = 32
const TAB = 9
const CR = 13
const HASH = 35
const SEMICOLON = 59
const AMPERSAND = 38
const PIPE = 124
const DOUBLE_QUOTE = 34
const SINGLE_QUOTE = 39
const BACKTICK = 96
const DOLLAR = 36
const BACKSLASH = 92
const OPEN_PAREN = 40
const CLOSE_PAREN = 41
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const EQUALS = 61
const COLON = 58
const SLASH = 47
const STAR = 42
const COMMA = 44

/** Nesting depth for quoted strings that hold commands or headers (`alias x='A=1 cmd'`, `-H "Authorization: Bearer …"`). */
const MAX_NESTING = 3

// Words that can precede a command without being it: `then export X=…`, `- KEY=value` (YAML list).
const STATEMENT_LEADERS = new Set(['then', 'do', 'else', '{', '(', '!', 'time', 'command', 'builtin', '-', 'sudo', 'env'])
const DECLARE_COMMANDS = new Set(['declare', 'typeset', 'local', 'readonly'])
// `Authorization: Bearer <token>`: the scheme word is not the secret.
const AUTH_SCHEMES = new Set(['Bearer', 'bearer', 'BEARER', 'Token', 'token'])

// `${NAME:-` / `${NAME:=` / `${NAME-` / `${NAME=` (group 1: NAME); the default follows.
const DEFAULT_EXPANSION = /\$\{([A-Za-z_][A-Za-z0-9_]*):?[-=]/y
// PowerShell: [Environment]::SetEnvironmentVariable('NAME', 'value', …) — group 1: NAME, group 2: the value's quote.
const SET_ENVIRONMENT_VARIABLE = /\[(?:System\.)?Environment\]::SetEnvironmentVariable\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*,\s*(["'])/gi
// PowerShell: Set-Item / New-Item [-Path] Env:NAME [-Value] value — group 2: an optional quote.
const SET_ITEM_ENV = /\b(?:Set|New)-Item\s+(?:-Path\s+)?["']?Env:([A-Za-z_][A-Za-z0-9_]*)["']?\s+(?:-Value\s+)?(["']?)/gi
// .npmrc: //registry.example/:_authToken=value (and _auth, _password).
const NPMRC_CREDENTIAL = /:(_authToken|_auth|_password)=/

/** Index of the first blank at or after `from`, or the line's end. */
function skipToBlank(line: string, from: number): number {
  let i = from
  while (i < line.length && !isBlank(line.charCodeAt(i))) i++
  return i
}

/** A word's extent in the line; a separator (`;`, `&&`, `|`, a comment marker) has start -1. */
interface Word {
  start: number
  end: number
}
const SEPARATOR: Word = { start: -1, end: -1 }

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB || code === CR || code === 11 || code === 12
}

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57) || code === 46 || code === 45
}

/** Index just past the closing `quote` that follows `from`, or `to` when it is unterminated. */
function skipQuoted(line: string, from: number, to: number, quote: number): number {
  for (let i = from; i < to; i++) {
    const code = line.charCodeAt(i)
    if (code === BACKSLASH && quote === DOUBLE_QUOTE) i++
    else if (code === quote) return i + 1
  }
  return to
}

/** Index just past the next `code` at or after `from`, or `to`. Bounded by `to`, unlike indexOf, so nested reads stay linear. */
function skipPast(line: string, from: number, to: number, code: number): number {
  for (let i = from; i < to; i++) if (line.charCodeAt(i) === code) return i + 1
  return to
}

/** Index just past the `)` that closes `$(`, counting nested parentheses. */
function skipParens(line: string, from: number, to: number): number {
  let depth = 1
  for (let i = from; i < to; i++) {
    const code = line.charCodeAt(i)
    if (code === OPEN_PAREN) depth++
    else if (code === CLOSE_PAREN && --depth === 0) return i + 1
  }
  return to
}

interface Lexed {
  words: Word[]
  commentStart: number
}

/**
 * Splits `line[from, to)` into words the way a shell would (quotes, `$(…)`, `${…}` and backslashes
 * keep a word together; `;`, `&&`, `||`, `|` separate statements). A `#` at a word start opens a
 * comment whose text is still split, with quotes honoured only at word starts: comments hold prose
 * with apostrophes. YAML and TOML take the same path with the same quote rule.
 */
function lexWords(line: string, from: number, to: number, syntax: Syntax, allowComments: boolean): Lexed {
  const words: Word[] = []
  let commentStart = -1
  let quotesAnywhere = syntax === 'shell'
  const shellOperators = syntax === 'shell'
  let i = from
  while (i < to) {
    const code = line.charCodeAt(i)
    if (isBlank(code)) {
      i++
      continue
    }
    if (allowComments && code === HASH) {
      if (commentStart === -1) commentStart = i
      quotesAnywhere = false
      words.push(SEPARATOR)
      i++
      continue
    }
    if (shellOperators && (code === SEMICOLON || code === PIPE || (code === AMPERSAND && (i + 1 >= to || line.charCodeAt(i + 1) === AMPERSAND || isBlank(line.charCodeAt(i + 1)))))) {
      words.push(SEPARATOR)
      i++
      continue
    }
    const start = i
    while (i < to) {
      const c = line.charCodeAt(i)
      if (isBlank(c)) break
      if (shellOperators && (c === SEMICOLON || c === PIPE || (c === AMPERSAND && (i + 1 >= to || isBlank(line.charCodeAt(i + 1)) || line.charCodeAt(i + 1) === AMPERSAND)))) break
      const quoteAllowed = quotesAnywhere || i === start || line.charCodeAt(i - 1) === EQUALS || line.charCodeAt(i - 1) === COLON
      if ((c === DOUBLE_QUOTE || c === SINGLE_QUOTE || c === BACKTICK) && quoteAllowed) {
        i = skipQuoted(line, i + 1, to, c)
      } else if (c === DOLLAR && i + 1 < to && line.charCodeAt(i + 1) === OPEN_PAREN) {
        i = skipParens(line, i + 2, to)
      } else if (c === DOLLAR && i + 1 < to && line.charCodeAt(i + 1) === OPEN_BRACE) {
        i = skipPast(line, i + 2, to, CLOSE_BRACE)
      } else if (c === BACKSLASH && quotesAnywhere) {
        i += 2
      } else {
        i++
      }
    }
    words.push({ start, end: Math.min(i, to) })
  }
  return { words, commentStart }
}

/** The text inside a value word: without surrounding quotes (`"v"`, `'v'`, `$'v'`) and, outside shell, without a trailing comma. */
function unquotedSpan(line: string, start: number, end: number, syntax: Syntax): { start: number; end: number; quoted: boolean } {
  let first = line.charCodeAt(start)
  if (first === DOLLAR && start + 1 < end && line.charCodeAt(start + 1) === SINGLE_QUOTE) {
    start++
    first = SINGLE_QUOTE
  }
  if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
    const close = skipQuoted(line, start + 1, end, first)
    const closed = close <= end && line.charCodeAt(close - 1) === first && close - 1 > start
    return { start: start + 1, end: closed ? close - 1 : end, quoted: true }
  }
  if (syntax !== 'shell') {
    while (end > start && line.charCodeAt(end - 1) === COMMA) end--
  }
  return { start, end, quoted: false }
}

function unquotedText(line: string, start: number, end: number, syntax: Syntax): string {
  const span = unquotedSpan(line, start, end, syntax)
  return line.slice(span.start, span.end)
}

/** Turns words into bindings; recurses into quoted strings that hold commands or headers. */
class LineReader {
  readonly bindings: Binding[] = []
  readonly exportedNames: string[] = []
  /** Whether bindings made now set a shell variable (see Binding.setsVariable). */
  private settingVariables = false

  constructor(
    private readonly line: string,
    private readonly syntax: Syntax,
  ) {}

  private bind(name: string, valueWord: Word | undefined, exported: boolean, depth: number): void {
    if (valueWord === undefined || valueWord.start < 0 || name.length === 0) return
    this.bindSpan(name, valueWord.start, valueWord.end, exported, depth)
  }

  /** Binds the value written at `line[start, end)` (quotes and a `Bearer ` scheme are stripped) to `name`. */
  bindSpan(name: string, start: number, end: number, exported: boolean, depth: number): void {
    const line = this.line
    const span = unquotedSpan(line, start, end, this.syntax)
    // `X=${X:-literal}`: the literal is the value, for X and for the variable it defaults.
    if (this.bindDefaultExpansion(span.start, span.end, exported, name)) return
    let valueStart = span.start
    // "Bearer <token>" as one quoted value: the token is what follows the scheme.
    for (const scheme of AUTH_SCHEMES) {
      if (!line.startsWith(scheme, valueStart) || line.charCodeAt(valueStart + scheme.length) !== SPACE) continue
      valueStart += scheme.length
      while (valueStart < span.end && line.charCodeAt(valueStart) === SPACE) valueStart++
      break
    }
    this.bindings.push({ name, valueStart, valueEnd: span.end, exported, setsVariable: this.settingVariables && depth === 0 })
    if (span.quoted) this.readNested(span.start, span.end, depth)
  }

  /**
   * `${NAME:-literal}`, `${NAME:=literal}` (and without the colon) at `line[start, end)`: binds the
   * literal to NAME and, when given, to the variable being assigned. False when it is not one or
   * its default is itself an expansion.
   */
  bindDefaultExpansion(start: number, end: number, exported: boolean, outerName?: string): boolean {
    const line = this.line
    if (!line.startsWith('${', start)) return false
    DEFAULT_EXPANSION.lastIndex = start
    const match = DEFAULT_EXPANSION.exec(line)
    if (match === null || match.index + match[0].length > end) return false
    const valueStart = match.index + match[0].length
    const close = skipPast(line, valueStart, end, CLOSE_BRACE)
    const valueEnd = line.charCodeAt(close - 1) === CLOSE_BRACE ? close - 1 : close
    if (valueEnd <= valueStart || line.charCodeAt(valueStart) === DOLLAR) return false
    const settingVariable = this.settingVariables
    this.bindings.push({ name: match[1] as string, valueStart, valueEnd, exported, setsVariable: false })
    if (outerName !== undefined && outerName !== match[1]) this.bindings.push({ name: outerName, valueStart, valueEnd, exported, setsVariable: settingVariable })
    return true
  }

  /** `[Environment]::SetEnvironmentVariable("X", "v", "User")` and `Set-Item Env:X "v"` anywhere in the line: persistent, so exported. */
  readPowerShellEnvironment(): void {
    const line = this.line
    if (!line.includes('nvironment') && !/env:/i.test(line)) return
    for (const pattern of [SET_ENVIRONMENT_VARIABLE, SET_ITEM_ENV]) {
      pattern.lastIndex = 0
      for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
        const quote = (match[2] ?? '').charCodeAt(0)
        const valueStart = match.index + match[0].length
        const valueEnd = Number.isNaN(quote) ? skipToBlank(line, valueStart) : skipQuoted(line, valueStart, line.length, quote) - 1
        if (valueEnd > valueStart) this.bindings.push({ name: match[1] as string, valueStart, valueEnd, exported: true, setsVariable: false })
      }
    }
  }

  /** A quoted string holding more than one word, or `NAME=value`, is read again as a line of its own. */
  readNested(start: number, end: number, depth: number): void {
    if (depth >= MAX_NESTING || end - start < 3) return
    const text = this.line.slice(start, end)
    if (!/[\s=:]/.test(text)) return
    const { words } = lexWords(this.line, start, end, 'shell', false)
    this.readWords(words, -1, depth + 1)
  }

  /**
   * Reads `NAME=value`, `--flag=value`, `$env:NAME=value` or `NAME+=value` at a word. Returns how
   * many following words it consumed as the value, or -1 when the word is not an assignment.
   */
  private readAssignmentWord(words: readonly Word[], index: number, exported: boolean, depth: number): number {
    const line = this.line
    const word = words[index] as Word
    let at = word.start
    if (line.startsWith('--', at)) {
      at += 2
    } else if (/^\$env:/i.test(line.slice(at, at + 5))) {
      // PowerShell `$env:NAME="value"` sets the variable for every child process, like `export`.
      at += 5
      exported = true
    }
    const nameStart = at
    if (at >= word.end || !isNameStart(line.charCodeAt(at))) return -1
    while (at < word.end && isNameChar(line.charCodeAt(at))) at++
    const nameEnd = at
    if (line.charCodeAt(at) === 43 /* + */) at++
    if (line.charCodeAt(at) !== EQUALS || at >= word.end) return -1
    const name = line.slice(nameStart, nameEnd)
    // TOML/INI `KEY= "value"`: the value is the next word. In a shell that would be an empty assignment.
    const next = words[index + 1]
    if (at + 1 === word.end && this.syntax !== 'shell' && next !== undefined && next.start >= 0) {
      this.bind(name, next, exported, depth)
      return 1
    }
    this.bindSpan(name, at + 1, word.end, exported, depth)
    return 0
  }

  /** Reads statements from words: export/declare/set/setenv forms, assignments, `KEY: value`, `KEY = value`. */
  readWords(words: readonly Word[], commentStart: number, depth: number): void {
    const line = this.line
    let mode: 'start' | 'plain' | 'declare' | 'set' | 'setenv' = 'start'
    let exported = false
    // `A=1 B=2 cmd`: assignments before a command word only reach that command.
    let commandSeen = false
    let prefixAssignments: Binding[] = []
    for (let k = 0; k < words.length; k++) {
      const word = words[k] as Word
      this.settingVariables = false
      if (word.start < 0) {
        mode = 'start'
        exported = false
        commandSeen = false
        prefixAssignments = []
        continue
      }
      const raw = line.slice(word.start, word.end)
      if (mode === 'start') {
        if (STATEMENT_LEADERS.has(raw)) continue
        mode = 'plain'
        if (raw === 'export') {
          mode = 'declare'
          exported = true
          continue
        }
        if (DECLARE_COMMANDS.has(raw)) {
          mode = 'declare'
          continue
        }
        if (raw === 'set') {
          mode = 'set'
          continue
        }
        // csh `setenv`, Windows `setx` (persistent), macOS `launchctl setenv` (every GUI app): NAME value.
        if (raw === 'setenv' || raw === 'setx') {
          mode = 'setenv'
          exported = true
          continue
        }
        const next = words[k + 1]
        if (raw === 'launchctl' && next !== undefined && next.start >= 0 && line.slice(next.start, next.end) === 'setenv') {
          mode = 'setenv'
          exported = true
          k++
          continue
        }
        // Dockerfile `ENV NAME=value …`, `ENV NAME value`, `ARG NAME=value`.
        if ((raw === 'ENV' || raw === 'ARG') && next !== undefined && next.start >= 0) {
          mode = line.slice(next.start, next.end).includes('=') ? 'declare' : 'setenv'
          continue
        }
      }
      this.settingVariables = mode === 'declare' || mode === 'set' || mode === 'setenv'
      if (mode === 'declare') {
        if (raw.startsWith('-')) {
          if (/^-[a-zA-Z]*x/.test(raw)) exported = true
          continue
        }
        const consumed = this.readAssignmentWord(words, k, exported, depth)
        if (consumed >= 0) k += consumed
        else if (exported && /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) && (commentStart === -1 || word.start < commentStart)) this.exportedNames.push(raw)
        continue
      }
      if (mode === 'set') {
        // fish: set [-g|-U|-x|--export…] NAME VALUE…; csh: set NAME = VALUE, set NAME=VALUE.
        if (raw.startsWith('-')) {
          if (/^-[a-zA-Z]*x/.test(raw) || raw === '--export') exported = true
          if (/^-[a-zA-Z]*[eqn]/.test(raw) || raw === '--erase' || raw === '--query' || raw === '--names') mode = 'plain'
          continue
        }
        mode = 'plain'
        const consumed = this.readAssignmentWord(words, k, false, depth)
        if (consumed >= 0) {
          k += consumed
          continue
        }
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) {
          let valueIndex = k + 1
          const after = words[valueIndex]
          if (after !== undefined && after.start >= 0 && line.slice(after.start, after.end) === '=') valueIndex++
          this.bind(raw, words[valueIndex], exported, depth)
          k = valueIndex
        }
        continue
      }
      if (mode === 'setenv') {
        mode = 'plain'
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) {
          this.bind(raw, words[k + 1], true, depth)
          k++
        }
        continue
      }
      if (!commandSeen) {
        const before = this.bindings.length
        this.settingVariables = true
        const consumed = this.readAssignmentWord(words, k, false, depth)
        this.settingVariables = false
        if (consumed >= 0) {
          prefixAssignments.push(...this.bindings.slice(before))
          k += consumed
          continue
        }
        commandSeen = true
        for (const binding of prefixAssignments) binding.setsVariable = false
      }
      k += this.readPlainWord(words, k, raw, depth)
    }
    this.settingVariables = false
  }

  /** A word in an ordinary command or a YAML/TOML line. Returns how many following words it consumed. */
  private readPlainWord(words: readonly Word[], k: number, raw: string, depth: number): number {
    const line = this.line
    const word = words[k] as Word
    const first = raw.charCodeAt(0)
    if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
      // A quoted word followed by `:` is a JSON-ish or YAML key; anything else quoted may hold a command.
      if (raw.length > 2 && raw.endsWith(':')) return this.readKeyColon(words, k, raw, depth)
      const span = unquotedSpan(line, word.start, word.end, this.syntax)
      this.readNested(span.start, span.end, depth)
      return 0
    }
    const consumed = this.readAssignmentWord(words, k, false, depth)
    if (consumed >= 0) return consumed
    // `: ${NAME:=literal}` sets NAME to the literal when unset.
    if (first === DOLLAR && this.bindDefaultExpansion(word.start, word.end, false)) return 0
    const npmrc = NPMRC_CREDENTIAL.exec(raw)
    if (npmrc !== null) {
      this.bindSpan(npmrc[1] as string, word.start + npmrc.index + npmrc[0].length, word.end, false, depth)
      return 0
    }
    if ((raw === '=' || raw === ':') && k > 0) {
      const previous = words[k - 1] as Word
      if (previous.start < 0) return 0
      const name = unquotedText(line, previous.start, previous.end, this.syntax)
      // PowerShell `$env:NAME = "value"` sets the variable for every child process, like `export`.
      const powershellEnv = /^\$env:/i.test(name)
      this.bind(powershellEnv ? name.slice(5) : name, words[k + 1], powershellEnv, depth)
      return 1
    }
    if (raw.length > 1 && raw.endsWith(':')) return this.readKeyColon(words, k, raw, depth)
    // Header written without a space (`X-Auth-Key:abc`) or `curl -u user:secret`; not URLs or paths.
    const colon = raw.indexOf(':')
    if (colon > 0 && colon < raw.length - 1 && raw.charCodeAt(colon + 1) !== SLASH && /^[A-Za-z][A-Za-z0-9_-]*$/.test(raw.slice(0, colon))) {
      this.bindSpan(raw.slice(0, colon), word.start + colon + 1, word.end, false, depth)
    }
    return 0
  }

  /** `KEY: value`, `"KEY": "value"`, `Authorization: Bearer <token>`. */
  private readKeyColon(words: readonly Word[], k: number, raw: string, depth: number): number {
    const word = words[k] as Word
    const name = unquotedText(this.line, word.start, word.end - 1, this.syntax)
    let valueIndex = k + 1
    const next = words[valueIndex]
    if (next !== undefined && next.start >= 0 && AUTH_SCHEMES.has(this.line.slice(next.start, next.end))) valueIndex++
    this.bind(name, words[valueIndex], false, depth)
    return valueIndex - k
  }
}

/**
 * JSON and JSONC: every `"key": "value"` pair on the line, however many, plus `//` and `/* … *\/`
 * comments. String values holding spaces (`"Bearer …"`, a command in `scripts`) are read as
 * shell words too.
 */
function readJsonLine(line: string, reader: LineReader): number {
  let commentStart = -1
  let pendingKey: string | undefined
  const firstNonBlank = line.search(/\S/)
  // Inside a block comment that spans lines, each line conventionally starts with `*`.
  if (firstNonBlank !== -1 && line.charCodeAt(firstNonBlank) === STAR) commentStart = firstNonBlank
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i)
    if (code === DOUBLE_QUOTE) {
      const close = skipQuoted(line, i + 1, line.length, DOUBLE_QUOTE)
      const contentEnd = line.charCodeAt(close - 1) === DOUBLE_QUOTE && close - 1 > i ? close - 1 : close
      let after = close
      while (after < line.length && isBlank(line.charCodeAt(after))) after++
      if (line.charCodeAt(after) === COLON) {
        pendingKey = line.slice(i + 1, contentEnd)
      } else if (pendingKey !== undefined) {
        reader.bindSpan(pendingKey, i, close, false, 0)
        pendingKey = undefined
      } else {
        reader.readNested(i + 1, contentEnd, 0)
      }
      i = close - 1
    } else if (code === SLASH && (line.charCodeAt(i + 1) === SLASH || line.charCodeAt(i + 1) === STAR)) {
      if (commentStart === -1) commentStart = i
      i++
    } else if (code === OPEN_BRACE || code === COMMA || code === 91 /* [ */) {
      pendingKey = undefined
    }
  }
  return commentStart
}

/** `.netrc`: `machine HOST login USER password SECRET`, pairs of words on one or many lines; binds each password. */
function readNetrcLine(line: string, reader: LineReader): number {
  const { words, commentStart } = lexWords(line, 0, line.length, 'netrc', true)
  for (let k = 0; k + 1 < words.length; k++) {
    const word = words[k] as Word
    const value = words[k + 1] as Word
    if (word.start < 0 || value.start < 0) continue
    const raw = line.slice(word.start, word.end)
    if (raw === 'password' || raw === 'passwd') reader.bindSpan('password', value.start, value.end, false, 0)
  }
  return commentStart
}

/** The bindings, comment start and bare exports of one line (without its line terminator). */
export function parseLine(line: string, syntax: Syntax): LineStructure {
  const reader = new LineReader(line, syntax)
  let commentStart: number
  if (syntax === 'json') {
    commentStart = readJsonLine(line, reader)
  } else if (syntax === 'netrc' || (syntax === 'shell' && /^\s*machine\s/.test(line))) {
    commentStart = readNetrcLine(line, reader)
  } else {
    const lexed = lexWords(line, 0, line.length, syntax, true)
    commentStart = lexed.commentStart
    reader.readWords(lexed.words, commentStart, 0)
    if (syntax === 'shell') reader.readPowerShellEnvironment()
  }
  return { bindings: reader.bindings, commentStart, exportedNames: reader.exportedNames }
}
