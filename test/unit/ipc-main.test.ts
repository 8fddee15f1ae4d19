import { beforeEach, describe, expect, it, vi } from 'vitest'
import { CHANNELS, channelName, type Channel } from '../../shared/common/ipc'
import { UNTRUSTED_SENDER_ERROR, handleRequest, registerIpcHandlers, type TrustedRenderer } from '../../electron/main/ipc-main'
import { RENDERER_ENTRY_URL, trustedRendererUrl } from '../../electron/main/security-policy'
import { UserError } from '../../shared/common/errors'
import { fakeService } from '../support/fake-core'
import { ipcMain, resetElectronMock } from '../support/electron-mock'

vi.mock('electron', () => import('../support/electron-mock'))

/** Our window's webContents, as the trusted-renderer check knows it. */
const ourWebContents = { id: 1 }
const trusted: TrustedRenderer = { webContents: () => ourWebContents, isTrustedUrl: trustedRendererUrl(null) }

function eventFrom(sender: unknown, url: string, parent: unknown = null): { sender: never; senderFrame: never } {
  return { sender: sender as never, senderFrame: { url, parent } as never }
}

const fromOurWindow = eventFrom(ourWebContents, RENDERER_ENTRY_URL)

/** A valid request for every channel. */
const VALID: { [C in Channel]: unknown } = {
  snapshot: {},
  previewMint: { template: 'workers-deploy', project: 'shop', env: 'prod' },
  mint: { template: 'workers-deploy', project: 'shop', env: 'prod', ttlSeconds: 900 },
  revoke: { name: 'cfwrap:shop:prod:workers-deploy:jane' },
  revokeAll: {},
  addWatchedRoot: { path: '/home/jane/src' },
  removeWatchedRoot: { path: '/home/jane/src' },
  dismissFinding: { id: 'f1' },
  updateSettings: { namePrefix: 'acme' },
  setWatchPaused: { paused: true },
  setupMinting: { secret: 'x'.repeat(40) },
  approveRequest: { requestId: 'a1b2c3', forMs: 3_600_000 },
  updatePolicy: { envs: ['prod', 'staging'] },
  roll: { name: 'cfwrap:shop:prod:workers-deploy:jane' },
  adopt: { file: '/home/jane/src/shop/.env', line: 3, fingerprint: '0123456789ab' },
  denyRequest: { requestId: 'a1b2c3' },
}

beforeEach(() => resetElectronMock())

describe('registerIpcHandlers', () => {
  it('registers exactly one handler per channel of the contract, and removes them all again', () => {
    const dispose = registerIpcHandlers(fakeService(), trusted)
    expect([...ipcMain.handlers.keys()].sort()).toEqual(CHANNELS.map(channelName).sort())
    expect(ipcMain.handle).toHaveBeenCalledTimes(CHANNELS.length)
    // A second registration is refused by Electron (and by the stand-in), so there can never be a
    // second, unguarded handler for a channel.
    expect(() => registerIpcHandlers(fakeService(), trusted)).toThrow(/second handler/)
    dispose()
    expect(ipcMain.handlers.size).toBe(0)
  })

  it('passes a valid request from our window to the service method of its channel, parsed, and returns its result', async () => {
    const core = fakeService()
    registerIpcHandlers(core, trusted)
    const handler = ipcMain.handlers.get(channelName('revoke')) as (event: unknown, request: unknown) => Promise<unknown>
    const result = await handler(fromOurWindow, { name: 'cfwrap:a:b:c:d' })
    expect(core.calls).toEqual([{ channel: 'revoke', request: { name: 'cfwrap:a:b:c:d' } }])
    expect(result).toEqual({ ok: true, value: { channel: 'revoke', request: { name: 'cfwrap:a:b:c:d' } } })
  })

  it.each(CHANNELS)('accepts a valid %s request from our window', async (channel) => {
    const core = fakeService()
    const result = await handleRequest(channel, fromOurWindow, VALID[channel], core, trusted)
    expect(result.ok).toBe(true)
    expect(core.calls.map((call) => call.channel)).toEqual([channel])
  })
})

describe('the request gate', () => {
  it.each([
    ['a missing field', 'revoke', {}],
    ['a wrong type', 'setWatchPaused', { paused: 'yes' }],
    ['not an object', 'snapshot', 'snapshot please'],
    ['null', 'revokeAll', null],
    ['an unknown mint field (strict schema)', 'mint', { template: 'workers-deploy', project: 'p', env: 'e', ttl: 900 }],
    ['an unknown field on any channel (strict schemas)', 'revoke', { name: 'cfwrap:a:b:c:d', unexpected: 'x' }],
    ['an unknown channel', 'constructor' as Channel, {}],
    ['an over-long name', 'revoke', { name: 'n'.repeat(121) }],
    ['a bad account id', 'updateSettings', { defaultAccountId: 'not-hex' }],
    ['a secret with spaces', 'setupMinting', { secret: 'a secret with spaces in it, long enough' }],
  ] as const)('refuses %s without reaching the core', async (_what, channel, request) => {
    const core = fakeService()
    const result = await handleRequest(channel, fromOurWindow, request, core, trusted)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatch(new RegExp(`^Invalid ${channel} request: `))
    expect(core.calls).toEqual([])
  })

  it('never echoes a refused value, so a mistyped secret cannot end up in an error message', async () => {
    const secret = 'cfut_ThisIsNotValid because it has spaces'
    const result = await handleRequest('setupMinting', fromOurWindow, { secret }, fakeService(), trusted)
    expect(result.ok).toBe(false)
    expect(JSON.stringify(result)).not.toContain('cfut_')
  })

  it.each([
    ['another webContents showing our page', eventFrom({ id: 2 }, RENDERER_ENTRY_URL)],
    ['our webContents navigated to another page', eventFrom(ourWebContents, 'https://evil.example/')],
    ['our webContents on a file:// page', eventFrom(ourWebContents, 'file:///home/jane/index.html')],
    ['a sub-frame of our page', eventFrom(ourWebContents, RENDERER_ENTRY_URL, { url: RENDERER_ENTRY_URL })],
    ['a look-alike host', eventFrom(ourWebContents, 'app://cfwrap.evil/index.html')],
    ['a destroyed frame', { sender: ourWebContents as never, senderFrame: null as never }],
  ])('refuses %s without reaching the core', async (_what, event) => {
    const core = fakeService()
    const result = await handleRequest('revokeAll', event, {}, core, trusted)
    expect(result).toEqual({ ok: false, error: UNTRUSTED_SENDER_ERROR })
    expect(core.calls).toEqual([])
  })

  it('refuses everything while there is no window', async () => {
    const core = fakeService()
    const result = await handleRequest('snapshot', fromOurWindow, {}, core, { ...trusted, webContents: () => null })
    expect(result).toEqual({ ok: false, error: UNTRUSTED_SENDER_ERROR })
    expect(core.calls).toEqual([])
  })

  it('accepts the dev server only when it was given as trusted', async () => {
    const devEvent = eventFrom(ourWebContents, 'http://localhost:5173/')
    expect((await handleRequest('snapshot', devEvent, {}, fakeService(), trusted)).ok).toBe(false)
    const devTrusted = { ...trusted, isTrustedUrl: trustedRendererUrl('http://localhost:5173') }
    expect((await handleRequest('snapshot', devEvent, {}, fakeService(), devTrusted)).ok).toBe(true)
  })

  it('turns what the service throws into { ok: false } with one sentence: a UserError as it is, anything else as a bug', async () => {
    const core = fakeService()
    core.method('snapshot').mockRejectedValueOnce(new UserError('The keychain is locked; unlock it and try again.', 1, 'keychain'))
    expect(await handleRequest('snapshot', fromOurWindow, {}, core, trusted)).toEqual({ ok: false, error: 'The keychain is locked; unlock it and try again.' })
    core.method('snapshot').mockRejectedValueOnce(new TypeError('x is undefined'))
    expect(await handleRequest('snapshot', fromOurWindow, {}, core, trusted)).toEqual({ ok: false, error: 'unexpected error: x is undefined' })
  })
})
