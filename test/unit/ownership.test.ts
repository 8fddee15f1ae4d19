// planReconcile decides what a reconcile deletes, reports and marks; pure, so every ownership rule is
// checked here without a network. The integration tests (reaper, cli-tokens, ownership) run the same
// rules against the fake API.
import { describe, expect, it } from 'vitest'
import type { State, TokenRecord } from '../../shared/common/state'
import type { ApiTokenInfo } from '../../shared/node/cloudflare'
import { matchesIntent, planReconcile, type ReconcileInputs } from '../../shared/node/reaper/plan'

const NOW = Date.parse('2026-12-02T10:00:00Z')
const iso = (ms: number): string => new Date(ms).toISOString()

function remote(id: string, name: string, options: Partial<ApiTokenInfo> = {}): ApiTokenInfo {
  return { id, name, status: 'active', expiresOn: iso(NOW + 3_600_000), issuedOn: iso(NOW - 60_000), ...options }
}

function minted(name: string, tokenId: string | null, options: Partial<TokenRecord> = {}): TokenRecord {
  return {
    name,
    tokenId,
    accountId: 'a'.repeat(32),
    expiresAt: iso(NOW + 3_600_000),
    template: 'workers-deploy',
    fingerprint: tokenId ? '0123456789ab' : null,
    createdAt: iso(NOW - 120_000),
    source: 'minted',
    role: 'command',
    temporary: true,
    status: tokenId ? 'active' : 'pending',
    owner: 'user',
    ...options,
  }
}

function state(tokens: TokenRecord[], settings: State['settings'] = {}): State {
  return { version: 1, tokens, bindings: {}, settings }
}

function plan(input: Partial<ReconcileInputs> & Pick<ReconcileInputs, 'remote' | 'after'>) {
  return planReconcile({ before: input.after, now: NOW, isStale: () => true, manages: () => true, ...input })
}

describe('planReconcile: ownership is what this vault recorded', () => {
  it('never deletes a live token it did not record, whatever its name; reports the cfwrap-shaped ones as foreign', () => {
    const vault = state([minted('ci:shop:dev:workers-deploy:me', 'mine')], { namePrefix: 'ci' })
    const result = plan({
      remote: [
        remote('mine', 'ci:shop:dev:workers-deploy:me'),
        remote('alice', 'ci:web:prod:deploy:alice'), // a dashboard token named by hand with a prefix this vault once used
        remote('other-vault', 'cfwrap:shop:dev:workers-deploy:jane', { expiresOn: null }), // another vault's --permanent token
        remote('plain', 'my ci token'),
      ],
      after: vault,
    })
    expect(result.deletions).toEqual([])
    expect(result.foreign.map((token) => token.id).sort()).toEqual(['alice', 'other-vault'])
    expect(result.seen).toBe(1)
  })

  it('deletes an unknown token named like its own only once it has expired (dead already, it just uses quota)', () => {
    const vault = state([])
    const result = plan({
      remote: [
        remote('dead', 'cfwrap:old:dev:workers-deploy:x', { expiresOn: iso(NOW - 1000) }),
        remote('dead-status', 'cfwrap:old:dev:workers-deploy:y', { status: 'expired' }),
        remote('dead-foreign-prefix', 'zz:old:dev:workers-deploy:x', { expiresOn: iso(NOW - 1000) }),
      ],
      after: vault,
    })
    expect(result.deletions.map((deletion) => `${deletion.reason} ${deletion.token.id}`).sort()).toEqual(['expired dead', 'expired dead-status'])
    expect(result.foreign).toEqual([])
  })

  it('a crashed mint takes only the token that matches its intent (name, deadline, issued after it), not a namesake', () => {
    const intent = minted('cfwrap:shop:dev:workers-deploy:me', null, { createdAt: iso(NOW - 30_000) })
    const ours = remote('ours', intent.name, { expiresOn: intent.expiresAt, issuedOn: iso(NOW - 20_000) })
    const namesakeOtherDeadline = remote('namesake', intent.name, { expiresOn: iso(NOW + 7_200_000) })
    const namesakeIssuedEarlier = remote('earlier', intent.name, { expiresOn: intent.expiresAt, issuedOn: iso(NOW - 24 * 3_600_000) })
    const result = plan({ remote: [ours, namesakeOtherDeadline, namesakeIssuedEarlier], after: state([intent]) })
    expect(result.deletions.map((deletion) => `${deletion.reason} ${deletion.token.id}`)).toEqual(['crashed-mint ours'])
    expect(result.foreign.map((token) => token.id).sort()).toEqual(['earlier', 'namesake'])
    expect(result.stalePending.map((record) => record.name)).toEqual([intent.name])
    expect(matchesIntent(ours, intent)).toBe(true)
  })

  it('leaves the token of a mint still under way alone', () => {
    const intent = minted('cfwrap:shop:dev:workers-deploy:me', null)
    const result = plan({ remote: [remote('busy', intent.name, { expiresOn: intent.expiresAt })], after: state([intent]), isStale: () => false })
    expect(result.deletions).toEqual([])
    expect(result.foreign).toEqual([])
    expect(result.stalePending).toEqual([])
  })

  it('never touches the minting credential or a dashboard token, by id or (without an id) by name', () => {
    const vault = state([
      { ...minted('cfwrap-minting', 'minting-id'), source: 'setup', role: 'minting', temporary: false },
      { ...minted('cfwrap:legacy:prod:workers-deploy:ci', null), source: 'dashboard', temporary: false, status: 'active' },
    ])
    const result = plan({
      remote: [remote('minting-id', 'dashboard minting token'), remote('dash', 'cfwrap:legacy:prod:workers-deploy:ci', { expiresOn: iso(NOW - 1000) })],
      after: vault,
    })
    expect(result).toMatchObject({ deletions: [], foreign: [], absent: [] })
  })
})

describe('planReconcile: absent and present records', () => {
  it('a record that got its token id while the list was under way is not judged by that list (mint racing reconcile)', () => {
    const intent = minted('cfwrap:shop:dev:workers-deploy:me', null)
    const activated = { ...intent, tokenId: 'fresh', status: 'active' as const }
    // The list was asked for while the mint was pending, and answered (without the new token) after it activated.
    const result = plan({ remote: [], before: state([intent]), after: state([activated]) })
    expect(result.absent).toEqual([])
    expect(result.deletions).toEqual([])
  })

  it('a record recorded before the list and missing from it is absent; one listed again after being missing is present', () => {
    const gone = minted('cfwrap:shop:dev:workers-deploy:gone', 'gone-id')
    const back = minted('cfwrap:shop:dev:workers-deploy:back', 'back-id', { status: 'missing' })
    const result = plan({ remote: [remote('back-id', back.name)], after: state([gone, back]) })
    expect(result.absent.map((record) => record.name)).toEqual([gone.name])
    expect(result.present.map((record) => record.name)).toEqual([back.name])
  })

  it('does not judge records another credential manages, or ones with a deletion under way', () => {
    const other = minted('cfwrap:shop:dev:workers-deploy:other', 'other-id', { owner: 'account' })
    const busy = minted('cfwrap:shop:dev:workers-deploy:busy', 'busy-id')
    const result = plan({ remote: [], after: state([other, busy]), manages: (record) => record.owner !== 'account', busy: (record) => record.name === busy.name })
    expect(result.absent).toEqual([])
  })
})
