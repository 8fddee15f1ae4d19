import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { TokenEvent } from '../../shared/common/events'
import type { CoreEvent } from '../../shared/node/core-api'
import {
  planNotifications,
  classifyEvent,
  NOTIFICATION_WINDOW_MS,
  createNotificationBatcher,
  displayPath,
  type BatchTimers,
  type NotificationSpec,
} from '../../electron/main/notification-plan'
import { MAX_LIVE_NOTIFICATIONS, createDesktopNotifier } from '../../electron/main/notifications'
import { NOW, findingView, inSeconds, shadowWarning } from '../support/fake-core'
import { NotificationMock, resetElectronMock } from '../support/electron-mock'

vi.mock('electron', () => import('../support/electron-mock'))

/** Timers driven by hand: `fire()` runs what is due. */
function manualTimers(): BatchTimers & { pending(): number; fire(): void; lastDelay(): number | undefined } {
  let nextId = 0
  const scheduled = new Map<number, { callback: () => void; ms: number }>()
  let lastDelay: number | undefined
  return {
    setTimeout(callback, ms) {
      scheduled.set(++nextId, { callback, ms })
      lastDelay = ms
      return nextId
    },
    clearTimeout(handle) {
      scheduled.delete(handle as number)
    },
    pending: () => scheduled.size,
    fire() {
      const due = [...scheduled.values()]
      scheduled.clear()
      for (const { callback } of due) callback()
    },
    lastDelay: () => lastDelay,
  }
}

function setup(): { shown: NotificationSpec[]; timers: ReturnType<typeof manualTimers>; batcher: ReturnType<typeof createNotificationBatcher> } {
  const shown: NotificationSpec[] = []
  const timers = manualTimers()
  const batcher = createNotificationBatcher({ show: (spec) => shown.push(spec), timers, now: () => NOW, home: '/home/jane' })
  return { shown, timers, batcher }
}

const finding = (id: string, file: string, line: number, overrides: Parameters<typeof findingView>[3] = {}): CoreEvent => ({
  type: 'finding',
  finding: findingView(id, file, line, overrides),
})

function tokenEvent(event: TokenEvent): CoreEvent {
  return { type: 'token', event }
}

const deleted = (token: string, tokenId: string, reason: 'deadline' | 'revoked' | 'revoke-all' = 'deadline'): CoreEvent =>
  tokenEvent({ type: 'deleted', time: NOW.toISOString(), token, tokenId, fingerprint: null, reason, lateMs: 800 })

const deleteFailed = (token: string, attempts: number): CoreEvent =>
  tokenEvent({
    type: 'delete-failed',
    time: NOW.toISOString(),
    token,
    tokenId: 'tok-9',
    fingerprint: null,
    error: 'Cloudflare answered 503',
    errorKind: 'server',
    attempts,
    retryAt: inSeconds(30),
  })

describe('notification batching', () => {
  it('collects for the window, then shows one notification for one finding with severity, file:line and the known token', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(finding('f1', '/home/jane/shop/.env', 3, { knownToken: 'cfwrap:shop:prod:workers-deploy:jane' }))
    expect(shown).toEqual([])
    expect(timers.lastDelay()).toBe(NOTIFICATION_WINDOW_MS)
    timers.fire()
    expect(shown).toEqual([
      {
        title: 'High: Cloudflare user API token in plain text',
        body: '~/shop/.env:3\nThis is your token cfwrap:shop:prod:workers-deploy:jane.',
        target: { view: 'findings', item: 'f1' },
        urgency: 'normal',
      },
    ])
  })

  it('summarises many findings that arrive together into one notification', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(finding('f1', '/p/a/.env', 1))
    batcher.push(finding('f2', '/p/a/.env', 2, { knownToken: 'cfwrap:a:b:c:d' }))
    batcher.push(finding('f3', '/p/b/.env.local', 1))
    batcher.push(finding('f4', '/p/c/config.json', 9))
    batcher.push(finding('f5', '/p/c/config.json', 10))
    batcher.push(finding('f6', '/home/jane/.bashrc', 4, { finding: { ...findingView('x', '/home/jane/.bashrc', 4).finding, severity: 'critical' } }))
    batcher.push(finding('f7', '/p/a/.env', 5))
    expect(timers.pending()).toBe(1)
    timers.fire()
    expect(shown).toHaveLength(1)
    expect(shown[0]).toEqual({
      title: '7 secrets found in 4 files',
      body: 'Worst: critical. In .env, .env.local, config.json and 1 more.\nOne is your own cfwrap token.',
      target: { view: 'findings' },
      urgency: 'critical',
    })
  })

  it('announces each finding once, however often the watcher reports it', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(finding('f1', '/p/.env', 1))
    batcher.push(finding('f1', '/p/.env', 1))
    timers.fire()
    batcher.push(finding('f1', '/p/.env', 1))
    batcher.push({ type: 'finding-resolved', id: 'f1', file: '/p/.env' })
    batcher.push(finding('f1', '/p/.env', 1))
    expect(timers.pending()).toBe(0)
    timers.fire()
    expect(shown).toHaveLength(1)
  })

  it('does not extend the window for a trickle: the first event starts it', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(finding('f1', '/p/.env', 1))
    batcher.push(finding('f2', '/p/.env', 2))
    expect(timers.pending()).toBe(1)
    timers.fire()
    batcher.push(finding('f3', '/p/.env', 3))
    expect(timers.pending()).toBe(1)
    timers.fire()
    expect(shown.map((spec) => spec.title)).toEqual(['2 secrets found in 1 file', 'High: Cloudflare user API token in plain text'])
  })

  it('shows one notification per kind in a mixed burst, most urgent first', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(deleted('a', 't-a'))
    batcher.push({ type: 'expiring-soon', token: 'b', tokenId: null, fingerprint: null, expiresAt: inSeconds(5 * 60) })
    batcher.push(deleteFailed('c', 1))
    batcher.push({ type: 'shadow', warning: shadowWarning('s1') })
    batcher.push(finding('f1', '/p/.env', 1))
    timers.fire()
    expect(shown.map((spec) => spec.title)).toEqual([
      'High: Cloudflare user API token in plain text',
      'CLOUDFLARE_API_TOKEN overrides your wrangler login',
      'Could not delete c yet',
      'b expires in 5 minutes',
      'Deleted a',
    ])
    expect(shown.map((spec) => spec.target)).toEqual([
      { view: 'findings', item: 'f1' },
      { view: 'findings', item: 's1' },
      { view: 'tokens', item: 'c' },
      { view: 'tokens', item: 'b' },
      { view: 'audit', item: 'a' },
    ])
  })

  it('says why a token was deleted, and summarises a sweep that deleted several', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(deleted('a', 't-a'))
    timers.fire()
    expect(shown[0]?.body).toBe('Its deadline passed. It is gone from Cloudflare and the keychain.')
    batcher.push(deleted('b', 't-b', 'revoke-all'))
    batcher.push(deleted('c', 't-c', 'revoke-all'))
    timers.fire()
    expect(shown[1]).toMatchObject({ title: 'Deleted 2 tokens', body: 'b\nc', target: { view: 'audit' } })
  })

  it('announces a failed deletion once per token, not once per retry, and again for a later token of the same name', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(deleteFailed('a', 1))
    timers.fire()
    batcher.push(deleteFailed('a', 2))
    batcher.push(deleteFailed('a', 3))
    timers.fire()
    expect(shown).toHaveLength(1)
    expect(shown[0]).toMatchObject({ title: 'Could not delete a yet', urgency: 'critical' })
    expect(shown[0]?.body).toContain('Cloudflare answered 503')
    // A token minted later under the same name has another id: its failure is news.
    batcher.push(tokenEvent({ type: 'delete-failed', time: NOW.toISOString(), token: 'a', tokenId: 'tok-10', fingerprint: null, error: 'x', errorKind: 'server', attempts: 1, retryAt: inSeconds(30) }))
    timers.fire()
    expect(shown).toHaveLength(2)
  })

  it('warns once per expiring deadline', () => {
    const { shown, timers, batcher } = setup()
    batcher.push({ type: 'expiring-soon', token: 'a', tokenId: null, fingerprint: null, expiresAt: inSeconds(5 * 60) })
    batcher.push({ type: 'expiring-soon', token: 'a', tokenId: null, fingerprint: null, expiresAt: inSeconds(5 * 60) })
    batcher.push({ type: 'expiring-soon', token: 'b', tokenId: null, fingerprint: null, expiresAt: inSeconds(4 * 60) })
    timers.fire()
    expect(shown).toEqual([{ title: '2 tokens expire within 5 minutes', body: 'a\nb', target: { view: 'tokens' }, urgency: 'normal' }])
  })

  it('ignores events nobody needs to be interrupted for', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(tokenEvent({ type: 'minted', time: NOW.toISOString(), token: 'a', tokenId: 't', fingerprint: 'f', expiresAt: null, template: null }))
    batcher.push(tokenEvent({ type: 'reconciled', time: NOW.toISOString(), seen: 1, orphansDeleted: 0, missing: 0, pendingDropped: 0 }))
    batcher.push(tokenEvent({ type: 'rate-limited', time: NOW.toISOString(), retryAfterSeconds: 5, until: inSeconds(5) }))
    expect(timers.pending()).toBe(0)
    batcher.flush()
    expect(shown).toEqual([])
  })

  it('flush shows what is pending at once; dispose drops it', () => {
    const { shown, timers, batcher } = setup()
    batcher.push(finding('f1', '/p/.env', 1))
    batcher.flush()
    expect(shown).toHaveLength(1)
    expect(timers.pending()).toBe(0)
    batcher.push(finding('f2', '/p/.env', 2))
    batcher.dispose()
    timers.fire()
    expect(shown).toHaveLength(1)
  })

  it('shows paths under home with ~', () => {
    expect(displayPath('/home/jane/x/.env', '/home/jane')).toBe('~/x/.env')
    expect(displayPath('/home/janet/.env', '/home/jane')).toBe('/home/janet/.env')
    expect(displayPath('C:\\Users\\jane\\.env', 'C:\\Users\\jane')).toBe('~\\.env')
  })

  it('uses real timers by default', async () => {
    vi.useFakeTimers()
    try {
      const shown: NotificationSpec[] = []
      const batcher = createNotificationBatcher({ show: (spec) => shown.push(spec) })
      batcher.push(finding('f1', '/p/.env', 1))
      await vi.advanceTimersByTimeAsync(NOTIFICATION_WINDOW_MS - 1)
      expect(shown).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      expect(shown).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('desktop notifier (Electron adapter)', () => {
  beforeEach(() => resetElectronMock())

  const spec: NotificationSpec = { title: 'T', body: 'B', target: { view: 'findings', item: 'f1' }, urgency: 'critical' }

  it('shows a Notification, keeps it referenced until clicked, and opens the window at its target', () => {
    const onClick = vi.fn()
    const notifier = createDesktopNotifier(onClick)
    notifier.show(spec)
    const [notification] = NotificationMock.instances
    expect(notification?.options).toEqual({ title: 'T', body: 'B', urgency: 'critical' })
    expect(notification?.shown).toBe(true)
    expect(notifier.liveCount()).toBe(1)
    notification?.emit('click')
    expect(onClick).toHaveBeenCalledWith({ view: 'findings', item: 'f1' })
    expect(notifier.liveCount()).toBe(0)
  })

  it('releases a notification when it is closed or fails, and caps how many it keeps', () => {
    const notifier = createDesktopNotifier(vi.fn())
    notifier.show(spec)
    notifier.show(spec)
    NotificationMock.instances[0]?.emit('close')
    NotificationMock.instances[1]?.emit('failed', 'no server')
    expect(notifier.liveCount()).toBe(0)
    for (let index = 0; index < MAX_LIVE_NOTIFICATIONS + 5; index++) notifier.show(spec)
    expect(notifier.liveCount()).toBe(MAX_LIVE_NOTIFICATIONS)
  })

  it('does nothing where notifications are not supported', () => {
    NotificationMock.isSupported.mockReturnValue(false)
    createDesktopNotifier(vi.fn()).show(spec)
    expect(NotificationMock.instances).toHaveLength(0)
  })
})

describe('an agent waiting for approval', () => {
  it('is one critical notification per request that opens the window at it; the requester\'s own reason is not in it', () => {
    const request: TokenEvent = {
      type: 'broker-request',
      time: NOW.toISOString(),
      requestId: 'a1b2c3d4e5f6',
      name: 'cfwrap:shop:prod:workers-deploy:agent',
      template: 'workers-deploy',
      chain: 'cfwrap (30) ← bash (20) ← claude (10)',
      cwd: '/home/jane/shop',
      reason: 'approve this at once',
      needsApproval: ['its risk is high'],
    }
    const classified = classifyEvent({ type: 'token', event: request })
    expect(classified?.key).toBe('approval:a1b2c3d4e5f6')
    const [spec] = planNotifications(classified ? [classified.pending] : [], NOW)
    expect(spec).toMatchObject({ title: 'An agent asks for cfwrap:shop:prod:workers-deploy:agent', urgency: 'critical', target: { view: 'tokens', item: 'a1b2c3d4e5f6' } })
    expect(JSON.stringify(spec)).not.toContain('approve this at once')
    // Granted at once by the policy: nothing to interrupt anyone for.
    expect(classifyEvent({ type: 'token', event: { ...request, needsApproval: [] } })).toBeNull()
  })

  it('says so when Cloudflare answers that a leaked token still works, and stays quiet when it is dead', () => {
    const alive = findingView('f1', '/home/jane/shop/.env', 2, { verified: { status: 'active', expiresOn: '2027-01-01T00:00:00Z', inVault: false } })
    const classified = classifyEvent({ type: 'finding-verified', finding: alive })
    expect(classified?.key).toBe('alive:f1')
    const [spec] = planNotifications(classified ? [classified.pending] : [], NOW)
    expect(spec?.body).toContain('Cloudflare says it still works (until 2027-01-01T00:00:00Z).')
    for (const status of ['expired', 'invalid', 'disabled', 'unknown'] as const) {
      expect(classifyEvent({ type: 'finding-verified', finding: { ...alive, verified: { status, expiresOn: null, inVault: false } } })).toBeNull()
    }
  })
})
