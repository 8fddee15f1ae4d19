import { describe, expect, it } from 'vitest'
import { fingerprint } from '../../shared/common/fingerprint'
import { FindingSchema, SECRET_KINDS, SECRET_KIND_INFO, scanText, type Finding, type ScanContext, type SecretKind } from '../../shared/common/scan'

// ---------------------------------------------------------------------------------------------
// Made-up secrets of every shape, from a seeded PRNG so failures reproduce.

function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

const random = prng(20260522)
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const HEX = '0123456789abcdef'

/** Random text that no placeholder heuristic would mistake for made up (no runs, all character classes). */
function draw(alphabet: string, length: number): string {
  for (;;) {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)]
    const hasRun = /(.)\1\1/.test(out) || [...out].some((_, i) => i > 2 && out.charCodeAt(i) === out.charCodeAt(i - 1) + 1 && out.charCodeAt(i - 1) === out.charCodeAt(i - 2) + 1)
    const classesOk = !alphabet.includes('a') || !alphabet.includes('A') || !alphabet.includes('0') || (/[a-z]/.test(out) && /[A-Z]/.test(out) && /[0-9]/.test(out))
    if (!hasRun && classesOk) return out
  }
}

function crc32(text: string): string {
  let crc = 0xffffffff
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i)
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0')
}

function cloudflareToken(prefix: 'cfut_' | 'cfat_' | 'cfk_', body = draw(ALNUM, 40)): string {
  return prefix + body + crc32(prefix + body)
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url')
}

/** A cloudflared tunnel token: base64 of {"a": account tag, "t": tunnel id, "s": secret}. */
function tunnelToken(): string {
  const uuid = `${draw(HEX, 8)}-${draw(HEX, 4)}-4${draw(HEX, 3)}-a${draw(HEX, 3)}-${draw(HEX, 12)}`
  return Buffer.from(JSON.stringify({ a: draw(HEX, 32), t: uuid, s: Buffer.from(draw(ALNUM, 32)).toString('base64') })).toString('base64')
}

/** An HS256-shaped JWT with the given claims and a made-up signature. */
function jwt(claims: Record<string, unknown>): string {
  return `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.${draw(`${ALNUM}_-`, 43)}`
}

/** One example of every kind, with the name that gives prefix-less kinds their context. */
const EXAMPLES: Record<SecretKind, { value: string; name: string }> = {
  'cloudflare-user-token': { value: cloudflareToken('cfut_'), name: 'CLOUDFLARE_API_TOKEN' },
  'cloudflare-account-token': { value: cloudflareToken('cfat_'), name: 'CLOUDFLARE_API_TOKEN' },
  'cloudflare-global-key': { value: cloudflareToken('cfk_'), name: 'CLOUDFLARE_API_KEY' },
  'cloudflare-legacy-token': { value: draw(`${ALNUM}_-`, 40), name: 'CF_API_TOKEN' },
  'cloudflare-legacy-global-key': { value: draw(HEX, 37), name: 'CF_API_KEY' },
  'cloudflare-oauth-token': { value: `cfoat_${draw(ALNUM, 60)}`, name: 'WRANGLER_TOKEN' },
  'cloudflare-origin-ca-key': { value: `v1.0-${draw(HEX, 24)}-${draw(HEX, 146)}`, name: 'ORIGIN_CA_KEY' },
  'openai-key': { value: `sk-proj-${draw(ALNUM, 100)}`, name: 'OPENAI_API_KEY' },
  'anthropic-key': { value: `sk-ant-api03-${draw(ALNUM, 93)}AA`, name: 'ANTHROPIC_API_KEY' },
  'google-api-key': { value: `AIza${draw(ALNUM, 35)}`, name: 'GEMINI_API_KEY' },
  'replicate-token': { value: `r8_${draw(ALNUM, 37)}`, name: 'REPLICATE_API_TOKEN' },
  'stripe-secret-key': { value: `sk_live_${draw(ALNUM, 24)}`, name: 'STRIPE_SECRET_KEY' },
  'stripe-restricted-key': { value: `rk_test_${draw(ALNUM, 24)}`, name: 'STRIPE_KEY' },
  'twilio-auth-token': { value: draw(HEX, 32), name: 'TWILIO_AUTH_TOKEN' },
  'twilio-api-key': { value: `SK${draw(HEX, 32)}`, name: 'TWILIO_API_KEY' },
  'resend-key': { value: `re_${draw(ALNUM, 8)}_${draw(ALNUM, 24)}`, name: 'RESEND_API_KEY' },
  'aws-access-key-id': { value: `AKIA${draw('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`, name: 'AWS_ACCESS_KEY_ID' },
  'aws-secret-access-key': { value: draw(`${ALNUM}/+`, 40), name: 'AWS_SECRET_ACCESS_KEY' },
  'github-token': { value: `ghp_${draw(ALNUM, 36)}`, name: 'GITHUB_TOKEN' },
  'slack-token': { value: `xoxb-${draw('123456789', 12)}-${draw('123456789', 13)}-${draw(ALNUM, 24)}`, name: 'SLACK_BOT_TOKEN' },
  'slack-webhook': { value: `https://hooks.slack.com/services/T${draw('ABCDEFGHJKMNPQRSTVWXYZ', 10)}/B${draw('ABCDEFGHJKMNPQRSTVWXYZ', 10)}/${draw(ALNUM, 24)}`, name: 'SLACK_WEBHOOK_URL' },
  'private-key': { value: '', name: 'PRIVATE_KEY' },
  'url-password': { value: draw(ALNUM, 16), name: 'DATABASE_URL' },
  'cloudflare-access-client-secret': { value: draw(HEX, 64), name: 'CF_ACCESS_CLIENT_SECRET' },
  'cloudflare-turnstile-secret': { value: `0x4AAAAAAA${draw(`${ALNUM}_-`, 25)}`, name: 'TURNSTILE_SECRET_KEY' },
  'cloudflare-r2-secret-key': { value: draw(HEX, 64), name: 'R2_SECRET_ACCESS_KEY' },
  'cloudflare-tunnel-token': { value: tunnelToken(), name: 'TUNNEL_TOKEN' },
  'groq-key': { value: `gsk_${draw(ALNUM, 52)}`, name: 'GROQ_API_KEY' },
  'huggingface-token': { value: `hf_${draw('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 34)}`, name: 'HF_TOKEN' },
  'xai-key': { value: `xai-${draw(ALNUM, 80)}`, name: 'XAI_API_KEY' },
  'npm-token': { value: `npm_${draw(ALNUM, 36)}`, name: 'NPM_TOKEN' },
  'sendgrid-key': { value: `SG.${draw(`${ALNUM}_-`, 22)}.${draw(`${ALNUM}_-`, 43)}`, name: 'SENDGRID_API_KEY' },
  'stripe-webhook-secret': { value: `whsec_${draw(ALNUM, 32)}`, name: 'STRIPE_WEBHOOK_SECRET' },
  'supabase-service-role-key': { value: jwt({ iss: 'supabase', ref: draw('abcdefghijklmnopqrstuvwxyz', 20), role: 'service_role', iat: 1764000000, exp: 2079576000 }), name: 'SUPABASE_SERVICE_ROLE_KEY' },
  'twilio-api-key-secret': { value: draw(ALNUM, 32), name: 'TWILIO_API_SECRET' },
  'aws-session-token': { value: `IQoJb3JpZ2luX2VjE${draw(`${ALNUM}+/`, 300)}`, name: 'AWS_SESSION_TOKEN' },
  'generic-secret': { value: draw(`${ALNUM}!@%^&*-_`, 28), name: 'SESSION_SECRET' },
}

const CF = EXAMPLES['cloudflare-user-token'].value
const PROFILE: ScanContext = { file: '/home/me/.bashrc', origin: 'shell-profile' }
const PROJECT: ScanContext = { file: '/src/app/.env', origin: 'project' }

/** Scans and checks the contract every finding must keep: schema-valid and free of the secret. */
function scan(text: string, ctx: ScanContext = PROFILE, secrets: readonly string[] = []): Finding[] {
  const findings = scanText(text, ctx)
  const json = JSON.stringify(findings)
  for (const finding of findings) expect(FindingSchema.safeParse(finding).success).toBe(true)
  for (const secret of secrets) if (secret.length >= 8) expect(json.includes(secret)).toBe(false)
  return findings
}

/** The single finding of a scan, as the fields most tests compare. */
function only(text: string, ctx: ScanContext = PROFILE, secret = CF) {
  const findings = scan(text, ctx, [secret])
  expect(findings, text).toHaveLength(1)
  const [finding] = findings as [Finding]
  return { line: finding.line, column: finding.column, kind: finding.kind, severity: finding.severity, variable: finding.variable, exported: finding.exported, commented: finding.commented }
}

function columnOf(text: string, value: string): number {
  const line = text.split('\n').find((candidate) => candidate.includes(value)) ?? ''
  return line.indexOf(value) + 1
}

describe('scanText: shell assignment forms', () => {
  const cases: [string, string, { variable: string; exported: boolean }][] = [
    ['export', `export CLOUDFLARE_API_TOKEN=${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['export, double quotes', `export CLOUDFLARE_API_TOKEN="${CF}"`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['export, single quotes', `export CLOUDFLARE_API_TOKEN='${CF}'`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['declare -x', `declare -x CLOUDFLARE_API_TOKEN=${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['typeset -x', `typeset -x CLOUDFLARE_API_TOKEN=${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['declare -gx', `declare -gx CLOUDFLARE_API_TOKEN=${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['declare without -x', `declare -r CLOUDFLARE_API_TOKEN=${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: false }],
    ['plain assignment', `CLOUDFLARE_API_TOKEN=${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: false }],
    ['fish set -gx', `set -gx CLOUDFLARE_API_TOKEN ${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['fish set -Ux', `set -Ux CLOUDFLARE_API_TOKEN ${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['fish set --export', `set --global --export CLOUDFLARE_API_TOKEN '${CF}'`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['fish set -U (universal, not exported)', `set -U CLOUDFLARE_API_TOKEN ${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: false }],
    ['csh setenv', `setenv CLOUDFLARE_API_TOKEN ${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['csh setenv, quoted', `setenv CLOUDFLARE_API_TOKEN "${CF}"`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['csh set NAME = value', `set cf_token = ${CF}`, { variable: 'cf_token', exported: false }],
    ['PowerShell $env:', `$env:CLOUDFLARE_API_TOKEN = "${CF}"`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['after then', `if true; then export CLOUDFLARE_API_TOKEN=${CF}; fi`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['ANSI-C quoting', `export CLOUDFLARE_API_TOKEN=$'${CF}'`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['PowerShell SetEnvironmentVariable', `[Environment]::SetEnvironmentVariable("CLOUDFLARE_API_TOKEN", "${CF}", "User")`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['PowerShell Set-Item Env:', `Set-Item Env:CLOUDFLARE_API_TOKEN '${CF}'`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['Windows setx', `setx CLOUDFLARE_API_TOKEN "${CF}"`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['macOS launchctl setenv', `launchctl setenv CLOUDFLARE_API_TOKEN ${CF}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['default expansion :-', `export CLOUDFLARE_API_TOKEN="\${CLOUDFLARE_API_TOKEN:-${CF}}"`, { variable: 'CLOUDFLARE_API_TOKEN', exported: true }],
    ['default assignment :=', `: \${CLOUDFLARE_API_TOKEN:=${CF}}`, { variable: 'CLOUDFLARE_API_TOKEN', exported: false }],
  ]
  it.each(cases)('%s', (_name, text, expected) => {
    const finding = only(text)
    expect(finding).toMatchObject({ line: 1, column: columnOf(text, CF), kind: 'cloudflare-user-token', commented: false, ...expected })
    expect(finding.severity).toBe(expected.exported ? 'critical' : 'high')
  })

  it('finds each of several assignments on one line, at its own column', () => {
    const other = EXAMPLES['github-token'].value
    const text = `export A=1 CLOUDFLARE_API_TOKEN=${CF} B=2 GITHUB_TOKEN="${other}"`
    const findings = scan(text, PROFILE, [CF, other])
    expect(findings.map((finding) => [finding.column, finding.kind, finding.variable, finding.exported])).toEqual([
      [columnOf(text, CF), 'cloudflare-user-token', 'CLOUDFLARE_API_TOKEN', true],
      [columnOf(text, other), 'github-token', 'GITHUB_TOKEN', true],
    ])
  })

  it('tells statements on one line apart: A=1; export B=…', () => {
    const other = EXAMPLES['github-token'].value
    const text = `GITHUB_TOKEN=${other}; export CLOUDFLARE_API_TOKEN=${CF}`
    const findings = scan(text, PROFILE, [CF, other])
    expect(findings.map((finding) => [finding.variable, finding.exported, finding.severity])).toEqual([
      ['GITHUB_TOKEN', false, 'high'],
      ['CLOUDFLARE_API_TOKEN', true, 'critical'],
    ])
  })

  it('counts a plain assignment as exported when the profile exports the name elsewhere', () => {
    for (const text of [`CLOUDFLARE_API_TOKEN=${CF}\nexport CLOUDFLARE_API_TOKEN`, `export EDITOR CLOUDFLARE_API_TOKEN\nCLOUDFLARE_API_TOKEN="${CF}"`, `CLOUDFLARE_API_TOKEN=${CF}\ndeclare -x CLOUDFLARE_API_TOKEN`]) {
      expect(only(text)).toMatchObject({ exported: true, severity: 'critical' })
    }
    // An export in a comment exports nothing; a prefix assignment only reaches its command.
    expect(only(`CLOUDFLARE_API_TOKEN=${CF}\n# export CLOUDFLARE_API_TOKEN`)).toMatchObject({ exported: false, severity: 'high' })
    expect(only(`CLOUDFLARE_API_TOKEN=${CF} wrangler deploy\nexport CLOUDFLARE_API_TOKEN`)).toMatchObject({ exported: false, severity: 'high' })
  })

  it('takes the variable of an assignment inside an alias', () => {
    const text = `alias deploy='CLOUDFLARE_API_TOKEN=${CF} npx wrangler deploy'`
    expect(only(text)).toMatchObject({ variable: 'CLOUDFLARE_API_TOKEN', exported: false, severity: 'high', column: columnOf(text, CF) })
  })

  it('reads inline comments: a value before # is live, a secret after it is commented', () => {
    expect(only(`export CLOUDFLARE_API_TOKEN=${CF} # rotated monthly`)).toMatchObject({ commented: false, severity: 'critical' })
    expect(only(`export EDITOR=vim # old token: ${CF}`)).toMatchObject({ commented: true, severity: 'low' })
    expect(only(`# export CLOUDFLARE_API_TOKEN=${CF}`)).toMatchObject({ commented: true, exported: true, severity: 'low', variable: 'CLOUDFLARE_API_TOKEN' })
    expect(only(`  ## CLOUDFLARE_API_TOKEN="${CF}"`, PROJECT)).toMatchObject({ commented: true, severity: 'low' })
    // A # inside a word or inside quotes does not start a comment.
    expect(only(`export CLOUDFLARE_API_TOKEN="${CF}" URL=https://example.com/#frag`)).toMatchObject({ commented: false })
    expect(only(`export NOTE="a # b" CLOUDFLARE_API_TOKEN=${CF}`)).toMatchObject({ commented: false })
    // Apostrophes in a comment do not swallow the rest of it.
    expect(only(`# don't keep CLOUDFLARE_API_TOKEN=${CF} here`)).toMatchObject({ commented: true, variable: 'CLOUDFLARE_API_TOKEN' })
  })
})

describe('scanText: line endings and encodings', () => {
  it('handles CRLF: same lines, columns and fingerprints as LF', () => {
    const lf = `# profile\nexport EDITOR=vim\nexport CLOUDFLARE_API_TOKEN="${CF}"\n`
    const crlf = lf.replace(/\n/g, '\r\n')
    expect(scan(crlf)).toEqual(scan(lf))
    expect(scan(crlf)[0]).toMatchObject({ line: 3, column: 30, fingerprint: fingerprint(CF) })
  })

  it('ignores a byte order mark when counting columns', () => {
    expect(only(`\uFEFFCLOUDFLARE_API_TOKEN=${CF}`)).toMatchObject({ line: 1, column: 22 })
  })

  it('scans a last line without a newline, and an empty text', () => {
    expect(only(`export EDITOR=vim\nexport CLOUDFLARE_API_TOKEN=${CF}`)).toMatchObject({ line: 2 })
    expect(scan('')).toEqual([])
  })

  it('counts lines correctly far into a file', () => {
    const text = `${'# filler line\n'.repeat(9999)}export CLOUDFLARE_API_TOKEN=${CF}\n${'x=1\n'.repeat(10)}`
    expect(only(text)).toMatchObject({ line: 10000 })
  })
})

describe('scanText: YAML, TOML and JSON', () => {
  const yaml: ScanContext = { file: 'config/app.yaml', origin: 'project' }
  it.each([
    ['KEY: value', `CLOUDFLARE_API_TOKEN: ${CF}`, 'CLOUDFLARE_API_TOKEN'],
    ['KEY: "value"', `  CLOUDFLARE_API_TOKEN: "${CF}"`, 'CLOUDFLARE_API_TOKEN'],
    ["key: 'value' # comment", `  token: '${CF}' # ci`, 'token'],
    ['- KEY=value', `      - CLOUDFLARE_API_TOKEN=${CF}`, 'CLOUDFLARE_API_TOKEN'],
    ['- "KEY=value"', `      - "CLOUDFLARE_API_TOKEN=${CF}"`, 'CLOUDFLARE_API_TOKEN'],
  ])('YAML %s', (_name, text, variable) => {
    expect(only(text, yaml)).toMatchObject({ column: columnOf(text, CF), variable, severity: 'high', commented: false })
  })

  it('YAML: a name or a parent key gives a prefix-less token its kind', () => {
    const legacy = EXAMPLES['cloudflare-legacy-token'].value
    expect(only(`cloudflare:\n  cf_api_token: ${legacy}`, yaml, legacy)).toMatchObject({ line: 2, kind: 'cloudflare-legacy-token' })
    expect(only(`cloudflare:\n  api_token: ${legacy}`, yaml, legacy)).toMatchObject({ line: 2, kind: 'cloudflare-legacy-token', variable: 'api_token' })
    expect(only(`deploy:\n  cloudflare:\n    # the token\n\n    api_token: "${legacy}"`, yaml, legacy)).toMatchObject({ line: 5, kind: 'cloudflare-legacy-token' })
    // A sibling that closed the cloudflare block gives no context: the value is only a generic secret.
    expect(only(`cloudflare:\n  zone: x\ngithub:\n  api_token: ${legacy}`, yaml, legacy)).toMatchObject({ line: 4, kind: 'generic-secret' })
    // Under a key that is not a secret name, a parent says nothing.
    expect(scan(`cloudflare:\n  build_commit: ${draw(HEX, 40)}\n  zone: ${legacy}`, yaml)).toEqual([])
  })

  const toml: ScanContext = { file: 'worker/wrangler.toml', origin: 'project' }
  it('TOML: [vars], [env.x.vars], inline tables, comments', () => {
    const google = EXAMPLES['google-api-key'].value
    const text = [
      'name = "worker"',
      '[vars]',
      `CLOUDFLARE_API_TOKEN = "${CF}"`,
      `# OLD = '${google}'`,
      '[env.dev]',
      `vars = { GEMINI_API_KEY = "${google}", MODE = "fast" }`,
    ].join('\n')
    const findings = scan(text, toml, [CF, google])
    expect(findings.map((finding) => [finding.line, finding.column, finding.kind, finding.variable, finding.severity])).toEqual([
      [3, 25, 'cloudflare-user-token', 'CLOUDFLARE_API_TOKEN', 'high'],
      [4, 10, 'google-api-key', 'OLD', 'low'],
      [6, 28, 'google-api-key', 'GEMINI_API_KEY', 'high'],
    ])
  })

  const jsonc: ScanContext = { file: 'worker/wrangler.jsonc', origin: 'project', gitIgnored: true }
  it('JSON with comments: vars, several pairs per line, // and /* */, commands in strings', () => {
    const google = EXAMPLES['google-api-key'].value
    const account = EXAMPLES['cloudflare-account-token'].value
    const text = [
      '// config',
      '{',
      '  "vars": {',
      `    "CF_API_TOKEN": "${CF}", "GEMINI_API_KEY": "${google}",`,
      `    // "OLD": "${account}",`,
      `    /* "OLDER": "${account}" */`,
      '  },',
      `  "build": { "command": "CLOUDFLARE_API_TOKEN=${account} npm run build" }`,
      '}',
    ].join('\n')
    const findings = scan(text, jsonc, [CF, google, account])
    expect(findings.map((finding) => [finding.line, finding.kind, finding.variable, finding.severity])).toEqual([
      [4, 'cloudflare-user-token', 'CF_API_TOKEN', 'medium'],
      [4, 'google-api-key', 'GEMINI_API_KEY', 'medium'],
      [5, 'cloudflare-account-token', 'OLD', 'low'],
      [6, 'cloudflare-account-token', 'OLDER', 'low'],
      [8, 'cloudflare-account-token', 'CLOUDFLARE_API_TOKEN', 'medium'],
    ])
  })
})

describe('scanText: URLs and HTTP headers', () => {
  it('finds passwords in connection URLs of any scheme', () => {
    const password = EXAMPLES['url-password'].value
    for (const url of [
      `postgres://app:${password}@db:5432/app`,
      `postgresql://app:${password}@db/app?sslmode=require`,
      `mysql://root:${password}@127.0.0.1:3306/db`,
      `mongodb+srv://svc:${password}@cluster0.example.net/app?retryWrites=true&w=majority`,
      `redis://:${password}@cache:6379/0`,
      `amqps://svc:${password}@mq.example.com/vhost`,
      `https://deploy:${password}@git.example.com/repo.git`,
    ]) {
      const text = `export DATABASE_URL="${url}"`
      expect(only(text, PROFILE, password), url).toMatchObject({ kind: 'url-password', column: columnOf(text, password), variable: 'DATABASE_URL', exported: true })
    }
    expect(only('curl https://deploy:hunter22@host.example.com/x', PROFILE, 'hunter22')).toMatchObject({ kind: 'url-password', column: 21 })
  })

  it('reports a known token used as a URL password by its own kind, once', () => {
    const github = EXAMPLES['github-token'].value
    const text = `git clone https://x-access-token:${github}@github.com/acme/infra.git`
    expect(only(text, PROJECT, github)).toMatchObject({ kind: 'github-token', column: columnOf(text, github), variable: undefined })
  })

  it('finds tokens in query strings, named by the parameter', () => {
    const text = `curl "https://api.example.com/export?format=csv&token=${CF}&page=2"`
    expect(only(text, PROJECT)).toMatchObject({ kind: 'cloudflare-user-token', variable: 'token', column: columnOf(text, CF) })
  })

  it('reads curl headers: Authorization: Bearer and X-Auth-Key', () => {
    const legacy = EXAMPLES['cloudflare-legacy-token'].value
    const globalKey = EXAMPLES['cloudflare-legacy-global-key'].value
    const bearer = `curl -H "Authorization: Bearer ${CF}" https://api.cloudflare.com/client/v4/user/tokens/verify`
    expect(only(bearer, PROJECT)).toMatchObject({ kind: 'cloudflare-user-token', variable: 'Authorization', column: columnOf(bearer, CF) })
    const legacyBearer = `curl -H 'Authorization: Bearer ${legacy}' https://api.cloudflare.com/client/v4/zones`
    expect(only(legacyBearer, PROJECT, legacy)).toMatchObject({ kind: 'cloudflare-legacy-token', variable: 'Authorization' })
    const authKey = `curl -H "X-Auth-Email: me@example.com" -H "X-Auth-Key: ${globalKey}" https://api.cloudflare.com/client/v4/zones`
    expect(only(authKey, PROJECT, globalKey)).toMatchObject({ kind: 'cloudflare-legacy-global-key', variable: 'X-Auth-Key', column: columnOf(authKey, globalKey) })
    const noSpace = `curl -H "X-Auth-Key:${globalKey}" "$API/zones"`
    expect(only(noSpace, PROJECT, globalKey)).toMatchObject({ kind: 'cloudflare-legacy-global-key', variable: 'X-Auth-Key' })
    // A bearer token without a Cloudflare host has no context: 40 random characters could be anything.
    expect(scan(`curl -H "Authorization: Bearer ${legacy}" https://api.example.com/`, PROJECT)).toEqual([])
  })
})

describe('scanText: every kind', () => {
  const prefixless = new Set<SecretKind>([
    'cloudflare-legacy-token', 'cloudflare-legacy-global-key', 'aws-secret-access-key', 'twilio-auth-token',
    'cloudflare-access-client-secret', 'cloudflare-r2-secret-key', 'twilio-api-key-secret', 'generic-secret',
  ])
  it.each(SECRET_KINDS.filter((kind) => kind !== 'private-key' && kind !== 'url-password'))('%s', (kind) => {
    const { value, name } = EXAMPLES[kind]
    const text = `export ${name}="${value}"`
    // A generic secret is known only by its name, so it is one step below a recognised format.
    expect(only(text, PROFILE, value)).toMatchObject({ kind, variable: name, column: columnOf(text, value), severity: kind === 'generic-secret' ? 'high' : 'critical' })
    if (!prefixless.has(kind)) {
      // Prefixed tokens need no name: bare in a command, in prose, in JSON.
      const bare = `run --with ${value} now`
      expect(only(bare, PROJECT, value)).toMatchObject({ kind, column: 12, variable: undefined })
    } else {
      // Prefix-less values are secrets only under a name that says so.
      expect(scan(`export SOME_VALUE="${value}"`)).toEqual([])
      expect(scan(`run --with ${value} now`)).toEqual([])
    }
  })

  it('has a description, impact and remedy for every kind', () => {
    for (const kind of SECRET_KINDS) {
      const info = SECRET_KIND_INFO[kind]
      for (const text of [info.title, info.description, info.whyItMatters, info.howToFix]) expect(text.length, kind).toBeGreaterThan(10)
    }
  })

  it('uses the Cloudflare checksum only to keep, never to drop', () => {
    // A body containing "example" looks made up, but a valid CRC-32 says a generator produced it.
    const body = `Xq7${'example'}Zr4Vt9Wk2Ls5Nd8Pf3Hb6Jc1Mg0RyQ`
    expect(body).toHaveLength(40)
    const valid = cloudflareToken('cfut_', body)
    expect(only(`export CLOUDFLARE_API_TOKEN=${valid}`, PROFILE, valid)).toMatchObject({ kind: 'cloudflare-user-token' })
    expect(scan(`export CLOUDFLARE_API_TOKEN=cfut_${body}00000000`)).toEqual([])
    // A wrong checksum on a random body is still reported: the checksum algorithm is not confirmed.
    const wrongChecksum = `cfut_${draw(ALNUM, 40)}0badc0de`
    expect(only(`export CLOUDFLARE_API_TOKEN=${wrongChecksum}`, PROFILE, wrongChecksum)).toMatchObject({ kind: 'cloudflare-user-token' })
  })

  it('finds private keys: PEM over lines, one JSON line with \\n escapes, same fingerprint', () => {
    const body = Buffer.from(Array.from({ length: 600 }, () => Math.floor(random() * 256))).toString('base64')
    const lines = body.match(/.{1,64}/g) as string[]
    const pem = ['-----BEGIN RSA PRIVATE KEY-----', ...lines, '-----END RSA PRIVATE KEY-----'].join('\n')
    const inFile = scan(`# deploy key\n${pem}\necho done\nexport GITHUB_TOKEN=${EXAMPLES['github-token'].value}\n`, PROJECT, lines)
    expect(inFile.map((finding) => [finding.line, finding.column, finding.kind])).toEqual([
      [2, 1, 'private-key'],
      [5 + lines.length, 21, 'github-token'],
    ])
    const json = `{ "private_key": "${pem.replace(/\n/g, '\\n')}\\n", "client_email": "x@y.iam.gserviceaccount.com" }`
    const inJson = scan(json, { file: 'sa.json', origin: 'project', gitIgnored: true }, lines)
    expect(inJson).toHaveLength(1)
    expect(inJson[0]).toMatchObject({ kind: 'private-key', variable: 'private_key', column: 19, severity: 'medium', fingerprint: inFile[0]!.fingerprint })
    const quoted = scan(`PRIVATE_KEY="${pem}"`, PROJECT, lines)
    expect(quoted[0]).toMatchObject({ variable: 'PRIVATE_KEY', column: 14, fingerprint: inFile[0]!.fingerprint })
  })
})

describe('scanText: not secrets', () => {
  const legacy = EXAMPLES['cloudflare-legacy-token'].value
  it.each([
    ['placeholder', 'export CLOUDFLARE_API_TOKEN=your-token-here'],
    ['angle brackets', 'export CLOUDFLARE_API_TOKEN=<TOKEN>'],
    ['changeme', 'export CF_API_TOKEN=changeme'],
    ['REPLACE_ME', 'export CF_API_TOKEN=REPLACE_ME'],
    ['TODO', 'export CF_API_TOKEN=TODO'],
    ['example', 'export CF_API_TOKEN=example'],
    ['all x', `export CF_API_TOKEN=${'x'.repeat(40)}`],
    ['all X in a prefixed token', `export STRIPE_SECRET_KEY=sk_live_${'X'.repeat(24)}`],
    ['same character', `export CF_API_TOKEN=${'7'.repeat(40)}`],
    ['ascending run', `export CF_API_TOKEN=${'abcdefghijklmnopqrstuvwxyz0123456789ABCD'}`],
    ['too few distinct characters', `export CF_API_TOKEN=${'ab12'.repeat(10)}`],
    ['documentation sample key id', 'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE'],
    ['documentation sample secret', 'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['${VAR}', 'export CLOUDFLARE_API_TOKEN=${CF_TOKEN}'],
    ['$VAR', 'export CLOUDFLARE_API_TOKEN=$CF_TOKEN'],
    ['$(command)', 'export CLOUDFLARE_API_TOKEN="$(security find-generic-password -s cf -w)"'],
    ['backticks', 'export CLOUDFLARE_API_TOKEN=`pass show cloudflare`'],
    ['op://', 'export CLOUDFLARE_API_TOKEN=op://Private/Cloudflare/credential'],
    ['vault:', 'export CLOUDFLARE_API_TOKEN=vault:secret/data/cf#token'],
    ['GitHub Actions expression', 'CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_API_TOKEN }}'],
    ['fish command substitution', 'set -gx CLOUDFLARE_API_TOKEN (cfwrap token)'],
    ['empty', 'export CLOUDFLARE_API_TOKEN='],
    ['empty quotes', 'export CLOUDFLARE_API_TOKEN=""'],
    ['Stripe publishable key', `export STRIPE_PUBLISHABLE_KEY=pk_live_${draw(ALNUM, 24)}`],
    ['Google browser key under NEXT_PUBLIC_', `NEXT_PUBLIC_FIREBASE_API_KEY=${EXAMPLES['google-api-key'].value}`],
    ['Google browser key under *_PUBLIC_KEY', `MAPS_PUBLIC_KEY=${EXAMPLES['google-api-key'].value}`],
    ['a 40-character token named as an id', `export CLOUDFLARE_TOKEN_ID=${legacy}`],
    ['hash named as such', `export CLOUDFLARE_API_KEY_SHA=${draw(HEX, 40)}`],
    ['checksum named as such', `export CF_KEY_CHECKSUM=${draw(HEX, 40)}`],
    ['account id', `export CLOUDFLARE_ACCOUNT_ID=${draw(HEX, 32)}`],
    ['zone id', `export CF_ZONE_ID=${draw(HEX, 32)}`],
    ['Twilio account SID', `export TWILIO_ACCOUNT_SID=AC${draw(HEX, 32)}`],
    ['git sha', `export GIT_SHA=${draw(HEX, 40)}`],
    ['40-character commit in prose', `Fixed in ${draw(HEX, 40)}, see ${draw(HEX, 8)}-${draw(HEX, 4)}-4${draw(HEX, 3)}-a${draw(HEX, 3)}-${draw(HEX, 12)}.`],
    ['uuid under a Cloudflare name', `export CLOUDFLARE_API_TOKEN=${draw(HEX, 8)}-${draw(HEX, 4)}-4${draw(HEX, 3)}-a${draw(HEX, 3)}-${draw(HEX, 12)}`],
    ['base64 image', `logo: data:image/png;base64,iVBORw0KGgo${Buffer.from(Array.from({ length: 300 }, () => Math.floor(random() * 256))).toString('base64')}`],
    ['kebab-case words after sk-', "const css = 'sk-loading-spinner sk-fading-circle-with-a-long-modifier-name'"],
    ['sk- inside a word', 'export TASK=disk-cleanup-task-runner-with-a-very-long-name-here'],
    ['re_ identifiers', 'export RE_PATTERN=re_compile_cache_for_module_default_x'],
    ['header mentioned in a script', 'grep -r -- "-----BEGIN RSA PRIVATE KEY-----" .'],
    ['elided key body', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----'],
    ['dummy URL password', 'DATABASE_URL=postgres://user:password@localhost:5432/app'],
    ['URL password equal to the user', 'DATABASE_URL=postgres://postgres:postgres@localhost:5432/app'],
    ['URL password from a variable', 'DATABASE_URL=postgres://app:${PGPASSWORD}@db/app'],
    ['documentation-style URL passwords', "new Keyv('redis://user:pass@localhost:6379'); new URL('https://abc:xyz@example.com'); 'uri://foo:bar@x'"],
    ['URL with a user and no password', `SENTRY_DSN=https://${draw(HEX, 32)}@o450000.ingest.sentry.io/5500000`],
    ['prefix-less value without context', `export SOME_VALUE=${legacy}`],
    ['default expansion of a variable', 'export CLOUDFLARE_API_TOKEN="${CLOUDFLARE_API_TOKEN:-$(cat ~/.cf)}"'],
    ['SetEnvironmentVariable from a variable', '[Environment]::SetEnvironmentVariable("CLOUDFLARE_API_TOKEN", $token, "User")'],
    ['placeholder password in a URL on localhost', 'DATABASE_URL=postgres://app:mypassword@localhost:5432/app'],
    ['default password of a compose service', 'AMQP_URL=amqp://admin:rabbitmq@rabbitmq:5672'],
    ['placeholder password on an example host', 'MONGO_URL=mongodb://root:changeme@db.example.com/app'],
    ['masked URL password', 'DATABASE_URL=postgres://app:********@db.acme.io/app'],
    ['masked token', 'export STRIPE_SECRET_KEY=sk_live_************************'],
    ['x-run token', 'export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
    ['hash-run secret', 'API_SECRET="################################"'],
    ['x-run generic secret', 'JWT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
    ['Turnstile test secret', 'TURNSTILE_SECRET_KEY=1x0000000000000000000000000000000AA'],
    ['Supabase anon key', `SUPABASE_KEY=${jwt({ iss: 'supabase', role: 'anon', iat: 1764000000 })}`],
    ['code reading a secret', 'api_token = os.environ.get("API_TOKEN") or settings.API_TOKEN'],
    ['a property path', 'password: config.database.password'],
    ['sops-encrypted value', 'DB_PASSWORD=ENC[AES256_GCM,data:Tr8x2b1k9Q==,iv:1f7Xn3Z0,type:str]'],
  ])('%s', (_name, text) => {
    expect(scan(text)).toEqual([])
    expect(scan(text, { file: 'x.yaml', origin: 'project' })).toEqual([])
  })

  it.each([
    ['a real password on a real host', `DATABASE_URL=postgres://app:${draw(ALNUM, 16)}@db.acme.io/app`, 'url-password'],
    ['a weak password on a real host is still reported', 'DATABASE_URL=postgres://app:rabbitmq@db.acme.io/app', 'url-password'],
    ['a service-role JWT', `SUPABASE_KEY=${jwt({ iss: 'supabase', role: 'service_role', iat: 1764000000 })}`, 'supabase-service-role-key'],
    ['an npmrc token as a UUID', `//registry.example.org/:_authToken=${draw(HEX, 8)}-${draw(HEX, 4)}-4${draw(HEX, 3)}-a${draw(HEX, 3)}-${draw(HEX, 12)}`, 'npm-token'],
    ['a netrc password', `machine api.acme.io login me password ${draw(ALNUM, 20)}`, 'generic-secret'],
  ])('still reports %s', (_name, text, kind) => {
    const findings = scan(text, PROJECT)
    expect(findings.map((finding) => finding.kind)).toEqual([kind])
  })

  it('still reports a server secret put in a public variable: it ships to every browser', () => {
    const openai = EXAMPLES['openai-key'].value
    expect(only(`NEXT_PUBLIC_OPENAI_API_KEY=${openai}`, PROJECT, openai)).toMatchObject({ kind: 'openai-key', severity: 'high' })
  })
})

describe('severity', () => {
  const line = `export CLOUDFLARE_API_TOKEN=${CF}`
  const plain = `CLOUDFLARE_API_TOKEN=${CF}`
  it.each([
    ['exported from a shell profile', line, PROFILE, 'critical'],
    ['not exported, in a shell profile', plain, PROFILE, 'high'],
    ['in a project file git would commit', plain, PROJECT, 'high'],
    ['exported in a project file (still only high)', line, { file: '.envrc', origin: 'project' } as ScanContext, 'high'],
    ['in a git-ignored project file', plain, { file: '.env.local', origin: 'project', gitIgnored: true } as ScanContext, 'medium'],
    ['commented out in a profile', `# ${line}`, PROFILE, 'low'],
    ['commented out in an ignored project file', `# ${plain}`, { file: '.env.local', origin: 'project', gitIgnored: true } as ScanContext, 'low'],
  ])('%s → %s', (_name, text, ctx, severity) => {
    expect(only(text, ctx).severity).toBe(severity)
  })
})
