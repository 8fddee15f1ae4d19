// Writes the labelled secret-scanner corpus: realistic shell profiles and project files under
// home/ and project/, and labels.json with every finding the scanner must report.
//
//   npx tsx test/corpus/generate.ts
//
// Every secret is made up here from a seeded PRNG, in the right shape (cfut_ tokens carry a
// correct CRC-32), so the output is identical on every run and contains no real credential.
// The only published vendor values are AWS's documentation examples, which are negatives.
// Labels are written by hand next to each line below, not derived from the scanner.

import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fingerprint } from '../../shared/common/fingerprint'
import type { SecretKind, Severity } from '../../shared/common/scan/kinds'

/** One finding the scanner must report. */
export interface ExpectedFinding {
  line: number
  column: number
  /** Length of the secret text at (line, column); for private keys, of the header line. */
  length: number
  kind: SecretKind
  severity: Severity
  /** The variable, key or header the scanner must name; absent when there is none. */
  variable?: string
  fingerprint: string
}

/** Labels of one corpus file: how to scan it and what it must yield. */
export interface FileLabels {
  origin: 'shell-profile' | 'project'
  gitIgnored?: boolean
  /** The file must be skipped for this reason (and yield nothing). */
  skipped?: 'binary' | 'too-large'
  /** The file is not valid UTF-8 and must be scanned lossily. */
  invalidUtf8?: boolean
  findings: ExpectedFinding[]
}

/** The whole labels.json. */
export interface CorpusLabels {
  files: Record<string, FileLabels>
}

// ---------------------------------------------------------------------------------------------
// Deterministic fake secrets

/** mulberry32: small, fast, good enough for test data, and the same on every platform. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const random = seededRandom(0xc0ffee)
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const URLSAFE = `${ALNUM}_-`
const BASE64 = `${ALNUM}+/`
const HEX = '0123456789abcdef'
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const DIGITS = '0123456789'
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Rejects the rare random string a human would call a placeholder: long runs, ascending runs, missing character classes. */
function looksRandomEnough(value: string, alphabet: string): boolean {
  for (let i = 0; i + 3 < value.length; i++) {
    const a = value.charCodeAt(i)
    if (value.charCodeAt(i + 1) === a && value.charCodeAt(i + 2) === a && value.charCodeAt(i + 3) === a) return false
    if (value.charCodeAt(i + 1) === a + 1 && value.charCodeAt(i + 2) === a + 2 && value.charCodeAt(i + 3) === a + 3) return false
  }
  if (alphabet.includes('a') && alphabet.includes('A') && alphabet.includes('0') && value.length >= 20) {
    return /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value)
  }
  return true
}

function draw(alphabet: string, length: number): string {
  for (;;) {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)]
    if (looksRandomEnough(out, alphabet)) return out
  }
}

function crc32(text: string): number {
  let crc = 0xffffffff
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i)
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

const make = {
  cloudflare: (prefix: 'cfut_' | 'cfat_' | 'cfk_') => {
    const body = prefix + draw(ALNUM, 40)
    return body + crc32(body).toString(16).padStart(8, '0')
  },
  oauth: () => `cfoat_${draw(URLSAFE, 64)}`,
  originCa: () => `v1.0-${draw(HEX, 24)}-${draw(HEX, 146)}`,
  legacyToken: () => draw(ALNUM, 1) + draw(URLSAFE, 38) + draw(ALNUM, 1),
  legacyGlobalKey: (length = 37) => draw(HEX, length),
  openaiProject: () => `sk-proj-${draw(URLSAFE, 156)}`,
  openaiServiceAccount: () => `sk-svcacct-${draw(URLSAFE, 120)}`,
  openaiLegacy: () => `sk-${draw(ALNUM, 48)}`,
  anthropic: () => `sk-ant-api03-${draw(URLSAFE, 93)}AA`,
  google: () => `AIza${draw(URLSAFE, 35)}`,
  replicate: () => `r8_${draw(ALNUM, 37)}`,
  stripe: (prefix: 'sk_live_' | 'sk_test_' | 'rk_live_' | 'rk_test_' | 'pk_live_' | 'pk_test_', length = 24) => prefix + draw(ALNUM, length),
  hex: (length: number) => draw(HEX, length),
  twilioSid: () => `AC${draw(HEX, 32)}`,
  twilioApiKey: () => `SK${draw(HEX, 32)}`,
  resend: () => `re_${draw(ALNUM, 8)}_${draw(ALNUM, 24)}`,
  awsKeyId: (prefix: 'AKIA' | 'ASIA' = 'AKIA') => prefix + draw(UPPER_DIGITS, 16),
  awsSecret: () => draw(BASE64, 40),
  github: (prefix: 'ghp_' | 'gho_' | 'ghu_' | 'ghs_' | 'ghr_') => prefix + draw(ALNUM, 36),
  githubPat: () => `github_pat_${draw(ALNUM, 22)}_${draw(ALNUM, 59)}`,
  slackBot: () => `xoxb-${draw(DIGITS, 12)}-${draw(DIGITS, 13)}-${draw(ALNUM, 24)}`,
  slackUser: () => `xoxp-${draw(DIGITS, 12)}-${draw(DIGITS, 12)}-${draw(DIGITS, 13)}-${draw(HEX, 32)}`,
  slackApp: () => `xapp-1-A${draw(UPPER_DIGITS, 10)}-${draw(DIGITS, 13)}-${draw(HEX, 64)}`,
  turnstileSecret: () => `0x4AAAAAAA${draw(URLSAFE, 25)}`,
  turnstileSiteKey: () => `0x4AAAAAAA${draw(URLSAFE, 14)}`,
  tunnel: () => Buffer.from(JSON.stringify({ a: draw(HEX, 32), t: make.uuid(), s: Buffer.from(randomBytes(32)).toString('base64') })).toString('base64'),
  groq: () => `gsk_${draw(ALNUM, 52)}`,
  huggingFace: () => `hf_${draw(LETTERS, 34)}`,
  xai: () => `xai-${draw(ALNUM, 80)}`,
  npm: () => `npm_${draw(ALNUM, 36)}`,
  sendgrid: () => `SG.${draw(URLSAFE, 22)}.${draw(URLSAFE, 43)}`,
  stripeWebhook: () => `whsec_${draw(ALNUM, 32)}`,
  jwt: (claims: Record<string, unknown>) =>
    `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${draw(URLSAFE, 43)}`,
  awsSession: () => `IQoJb3JpZ2luX2VjE${draw(BASE64, 380)}`,
  githubInstallation: () => `ghs_${draw(ALNUM, 36)}_${draw(ALNUM, 20)}.${draw(ALNUM, 24)}`,
  openaiNamed: () => `sk-deploy-bot-${draw(URLSAFE, 20)}T3BlbkFJ${draw(URLSAFE, 20)}`,
  slackRefresh: () => `xoxe-1-${draw(ALNUM, 140)}`,
  slackRotated: () => `xoxe.xoxp-1-${draw(ALNUM, 160)}`,
  slackWorkspace: () => `xoxs-${draw(DIGITS, 12)}-${draw(DIGITS, 12)}-${draw(DIGITS, 13)}-${draw(HEX, 64)}`,
  slackLegacy: () => `xoxr-${draw(DIGITS, 12)}-${draw(ALNUM, 40)}`,
  generic: (length = 32) => draw(`${ALNUM}!%^*-_`, length),
  slackWebhook: () => `https://hooks.slack.com/services/T${draw(UPPER_DIGITS, 10)}/B${draw(UPPER_DIGITS, 10)}/${draw(ALNUM, 24)}`,
  password: () => draw(ALNUM, 20),
  uuid: () => `${draw(HEX, 8)}-${draw(HEX, 4)}-4${draw(HEX, 3)}-a${draw(HEX, 3)}-${draw(HEX, 12)}`,
  base64Of: (length: number) => Buffer.from(randomBytes(length)).toString('base64'),
}

/** A PEM block of random bytes (not a key anyone can use) and the body the scanner fingerprints. */
function privateKeyBlock(label: string, bytes: number): { header: string; bodyLines: string[]; footer: string; body: string } {
  const body = Buffer.from(randomBytes(bytes)).toString('base64')
  const bodyLines: string[] = []
  for (let i = 0; i < body.length; i += 64) bodyLines.push(body.slice(i, i + 64))
  return { header: `-----BEGIN ${label}-----`, bodyLines, footer: `-----END ${label}-----`, body }
}

// ---------------------------------------------------------------------------------------------
// File builder

/** A secret placed in a line, with what the scanner must say about it. */
interface Mark {
  value: string
  kind: SecretKind
  severity: Severity
  variable?: string
  /** What the scanner fingerprints when it is not `value` (private keys: the body). */
  fingerprinted?: string
}

function secret(value: string, kind: SecretKind, severity: Severity, variable?: string, fingerprinted?: string): Mark {
  return { value, kind, severity, variable, fingerprinted }
}

interface FileOptions {
  origin: 'shell-profile' | 'project'
  gitIgnored?: boolean
  crlf?: boolean
  bom?: boolean
  finalNewline?: boolean
  encoding?: 'utf8' | 'latin1' | 'utf16le'
}

class CorpusFile {
  readonly lines: string[] = []
  readonly findings: ExpectedFinding[] = []

  constructor(
    readonly path: string,
    readonly options: FileOptions,
  ) {}

  /** Lines without secrets. */
  text(...lines: string[]): this {
    this.lines.push(...lines)
    return this
  }

  /** One line, concatenated from parts: `Mark`s are expected findings, strings are plain text. */
  line(...parts: (string | Mark)[]): this {
    let text = ''
    for (const part of parts) {
      if (typeof part === 'string') {
        text += part
      } else {
        const finding: ExpectedFinding = {
          line: this.lines.length + 1,
          column: text.length + 1,
          length: part.value.length,
          kind: part.kind,
          severity: part.severity,
          fingerprint: fingerprint(part.fingerprinted ?? part.value),
        }
        if (part.variable !== undefined) finding.variable = part.variable
        this.findings.push(finding)
        text += part.value
      }
    }
    this.lines.push(text)
    return this
  }

  bytes(): Uint8Array {
    const newline = this.options.crlf ? '\r\n' : '\n'
    let content = this.lines.join(newline)
    if (this.options.finalNewline !== false) content += newline
    if (this.options.bom) content = `\uFEFF${content}`
    if (this.options.encoding === 'latin1') return Buffer.from(content, 'latin1')
    if (this.options.encoding === 'utf16le') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(content, 'utf16le')])
    return Buffer.from(content, 'utf8')
  }

  labels(): FileLabels {
    const labels: FileLabels = { origin: this.options.origin, findings: this.findings }
    if (this.options.gitIgnored !== undefined) labels.gitIgnored = this.options.gitIgnored
    if (this.options.encoding === 'latin1') labels.invalidUtf8 = true
    return labels
  }
}

// ---------------------------------------------------------------------------------------------
// The corpus

/** Builds every corpus file and its labels. Pure apart from the seeded PRNG; call once per process. */
export function buildCorpus(): { files: Map<string, Uint8Array>; labels: CorpusLabels } {
  // Values shared between files, so tests can check that one secret has one fingerprint everywhere.
  const shared = {
    cfut: make.cloudflare('cfut_'),
    cfat: make.cloudflare('cfat_'),
    legacyToken: make.legacyToken(),
    globalKey: make.legacyGlobalKey(37),
    openai: make.openaiProject(),
    anthropic: make.anthropic(),
    accountId: make.hex(32),
  }
  const corpus: CorpusFile[] = []
  const file = (path: string, options: FileOptions) => {
    const created = new CorpusFile(path, options)
    corpus.push(created)
    return created
  }

  // ---- home/.bashrc: the classic export forms, several per line, a later bare export.
  {
    const f = file('home/.bashrc', { origin: 'shell-profile' })
    const pw = make.password()
    f.text(
      '# ~/.bashrc: executed by bash(1) for non-login shells.',
      "# If not running interactively, don't do anything",
      'case $- in',
      '    *i*) ;;',
      '      *) return;;',
      'esac',
      '',
      'HISTCONTROL=ignoreboth',
      'HISTSIZE=1000',
      'shopt -s histappend checkwinsize',
      'export PATH="$HOME/.local/bin:$HOME/.cargo/bin:$PATH"',
      'export EDITOR=vim',
      "alias ll='ls -alF'",
      '',
      '# Cloudflare',
    )
    f.line('export CLOUDFLARE_API_TOKEN=', secret(shared.cfut, 'cloudflare-user-token', 'critical', 'CLOUDFLARE_API_TOKEN'))
    f.line('export CLOUDFLARE_ACCOUNT_ID=', shared.accountId)
    f.line('export CF_ZONE_ID="', make.hex(32), '"')
    f.line('# export CLOUDFLARE_API_TOKEN=', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'low', 'CLOUDFLARE_API_TOKEN'))
    f.line("export CLOUDFLARE_API_KEY='", secret(shared.globalKey, 'cloudflare-legacy-global-key', 'critical', 'CLOUDFLARE_API_KEY'), "'")
    f.text('export CLOUDFLARE_EMAIL=dev@example.com')
    f.line('export CLOUDFLARE_DEPLOY_COMMIT=', make.hex(40))
    f.line('export CF_API_KEY_SHA1=', make.hex(40))
    f.text('', '# AI')
    f.line('export OPENAI_API_KEY="', secret(shared.openai, 'openai-key', 'critical', 'OPENAI_API_KEY'), '"')
    f.line('export ANTHROPIC_API_KEY=', secret(shared.anthropic, 'anthropic-key', 'critical', 'ANTHROPIC_API_KEY'))
    f.line('GEMINI_API_KEY=', secret(make.google(), 'google-api-key', 'critical', 'GEMINI_API_KEY'))
    f.line('REPLICATE_API_TOKEN=', secret(make.replicate(), 'replicate-token', 'high', 'REPLICATE_API_TOKEN'))
    f.line('export OPENAI_ORG_ID=org-', make.hex(24))
    f.text('', '# AWS')
    f.line('export AWS_ACCESS_KEY_ID=', secret(make.awsKeyId(), 'aws-access-key-id', 'critical', 'AWS_ACCESS_KEY_ID'))
    f.line('export AWS_SECRET_ACCESS_KEY=', secret(make.awsSecret(), 'aws-secret-access-key', 'critical', 'AWS_SECRET_ACCESS_KEY'))
    f.text(
      'export AWS_DEFAULT_REGION=eu-west-1',
      'export AWS_ACCOUNT_ID=123456789012',
      "# The examples from AWS's documentation are not secrets:",
      '# export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
      '# export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      '',
      'export GITHUB_TOKEN=$(gh auth token)',
      'export NPM_TOKEN="${NPM_TOKEN:-}"',
    )
    f.line('export HOMEBREW_GITHUB_API_TOKEN=', secret(make.github('ghp_'), 'github-token', 'critical', 'HOMEBREW_GITHUB_API_TOKEN'))
    f.line('export LANG=en_US.UTF-8 STRIPE_SECRET_KEY=', secret(make.stripe('sk_live_', 99), 'stripe-secret-key', 'critical', 'STRIPE_SECRET_KEY'), ' PAGER=less')
    f.line('DB_USER=app; export DATABASE_URL="postgres://app:', secret(pw, 'url-password', 'critical', 'DATABASE_URL'), '@db.internal:5432/app"')
    f.line('export SLACK_BOT_TOKEN=', secret(make.slackBot(), 'slack-token', 'critical', 'SLACK_BOT_TOKEN'), ' # team bot')
    f.text(
      'export TASK_RUNNER=disk-cleanup-task-runner-with-a-very-long-name',
      '[ -f ~/.bash_aliases ] && . ~/.bash_aliases',
      'if [ -d "$HOME/.nvm" ]; then export NVM_DIR="$HOME/.nvm"; fi',
      'export GEMINI_API_KEY',
    )
  }

  // ---- home/.zshrc (CRLF): typeset/declare, alias with an inline assignment, Twilio, look-alikes.
  {
    const f = file('home/.zshrc', { origin: 'shell-profile', crlf: true })
    f.text(
      '# Path to your oh-my-zsh installation.',
      'export ZSH="$HOME/.oh-my-zsh"',
      'ZSH_THEME="robbyrussell"',
      'plugins=(git docker kubectl)',
      'source $ZSH/oh-my-zsh.sh',
      '',
    )
    f.line('typeset -x CF_API_TOKEN=', secret(shared.legacyToken, 'cloudflare-legacy-token', 'critical', 'CF_API_TOKEN'))
    f.line('declare -x CLOUDFLARE_API_TOKEN="', secret(shared.cfat, 'cloudflare-account-token', 'critical', 'CLOUDFLARE_API_TOKEN'), '"')
    f.line('typeset -gx GITHUB_PAT=', secret(make.githubPat(), 'github-token', 'critical', 'GITHUB_PAT'))
    f.line('wrangler_login=', secret(make.oauth(), 'cloudflare-oauth-token', 'high', 'wrangler_login'))
    f.line('export TWILIO_ACCOUNT_SID=', make.twilioSid())
    f.line('export TWILIO_AUTH_TOKEN=', secret(make.hex(32), 'twilio-auth-token', 'critical', 'TWILIO_AUTH_TOKEN'))
    f.line('export TWILIO_API_KEY=', secret(make.twilioApiKey(), 'twilio-api-key', 'critical', 'TWILIO_API_KEY'))
    f.line('export RESEND_API_KEY=', secret(make.resend(), 'resend-key', 'critical', 'RESEND_API_KEY'))
    f.line('export STRIPE_PUBLISHABLE_KEY=', make.stripe('pk_live_'))
    f.line("alias deploy='CLOUDFLARE_API_TOKEN=", secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'high', 'CLOUDFLARE_API_TOKEN'), " npx wrangler deploy'")
    f.line('export GIT_SHA=', make.hex(40))
    f.line('export BUILD_ID=', make.uuid())
    f.line('export RE_PATTERN=re_compile_cache_for_module_default_x')
    f.text("PROMPT='%F{green}%n@%m%f %~ %# '", 'bindkey -e')
  }

  // ---- home/.profile (BOM): a secret on line 1, then a wall of placeholders and references.
  {
    const f = file('home/.profile', { origin: 'shell-profile', bom: true })
    f.line('CF_API_KEY=', secret(make.legacyGlobalKey(45), 'cloudflare-legacy-global-key', 'critical', 'CF_API_KEY'))
    f.text(
      '# ~/.profile: executed by the command interpreter for login shells.',
      'if [ -n "$BASH_VERSION" ]; then',
      '    if [ -f "$HOME/.bashrc" ]; then',
      '\t. "$HOME/.bashrc"',
      '    fi',
      'fi',
      'PATH="$HOME/bin:$PATH"',
      'export CF_API_KEY CF_API_EMAIL',
      'export CF_API_EMAIL=ops@example.com',
    )
    f.line('export DEPLOY_KEY_SHA256=', make.hex(64))
    f.text(
      'export OPENAI_API_KEY=sk-your-key-here',
      'export OPENAI_API_KEY="<OPENAI_API_KEY>"',
      'export ANTHROPIC_API_KEY=changeme',
      'export STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx',
      'export GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      'export CLOUDFLARE_API_TOKEN=your-token-here',
      'export CLOUDFLARE_API_TOKEN=REPLACE_ME',
      'export CF_API_TOKEN=TODO',
      'export CLOUDFLARE_API_TOKEN=',
      'export CLOUDFLARE_API_TOKEN=""',
      `export CLOUDFLARE_API_TOKEN=${'a'.repeat(40)}`,
      `export CLOUDFLARE_API_TOKEN=${'x'.repeat(40)}`,
      `export CLOUDFLARE_API_TOKEN=${'0123456789abcdefghij'.repeat(2)}`,
      'export CLOUDFLARE_API_TOKEN=example',
      'export CLOUDFLARE_API_TOKEN="$(security find-generic-password -s cloudflare -w)"',
      'export CLOUDFLARE_API_TOKEN=`pass show cloudflare/token`',
      'export CLOUDFLARE_API_TOKEN=op://Private/Cloudflare/credential',
      'export CLOUDFLARE_API_TOKEN=vault:secret/data/cloudflare#token',
      'export CLOUDFLARE_API_TOKEN=${CF_TOKEN}',
      'export CLOUDFLARE_API_TOKEN=$CF_TOKEN',
      `export CLOUDFLARE_API_KEY=${'f'.repeat(37)}`,
      `export CLOUDFLARE_API_TOKEN=ExampleTokenDoNotUse_${'Q'.repeat(19)}`,
    )
  }

  // ---- home/.bash_profile (Latin-1, so not valid UTF-8): URLs with passwords, Slack.
  {
    const f = file('home/.bash_profile', { origin: 'shell-profile', encoding: 'latin1' })
    f.text('# .bash_profile', '[[ -f ~/.bashrc ]] && source ~/.bashrc', 'export GOPATH=$HOME/go')
    f.line('export GITHUB_TOKEN=', secret(make.github('gho_'), 'github-token', 'critical', 'GITHUB_TOKEN'))
    f.text('# Réglages de déploiement (café)')
    f.line('export DEPLOY_HOOK=', secret(make.slackWebhook(), 'slack-webhook', 'critical', 'DEPLOY_HOOK'))
    f.line('export SLACK_APP_TOKEN=', secret(make.slackApp(), 'slack-token', 'critical', 'SLACK_APP_TOKEN'))
    f.line('export REDIS_URL=redis://:', secret(make.password(), 'url-password', 'critical', 'REDIS_URL'), '@cache.internal:6379/0')
    f.text('export AMQP_URL=amqp://guest:guest@localhost:5672//')
    f.line('export MONGO_URL="mongodb+srv://svc:', secret(make.password(), 'url-password', 'critical', 'MONGO_URL'), '@cluster0.abcde.mongodb.net/app?retryWrites=true&w=majority"')
    f.text(
      'export MYSQL_URL=mysql://root:password@127.0.0.1:3306/dev',
      'export PG_URL=postgres://app:${PGPASSWORD}@db:5432/app',
      'export SENTRY_DSN=https://0f4c2a9e1b7d4e3a8c6b5a4f3e2d1c0b@o123456.ingest.sentry.io/1234567',
    )
  }

  // ---- home/.config/fish/config.fish (no final newline): set -gx / -Ux / -x / -U.
  {
    const f = file('home/.config/fish/config.fish', { origin: 'shell-profile', finalNewline: false })
    f.text('if status is-interactive', '    # Commands to run in interactive sessions can go here', 'end', 'set -gx PATH $HOME/.local/bin $PATH')
    f.line('set -gx CLOUDFLARE_API_TOKEN ', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'critical', 'CLOUDFLARE_API_TOKEN'))
    f.line('set -Ux OPENAI_API_KEY ', secret(make.openaiLegacy(), 'openai-key', 'critical', 'OPENAI_API_KEY'))
    f.line("set -x ANTHROPIC_API_KEY '", secret(make.anthropic(), 'anthropic-key', 'critical', 'ANTHROPIC_API_KEY'), "'")
    f.line('set -U REPLICATE_API_TOKEN ', secret(make.replicate(), 'replicate-token', 'high', 'REPLICATE_API_TOKEN'))
    f.text("set -g fish_greeting ''")
    f.line('set -gx CF_ACCOUNT_ID ', make.hex(32))
    f.line('# set -gx STRIPE_SECRET_KEY ', secret(make.stripe('sk_test_'), 'stripe-secret-key', 'low', 'STRIPE_SECRET_KEY'))
    f.text('set -gx GITHUB_TOKEN (gh auth token)', 'set -gx AWS_SECRET_ACCESS_KEY (security find-generic-password -w -s aws)')
    f.line('set -gx SLACK_USER_TOKEN ', secret(make.slackUser(), 'slack-token', 'critical', 'SLACK_USER_TOKEN'))
  }

  // ---- home/.cshrc and home/.tcshrc: setenv (exported) and set (shell-local).
  {
    const f = file('home/.cshrc', { origin: 'shell-profile' })
    f.text('# .cshrc', 'set path = ( $path $HOME/bin )', 'setenv EDITOR vim')
    f.line('setenv CLOUDFLARE_API_KEY ', secret(make.cloudflare('cfk_'), 'cloudflare-global-key', 'critical', 'CLOUDFLARE_API_KEY'))
    f.text('setenv CLOUDFLARE_EMAIL ops@example.com')
    f.line('set cf_token = ', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'cf_token'))
    f.line('set GH_TOKEN=', secret(make.github('ghu_'), 'github-token', 'high', 'GH_TOKEN'))
    f.line('setenv AWS_ACCESS_KEY_ID ', secret(make.awsKeyId('ASIA'), 'aws-access-key-id', 'critical', 'AWS_ACCESS_KEY_ID'))
    f.line('setenv AWS_SECRET_ACCESS_KEY "', secret(make.awsSecret(), 'aws-secret-access-key', 'critical', 'AWS_SECRET_ACCESS_KEY'), '"')
    f.text("alias deploy 'env CLOUDFLARE_API_TOKEN=$CF_TOKEN wrangler deploy'")
  }
  {
    const f = file('home/.tcshrc', { origin: 'shell-profile' })
    f.text('source ~/.cshrc')
    f.line('setenv STRIPE_API_KEY ', secret(make.stripe('rk_live_'), 'stripe-restricted-key', 'critical', 'STRIPE_API_KEY'))
    f.text('setenv REPLICATE_API_TOKEN `cat ~/.config/replicate`')
    f.line('# setenv OPENAI_API_KEY ', secret(make.openaiServiceAccount(), 'openai-key', 'low', 'OPENAI_API_KEY'))
    f.text('bindkey -v')
  }

  // ---- home/.envrc (direnv): references next to leaks.
  {
    const f = file('home/.envrc', { origin: 'shell-profile' })
    f.text('# direnv: loaded on cd', 'export CLOUDFLARE_API_TOKEN=$(cfwrap token --ttl 1h)')
    f.line('export CLOUDFLARE_ACCOUNT_ID=', shared.accountId)
    f.text('dotenv_if_exists .env.local')
    f.line('export WRANGLER_OAUTH_TOKEN=', secret(make.oauth(), 'cloudflare-oauth-token', 'critical', 'WRANGLER_OAUTH_TOKEN'))
    f.text('PATH_add bin')
    f.line('export ORIGIN_CA_KEY=', secret(make.originCa(), 'cloudflare-origin-ca-key', 'critical', 'ORIGIN_CA_KEY'))
    f.line('export GOOGLE_API_KEY=', secret(make.google(), 'google-api-key', 'critical', 'GOOGLE_API_KEY'))
    f.text('layout node')
  }

  // ---- home/Documents/PowerShell/Microsoft.PowerShell_profile.ps1 (UTF-16LE with BOM, CRLF).
  {
    const f = file('home/Documents/PowerShell/Microsoft.PowerShell_profile.ps1', { origin: 'shell-profile', encoding: 'utf16le', crlf: true })
    f.text('Import-Module posh-git', 'Set-PSReadLineOption -EditMode Emacs')
    f.line('$env:CLOUDFLARE_API_TOKEN = "', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'critical', 'CLOUDFLARE_API_TOKEN'), '"')
    f.line('[Environment]::SetEnvironmentVariable("OPENAI_API_KEY", "', secret(make.openaiProject(), 'openai-key', 'critical', 'OPENAI_API_KEY'), '", "User")')
    f.text('$env:CLOUDFLARE_ACCOUNT_ID = "' + make.hex(32) + '"')
  }

  // ---- project/.env (committed): dotenv forms, inline comments, public keys, a DSN without password.
  {
    const f = file('project/.env', { origin: 'project', gitIgnored: false })
    const pw = make.password()
    f.text('# Local development settings', 'NODE_ENV=development', 'PORT=8787')
    f.line('CLOUDFLARE_API_TOKEN=', secret(shared.cfut, 'cloudflare-user-token', 'high', 'CLOUDFLARE_API_TOKEN'))
    f.line('CLOUDFLARE_ACCOUNT_ID=', shared.accountId)
    f.line('CF_API_TOKEN="', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'CF_API_TOKEN'), '" # rotated 2025-01')
    f.line("OPENAI_API_KEY='", secret(shared.openai, 'openai-key', 'high', 'OPENAI_API_KEY'), "'")
    f.line('DATABASE_URL=postgres://app:', secret(pw, 'url-password', 'high', 'DATABASE_URL'), '@localhost:5432/app?sslmode=disable')
    f.line('STRIPE_SECRET_KEY=', secret(make.stripe('sk_test_'), 'stripe-secret-key', 'high', 'STRIPE_SECRET_KEY'))
    f.line('STRIPE_PUBLISHABLE_KEY=', make.stripe('pk_test_'))
    f.line('NEXT_PUBLIC_STRIPE_KEY=', make.stripe('pk_live_'))
    f.text('NEXT_PUBLIC_API_URL=https://api.example.com', 'SENTRY_DSN=https://9a8b7c6d5e4f40312a1b0c9d8e7f6a5b@o450000.ingest.sentry.io/5500000', 'JWT_SECRET=${JWT_SECRET}', 'EMPTY=')
    f.line('# OPENAI_API_KEY=', secret(make.openaiLegacy(), 'openai-key', 'low', 'OPENAI_API_KEY'))
    f.line('export RESEND_API_KEY=', secret(make.resend(), 'resend-key', 'high', 'RESEND_API_KEY'))
  }

  // ---- project/.env.local (git-ignored): medium; YAML-ish KEY: value; AWS doc examples.
  {
    const f = file('project/.env.local', { origin: 'project', gitIgnored: true })
    f.line('CLOUDFLARE_API_TOKEN=', secret(shared.cfut, 'cloudflare-user-token', 'medium', 'CLOUDFLARE_API_TOKEN'))
    f.line('ANTHROPIC_API_KEY=', secret(shared.anthropic, 'anthropic-key', 'medium', 'ANTHROPIC_API_KEY'))
    f.text('AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
    f.line('TWILIO_AUTH_TOKEN=', secret(make.hex(32), 'twilio-auth-token', 'medium', 'TWILIO_AUTH_TOKEN'))
    f.line('TWILIO_ACCOUNT_SID=', make.twilioSid())
    f.line('GITHUB_TOKEN: ', secret(make.github('ghs_'), 'github-token', 'medium', 'GITHUB_TOKEN'))
    f.line('# GITHUB_TOKEN=', secret(make.github('ghr_'), 'github-token', 'low', 'GITHUB_TOKEN'))
  }

  // ---- project/.env.production (committed, BOM + CRLF): webhook, public browser keys.
  {
    const f = file('project/.env.production', { origin: 'project', gitIgnored: false, bom: true, crlf: true })
    f.line('CLOUDFLARE_API_TOKEN=', secret(shared.cfat, 'cloudflare-account-token', 'high', 'CLOUDFLARE_API_TOKEN'))
    f.line('SLACK_WEBHOOK_URL="', secret(make.slackWebhook(), 'slack-webhook', 'high', 'SLACK_WEBHOOK_URL'), '"')
    f.line('GOOGLE_MAPS_API_KEY=', secret(make.google(), 'google-api-key', 'high', 'GOOGLE_MAPS_API_KEY'))
    // Firebase and Maps browser keys are public by design when the name says so...
    f.line('NEXT_PUBLIC_FIREBASE_API_KEY=', make.google())
    // ...but a server secret in a public variable ships to every browser: still a leak.
    f.line('NEXT_PUBLIC_OPENAI_API_KEY=', secret(make.openaiProject(), 'openai-key', 'high', 'NEXT_PUBLIC_OPENAI_API_KEY'))
    f.text('SUPABASE_URL=https://abcdefghijklmnop.supabase.co')
    f.line('CLOUDFLARE_ZONE_ID=', make.hex(32))
    f.line('RELEASE_SHA=', make.hex(40))
    f.line('ASSET_CHECKSUM=', make.hex(64))
    f.line('CLOUDFLARE_API_TOKEN_ID=', make.hex(32))
  }

  // ---- project/.dev.vars (git-ignored, Wrangler dev bindings).
  {
    const f = file('project/.dev.vars', { origin: 'project', gitIgnored: true })
    f.line('OPENAI_API_KEY="', secret(make.openaiProject(), 'openai-key', 'medium', 'OPENAI_API_KEY'), '"')
    f.text('ENVIRONMENT=dev')
  }

  // ---- project/wrangler.toml (committed): [vars], [env.*.vars], inline tables.
  {
    const f = file('project/wrangler.toml', { origin: 'project', gitIgnored: false })
    f.text('name = "my-worker"', 'main = "src/index.ts"', 'compatibility_date = "2025-06-01"')
    f.line('account_id = "', shared.accountId, '"')
    f.text('', '[vars]', 'ENVIRONMENT = "production"', 'API_BASE = "https://api.example.com"')
    f.line('OPENAI_API_KEY = "', secret(make.openaiProject(), 'openai-key', 'high', 'OPENAI_API_KEY'), '"')
    f.line("RESEND_KEY = '", secret(make.resend(), 'resend-key', 'high', 'RESEND_KEY'), "'")
    f.line('CLOUDFLARE_API_TOKEN="', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'CLOUDFLARE_API_TOKEN'), '"')
    f.line('STRIPE_KEY = "', make.stripe('pk_live_'), '"')
    f.line('# GITHUB_TOKEN = "', secret(make.github('ghp_'), 'github-token', 'low', 'GITHUB_TOKEN'), '"')
    f.text('', '[[kv_namespaces]]', 'binding = "CACHE"')
    f.line('id = "', make.hex(32), '"')
    f.text('', '[env.staging.vars]')
    f.line('DATABASE_URL = "postgres://worker:', secret(make.password(), 'url-password', 'high', 'DATABASE_URL'), '@db.example.net:5432/app"')
    f.line('SENTRY_RELEASE = "', make.hex(40), '"')
    f.text('', '[env.dev]')
    f.line('vars = { REPLICATE_API_TOKEN = "', secret(make.replicate(), 'replicate-token', 'high', 'REPLICATE_API_TOKEN'), '", MODE = "fast" }')
  }

  // ---- project/wrangler.jsonc (committed): JSON with comments, pairs on one line, a build command.
  {
    const f = file('project/wrangler.jsonc', { origin: 'project', gitIgnored: false })
    f.text(
      '// wrangler config: https://developers.cloudflare.com/workers/wrangler/configuration/',
      '{',
      '  "$schema": "node_modules/wrangler/config-schema.json",',
      '  "name": "api-worker",',
      '  "main": "src/index.ts",',
    )
    f.line('  "account_id": "', shared.accountId, '",')
    f.text('  /* secrets belong in `wrangler secret put`, not here */', '  "vars": {', '    "ENVIRONMENT": "production",')
    f.line('    "ANTHROPIC_API_KEY": "', secret(make.anthropic(), 'anthropic-key', 'high', 'ANTHROPIC_API_KEY'), '",')
    f.line('    "CF_API_TOKEN": "', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'high', 'CF_API_TOKEN'), '",')
    f.line('    // "OLD_TOKEN": "', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'low', 'OLD_TOKEN'), '",')
    f.line('    "GOOGLE_API_KEY": "', secret(make.google(), 'google-api-key', 'high', 'GOOGLE_API_KEY'), '", "MODE": "strict",')
    f.line('    "CLOUDFLARE_API_KEY": "', secret(make.legacyGlobalKey(37), 'cloudflare-legacy-global-key', 'high', 'CLOUDFLARE_API_KEY'), '",')
    f.text('    "TURNSTILE_SITE_KEY": "0x4AAAAAAAB3cDeFgHiJkLmN"', '  },')
    f.line('  "kv_namespaces": [{ "binding": "KV", "id": "', make.hex(32), '" }],')
    f.line('  "routes": [{ "pattern": "api.example.com/*", "zone_id": "', make.hex(32), '" }],')
    f.line('  "build": { "command": "CLOUDFLARE_API_TOKEN=', secret(shared.cfat, 'cloudflare-account-token', 'high', 'CLOUDFLARE_API_TOKEN'), ' npm run build" }')
    f.text('}')
  }

  // ---- project/docker-compose.yml (committed): list and map environment forms, flow sequences.
  {
    const f = file('project/docker-compose.yml', { origin: 'project', gitIgnored: false })
    f.text('services:', '  api:', '    image: ghcr.io/acme/api:latest', '    environment:', '      - NODE_ENV=production')
    f.line('      - "OPENAI_API_KEY=', secret(make.openaiLegacy(), 'openai-key', 'high', 'OPENAI_API_KEY'), '"')
    f.line('      - DATABASE_URL=postgresql://api:', secret(make.password(), 'url-password', 'high', 'DATABASE_URL'), '@postgres:5432/api')
    f.text('      - STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}', '  worker:', '    image: ghcr.io/acme/worker:latest', '    environment:')
    f.line('      CLOUDFLARE_API_TOKEN: ', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'high', 'CLOUDFLARE_API_TOKEN'))
    f.line('      TWILIO_AUTH_TOKEN: "', secret(make.hex(32), 'twilio-auth-token', 'high', 'TWILIO_AUTH_TOKEN'), '"')
    f.line('      TWILIO_ACCOUNT_SID: ', make.twilioSid())
    f.line('      AWS_ACCESS_KEY_ID: ', secret(make.awsKeyId(), 'aws-access-key-id', 'high', 'AWS_ACCESS_KEY_ID'))
    f.line("      AWS_SECRET_ACCESS_KEY: '", secret(make.awsSecret(), 'aws-secret-access-key', 'high', 'AWS_SECRET_ACCESS_KEY'), "'")
    f.line('      GIT_COMMIT: ', make.hex(40))
    f.line('      IMAGE_DIGEST: sha256:', make.hex(64))
    f.text('  redis:', '    image: redis:7', '    command: redis-server --requirepass "${REDIS_PASSWORD}"', '    healthcheck:')
    f.line('      test: ["CMD", "redis-cli", "-u", "redis://default:', secret(make.password(), 'url-password', 'high'), '@localhost:6379", "ping"]')
  }

  // ---- project/config.yaml (git-ignored): nested YAML, data URI, comments.
  {
    const f = file('project/config.yaml', { origin: 'project', gitIgnored: true })
    f.text('app:', '  name: demo')
    f.line('  logo: data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA', make.base64Of(300))
    f.line('  build_id: ', make.uuid())
    f.text('cloudflare:')
    f.line('  account_id: ', make.hex(32))
    f.line('  cf_api_token: ', secret(make.legacyToken(), 'cloudflare-legacy-token', 'medium', 'cf_api_token'))
    f.text('openai:')
    f.line('  api_key: "', secret(make.openaiProject(), 'openai-key', 'medium', 'api_key'), '"')
    f.text('slack:')
    f.line('  bot_token: ', secret(make.slackBot(), 'slack-token', 'medium', 'bot_token'))
    f.line('  webhook: ', secret(make.slackWebhook(), 'slack-webhook', 'medium', 'webhook'))
    f.text('github:')
    f.line('  token: "', secret(make.github('ghp_'), 'github-token', 'medium', 'token'), '"  # CI token')
    f.line('  # token: ', secret(make.github('ghp_'), 'github-token', 'low', 'token'))
    f.text('stripe:')
    f.line('  publishable_key: ', make.stripe('pk_live_'))
    f.line('  secret_key: ', secret(make.stripe('sk_live_'), 'stripe-secret-key', 'medium', 'secret_key'))
  }

  // ---- project/deploy.sh (committed): curl headers, query tokens, git URLs, prefix assignments.
  {
    const f = file('project/deploy.sh', { origin: 'project', gitIgnored: false })
    f.text('#!/usr/bin/env bash', 'set -euo pipefail')
    f.line('ACCOUNT_ID="', shared.accountId, '"')
    f.text(
      'CF_API_TOKEN="${CF_API_TOKEN:?set CF_API_TOKEN}"',
      'curl -sS -X GET "https://api.cloudflare.com/client/v4/user/tokens/verify" \\',
    )
    f.line('  -H "Authorization: Bearer ', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'high', 'Authorization'), '" \\')
    f.text('  -H "Content-Type: application/json"')
    f.line('curl -sS "https://api.cloudflare.com/client/v4/zones" -H "X-Auth-Email: ops@example.com" -H "X-Auth-Key: ', secret(make.legacyGlobalKey(37), 'cloudflare-legacy-global-key', 'high', 'X-Auth-Key'), '"')
    f.line('curl -H "Authorization: Bearer ', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'Authorization'), '" https://api.cloudflare.com/client/v4/accounts/$ACCOUNT_ID/workers/scripts')
    f.text('curl -H "Authorization: Bearer $CF_API_TOKEN" https://api.cloudflare.com/client/v4/user/tokens/verify')
    f.line('curl -fsSL "https://api.example.com/v1/export?token=', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'high', 'token'), '&format=csv"')
    f.line('curl -X POST -H \'Content-type: application/json\' --data \'{"text":"deployed"}\' ', secret(make.slackWebhook(), 'slack-webhook', 'high'))
    f.line('git clone https://x-access-token:', secret(make.github('ghs_'), 'github-token', 'high'), '@github.com/acme/infra.git')
    f.text('export WRANGLER_SEND_METRICS=false')
    f.line('CLOUDFLARE_API_TOKEN=', secret(shared.cfut, 'cloudflare-user-token', 'high', 'CLOUDFLARE_API_TOKEN'), ' npx wrangler deploy --env production')
    f.line('# CLOUDFLARE_API_TOKEN=', secret(make.cloudflare('cfut_'), 'cloudflare-user-token', 'low', 'CLOUDFLARE_API_TOKEN'), ' npx wrangler deploy')
    f.text('echo "deployed $(git rev-parse HEAD)"')
    f.line('curl -sS https://api.openai.com/v1/models -H "Authorization: Bearer ', secret(make.openaiProject(), 'openai-key', 'high', 'Authorization'), '"')
    f.line('psql "postgres://deploy:', secret(make.password(), 'url-password', 'high'), '@db.internal:5432/app" -c \'select 1\'')
    f.line('curl -u ', secret(make.awsKeyId(), 'aws-access-key-id', 'high'), ':x https://example.com/upload')
  }

  // ---- project/terraform.tfvars (git-ignored): `name = "value"` outside TOML.
  {
    const f = file('project/terraform.tfvars', { origin: 'project', gitIgnored: true })
    f.line('cloudflare_api_token = "', secret(make.legacyToken(), 'cloudflare-legacy-token', 'medium', 'cloudflare_api_token'), '"')
    f.line('cloudflare_account_id = "', make.hex(32), '"')
    f.line('aws_secret_access_key = "', secret(make.awsSecret(), 'aws-secret-access-key', 'medium', 'aws_secret_access_key'), '"')
    f.text('region = "eu-central-1"')
  }

  // ---- project/.github/workflows/deploy.yml (committed): ${{ secrets.X }} references and one leak.
  {
    const f = file('project/.github/workflows/deploy.yml', { origin: 'project', gitIgnored: false })
    f.text(
      'name: deploy',
      'on: { push: { branches: [main] } }',
      'jobs:',
      '  deploy:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: cloudflare/wrangler-action@v3',
      '        with:',
      '          apiToken: ${{ secrets.CLOUDFLARE_API_TOKEN }}',
      '          accountId: ${{ vars.CLOUDFLARE_ACCOUNT_ID }}',
      '        env:',
      '          CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_API_TOKEN }}',
      '      - run: curl -H "X-Auth-Key: ${{ secrets.CF_KEY }}" https://api.cloudflare.com/client/v4/zones',
      '        env:',
    )
    f.line('          REPLICATE_API_TOKEN: ', secret(make.replicate(), 'replicate-token', 'high', 'REPLICATE_API_TOKEN'))
  }

  // ---- project/secrets/service-account.json (git-ignored): a one-line PEM with \n escapes.
  {
    const f = file('project/secrets/service-account.json', { origin: 'project', gitIgnored: true })
    const key = privateKeyBlock('PRIVATE KEY', 1190)
    const oneLine = `${key.header}\\n${key.bodyLines.join('\\n')}\\n${key.footer}\\n`
    f.text('{', '  "type": "service_account",', '  "project_id": "acme-prod-123456",')
    f.line('  "private_key_id": "', make.hex(40), '",')
    f.line('  "private_key": "', secret(oneLine, 'private-key', 'medium', 'private_key', key.body), '",')
    f.text('  "client_email": "deployer@acme-prod-123456.iam.gserviceaccount.com",', '  "client_id": "104729875628374650123",', '  "token_uri": "https://oauth2.googleapis.com/token"', '}')
  }

  // ---- project/keys/deploy_key (committed): a multi-line OpenSSH key.
  {
    const f = file('project/keys/deploy_key', { origin: 'project', gitIgnored: false })
    const key = privateKeyBlock('OPENSSH PRIVATE KEY', 400)
    f.line(secret(key.header, 'private-key', 'high', undefined, key.body))
    f.text(...key.bodyLines, key.footer)
  }

  // ---- project/src/settings.py (committed): a key in code among look-alikes.
  {
    const f = file('project/src/settings.py', { origin: 'project', gitIgnored: false })
    f.text('import os', '')
    f.line('ANTHROPIC_KEY = "', secret(make.anthropic(), 'anthropic-key', 'high', 'ANTHROPIC_KEY'), '"')
    f.line("PUBLIC_KEY = '", make.stripe('pk_live_'), "'")
    f.text(
      "SPINNER_CLASSES = 'sk-loading-spinner sk-circle-bounce sk-fading-circle-with-long-modifier'",
      "TASK_QUEUE = 'desk-task-runner-configuration-for-background-jobs'",
      'PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"',
      "SHA_PATTERN = r'^[0-9a-f]{40}$'",
    )
    f.line("REQUEST_ID = '", make.uuid(), "'")
    f.line("FIXTURE_COMMIT = '", make.hex(40), "'")
    f.text('api_key = os.environ.get("ANTHROPIC_API_KEY", ANTHROPIC_KEY)')
  }

  // ---- project/README.md (committed): documentation with placeholders only; must yield nothing.
  {
    const f = file('project/README.md', { origin: 'project', gitIgnored: false })
    f.text(
      '# api-worker',
      '',
      'Create `.env` from this template:',
      '',
      '```sh',
      'CLOUDFLARE_API_TOKEN=<your token>',
      'CLOUDFLARE_ACCOUNT_ID=<32 hex characters>',
      'export OPENAI_API_KEY=sk-...',
      'export ANTHROPIC_API_KEY=sk-ant-...',
      'DATABASE_URL=postgres://user:password@localhost:5432/app',
      'DATABASE_URL=postgres://postgres:postgres@localhost:5432/app',
      'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
      'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'curl -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" https://api.cloudflare.com/client/v4/user/tokens/verify',
      'curl -H "X-Auth-Key: <global api key>" https://api.cloudflare.com/client/v4/zones',
      '```',
      '',
      'Never commit a key; `git grep -- "-----BEGIN RSA PRIVATE KEY-----"` should find nothing.',
      '',
      '```',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEpAIBAAKCAQEA...',
      '-----END RSA PRIVATE KEY-----',
      '```',
      '',
    )
    f.line('Fixed in commit ', make.hex(40), ' (see issue ', make.uuid(), ').')
    f.text('Cloudflare tokens look like `cfut_` followed by 48 characters; see the docs.')
  }

  // ---- The kinds and syntaxes added for leak watch, positives and hard negatives side by side.
  // Each file groups one family; a line without `secret(…)` is a negative that must stay silent.

  // ---- project/.env.cloudflare (committed): every Cloudflare credential beyond API tokens.
  {
    const f = file('project/.env.cloudflare', { origin: 'project', gitIgnored: false })
    const accountId = make.hex(32)
    f.text('# Access service token for the staging API: the id is an id, the secret is a secret')
    f.line('CF_ACCESS_CLIENT_ID=', make.hex(32), '.access')
    f.line('CF_ACCESS_CLIENT_SECRET=', secret(make.hex(64), 'cloudflare-access-client-secret', 'high', 'CF_ACCESS_CLIENT_SECRET'))
    f.text('# Turnstile: the site key is public, the secret is not; 1x/2x/3x test secrets are documented dummies')
    f.line('TURNSTILE_SITE_KEY=', make.turnstileSiteKey())
    f.line('TURNSTILE_SECRET_KEY=', secret(make.turnstileSecret(), 'cloudflare-turnstile-secret', 'high', 'TURNSTILE_SECRET_KEY'))
    f.text('TURNSTILE_TEST_SECRET=1x0000000000000000000000000000000AA', 'TURNSTILE_FAIL_SECRET=2x0000000000000000000000000000000AA')
    f.text('# R2 S3-compatible credentials')
    f.line('R2_ACCESS_KEY_ID=', make.hex(32))
    f.line('R2_SECRET_ACCESS_KEY=', secret(make.hex(64), 'cloudflare-r2-secret-key', 'high', 'R2_SECRET_ACCESS_KEY'))
    f.line('AWS_ENDPOINT_URL_S3=https://', accountId, '.r2.cloudflarestorage.com')
    f.line('AWS_SECRET_ACCESS_KEY=', secret(make.hex(64), 'cloudflare-r2-secret-key', 'high', 'AWS_SECRET_ACCESS_KEY'))
    f.line('R2_BUCKET_CHECKSUM=', make.hex(64))
    f.text('# cloudflared')
    f.line('TUNNEL_TOKEN=', secret(make.tunnel(), 'cloudflare-tunnel-token', 'high', 'TUNNEL_TOKEN'))
    f.line('TUNNEL_ID=', make.uuid())
    f.line('TUNNEL_CONFIG=', Buffer.from(JSON.stringify({ a: 'not-an-account', name: 'docs' })).toString('base64'))
    f.text('# a bare CLOUDFLARE= is Cloudflare context too')
    f.line('CLOUDFLARE=', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'CLOUDFLARE'))
    f.line('CLOUDFLARE_ZONE_ID=', make.hex(32))
  }

  // ---- project/config/cloudflare.yaml (committed): YAML nesting gives the context.
  {
    const f = file('project/config/cloudflare.yaml', { origin: 'project', gitIgnored: false })
    f.text('cloudflare:')
    f.line('  account_id: ', make.hex(32))
    f.line('  api_token: ', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'api_token'))
    f.text('  r2:')
    f.line('    access_key_id: ', make.hex(32))
    f.line('    secret_access_key: "', secret(make.hex(64), 'cloudflare-r2-secret-key', 'high', 'secret_access_key'), '"')
    f.text('turnstile:')
    f.line('  site_key: ', make.turnstileSiteKey())
    f.line('  secret_key: ', secret(make.turnstileSecret(), 'cloudflare-turnstile-secret', 'high', 'secret_key'))
    f.text('legacy:')
    f.line('  cloudflare: ', secret(make.legacyToken(), 'cloudflare-legacy-token', 'high', 'cloudflare'))
    f.text('cache:')
    f.line('  key: ', make.legacyToken())
  }

  // ---- project/.env.ai (git-ignored): the AI providers' keys beside look-alikes.
  {
    const f = file('project/.env.ai', { origin: 'project', gitIgnored: true })
    f.line('GROQ_API_KEY=', secret(make.groq(), 'groq-key', 'medium', 'GROQ_API_KEY'))
    f.line('HF_TOKEN=', secret(make.huggingFace(), 'huggingface-token', 'medium', 'HF_TOKEN'))
    f.text('HF_HOME=/data/hf_cache_directory_for_models_and_sets', 'HF_HUB_MODULE=hf_hub_download_with_retries_and_backoff')
    f.line('XAI_API_KEY=', secret(make.xai(), 'xai-key', 'medium', 'XAI_API_KEY'))
    f.line('OPENAI_API_KEY=', secret(make.openaiNamed(), 'openai-key', 'medium', 'OPENAI_API_KEY'))
    f.text('SPINNER=sk-loading-spinner-with-a-rather-long-modifier-name-for-css')
    f.text('GROQ_MODEL=llama-3.3-70b-versatile', 'OPENAI_API_KEY_PLACEHOLDER_NOTE=set-in-1password')
  }

  // ---- project/.env.services (committed): SaaS keys, rotated Slack tokens, STS, JWTs.
  {
    const f = file('project/.env.services', { origin: 'project', gitIgnored: false })
    const ref = draw('abcdefghijklmnopqrstuvwxyz', 20)
    f.line('SENDGRID_API_KEY=', secret(make.sendgrid(), 'sendgrid-key', 'high', 'SENDGRID_API_KEY'))
    f.line('STRIPE_WEBHOOK_SECRET=', secret(make.stripeWebhook(), 'stripe-webhook-secret', 'high', 'STRIPE_WEBHOOK_SECRET'))
    f.line('SUPABASE_URL=https://', ref, '.supabase.co')
    f.line('SUPABASE_ANON_KEY=', make.jwt({ iss: 'supabase', ref, role: 'anon', iat: 1764000000, exp: 2079576000 }))
    f.line('SUPABASE_SERVICE_ROLE_KEY=', secret(make.jwt({ iss: 'supabase', ref, role: 'service_role', iat: 1764000000, exp: 2079576000 }), 'supabase-service-role-key', 'high', 'SUPABASE_SERVICE_ROLE_KEY'))
    f.line('TWILIO_API_KEY=', secret(make.twilioApiKey(), 'twilio-api-key', 'high', 'TWILIO_API_KEY'))
    f.line('TWILIO_API_SECRET=', secret(draw(ALNUM, 32), 'twilio-api-key-secret', 'high', 'TWILIO_API_SECRET'))
    f.line('SLACK_REFRESH_TOKEN=', secret(make.slackRefresh(), 'slack-token', 'high', 'SLACK_REFRESH_TOKEN'))
    f.line('SLACK_USER_TOKEN=', secret(make.slackRotated(), 'slack-token', 'high', 'SLACK_USER_TOKEN'))
    f.line('SLACK_WORKSPACE_TOKEN=', secret(make.slackWorkspace(), 'slack-token', 'high', 'SLACK_WORKSPACE_TOKEN'))
    f.line('SLACK_LEGACY_TOKEN=', secret(make.slackLegacy(), 'slack-token', 'high', 'SLACK_LEGACY_TOKEN'))
    f.line('AWS_ACCESS_KEY_ID=', secret(make.awsKeyId('ASIA'), 'aws-access-key-id', 'high', 'AWS_ACCESS_KEY_ID'))
    f.line('AWS_SESSION_TOKEN=', secret(make.awsSession(), 'aws-session-token', 'high', 'AWS_SESSION_TOKEN'))
    f.line('GH_INSTALLATION_TOKEN=', secret(make.githubInstallation(), 'github-token', 'high', 'GH_INSTALLATION_TOKEN'), '.')
  }

  // ---- project/.env.app (committed): generic secrets, and everything that only looks like one.
  {
    const f = file('project/.env.app', { origin: 'project', gitIgnored: false })
    f.line('JWT_SECRET=', secret(make.generic(40), 'generic-secret', 'medium', 'JWT_SECRET'))
    f.line('SESSION_SECRET="', secret(make.hex(64), 'generic-secret', 'medium', 'SESSION_SECRET'), '"')
    f.line('APP_KEY=', secret(`base64:${make.base64Of(32)}`, 'generic-secret', 'medium', 'APP_KEY'))
    f.line('SECRET_KEY_BASE=', secret(make.hex(128), 'generic-secret', 'medium', 'SECRET_KEY_BASE'))
    f.line('DB_PASSWORD=', secret(make.generic(20), 'generic-secret', 'medium', 'DB_PASSWORD'))
    f.line('MAILER_AUTH=', secret(make.generic(24), 'generic-secret', 'medium', 'MAILER_AUTH'))
    f.line('PAYMENTS_PRIVATE_KEY=', secret(make.generic(44), 'generic-secret', 'medium', 'PAYMENTS_PRIVATE_KEY'))
    f.text(
      'JWT_SECRET_EXAMPLE=your-256-bit-secret',
      'NEXTAUTH_SECRET=changeme-in-production',
      'TOKEN_EXPIRY=3600',
      'PASSWORD_MIN_LENGTH=12',
      'SECRET_NAME=prod/database/password',
      'API_KEY_HEADER=X-Api-Key',
      'AUTH_PROVIDER=github',
      'AUTH_TOKEN=${AUTH_TOKEN}',
      'REFRESH_TOKEN=process.env.REFRESH_TOKEN',
      'SMTP_PASSWORD=ENC[AES256_GCM,data:Tr8x2b1k9Q==,iv:1f7Xn3Z0,tag:9kQ3==,type:str]',
      'MAIL_PASSWORD=encrypted:BDqv3k9Lw2bXn8Zr5Tt1Yh7Jc4Pm6Gd0Fs',
      'API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx',
      'WEBHOOK_SECRET=################',
      'STRIPE_KEY=sk_live_************************',
      'DB_PASSWORD_LOCAL=postgres',
      'ADMIN_PASSWORD=changeme',
      'CSRF_TOKEN=csrf-token-from-cookie',
      'PUSH_TOKEN_TTL=86400',
      'SECRET_KEY=django-insecure-7x!k2#m9q@w4e8r1t6y3u0i5o',
      'LOG_TOKENS=false',
      'CACHE_KEY=user-profile-cache-v2',
    )
    f.line('PASSWORD_HASH=', make.hex(64))
    f.line('SIGNING_KEY_ID=', make.uuid())
  }

  // ---- project/.npmrc (committed): registry tokens, literal and referenced.
  {
    const f = file('project/.npmrc', { origin: 'project', gitIgnored: false })
    f.text('@acme:registry=https://npm.pkg.github.com', '//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}')
    f.line('//registry.npmjs.org/:_authToken=', secret(make.npm(), 'npm-token', 'high', '_authToken'))
    f.line('//registry.acme.internal/:_authToken=', secret(make.uuid(), 'npm-token', 'high', '_authToken'))
    f.text('always-auth=true', 'fund=false')
  }

  // ---- home/.zshenv: default expansions, launchctl, placeholder passwords in URLs.
  {
    const f = file('home/.zshenv', { origin: 'shell-profile' })
    f.line('export CLOUDFLARE_API_TOKEN="${CLOUDFLARE_API_TOKEN:-', secret(make.legacyToken(), 'cloudflare-legacy-token', 'critical', 'CLOUDFLARE_API_TOKEN'), '}"')
    f.line(': ${CF_API_KEY:=', secret(make.legacyGlobalKey(37), 'cloudflare-legacy-global-key', 'high', 'CF_API_KEY'), '}')
    f.text('export EDITOR="${EDITOR:-vim}"', 'export GITHUB_TOKEN="${GITHUB_TOKEN:-$(gh auth token)}"')
    f.line('launchctl setenv GROQ_API_KEY ', secret(make.groq(), 'groq-key', 'critical', 'GROQ_API_KEY'))
    f.text(
      'export DATABASE_URL=postgres://app:mypassword@localhost:5432/app',
      'export REDIS_URL=redis://:changeme@127.0.0.1:6379/0',
      'export MONGO_URL=mongodb://root:pass@db.example.com:27017/app',
      'export AMQP_URL=amqp://guest:guest@rabbitmq:5672',
      'export MINIO_URL=http://minioadmin:minioadmin@minio.local:9000',
      'export STAGING_DB=postgres://app:********@db.staging.acme.io/app',
    )
    f.line('export PROD_DB=postgres://app:', secret(make.password(), 'url-password', 'critical', 'PROD_DB'), '@db.prod.acme.io:5432/app')
  }

  // ---- home/.config/powershell/Microsoft.PowerShell_profile.ps1 (pwsh on Linux/macOS, UTF-8).
  {
    const f = file('home/.config/powershell/Microsoft.PowerShell_profile.ps1', { origin: 'shell-profile' })
    f.line("[System.Environment]::SetEnvironmentVariable('CF_API_TOKEN', '", secret(make.legacyToken(), 'cloudflare-legacy-token', 'critical', 'CF_API_TOKEN'), "', 'Machine')")
    f.line('Set-Item -Path Env:HF_TOKEN -Value "', secret(make.huggingFace(), 'huggingface-token', 'critical', 'HF_TOKEN'), '"')
    f.line('$Env:XAI_API_KEY = "', secret(make.xai(), 'xai-key', 'critical', 'XAI_API_KEY'), '"')
    f.text('[Environment]::SetEnvironmentVariable("PATH", "$env:PATH;C:\\\\tools", "User")', '$env:CLOUDFLARE_API_TOKEN = (Get-Secret -Name cf -AsPlainText)')
  }

  // ---- home/.netrc: machine/login/password pairs.
  {
    const f = file('home/.netrc', { origin: 'shell-profile' })
    f.line('machine api.heroku.com login deploy@acme.io password ', secret(make.uuid(), 'generic-secret', 'medium', 'password'))
    f.text('machine localhost login admin password password', 'machine git.acme.io')
    f.line('  login deploy', '')
    f.line('  password ', secret(make.generic(24), 'generic-secret', 'medium', 'password'))
  }

  // ---- project/Dockerfile (committed): ENV in both forms, ARG without a value.
  {
    const f = file('project/Dockerfile', { origin: 'project', gitIgnored: false })
    f.text('FROM node:20-slim', 'ARG NPM_TOKEN', 'ENV NODE_ENV=production')
    f.line('ENV SESSION_SECRET ', secret(make.generic(36), 'generic-secret', 'medium', 'SESSION_SECRET'))
    f.line('ENV STRIPE_WEBHOOK_SECRET=', secret(make.stripeWebhook(), 'stripe-webhook-secret', 'high', 'STRIPE_WEBHOOK_SECRET'), ' PORT=8080')
    f.text('RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm ci')
  }

  const files = new Map<string, Uint8Array>()
  const labels: CorpusLabels = { files: {} }
  for (const entry of corpus) {
    files.set(entry.path, entry.bytes())
    labels.files[entry.path] = entry.labels()
  }

  // ---- project/assets/logo.png: binary, must be skipped.
  const png = randomBytes(2048)
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52], 0)
  files.set('project/assets/logo.png', png)
  labels.files['project/assets/logo.png'] = { origin: 'project', gitIgnored: false, skipped: 'binary', findings: [] }
  return { files, labels }
}

/** Where the corpus lives: the directory of this script. */
export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url))

function writeCorpus(): void {
  const { files, labels } = buildCorpus()
  for (const [path, bytes] of files) {
    const target = join(CORPUS_DIR, path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, bytes)
  }
  writeFileSync(join(CORPUS_DIR, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`)
  const count = Object.values(labels.files).reduce((sum, file) => sum + file.findings.length, 0)
  console.log(`wrote ${files.size} files and ${count} labelled findings to ${CORPUS_DIR}`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) writeCorpus()
