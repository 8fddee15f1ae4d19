import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_SCAN_BYTES, FindingSchema, ScanResultSchema, scanBytes, scanText, type ScanContext } from '../../shared/common/scan'
import { parseLine, type Syntax } from '../../shared/common/scan/line-structure'
import { FooterFinder, TOKEN_PREFIXES, findUrlPasswords, matchPrivateKeyAt, matchSlackWebhookAt, matchTokenAt } from '../../shared/common/scan/tokens'

const MB = 1024 * 1024
/** Generous: a linear pass over 1 MB takes a few milliseconds; catastrophic backtracking takes minutes. */
const ONE_MB_BUDGET_MS = 2000
const PROFILE: ScanContext = { file: '.bashrc', origin: 'shell-profile' }
const FILES_BY_SYNTAX: Record<Syntax, string> = { shell: '.bashrc', json: 'wrangler.jsonc', yaml: 'compose.yaml', toml: 'wrangler.toml', netrc: '.netrc' }

// Fake secrets with the right shapes (never real ones).
const CF_TOKEN = 'cfut_Qh7vL2mX9rT4wK8zN3bF6yD1cJ5gP0sVaRt2Lm8x3f9a1c7e'
const GITHUB_TOKEN = 'ghp_Zq8vN2xLp4Rt7Wm3Yk9Hb5Gd1Fs6Jc0PeUaX'

function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

function fill(unit: string, length = MB): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length)
}

function timed<T>(run: () => T, budgetMs = ONE_MB_BUDGET_MS): { value: T; ms: number } {
  const start = performance.now()
  const value = run()
  const ms = performance.now() - start
  if (ms < budgetMs) return { value, ms }
  // Over budget once may be a busy machine or a GC pause; backtracking is slow every time.
  const again = performance.now()
  run()
  return { value, ms: Math.min(ms, performance.now() - again) }
}

describe('linear time on adversarial input', () => {
  // Runs of the characters every pattern and the line parser treat specially, alone and mixed.
  const adversarial: Record<string, string> = {
    'a…': fill('a'),
    'A…': fill('A'),
    'hex…': fill('0123456789abcdef'),
    '=…': fill('='),
    '"…': fill('"'),
    "'…": fill("'"),
    '`…': fill('`'),
    '-…': fill('-'),
    '_…': fill('_'),
    '#…': fill('#'),
    '\\…': fill('\\'),
    '$(…': fill('$('),
    '${…': fill('${'),
    ':…': fill(':'),
    '://…': fill('a://'),
    '://user:…': fill(`x://${'u'.repeat(200)}:${'p'.repeat(300)}`),
    '?a=1&…': fill('?a=1&'),
    'a=b;…': fill('a=b;'),
    'a: …': fill('a: '),
    'k = …': fill('k = '),
    '"a b=c" …': fill('"a b=c" '),
    'nested quotes': fill(`"'\\"a b\\"'" `),
    'Bearer…': fill('Authorization: Bearer '),
    'export…': fill('export '),
    'BEGIN headers, one line': fill('-----BEGIN RSA PRIVATE KEY-----'),
    'BEGIN headers, many lines': fill('-----BEGIN RSA PRIVATE KEY-----\n'),
    'END footers': fill('-----END '),
    'context words': fill('CLOUDFLARE_API_TOKEN=aws twilio cf_ X-Auth-Key '),
    'context words and 40-char values': fill(`CF_API_TOKEN=${'Zq8vN2xL_-Yt5Wm3Rk7Hb9Gd4Fs6Jc1Pe0Ua2Qo8I'} `),
    'slack host': fill('hooks.slack.com/services/'),
    'CRLF only': fill('\r\n'),
    'CR only': fill('\r'),
    'one token then 1 MB of assignments': `export T=${GITHUB_TOKEN} ${fill('a=b ')}`,
    'one token then 1 MB of quotes': `export T=${GITHUB_TOKEN} ${fill('"')}`,
    'one token then 1 MB of $(': `export T=${GITHUB_TOKEN} ${fill('$(')}`,
    'one token then 1 MB of JSON pairs': `"t": "${GITHUB_TOKEN}", ${fill('"k": "v", ')}`,
  }
  it.each(Object.keys(adversarial))('scanText: %s', (name) => {
    const text = adversarial[name] as string
    for (const [syntax, file] of Object.entries(FILES_BY_SYNTAX)) {
      const { ms } = timed(() => scanText(text, { file, origin: 'shell-profile' }))
      expect(ms, `${name} as ${syntax}`).toBeLessThan(ONE_MB_BUDGET_MS)
    }
  })

  // Token matching does not depend on the file's syntax, so one syntax is enough here.
  const byPrefix: Record<string, string> = {}
  for (const prefix of TOKEN_PREFIXES) {
    byPrefix[`${prefix} repeated`] = fill(prefix)
    byPrefix[`${prefix} then 1 MB of A`] = prefix + fill('A')
    byPrefix[`${prefix} then 1 MB of hex`] = prefix + fill('0a1b2c3d')
    byPrefix[`${prefix}+32 chars, repeated`] = fill(`${prefix}${'a1B2'.repeat(8)} `)
  }
  it.each(Object.keys(byPrefix))('scanText: %s', (name) => {
    const { ms } = timed(() => scanText(byPrefix[name] as string, PROFILE))
    expect(ms, name).toBeLessThan(ONE_MB_BUDGET_MS)
  })

  it('each token pattern, tried at every prefix of 1 MB, stays linear', () => {
    for (const prefix of TOKEN_PREFIXES) {
      for (const text of [prefix + fill('A'), fill(prefix), prefix + fill('-_')]) {
        const { ms } = timed(() => {
          for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) matchTokenAt(text, at)
        })
        expect(ms, prefix).toBeLessThan(ONE_MB_BUDGET_MS)
      }
    }
  })

  it('URL, webhook, private-key and line parsing stay linear', () => {
    const footers = new FooterFinder(fill('-----BEGIN RSA PRIVATE KEY-----\n'))
    const headerText = fill('-----BEGIN RSA PRIVATE KEY-----\n')
    const checks: [string, () => unknown][] = [
      ['findUrlPasswords', () => findUrlPasswords(fill(`a://${'u'.repeat(255)}:${'p'.repeat(511)}`))],
      ['matchSlackWebhookAt', () => matchSlackWebhookAt(`hooks.slack.com/services/${fill('A')}`, 0)],
      [
        'matchPrivateKeyAt',
        () => {
          for (let at = 0; at !== -1; at = headerText.indexOf('-----BEGIN', at + 1)) matchPrivateKeyAt(headerText, at, footers)
        },
      ],
      ...(['shell', 'json', 'yaml', 'toml'] as const).flatMap((syntax): [string, () => unknown][] => [
        [`parseLine ${syntax} quotes`, () => parseLine(fill(`"'\`$(\${`), syntax)],
        [`parseLine ${syntax} pairs`, () => parseLine(fill('"k": "v a", '), syntax)],
        [`parseLine ${syntax} assignments`, () => parseLine(fill('export A=1 '), syntax)],
      ]),
      // Every line a secret-named sibling key: the walk up to the parent keys happens once, not per line.
      ['YAML parent keys of a long run of siblings', () => scanText(fill('  api_token: abcdefgh12345678\n'), { file: 'x.yaml', origin: 'project' })],
      ['YAML parent keys under deep nesting', () => scanText(fill(Array.from({ length: 40 }, (_, depth) => `${' '.repeat(depth)}k${depth}:\n`).join('') + '                                         secret: x1y2z3w4v5u6t7s8\n'), { file: 'x.yaml', origin: 'project' })],
      // Generic-secret names before every `=`: each is one anchored regex hit and one line parse.
      ['secret-named assignments on one line', () => scanText(fill('A_TOKEN=x1y2z3w4v5 '), PROFILE)],
      ['secret-named assignments, one a line', () => scanText(fill('A_TOKEN=x1y2z3w4v5\n'), PROFILE)],
    ]
    for (const [name, run] of checks) expect(timed(run).ms, name).toBeLessThan(ONE_MB_BUDGET_MS)
  })
})

describe('fuzzing scanBytes', () => {
  const fragments = [
    'export ', 'CLOUDFLARE_API_TOKEN=', 'set -gx ', 'setenv ', '"', "'", '#', ' ', '\n', '\r\n', '=', ': ', '${', '$(', ')', '}', '`', '\\',
    'https://u:', '@host/', '?token=', '&', 'Authorization: Bearer ', '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----',
    'sk-', 'ghp_', 'AKIA', 'cfut_', 'X-Auth-Key: ', '\uFEFF', 'é', '\u0000', CF_TOKEN, GITHUB_TOKEN,
  ]

  it('never throws, and keeps every finding inside the text and free of secrets (300 seeded inputs)', () => {
    const random = prng(0xdecaf)
    for (let iteration = 0; iteration < 300; iteration++) {
      let bytes: Uint8Array
      const style = iteration % 3
      if (style === 0) {
        bytes = new Uint8Array(Math.floor(random() * 4096))
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256)
      } else {
        let text = ''
        const parts = Math.floor(random() * 200)
        for (let i = 0; i < parts; i++) text += fragments[Math.floor(random() * fragments.length)]
        bytes = new TextEncoder().encode(text)
        // Style 2: flip a few bytes into invalid UTF-8.
        if (style === 2) for (let i = 0; i < 3 && bytes.length > 0; i++) bytes[Math.floor(random() * bytes.length)] = 0xc0 + Math.floor(random() * 64)
      }
      const file = ['.bashrc', '.env', 'x.json', 'x.yaml', 'x.toml'][iteration % 5] as string
      const result = scanBytes(bytes, { file, origin: iteration % 2 === 0 ? 'shell-profile' : 'project', gitIgnored: iteration % 4 === 1 })
      expect(ScanResultSchema.safeParse(result).success).toBe(true)
      const json = JSON.stringify(result)
      expect(json.includes(CF_TOKEN)).toBe(false)
      expect(json.includes(GITHUB_TOKEN)).toBe(false)
      const lineCount = new TextDecoder().decode(bytes).split('\n').length
      for (const finding of result.findings) {
        expect(finding.line).toBeGreaterThanOrEqual(1)
        expect(finding.line).toBeLessThanOrEqual(lineCount)
        expect(finding.column).toBeGreaterThanOrEqual(1)
      }
    }
  })
})

describe('scanBytes: files as they come', () => {
  it('scans a 50 MB file in bounded time and finds every planted secret at its line', () => {
    const filler = [
      'export PATH="$HOME/.local/bin:$PATH"',
      'const value = compute(input, { retries: 3, timeout: 1000 }) // keep going',
      '  "dependencies": { "react": "^19.0.0", "zod": "^4.0.0" },',
      'DATABASE_URL=postgres://user:password@localhost:5432/app',
      'export CLOUDFLARE_ACCOUNT_ID=0f4c2a9e1b7d4e3a8c6b5a4f3e2d1c0b',
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      '# a comment that mentions aws, cloudflare and twilio without any values',
    ]
    const lines: string[] = []
    const planted: number[] = []
    let size = 0
    for (let i = 0; size < 50 * MB; i++) {
      const line = i % 20000 === 19999 ? `export CLOUDFLARE_API_TOKEN=${CF_TOKEN}` : (filler[i % filler.length] as string)
      if (line.includes(CF_TOKEN)) planted.push(i + 1)
      lines.push(line)
      size += line.length + 1
    }
    const bytes = new TextEncoder().encode(lines.join('\n'))
    const { value: result, ms } = timed(() => scanBytes(bytes, PROFILE, { maxBytes: 64 * MB }), 30_000)
    expect(result.skipped).toBeUndefined()
    expect(result.findings.map((finding) => finding.line)).toEqual(planted)
    expect(result.findings.every((finding) => finding.severity === 'critical' && finding.column === 29)).toBe(true)
    expect(ms).toBeLessThan(30_000)
  })

  it('skips binary files: NUL bytes, or mostly control characters', () => {
    const png = new Uint8Array(4096).map((_, i) => (i * 131) % 256)
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 0)
    expect(scanBytes(png, PROFILE)).toEqual({ findings: [], skipped: { reason: 'binary', detail: 'NUL byte at offset 8' } })
    const controls = new Uint8Array(2000).map((_, i) => (i % 3 === 0 ? 0x01 : 0x41))
    expect(scanBytes(controls, PROFILE).skipped?.reason).toBe('binary')
    // A binary file that happens to contain a token is still skipped, not half-scanned.
    const withToken = new Uint8Array([0, ...new TextEncoder().encode(`\nexport CLOUDFLARE_API_TOKEN=${CF_TOKEN}\n`)])
    expect(scanBytes(withToken, PROFILE).findings).toEqual([])
    // Colour codes (ESC) and tabs in a prompt are text.
    const prompt = new TextEncoder().encode(`PS1='\u001b[32m\\u\u001b[0m\t$ '\nexport CLOUDFLARE_API_TOKEN=${CF_TOKEN}\n`)
    expect(scanBytes(prompt, PROFILE).findings).toHaveLength(1)
  })

  it('scans invalid UTF-8 lossily and says so', () => {
    const latin1 = Buffer.from(`# caf\u00e9 cr\u00e8me\nexport X=\u00e9 CLOUDFLARE_API_TOKEN=${CF_TOKEN}\n`, 'latin1')
    const result = scanBytes(latin1, PROFILE)
    expect(result.skipped).toBeUndefined()
    expect(result.invalidUtf8Replacements).toBe(3)
    expect(result.findings).toHaveLength(1)
    // One replacement character per bad byte keeps columns equal to byte offsets on ASCII lines.
    expect(result.findings[0]).toMatchObject({ line: 2, column: 33, kind: 'cloudflare-user-token', severity: 'critical' })
    expect(scanBytes(new TextEncoder().encode(`export CLOUDFLARE_API_TOKEN=${CF_TOKEN}\n`), PROFILE).invalidUtf8Replacements).toBeUndefined()
  })

  it('reports files over the size cap instead of scanning them', () => {
    const justFits = new Uint8Array(DEFAULT_MAX_SCAN_BYTES).fill(0x61)
    expect(scanBytes(justFits, PROFILE)).toEqual({ findings: [] })
    const tooLarge = new Uint8Array(DEFAULT_MAX_SCAN_BYTES + 1).fill(0x61)
    expect(scanBytes(tooLarge, PROFILE)).toEqual({ findings: [], skipped: { reason: 'too-large', detail: `${DEFAULT_MAX_SCAN_BYTES + 1} bytes, over the ${DEFAULT_MAX_SCAN_BYTES}-byte limit` } })
    expect(scanBytes(new Uint8Array(11), PROFILE, { maxBytes: 10 }).skipped?.reason).toBe('too-large')
  })

  it('decodes UTF-16 with a byte order mark (Windows PowerShell profiles)', () => {
    const text = `$env:CLOUDFLARE_API_TOKEN = "${CF_TOKEN}"\r\n`
    const littleEndian = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    const bigEndian = Buffer.from(littleEndian).swap16()
    for (const bytes of [littleEndian, bigEndian]) {
      const result = scanBytes(bytes, { file: 'Microsoft.PowerShell_profile.ps1', origin: 'shell-profile' })
      expect(result.findings.map((finding) => [finding.line, finding.column, finding.variable, finding.severity])).toEqual([[1, 30, 'CLOUDFLARE_API_TOKEN', 'critical']])
    }
  })

  it('handles empty files and a lone BOM', () => {
    expect(scanBytes(new Uint8Array(0), PROFILE)).toEqual({ findings: [] })
    expect(scanBytes(new Uint8Array([0xef, 0xbb, 0xbf]), PROFILE)).toEqual({ findings: [] })
  })

  it('returns findings that never contain the secret, only its fingerprint', () => {
    const result = scanBytes(new TextEncoder().encode(`export CLOUDFLARE_API_TOKEN=${CF_TOKEN}\nexport GITHUB_TOKEN="${GITHUB_TOKEN}"\n`), PROFILE)
    expect(result.findings).toHaveLength(2)
    for (const finding of result.findings) expect(FindingSchema.safeParse(finding).success).toBe(true)
    const json = JSON.stringify(result)
    expect(json).not.toContain(CF_TOKEN)
    expect(json).not.toContain(GITHUB_TOKEN)
    expect(json).not.toContain(CF_TOKEN.slice(5, 20))
  })
})

describe('browser safety', () => {
  it('imports nothing but zod/mini, @noble/hashes and the shared/common folder', () => {
    const folder = join(__dirname, '..', '..', 'shared', 'common', 'scan')
    for (const name of readdirSync(folder)) {
      const source = readFileSync(join(folder, name), 'utf8')
      for (const match of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        expect(match[1], `${name} imports ${match[1]}`).toMatch(/^(?:zod\/mini|@noble\/hashes\/.*|\.\.?\/.*)$/)
      }
    }
  })
})
