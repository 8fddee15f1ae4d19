import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../electron/cli/args'
import { UsageError } from '../../shared/common/errors'
import { wranglerEffectiveCredential } from '../../shared/common/credentials'
import { dotenvShadowWarnings, findDotenvCredentials, wranglerDotenvFiles, wranglerEnvFromArgs } from '../../shared/node/dotenv-credentials'
import { buildChildEnv, exitStatusOf } from '../../shared/node/wrap'
import { configDir, keychainNamespace } from '../../shared/node/paths'

describe('parseArgs', () => {
  it('takes options up to the first bare word, then the command verbatim', () => {
    const inv = parseArgs(['--token', 'deploy', '--no-mask', 'wrangler', 'deploy', '--token', 'x'])
    expect(inv.mode).toBe('run')
    expect(inv.options).toEqual({ '--token': 'deploy', '--no-mask': true })
    expect(inv.command).toEqual(['wrangler', 'deploy', '--token', 'x'])
  })

  it('accepts --opt=value, -t and -- before a command that starts with a dash', () => {
    expect(parseArgs(['--token=a', '--', '-weird', 'x']).command).toEqual(['-weird', 'x'])
    expect(parseArgs(['-t', 'a', 'ls']).options['--token']).toBe('a')
  })

  it('selects modes by option and rejects conflicting or unknown ones with a UsageError', () => {
    expect(parseArgs(['--list', '--json']).mode).toBe('list')
    expect(parseArgs(['--scan', 'a', 'b']).paths).toEqual(['a', 'b'])
    expect(parseArgs(['--daemon', '--watch', 'a', '--watch', 'b']).options['--watch']).toEqual(['a', 'b'])
    for (const bad of [[], ['--nope'], ['--list', '--add', 'x'], ['--token'], ['--oauth=1', 'ls'], ['--list', 'extra'], ['--token', 'a', '--token', 'b', 'ls']]) {
      expect(() => parseArgs(bad), bad.join(' ')).toThrow(UsageError)
    }
  })

  it('--help wins over everything else', () => {
    expect(parseArgs(['--list', '--help']).mode).toBe('help')
  })
})

describe('child environment', () => {
  it('strips every Cloudflare credential and injects exactly one token', () => {
    const env = buildChildEnv(
      { PATH: '/bin', CLOUDFLARE_API_TOKEN: 'a', CF_API_TOKEN: 'b', CLOUDFLARE_API_KEY: 'c', CLOUDFLARE_EMAIL: 'd', CF_API_KEY: 'e', CF_EMAIL: 'f', CLOUDFLARE_API_BASE_URL: 'u' },
      { token: 'T', accountId: 'acc' },
    )
    expect(env).toEqual({ PATH: '/bin', CLOUDFLARE_API_TOKEN: 'T', CLOUDFLARE_ACCOUNT_ID: 'acc', CLOUDFLARE_API_BASE_URL: 'u' })
    expect(buildChildEnv({ CLOUDFLARE_API_TOKEN: 'a', HOME: '/h' }, { oauth: true })).toEqual({ HOME: '/h' })
  })

  it('follows Wrangler precedence: key+email over token over OAuth, legacy names only when the new one is absent', () => {
    expect(wranglerEffectiveCredential({ CLOUDFLARE_API_KEY: 'k', CLOUDFLARE_EMAIL: 'e', CLOUDFLARE_API_TOKEN: 't' })).toEqual({ kind: 'global-key', keyVar: 'CLOUDFLARE_API_KEY', emailVar: 'CLOUDFLARE_EMAIL' })
    expect(wranglerEffectiveCredential({ CLOUDFLARE_API_KEY: 'k', CLOUDFLARE_API_TOKEN: 't' })).toEqual({ kind: 'api-token', tokenVar: 'CLOUDFLARE_API_TOKEN' })
    expect(wranglerEffectiveCredential({ CF_API_TOKEN: 't' })).toEqual({ kind: 'api-token', tokenVar: 'CF_API_TOKEN' })
    expect(wranglerEffectiveCredential({})).toEqual({ kind: 'oauth' })
  })

  it('exit status is the child code, 128+n for signal n, 127 when not found', () => {
    expect(exitStatusOf({ code: 42, signal: null })).toBe(42)
    expect(exitStatusOf({ code: null, signal: 'SIGTERM' })).toBe(143)
    expect(exitStatusOf({ code: null, signal: 'SIGINT' })).toBe(130)
    expect(exitStatusOf({ code: null, signal: null, spawnError: Object.assign(new Error('x'), { code: 'ENOENT' }) })).toBe(127)
  })
})

describe('.env files Wrangler would load', () => {
  it('finds non-empty credentials and warns only when they change the credential in use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfwrap-dotenv-'))
    try {
      writeFileSync(join(dir, '.env'), '\uFEFFCLOUDFLARE_API_TOKEN=abc\r\nCLOUDFLARE_EMAIL=""\r\n# CLOUDFLARE_API_KEY=zzz\r\n')
      writeFileSync(join(dir, '.env.staging'), 'export CLOUDFLARE_API_KEY=k1 # note\nCLOUDFLARE_EMAIL=me@x.io\n')
      const files = wranglerDotenvFiles(dir, wranglerEnvFromArgs(['deploy', '--env', 'staging']))
      const found = findDotenvCredentials(files)
      // The empty CLOUDFLARE_EMAIL and the commented-out key do not count.
      expect(found.map((f) => `${f.file.split('/').pop()}:${f.line}:${f.variable}`)).toEqual(['.env:1:CLOUDFLARE_API_TOKEN', '.env.staging:1:CLOUDFLARE_API_KEY', '.env.staging:2:CLOUDFLARE_EMAIL'])
      // With an injected token, the token in .env is ignored by Wrangler, but the key pair wins.
      const tokenEnv = { CLOUDFLARE_API_TOKEN: 'injected' }
      const warnings = dotenvShadowWarnings(found, tokenEnv)
      expect(warnings.join('\n')).toContain('CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL instead of the token cfwrap injects')
      expect(warnings.join('\n')).not.toContain('sets CLOUDFLARE_API_TOKEN')
      // Only a token in .env (no key pair): harmless with an injected token, shadowing with --oauth.
      const onlyToken = findDotenvCredentials([join(dir, '.env')])
      expect(dotenvShadowWarnings(onlyToken, tokenEnv)).toEqual([])
      expect(dotenvShadowWarnings(onlyToken, {})[0]).toContain('instead of your OAuth login')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('.env files read with Wrangler\'s own grammar (dotenv + dotenv-expand)', () => {
  it('expands references against the environment, lets a later file override an earlier one, and reads multi-line values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfwrap-dotenv-'))
    try {
      const file = (name: string, text: string): string => {
        writeFileSync(join(dir, name), text)
        return join(dir, name)
      }
      const ref = file('.env', 'CLOUDFLARE_API_TOKEN=${MY_TOKEN}\n')
      // A reference is a credential only when what it names is set (Wrangler expands it the same way).
      expect(findDotenvCredentials([ref], [], { MY_TOKEN: 'from-env' }).map((f) => f.variable)).toEqual(['CLOUDFLARE_API_TOKEN'])
      expect(findDotenvCredentials([ref], [], {})).toEqual([])
      // A later file that empties it wins.
      const local = file('.env.local', 'CLOUDFLARE_API_TOKEN=\n')
      expect(findDotenvCredentials([ref, local], [], { MY_TOKEN: 'from-env' })).toEqual([])
      // A quoted multi-line value, then the key pair on the lines after it.
      const multi = file('.env.multi', 'NOTE="first\nsecond"\nexport CLOUDFLARE_API_KEY=\'k1\'\nCLOUDFLARE_EMAIL=me@x.io # a comment\n')
      expect(findDotenvCredentials([multi]).map((f) => `${f.line}:${f.variable}`)).toEqual(['3:CLOUDFLARE_API_KEY', '4:CLOUDFLARE_EMAIL'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('config directory', () => {
  it('uses $CFWRAP_HOME, else the platform directory', () => {
    expect(configDir({ CFWRAP_HOME: '/tmp/x' }, 'linux', '/home/u')).toBe('/tmp/x')
    expect(configDir({}, 'linux', '/home/u')).toBe('/home/u/.config/cfwrap')
    expect(configDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/xdg/cfwrap')
    expect(configDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/cfwrap')
    expect(configDir({ APPDATA: 'C:\\AppData' }, 'win32', 'C:\\Users\\u')).toContain('cfwrap')
    expect(keychainNamespace({})).toBe('default')
    expect(keychainNamespace({ CFWRAP_HOME: '/a' })).not.toBe(keychainNamespace({ CFWRAP_HOME: '/b' }))
  })
})

describe('outputKind', () => {
  it('tells the null device, files and pipes apart without a terminal', async () => {
    const { openSync, closeSync, mkdtempSync: mk, rmSync: rm } = await import('node:fs')
    const { outputKind } = await import('../../shared/node/wrap')
    const nullFd = openSync('/dev/null', 'w')
    const dir = mk(join(tmpdir(), 'cfwrap-kind-'))
    const fileFd = openSync(join(dir, 'out.txt'), 'w')
    try {
      expect(await outputKind(nullFd)).toBe('null')
      expect(await outputKind(fileFd)).toBe('readable')
      expect(await outputKind(987654)).toBe('readable') // a closed descriptor: mask, to be safe
    } finally {
      closeSync(nullFd)
      closeSync(fileFd)
      rm(dir, { recursive: true, force: true })
    }
  })
})

describe('--help is generated from the parser\'s own table', () => {
  it('every mode has a usage line naming exactly the options the parser lets it take; every option is described', async () => {
    const { HELP_TEXT, usageOf } = await import('../../electron/cli/help')
    const { MODE_SPECS, MODES, OPTIONS } = await import('../../electron/cli/args')
    for (const mode of MODES) {
      const usage = usageOf(mode)
      expect(HELP_TEXT).toContain(usage)
      const spec = MODE_SPECS[mode] as { flag: string | null; options: readonly string[] }
      const named = new Set(usage.match(/--[a-z-]+/g) ?? [])
      expect([...named].sort()).toEqual([...new Set([...(spec.flag ? [spec.flag] : []), ...spec.options])].sort())
      // And the parser agrees: each of them is accepted in that mode.
      for (const flag of spec.options) {
        const value = (OPTIONS as Record<string, { value?: string }>)[flag]?.value ? ['x'] : []
        const head = spec.flag ? [spec.flag, ...((OPTIONS as Record<string, { value?: string }>)[spec.flag]?.value ? ['n'] : [])] : []
        const tail = mode === 'run' ? ['true'] : []
        if (flag === '--oauth' || flag === '--token') continue // exclude each other; checked by the run tests
        expect(() => parseArgs([...head, flag, ...value, ...tail]), `${mode} ${flag}`).not.toThrow(/cannot be used/)
      }
    }
    for (const flag of Object.keys(OPTIONS)) expect(HELP_TEXT).toMatch(new RegExp(`\\n  ${flag}[ A-Z0-9.=:]* {2,}\\S`))
    // Optional options are shown as optional (the hand-written help showed --ttl as required).
    expect(usageOf('mint')).toContain('[--ttl DURATION]')
  })
})
