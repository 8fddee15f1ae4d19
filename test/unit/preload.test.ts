import { beforeAll, describe, expect, it, vi } from 'vitest'
import { CHANNELS, NAVIGATE_PUSH_CHANNEL, SNAPSHOT_PUSH_CHANNEL, channelName, type CfwrapApi } from '../../shared/common/ipc'
import { contextBridge, ipcRenderer } from '../support/electron-mock'
import { snapshot } from '../support/fake-core'

vi.mock('electron', () => import('../support/electron-mock'))

let api: CfwrapApi

beforeAll(async () => {
  await import('../../electron/preload/index')
  api = contextBridge.exposed.get('cfwrap') as CfwrapApi
})

describe('preload bridge', () => {
  it('exposes exactly one method per channel plus the two subscriptions, under window.cfwrap only', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['cfwrap'])
    expect(Object.keys(api).sort()).toEqual([...CHANNELS, 'onNavigate', 'onSnapshot'].sort())
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
    expect(Object.values(api)).not.toContain(ipcRenderer)
  })

  it.each(CHANNELS)('%s invokes its own channel with the request and returns main’s answer', async (channel) => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: channel })
    const request = { probe: channel }
    const method = api[channel] as (request: unknown) => Promise<unknown>
    await expect(method(request)).resolves.toEqual({ ok: true, value: channel })
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(channelName(channel), request)
  })

  it('hands subscribers the payload only, never the IPC event, and unsubscribes', () => {
    const snapshots: unknown[] = []
    const targets: unknown[] = []
    const stopSnapshots = api.onSnapshot((value) => snapshots.push(value))
    const stopNavigate = api.onNavigate((value) => targets.push(value))
    const pushed = snapshot({ revision: 7 })
    const event = { sender: ipcRenderer }
    ipcRenderer.emit(SNAPSHOT_PUSH_CHANNEL, event, pushed)
    ipcRenderer.emit(NAVIGATE_PUSH_CHANNEL, event, { view: 'findings', item: 'f1' })
    expect(snapshots).toEqual([pushed])
    expect(targets).toEqual([{ view: 'findings', item: 'f1' }])
    stopSnapshots()
    stopNavigate()
    ipcRenderer.emit(SNAPSHOT_PUSH_CHANNEL, event, pushed)
    expect(snapshots).toHaveLength(1)
    expect(ipcRenderer.listenerCount(SNAPSHOT_PUSH_CHANNEL)).toBe(0)
    expect(ipcRenderer.listenerCount(NAVIGATE_PUSH_CHANNEL)).toBe(0)
  })
})
