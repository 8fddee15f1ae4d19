// The pure views of the state the service shows and the defaults a mint gets from it.
import { describe, expect, it } from 'vitest'
import { TokenViewSchema } from '../../shared/common/ipc'
import type { State, TokenRecord } from '../../shared/common/state'
import { mintingViewOf, scopesOf, settingsViewOf, tokenView, withDefaultAccount } from '../../shared/node/state-views'

const ACCOUNT = '0123456789abcdef0123456789abcdef'
const record = (overrides: Partial<TokenRecord>): TokenRecord => ({
  name: 'cfwrap:shop:prod:workers-deploy:jane',
  tokenId: 't1',
  accountId: ACCOUNT,
  expiresAt: '2026-12-01T10:00:00.000Z',
  template: 'workers-deploy',
  fingerprint: '0123456789ab',
  createdAt: '2026-12-01T09:00:00.000Z',
  source: 'minted',
  role: 'command',
  temporary: true,
  status: 'active',
  ...overrides,
})
const state = (overrides: Partial<State>): State => ({ version: 1, tokens: [], bindings: {}, ...overrides })

describe('state views', () => {
  it('a token view is the record without anything secret, with its scopes in words, and matches the contract', () => {
    const view = tokenView(record({ lastError: 'HTTP 500 (attempt 2)', attempts: 2 }))
    expect(TokenViewSchema.parse(view)).toEqual(view)
    expect(view.scopes.join(' ')).toContain('Workers Scripts Write')
    expect(view).toMatchObject({ lastError: 'HTTP 500 (attempt 2)', attempts: 2 })
    // A combined token's template is the names joined with '.'; a dashboard token has no template.
    expect(scopesOf(record({ template: 'read-only.kv-write' })).join(' ')).toMatch(/Logs Read.*Workers KV Storage Write|Workers KV Storage Write.*Logs Read/)
    expect(scopesOf(record({ template: null, source: 'dashboard', accountId: null }))).toEqual(['Dashboard token (scopes set in the dashboard)'])
    expect(scopesOf(record({ role: 'minting' }))).toEqual(['Creates and deletes API tokens (never injected into commands)'])
  })

  it('a mint without an account gets the minting credential\'s, else the saved default, never overriding one given', () => {
    const minting = record({ name: 'cfwrap:minting', role: 'minting', source: 'setup', accountId: 'a'.repeat(32) })
    const request = { template: 'workers-deploy', project: 'p', env: 'e' }
    expect(withDefaultAccount(request, state({ tokens: [minting] })).accountId).toBe('a'.repeat(32))
    expect(withDefaultAccount(request, state({ settings: { defaultAccountId: 'b'.repeat(32) } })).accountId).toBe('b'.repeat(32))
    expect(withDefaultAccount({ ...request, accountId: 'c'.repeat(32) }, state({ tokens: [minting] })).accountId).toBe('c'.repeat(32))
    expect(withDefaultAccount(request, state({})).accountId).toBeUndefined()
  })

  it('settings and minting views fill in the defaults', () => {
    expect(settingsViewOf(state({}))).toMatchObject({ namePrefix: 'cfwrap', defaultAccountId: null, watchedRoots: [], recentTemplates: [], watchPaused: false })
    expect(mintingViewOf(state({}))).toEqual({ configured: false, name: null, fingerprint: null, owner: null, accountId: null })
    expect(mintingViewOf(state({ tokens: [record({ name: 'm', role: 'minting', source: 'setup', status: 'active' })] }))).toMatchObject({ configured: true, owner: 'user' })
  })
})
