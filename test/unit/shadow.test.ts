import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { profileCredentialExports } from '../../shared/common/shadow-rules'
import { detectShadowing, findWranglerLogins, wranglerConfigDir } from '../../shared/node/shadow'

const homes: string[] = []
function fakeHome(files: Record<string, string>): string {
  const home = mkdtempSync(join(tmpdir(), 'cfwrap-shadow-'))
  homes.push(home)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(home, path)), { recursive: true })
    writeFileSync(join(home, path), text)
  }
  return home
}
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

const LOGIN = 'oauth_token = "cfoat_abc"\nexpiration_time = "2030-01-01T00:00:00Z"\nrefresh_token = "r"\nscopes = ["account:read"]\n'

describe('Wrangler login detection per OS layout', () => {
  it('Linux: ~/.config/.wrangler, or $XDG_CONFIG_HOME/.wrangler', () => {
    const home = fakeHome({ '.config/.wrangler/config/default.toml': LOGIN })
    expect(findWranglerLogins(home, 'linux', {}).map((l) => l.profile)).toEqual(['default'])
    const xdg = fakeHome({ 'xdg/.wrangler/config/default.toml': LOGIN })
    expect(findWranglerLogins(xdg, 'linux', { XDG_CONFIG_HOME: join(xdg, 'xdg') })).toHaveLength(1)
    expect(findWranglerLogins(xdg, 'linux', {})).toEqual([])
  })

  it('macOS: ~/Library/Preferences/.wrangler', () => {
    const home = fakeHome({ 'Library/Preferences/.wrangler/config/default.toml': LOGIN })
    expect(wranglerConfigDir(home, 'darwin', {})).toBe(join(home, 'Library/Preferences/.wrangler'))
    expect(findWranglerLogins(home, 'darwin', {})).toHaveLength(1)
    expect(findWranglerLogins(home, 'linux', {})).toEqual([])
  })

  it('Windows: %APPDATA%\\xdg.config\\.wrangler', () => {
    const home = fakeHome({ 'AppData/Roaming/xdg.config/.wrangler/config/default.toml': LOGIN })
    expect(findWranglerLogins(home, 'win32', { APPDATA: join(home, 'AppData/Roaming') })).toHaveLength(1)
  })

  it('~/.wrangler wins when it exists; encrypted logins and named profiles count; a toml without a token does not', () => {
    const home = fakeHome({
      '.wrangler/config/default.enc': 'binary-ish',
      '.wrangler/config/work.toml': LOGIN,
      '.wrangler/config/empty.toml': 'scopes = []\n',
      '.config/.wrangler/config/default.toml': LOGIN,
    })
    expect(wranglerConfigDir(home, 'linux', {})).toBe(join(home, '.wrangler'))
    expect(findWranglerLogins(home, 'linux', {}).map((l) => [l.profile, l.encrypted])).toEqual([['default', true], ['work', false]])
  })
})

describe('shadow detector', () => {
  it('says nothing when there is no login to shadow', () => {
    const home = fakeHome({ '.zshrc': 'export CLOUDFLARE_API_TOKEN=abc\n' })
    expect(detectShadowing({ home, platform: 'linux', env: { CLOUDFLARE_API_TOKEN: 'x' }, profiles: [join(home, '.zshrc')], projectRoots: [] })).toEqual([])
  })

  it('names the credential Wrangler will use, where it comes from, and the fix', () => {
    const home = fakeHome({
      '.config/.wrangler/config/default.toml': LOGIN,
      '.zshrc': '# comment\nexport CLOUDFLARE_API_TOKEN="$(op read op://vault/cf/token)"\n',
      'project/.env': 'CLOUDFLARE_API_KEY=abc\nCLOUDFLARE_EMAIL=me@example.com\n',
    })
    const warnings = detectShadowing({ home, platform: 'linux', env: {}, profiles: [join(home, '.zshrc')], projectRoots: [join(home, 'project')] })
    const profile = warnings.find((w) => w.source === 'shell-profile')
    expect(profile).toMatchObject({ variable: 'CLOUDFLARE_API_TOKEN', file: join(home, '.zshrc'), line: 2, effective: 'the API token in CLOUDFLARE_API_TOKEN' })
    expect(profile?.message).toContain('Wrangler is logged in with OAuth')
    expect(profile?.fix).toContain('cfwrap --oauth')
    expect(profile?.fix).toContain('.zshrc:2')
    // In the project, the .env key pair beats the exported token (Wrangler precedence).
    const dotenv = warnings.filter((w) => w.source === 'dotenv')
    expect(dotenv.map((w) => w.variable)).toEqual(['CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL'])
    expect(dotenv[0]?.effective).toBe('the Global API Key in CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL')
    expect(dotenv[0]?.message).toContain(join(home, 'project'))
  })

  it('reports credentials in the environment the product was started with', () => {
    const home = fakeHome({ '.config/.wrangler/config/default.toml': LOGIN })
    const warnings = detectShadowing({ home, platform: 'linux', env: { CF_API_TOKEN: 'legacy' }, profiles: [], projectRoots: [] })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ source: 'environment', variable: 'CF_API_TOKEN', effective: 'the API token in CF_API_TOKEN' })
  })
})

describe('profileCredentialExports', () => {
  it('recognises every export form and ignores comments, empties and unexported assignments', () => {
    const text = [
      'export CLOUDFLARE_API_TOKEN=abc',
      "declare -x CF_API_TOKEN='x'",
      'typeset -x CLOUDFLARE_API_KEY=k',
      'set -gx CLOUDFLARE_EMAIL me@example.com',
      'setenv CF_EMAIL me@example.com',
      '# export CF_API_KEY=commented',
      'export CLOUDFLARE_API_TOKEN=""',
      'CF_API_KEY=plain',
      'OTHER=1',
      'export OTHER CF_API_KEY',
      'export A=1 CLOUDFLARE_API_TOKEN=two',
      'CLOUDFLARE_EMAIL=never-exported',
    ].join('\n')
    expect(profileCredentialExports(text).map((e) => `${e.line}:${e.variable}`)).toEqual([
      '1:CLOUDFLARE_API_TOKEN',
      '2:CF_API_TOKEN',
      '3:CLOUDFLARE_API_KEY',
      '4:CLOUDFLARE_EMAIL',
      '5:CF_EMAIL',
      '8:CF_API_KEY',
      '11:CLOUDFLARE_API_TOKEN',
    ])
  })
})
