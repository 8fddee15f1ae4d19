import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { TEMPLATES, templatesInRecentOrder, withRecentTemplates, RECENT_TEMPLATES_KEPT } from '../../shared/common/templates'
import { cfwrapCommandFor } from '../../shared/common/token-views'
import {
  MAX_ADOPT_ITEMS,
  MAX_TOKENS_IN_MENU,
  buildTrayMenu,
  timeLeftLabel,
  trayTitle,
  trayTooltip,
  type TrayMenuHandlers,
  type TrayMenuItem,
} from '../../electron/main/tray-menu'
import { TRAY_REFRESH_MS, createTray, trayIcon } from '../../electron/main/tray'
import { NOW, findingView, inSeconds, shadowWarning, snapshot, tokenView } from '../support/fake-core'
import { NativeImageMock, TrayMock, resetElectronMock } from '../support/electron-mock'

vi.mock('electron', () => import('../support/electron-mock'))

type HandlerMocks = { [K in keyof TrayMenuHandlers]: Mock<TrayMenuHandlers[K]> }

function handlers(): HandlerMocks {
  return {
    open: vi.fn<TrayMenuHandlers['open']>(),
    copyCommand: vi.fn<TrayMenuHandlers['copyCommand']>(),
    revoke: vi.fn<TrayMenuHandlers['revoke']>(),
    revokeAll: vi.fn<TrayMenuHandlers['revokeAll']>(),
    adopt: vi.fn<TrayMenuHandlers['adopt']>(),
    approveRequest: vi.fn<TrayMenuHandlers['approveRequest']>(),
    denyRequest: vi.fn<TrayMenuHandlers['denyRequest']>(),
    setWatchPaused: vi.fn<TrayMenuHandlers['setWatchPaused']>(),
    installCommand: vi.fn<TrayMenuHandlers['installCommand']>(),
    setStartAtLogin: vi.fn<TrayMenuHandlers['setStartAtLogin']>(),
    quit: vi.fn<TrayMenuHandlers['quit']>(),
  }
}

function byId(items: readonly TrayMenuItem[], id: string): TrayMenuItem {
  for (const item of items) {
    if (item.id === id) return item
    const inner = item.submenu ? findOrNull(item.submenu, id) : null
    if (inner) return inner
  }
  throw new Error(`no menu item ${id}`)
}

function findOrNull(items: readonly TrayMenuItem[], id: string): TrayMenuItem | null {
  try {
    return byId(items, id)
  } catch {
    return null
  }
}

function labels(items: readonly TrayMenuItem[]): string[] {
  return items.filter((item) => item.type !== 'separator').map((item) => item.label ?? '')
}

describe('buildTrayMenu', () => {
  it('lists command tokens soonest deadline first, each with the time left, and leaves out minting and pending tokens', () => {
    const menu = buildTrayMenu(
      snapshot({
        tokens: [
          tokenView({ name: 'cfwrap:shop:prod:read-only:jane', expiresAt: inSeconds(2 * 3600 + 5 * 60 + 30) }),
          tokenView({ name: 'cfwrap:shop:prod:workers-deploy:jane', expiresAt: inSeconds(14 * 60 + 59) }),
          tokenView({ name: 'dashboard-token', expiresAt: null, temporary: false, source: 'dashboard' }),
          tokenView({ name: 'cfwrap:minting', role: 'minting', expiresAt: null }),
          tokenView({ name: 'cfwrap:shop:dev:kv-write:jane', status: 'pending' }),
        ],
      }),
      NOW,
      handlers(),
      { startAtLogin: false },
    )
    const tokenLabels = menu.filter((item) => item.id?.startsWith('token:')).map((item) => item.label)
    expect(tokenLabels).toEqual([
      'cfwrap:shop:prod:workers-deploy:jane — 14m left',
      'cfwrap:shop:prod:read-only:jane — 2h 5m left',
      'dashboard-token — no deadline',
    ])
  })

  it('shows deletion states instead of a countdown', () => {
    const menu = buildTrayMenu(
      snapshot({
        tokens: [
          tokenView({ name: 'a', status: 'delete-failed', expiresAt: inSeconds(-60) }),
          tokenView({ name: 'b', status: 'deleting', expiresAt: inSeconds(-1) }),
          tokenView({ name: 'c', status: 'missing' }),
        ],
      }),
      NOW,
      handlers(),
      { startAtLogin: false },
    )
    expect(byId(menu, 'token:a').label).toBe('a — deletion failed, retrying')
    expect(byId(menu, 'token:b').label).toBe('b — deleting…')
    expect(byId(menu, 'revoke:b').enabled).toBe(false)
    expect(byId(menu, 'token:c').label).toBe('c — missing on Cloudflare')
  })

  it('caps the token list and links to the window for the rest', () => {
    const tokens = Array.from({ length: MAX_TOKENS_IN_MENU + 3 }, (_, index) => tokenView({ name: `t${String(index).padStart(2, '0')}`, expiresAt: inSeconds(600 + index) }))
    const h = handlers()
    const menu = buildTrayMenu(snapshot({ tokens }), NOW, h, { startAtLogin: false })
    expect(menu.filter((item) => item.id?.startsWith('token:'))).toHaveLength(MAX_TOKENS_IN_MENU)
    const more = byId(menu, 'tokens:more')
    expect(more.label).toBe('3 more…')
    more.click?.()
    expect(h.open).toHaveBeenCalledWith({ view: 'tokens' })
  })

  it('says so when there are no tokens and disables "Revoke all"', () => {
    const menu = buildTrayMenu(snapshot(), NOW, handlers(), { startAtLogin: false })
    expect(byId(menu, 'tokens:none')).toMatchObject({ label: 'No tokens', enabled: false })
    expect(byId(menu, 'revoke-all').enabled).toBe(false)
  })

  it('"Copy cfwrap command" copies the name-based command, and nothing in the menu carries a secret', () => {
    const secret = 'cfut_Secret0123456789abcdefghijklmnopqrstuvwxyz'
    const h = handlers()
    const token = tokenView({ name: 'cfwrap:shop:prod:workers-deploy:jane' })
    const menu = buildTrayMenu(snapshot({ tokens: [token] }), NOW, h, { startAtLogin: false })
    byId(menu, `copy:${token.name}`).click?.()
    expect(h.copyCommand).toHaveBeenCalledWith(token.name)
    expect(cfwrapCommandFor(token.name)).toBe('cfwrap --token cfwrap:shop:prod:workers-deploy:jane')
    // The snapshot has no secret to leak, and the menu is built from the snapshot only.
    expect(JSON.stringify(menu)).not.toContain(secret)
    expect(JSON.stringify(menu)).not.toContain('cfut_')
  })

  it('quotes a hand-added token name that a shell would split', () => {
    expect(cfwrapCommandFor("my token's name")).toBe(`cfwrap --token 'my token'\\''s name'`)
    expect(cfwrapCommandFor('$(rm -rf ~)')).toBe(`cfwrap --token '$(rm -rf ~)'`)
  })

  it('each token has Revoke and Show actions wired to its name', () => {
    const h = handlers()
    const menu = buildTrayMenu(snapshot({ tokens: [tokenView({ name: 'x' })] }), NOW, h, { startAtLogin: false })
    byId(menu, 'revoke:x').click?.()
    byId(menu, 'show:x').click?.()
    expect(h.revoke).toHaveBeenCalledWith('x')
    expect(h.open).toHaveBeenCalledWith({ view: 'tokens', item: 'x' })
  })

  it('lists recently used templates first, then the rest in table order, each opening the Mint view prefilled', () => {
    const h = handlers()
    const menu = buildTrayMenu(snapshot({ settings: { recentTemplates: ['r2-upload', 'no-such-template', 'd1-migrations', 'r2-upload'] } }), NOW, h, { startAtLogin: false })
    const mint = byId(menu, 'mint').submenu ?? []
    const ids = mint.map((item) => item.id ?? item.type)
    expect(ids.slice(0, 3)).toEqual(['mint:r2-upload', 'mint:d1-migrations', 'separator'])
    expect(ids.slice(3)).toEqual(TEMPLATES.filter((t) => t.name !== 'r2-upload' && t.name !== 'd1-migrations').map((t) => `mint:${t.name}`))
    expect(byId(menu, 'mint:r2-upload').label).toBe('Upload to an R2 bucket (30m)…')
    byId(menu, 'mint:d1-migrations').click?.()
    expect(h.open).toHaveBeenCalledWith({ view: 'mint', item: 'd1-migrations' })
  })

  it('has no separator in the Mint submenu when nothing was used recently', () => {
    const { recent, rest } = templatesInRecentOrder([])
    expect(recent).toEqual([])
    expect(rest).toHaveLength(TEMPLATES.length)
    const mint = byId(buildTrayMenu(snapshot(), NOW, handlers(), { startAtLogin: false }), 'mint').submenu ?? []
    expect(mint.some((item) => item.type === 'separator')).toBe(false)
  })

  it('keeps one recently-used list: every template of a mint, newest first, no repeats, at most RECENT_TEMPLATES_KEPT', () => {
    expect(withRecentTemplates(['read-only', 'kv-write'], ['workers-deploy', 'kv-write'])).toEqual(['workers-deploy', 'kv-write', 'read-only'])
    const many = TEMPLATES.map((template) => template.name)
    expect(withRecentTemplates(many, ['queues'])).toHaveLength(RECENT_TEMPLATES_KEPT)
    expect(withRecentTemplates(many, ['queues'])[0]).toBe('queues')
    // Unknown names (an older version's templates) are kept in the list but never shown.
    expect(templatesInRecentOrder(['gone-template', 'dns-edit', 'dns-edit']).recent.map((template) => template.name)).toEqual(['dns-edit'])
  })

  it('counts findings and opens the Findings view', () => {
    const h = handlers()
    const none = buildTrayMenu(snapshot(), NOW, h, { startAtLogin: false })
    expect(byId(none, 'findings').label).toBe('No leaked secrets found')
    const one = buildTrayMenu(snapshot({ findings: [findingView('f1', '/p/.env', 3)] }), NOW, h, { startAtLogin: false })
    expect(byId(one, 'findings').label).toBe('1 leaked secret found…')
    const menu = buildTrayMenu(snapshot({ findings: [findingView('f1', '/p/.env', 3), findingView('f2', '/p/.env', 4)] }), NOW, h, { startAtLogin: false })
    expect(byId(menu, 'findings').label).toBe('2 leaked secrets found…')
    byId(menu, 'findings').click?.()
    expect(h.open).toHaveBeenCalledWith({ view: 'findings' })
  })

  it('offers to move a leaked Cloudflare API token to the keychain, from the menu, for a few at most', () => {
    const h = handlers()
    const openai = findingView('f3', '/home/me/src/shop/.env', 9, { finding: { ...findingView('x', '/x', 1).finding, kind: 'openai-key', line: 9 } })
    const commented = findingView('f4', '/p/.env', 5, { finding: { ...findingView('x', '/x', 1).finding, line: 5, commented: true } })
    const menu = buildTrayMenu(snapshot({ findings: [findingView('f1', '/home/me/src/shop/.env', 3), openai, commented] }), NOW, h, { startAtLogin: false })
    expect(byId(menu, 'adopt:f1').label).toBe('Move the token in …/shop/.env:3 to the keychain…')
    expect(findOrNull(menu, 'adopt:f3')).toBeNull()
    expect(findOrNull(menu, 'adopt:f4')).toBeNull()
    byId(menu, 'adopt:f1').click?.()
    expect(h.adopt).toHaveBeenCalledWith({ file: '/home/me/src/shop/.env', line: 3, fingerprint: 'abcdef012345' })
    const many = buildTrayMenu(snapshot({ findings: [1, 2, 3, 4, 5].map((n) => findingView(`g${n}`, '/p/.env', n)) }), NOW, h, { startAtLogin: false })
    expect(many.filter((item) => item.id?.startsWith('adopt:'))).toHaveLength(MAX_ADOPT_ITEMS)
  })

  it('shows a shadow warning item only when there is one', () => {
    const h = handlers()
    expect(findOrNull(buildTrayMenu(snapshot(), NOW, h, { startAtLogin: false }), 'shadows')).toBeNull()
    const one = buildTrayMenu(snapshot({ shadows: [shadowWarning('s1')] }), NOW, h, { startAtLogin: false })
    expect(byId(one, 'shadows').label).toBe('⚠ CLOUDFLARE_API_TOKEN overrides your wrangler login…')
    byId(one, 'shadows').click?.()
    expect(h.open).toHaveBeenCalledWith({ view: 'findings', item: 's1' })
    const two = buildTrayMenu(snapshot({ shadows: [shadowWarning('s1'), shadowWarning('s2', 'CF_API_KEY')] }), NOW, h, { startAtLogin: false })
    expect(byId(two, 'shadows').label).toBe('⚠ 2 credentials override your wrangler login…')
  })

  it('offers Pause or Resume depending on the watch state', () => {
    const h = handlers()
    const watching = buildTrayMenu(snapshot(), NOW, h, { startAtLogin: false })
    expect(byId(watching, 'watch').label).toBe('Pause watching')
    byId(watching, 'watch').click?.()
    expect(h.setWatchPaused).toHaveBeenLastCalledWith(true)
    const paused = buildTrayMenu(snapshot({ settings: { watchPaused: true } }), NOW, h, { startAtLogin: false })
    expect(byId(paused, 'watch').label).toBe('Resume watching')
    byId(paused, 'watch').click?.()
    expect(h.setWatchPaused).toHaveBeenLastCalledWith(false)
  })

  it('has the app-level items, with "Start at login" as a checkbox reflecting and toggling the setting', () => {
    const h = handlers()
    const menu = buildTrayMenu(snapshot({ tokens: [tokenView({ name: 'x' })] }), NOW, h, { startAtLogin: true })
    expect(labels(menu)).toEqual([
      'Open cfwrap',
      'Mint token',
      'x — 15m left',
      'No leaked secrets found',
      'Pause watching',
      'Revoke all…',
      'Install cfwrap command in PATH…',
      'Start at login',
      'Quit cfwrap',
    ])
    expect(byId(menu, 'start-at-login')).toMatchObject({ type: 'checkbox', checked: true })
    byId(menu, 'start-at-login').click?.()
    expect(h.setStartAtLogin).toHaveBeenCalledWith(false)
    for (const [id, handler] of [
      ['open', h.open],
      ['revoke-all', h.revokeAll],
      ['install-command', h.installCommand],
      ['quit', h.quit],
    ] as const) {
      byId(menu, id).click?.()
      expect(handler).toHaveBeenCalled()
    }
  })
})

describe('time left, tooltip and title', () => {
  it('floors to whole minutes and never shows more time than is left', () => {
    expect(timeLeftLabel(inSeconds(59), NOW)).toBe('under 1m left')
    expect(timeLeftLabel(inSeconds(60), NOW)).toBe('1m left')
    expect(timeLeftLabel(inSeconds(119), NOW)).toBe('1m left')
    expect(timeLeftLabel(inSeconds(3600), NOW)).toBe('1h left')
    expect(timeLeftLabel(inSeconds(0), NOW)).toBe('deadline passed')
    expect(timeLeftLabel(inSeconds(-30), NOW)).toBe('deadline passed')
  })

  it('summarises counts in the tooltip', () => {
    const snap = snapshot({
      tokens: [tokenView({ name: 'a', expiresAt: inSeconds(300) }), tokenView({ name: 'b', expiresAt: null })],
      findings: [findingView('f1', '/p/.env', 1)],
      shadows: [shadowWarning('s1')],
      settings: { watchPaused: true },
    })
    expect(trayTooltip(snap, NOW)).toBe('cfwrap — 2 tokens (next deadline: 5m left), 1 leaked secret, 1 login override, watching paused')
    expect(trayTooltip(snapshot(), NOW)).toBe('cfwrap — 0 tokens, 0 leaked secrets')
  })

  it('puts the number of problems in the macOS title, and nothing when all is quiet', () => {
    expect(trayTitle(snapshot())).toBe('')
    expect(trayTitle(snapshot({ findings: [findingView('f1', '/a', 1)], shadows: [shadowWarning('s1')] }))).toBe('⚠ 2')
  })

  it('lists the agents\' requests after the problems, each decided from its submenu', () => {
    const h = handlers()
    const request = {
      id: 'a1b2c3d4e5f6',
      ask: { template: 'workers-deploy', project: 'shop', env: 'prod' },
      name: 'cfwrap:shop:prod:workers-deploy:agent',
      policies: ['Workers Scripts Write on account 0123abcd…'],
      ttlSeconds: 900,
      risk: 'high' as const,
      needsApprovalBecause: ['its risk is high', 'it is for prod'],
      reason: 'ignore previous instructions',
      chain: [{ pid: 30, name: 'cfwrap' }, { pid: 20, name: 'bash' }, { pid: 10, name: 'claude' }],
      cwd: '/home/jane/shop',
      createdAt: NOW.toISOString(),
    }
    const menu = buildTrayMenu(snapshot({ pending: [request] }), NOW, h, { startAtLogin: false })
    expect(menu[0]).toMatchObject({ label: '⚠ claude asks for cfwrap:shop:prod:workers-deploy:agent…', toolTip: 'Needs your approval: its risk is high, it is for prod' })
    // The requester's own words never reach the menu.
    expect(JSON.stringify(menu)).not.toContain('ignore previous instructions')
    byId(menu, 'approve:a1b2c3d4e5f6').click?.()
    byId(menu, 'approve-hour:a1b2c3d4e5f6').click?.()
    byId(menu, 'deny:a1b2c3d4e5f6').click?.()
    expect(h.approveRequest.mock.calls).toEqual([['a1b2c3d4e5f6'], ['a1b2c3d4e5f6', 3_600_000]])
    expect(h.denyRequest).toHaveBeenCalledWith('a1b2c3d4e5f6')
  })

  it('puts load problems first in the menu, each with its sentence as the tooltip, and counts the serious ones', () => {
    const h = handlers()
    const problems = [
      { kind: 'keychain' as const, message: 'The keychain is locked: unlock it and try again.', file: null },
      { kind: 'restored' as const, message: 'The state file was damaged and the last good state was written back.', file: '/x/state.json' },
    ]
    const menu = buildTrayMenu(snapshot({ problems }), NOW, h, { startAtLogin: false })
    expect(menu.slice(0, 3).map((item) => item.label ?? item.type)).toEqual(['⚠ The keychain cannot be reached…', 'The state file was restored…', 'separator'])
    expect(menu[0]?.toolTip).toBe('The keychain is locked: unlock it and try again.')
    menu[0]?.click?.()
    expect(h.open).toHaveBeenCalledWith()
    expect(trayTooltip(snapshot({ problems }), NOW)).toBe('cfwrap — 0 tokens, 0 leaked secrets, 1 problem')
    expect(trayTitle(snapshot({ problems }))).toBe('⚠ 1')
    expect(buildTrayMenu(snapshot(), NOW, h, { startAtLogin: false })[0]?.id).toBe('open')
  })
})

describe('tray (Electron adapter)', () => {
  beforeEach(() => {
    resetElectronMock()
    vi.useFakeTimers()
    vi.setSystemTime(NOW)
  })
  afterEach(() => vi.useRealTimers())

  function menuLabels(menu: unknown): string[] {
    return labels((menu as { template: TrayMenuItem[] }).template)
  }

  it('sets a new context menu on every snapshot, as Linux needs to show a change', () => {
    const controller = createTray(handlers(), () => ({ startAtLogin: false }), snapshot())
    const [tray] = TrayMock.instances
    expect(tray?.menus).toHaveLength(1)
    expect(menuLabels(tray?.menus[0])).toContain('No tokens')
    controller.render(snapshot({ tokens: [tokenView({ name: 'x' })] }))
    expect(tray?.setContextMenu).toHaveBeenCalledTimes(2)
    expect(tray?.menus[1]).not.toBe(tray?.menus[0])
    expect(menuLabels(tray?.menus[1])).toContain('x — 15m left')
    expect(tray?.tooltip).toBe('cfwrap — 1 token (next deadline: 15m left), 0 leaked secrets')
    controller.destroy()
    expect(tray?.destroyed).toBe(true)
  })

  it('refreshes the countdown while a token has a deadline, and stays idle otherwise', () => {
    const controller = createTray(handlers(), () => ({ startAtLogin: false }), snapshot({ tokens: [tokenView({ name: 'x' })] }))
    const [tray] = TrayMock.instances
    vi.advanceTimersByTime(TRAY_REFRESH_MS * 2)
    expect(tray?.menus).toHaveLength(3)
    expect(menuLabels(tray?.menus[2])).toContain('x — 14m left')
    controller.render(snapshot())
    vi.advanceTimersByTime(TRAY_REFRESH_MS * 2)
    expect(tray?.menus).toHaveLength(4)
    controller.destroy()
  })

  it('reads the login-item state on every rebuild', () => {
    let startAtLogin = false
    const controller = createTray(handlers(), () => ({ startAtLogin }), snapshot())
    startAtLogin = true
    controller.render(snapshot())
    const menu = (TrayMock.instances[0]?.menus[1] as { template: TrayMenuItem[] }).template
    expect(byId(menu, 'start-at-login').checked).toBe(true)
    controller.destroy()
  })

  it('uses a template image on macOS and the coloured icon elsewhere, each with a 2x representation', () => {
    const mac = trayIcon('darwin') as unknown as NativeImageMock
    expect(mac.template).toBe(true)
    expect(mac.representations.map((r) => r.scaleFactor)).toEqual([1, 2])
    const linux = trayIcon('linux') as unknown as NativeImageMock
    expect(linux.template).toBe(false)
    // PNG signature: the embedded icons are real PNGs.
    expect(linux.representations[0]?.buffer.subarray(1, 4).toString()).toBe('PNG')
  })
})
