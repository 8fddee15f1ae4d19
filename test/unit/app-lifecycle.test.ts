// The app's own argv (login item, second instance) and the words of its confirmation dialogs.
import { describe, expect, it } from 'vitest'
import { parseAppArgs } from '../../electron/main/app-args'
import { QUIT_CHOICES, quitPrompt, revokeAllPrompt, revokeAllReport, revokePrompt } from '../../electron/main/dialog-text'
import { snapshot, tokenView } from '../support/fake-core'

describe('parseAppArgs', () => {
  it('reads --hidden and a view to open, ignoring what Chromium and the OS add', () => {
    expect(parseAppArgs(['/opt/cfwrap/cfwrap'])).toEqual({ hidden: false, target: undefined })
    expect(parseAppArgs(['/opt/cfwrap/cfwrap', '--hidden', '--original-process-start-time=1'])).toEqual({ hidden: true, target: undefined })
    expect(parseAppArgs(['electron', '/src/cfwrap', '--view=findings', '--item=f1'])).toEqual({ hidden: false, target: { view: 'findings', item: 'f1' } })
    expect(parseAppArgs(['x', '--view=tokens'])).toEqual({ hidden: false, target: { view: 'tokens' } })
  })

  it('drops a view that is not one of the window’s', () => {
    expect(parseAppArgs(['x', '--view=devtools'])).toEqual({ hidden: false, target: undefined })
  })
})

describe('quit prompt', () => {
  it('names the live tokens and explains what happens while cfwrap is closed', () => {
    const text = quitPrompt(['cfwrap:a:prod:workers-deploy:jane', 'cfwrap:a:prod:read-only:jane'])
    expect(text.message).toBe('Revoke your 2 temporary tokens before quitting?')
    expect(text.detail).toContain('  • cfwrap:a:prod:workers-deploy:jane\n  • cfwrap:a:prod:read-only:jane')
    expect(text.detail).toContain('cannot delete tokens at their deadline')
    expect(text.detail).toContain('expires_on')
    expect(text.buttons).toEqual(['Revoke and quit', 'Quit and keep them', 'Cancel'])
    expect(QUIT_CHOICES[text.defaultId]).toBe('revoke-and-quit')
    expect(QUIT_CHOICES[text.cancelId]).toBe('cancel')
    expect(quitPrompt(['one']).message).toBe('Revoke your temporary token before quitting?')
  })

  it('keeps a long list short', () => {
    const names = Array.from({ length: 11 }, (_, index) => `t${index}`)
    expect(quitPrompt(names).detail).toContain('  • and 3 more')
  })
})

describe('revoke prompts', () => {
  it('defaults to Cancel, because a tray click can be a double-click', () => {
    const one = revokePrompt('cfwrap:a:b:c:d')
    expect(one.message).toBe('Revoke cfwrap:a:b:c:d?')
    expect(one.buttons[one.defaultId]).toBe('Cancel')
    const all = revokeAllPrompt(snapshot({ tokens: [tokenView({ name: 'a' }), tokenView({ name: 'b' }), tokenView({ name: 'm', role: 'minting' })] }))
    expect(all.message).toBe('Revoke all 2 tokens?')
    expect(all.buttons[all.defaultId]).toBe('Cancel')
  })

  it('reports failures and tokens to rotate after Revoke all, and nothing when all went well', () => {
    expect(revokeAllReport({ deleted: ['a'], failed: [], rotateAlso: [] })).toBeNull()
    expect(revokeAllReport({ deleted: ['a'], failed: [{ name: 'b', error: 'Cloudflare answered 503' }], rotateAlso: ['dash'] })).toEqual({
      message: 'Revoked 1 of 2 tokens.',
      detail: 'Not deleted yet (cfwrap keeps trying):\n  • b: Cloudflare answered 503\n\nRotate these in the Cloudflare dashboard too:\n  • dash',
    })
  })
})
