import { serveRequest } from '../../shared/node/ipc-adapter'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fingerprint } from '../../shared/common/fingerprint'
import { SCREENSHOT_DIR, openWindow, startBrowserSuite, type BrowserSuite, type OpenWindow } from '../support/browser'
import { startCoreHarness, type CoreHarness } from './harness'

/** A random value in the shape of a user API token, made elsewhere (not in the vault, not on the fake API). */
function fakeToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return `cfut_${Array.from(randomBytes(40), (byte) => alphabet[byte % alphabet.length]).join('')}${randomBytes(4).toString('hex')}`
}

const VIEWS = [
  { tab: /Tokens/, file: 'tokens' },
  { tab: /Mint a token/, file: 'mint' },
  { tab: /Leak findings/, file: 'findings' },
  { tab: /Audit log/, file: 'audit' },
  { tab: /Settings/, file: 'settings' },
] as const

/** Visits every view and returns the page's HTML in each (for "the secret is nowhere" checks). */
async function htmlOfEveryView(page: Page): Promise<string[]> {
  const pages: string[] = []
  for (const view of VIEWS) {
    await page.getByRole('tab', { name: view.tab }).click()
    await page.getByRole('tabpanel').waitFor()
    pages.push(await page.content())
  }
  return pages
}

/** Mints a token through the core (the form itself is covered by mint-lifecycle.test.ts). */
async function mintThroughCore(harness: CoreHarness, project: string): Promise<{ name: string; secret: string }> {
  const result = await serveRequest(harness.core, 'mint', { template: 'workers-deploy', project, env: 'prod', ttlSeconds: 3600, accountId: harness.fake.account.id })
  if (!result.ok) throw new Error(`mint failed: ${result.error}`)
  const token = harness.fake.tokensAlive().find((candidate) => candidate.name === result.value.name)
  if (!token) throw new Error('the fake API has no such token')
  return { name: result.value.name, secret: token.value }
}

describe('the window over the real core', () => {
  let suite: BrowserSuite
  let harness: CoreHarness | undefined
  let window: OpenWindow | undefined

  beforeAll(async () => {
    suite = await startBrowserSuite('views')
    mkdirSync(SCREENSHOT_DIR, { recursive: true })
  })
  afterAll(async () => {
    await suite?.close()
  })
  afterEach(async () => {
    await window?.close()
    await harness?.close()
    window = undefined
    harness = undefined
  })

  it('(d) sets up minting from the password field: shows owner and fingerprint, never the secret', async () => {
    harness = await startCoreHarness()
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window
    const secret = harness.mintingSecret

    await page.getByRole('tab', { name: /Settings/ }).click()
    await page.getByText('Not set up: cfwrap cannot mint tokens yet.').waitFor()
    const field = page.getByLabel('Token', { exact: true })
    expect(await field.getAttribute('type')).toBe('password')
    await field.fill(secret)
    await page.getByRole('button', { name: 'Verify and store' }).click()

    const verified = page.getByTestId('minting-verified')
    await verified.waitFor()
    expect(await verified.textContent()).toContain(`user-owned token, fingerprint ${fingerprint(secret)}`)
    await page.getByTestId('minting-status').getByText(fingerprint(secret)).waitFor()
    // The field is emptied and the secret is in no view's HTML.
    expect(await page.getByLabel('Replace with another token').inputValue()).toBe('')
    for (const html of await htmlOfEveryView(page)) expect(html).not.toContain(secret)
    expect(JSON.stringify(harness.core.currentSnapshot())).not.toContain(secret)

    await page.getByRole('tab', { name: /Settings/ }).click()
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'settings-minting-verified-light.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'settings-minting-verified-dark.png'), fullPage: true })

    // A token the API rejects is explained, and not echoed either.
    const wrong = `cfut_${'x'.repeat(40)}`
    await page.getByLabel('Replace with another token').fill(wrong)
    await page.getByRole('button', { name: 'Verify and store' }).click()
    await page.getByRole('alert').waitFor()
    expect(await page.content()).not.toContain(wrong)
    expect(window.problems).toEqual([])
  })

  it('(b) a secret written into a watched .env shows as a finding with file and line, and who it belongs to', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    const minted = await mintThroughCore(harness, 'shop')
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window

    // Watch the project folder through the settings form.
    await page.getByRole('tab', { name: /Settings/ }).click()
    await page.getByLabel('Folder to watch').fill(harness.project)
    await page.getByRole('button', { name: 'Add folder' }).click()
    await page.getByRole('list', { name: 'Watched folders' }).getByText(harness.project).waitFor()

    const envFile = join(harness.project, '.env')
    writeFileSync(envFile, `# deploy settings\nCLOUDFLARE_API_TOKEN=${minted.secret}\nNODE_ENV=production\n`)

    await page.getByRole('tab', { name: /Leak findings/ }).click()
    const location = page.getByTestId('finding-location').filter({ hasText: `${envFile}:2` })
    await location.waitFor({ timeout: 20_000 })
    const card = page.getByRole('article').filter({ has: location })
    expect(await card.textContent()).toContain('Cloudflare user API token')
    expect(await card.textContent()).toContain(`This is your token ${minted.name}`)
    expect(await card.textContent()).toContain('Why it matters')
    expect(await card.textContent()).toContain('How to fix')
    expect(await page.content()).not.toContain(minted.secret)

    // Screenshots of every view with something in it, in both themes.
    await page.getByRole('tab', { name: /Mint a token/ }).click()
    await page.getByLabel('Template').selectOption('r2-upload')
    await page.getByLabel('R2 bucket').fill('shop-assets')
    await page.getByLabel('Project').fill('shop')
    await page.getByLabel('Environment').fill('prod')
    await page.getByLabel('Account id').fill(harness.fake.account.id)
    await expect.poll(() => page.getByTestId('preview-name').textContent()).toMatch(/^cfwrap:shop:prod:r2-upload:/)
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const view of VIEWS) {
        await page.getByRole('tab', { name: view.tab }).click()
        await page.getByRole('tabpanel').waitFor()
        await page.screenshot({ path: join(SCREENSHOT_DIR, `${view.file}-${scheme}.png`), fullPage: true })
      }
    }
    await page.emulateMedia({ colorScheme: 'light' })

    // A notification click lands on the finding: view switched, card marked and focused.
    const findingId = harness.core.currentSnapshot().findings.find((item) => item.finding.file === envFile)?.id
    expect(findingId).toBeDefined()
    await page.getByRole('tab', { name: /Tokens/ }).click()
    await window.navigate({ view: 'findings', item: findingId as string })
    const highlighted = page.locator('article.highlight')
    await highlighted.waitFor()
    expect(await highlighted.getAttribute('data-item')).toBe(findingId)
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-item'))).toBe(findingId)

    // Revoke the leaked token from the finding.
    await card.getByRole('button', { name: `Revoke ${minted.name}` }).click()
    const dialog = page.getByRole('dialog', { name: 'Revoke this token?' })
    await dialog.getByRole('button', { name: 'Revoke' }).click()
    await page.getByRole('status').filter({ hasText: `Revoked ${minted.name}` }).waitFor()
    expect(harness.fake.listTokens().map((token) => token.name)).not.toContain(minted.name)

    // Dismiss takes it off the list.
    await page.getByRole('button', { name: /^Dismiss Cloudflare user API token/ }).click()
    await location.waitFor({ state: 'detached' })

    // Another leak of another token: roll it from the finding. The leaked value dies at once, the
    // token stays with a new secret in the keychain, and the finding is no longer "your token".
    const second = await mintThroughCore(harness, 'blog')
    const secondFile = join(harness.project, '.env.local')
    writeFileSync(secondFile, `CLOUDFLARE_API_TOKEN=${second.secret}\n`)
    const secondLocation = page.getByTestId('finding-location').filter({ hasText: `${secondFile}:1` })
    await secondLocation.waitFor({ timeout: 20_000 })
    const secondCard = page.getByRole('article').filter({ has: secondLocation })
    await secondCard.getByRole('button', { name: `Roll ${second.name}` }).click()
    await page.getByRole('dialog', { name: "Roll this token's secret?" }).getByRole('button', { name: 'Roll' }).click()
    await page.getByRole('status').filter({ hasText: `Rolled ${second.name}` }).waitFor()
    const rolled = harness.fake.tokensAlive().find((token) => token.name === second.name)
    expect(rolled?.value).not.toBe(second.secret)
    await expect.poll(() => secondCard.textContent()).not.toContain(`This is your token ${second.name}`)
    expect(await page.content()).not.toContain(rolled?.value as string)

    // A token made elsewhere, pasted into a file: "Move to keychain…" stores it and leaves a comment.
    const pasted = fakeToken()
    const thirdFile = join(harness.project, '.env.production')
    writeFileSync(thirdFile, `APP=1\r\nCLOUDFLARE_API_TOKEN=${pasted}\r\n`)
    const thirdLocation = page.getByTestId('finding-location').filter({ hasText: `${thirdFile}:2` })
    await thirdLocation.waitFor({ timeout: 20_000 })
    await page.getByRole('button', { name: `Move the token in ${thirdFile}:2 to the keychain` }).click()
    await page.getByRole('dialog', { name: 'Move this token to the keychain?' }).getByRole('button', { name: 'Move to keychain' }).click()
    await page.getByRole('status').filter({ hasText: 'Moved the token to the keychain as' }).waitFor()
    expect(readFileSync(thirdFile, 'utf8')).toMatch(/^APP=1\r\n# CLOUDFLARE_API_TOKEN was moved to the OS keychain by cfwrap as [^\r\n]+\r\n$/)
    await thirdLocation.waitFor({ state: 'detached', timeout: 20_000 })
    expect(harness.core.currentSnapshot().tokens.some((token) => token.fingerprint === fingerprint(pasted))).toBe(true)
    expect(await page.content()).not.toContain(pasted)
    expect(window.problems).toEqual([])
  }, 90_000)

  it('is keyboard-usable: arrow keys move between tabs; revoke-all asks first (Escape cancels) and reports', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    const first = await mintThroughCore(harness, 'shop')
    const second = await mintThroughCore(harness, 'blog')
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window

    const tokensTab = page.getByRole('tab', { name: /Tokens/ })
    await tokensTab.focus()
    await page.keyboard.press('ArrowDown')
    expect(await page.getByRole('tab', { name: /Mint a token/ }).getAttribute('aria-selected')).toBe('true')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-mint')
    await page.keyboard.press('End')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-settings')
    await page.keyboard.press('Home')
    expect(await tokensTab.getAttribute('aria-selected')).toBe('true')
    // Only the selected tab is in the Tab order; the next Tab stop is inside the panel.
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.closest('[role="tablist"]'))).toBeNull()

    await page.getByRole('article', { name: first.name }).waitFor()
    await page.getByRole('article', { name: second.name }).waitFor()
    await page.getByRole('button', { name: `Copy cfwrap command for ${first.name}` }).click()
    await page.getByRole('status').filter({ hasText: `Copied cfwrap --token ${first.name}` }).waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`cfwrap --token ${first.name}`)
    const revokeAll = page.getByRole('button', { name: 'Revoke all…' })
    await revokeAll.focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Revoke every token?' })
    await dialog.waitFor()
    // Cancel has the focus, so a reflexive Enter does not revoke anything.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'revoke-all-confirm-light.png') })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    expect(harness.fake.tokensAlive().map((token) => token.name)).toEqual(expect.arrayContaining([first.name, second.name]))

    await revokeAll.click()
    await dialog.getByRole('button', { name: 'Revoke all' }).click()
    const report = page.getByRole('region', { name: 'Revoke all: done' })
    await report.waitFor()
    expect(await report.textContent()).toContain(first.name)
    expect(await report.textContent()).toContain(second.name)
    const alive = harness.fake.tokensAlive().map((token) => token.name)
    expect(alive).not.toContain(first.name)
    expect(alive).not.toContain(second.name)
    await page.getByText('No tokens.').waitFor()
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'revoke-all-report-light.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'revoke-all-report-dark.png'), fullPage: true })
    expect(window.problems).toEqual([])
  })

  it('shows look-alike tokens this vault did not mint, and a damaged state file, without offering to delete them', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    const other = harness.fake.seedToken({ name: 'cfwrap:shop:prod:workers-deploy:ci', permissions: [{ name: 'Workers Scripts Write' }] })
    // A damaged copy nobody could restore, waiting for the person.
    writeFileSync(join(harness.home, 'state.json.corrupt-2026-12-01T00-00-00-000Z'), '{"version": 1, "tok')
    await harness.core.sweepNow()
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window
    const foreign = page.getByRole('list', { name: 'Foreign tokens' })
    await foreign.waitFor({ timeout: 15_000 })
    expect(await foreign.textContent()).toContain('cfwrap:shop:prod:workers-deploy:ci')
    expect(await foreign.getByRole('button').count()).toBe(0)
    expect(await page.getByRole('alert').first().textContent()).toMatch(/state file was damaged and no good copy was at hand/)
    expect(harness.fake.getToken(other.id)).toBeDefined()
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'tokens-foreign-light.png'), fullPage: true })
    // A load problem is a state of the whole app, not of one view: it stays above every view.
    await page.getByRole('tab', { name: /Settings/ }).click()
    expect(await page.locator('[data-problem="damaged"]').textContent()).toMatch(/state file was damaged/)
  })
})

describe('an agent\'s request in the window', () => {
  let suite: BrowserSuite
  let harness: CoreHarness | undefined
  let window: OpenWindow | undefined
  beforeAll(async () => {
    suite = await startBrowserSuite('requests')
  })
  afterAll(async () => {
    await window?.close()
    await harness?.close()
    await suite?.close()
  })

  it('shows who asks, what it could do and its reason as untrusted words; Approve grants it to the waiting agent', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window
    const { brokerCall } = await import('../../shared/node/broker/client')
    const { brokerPaths } = await import('../../shared/node/broker/paths')
    const agent = brokerPaths({ ...process.env, CFWRAP_HOME: harness.home }).agent
    const reason = '<img src=x onerror=alert(1)> approve me'
    const waiting = brokerCall(agent, { op: 'request', ask: { template: 'workers-deploy', project: 'shop', env: 'prod', accountId: harness.fake.account.id }, reason, requester: { pid: process.pid, cwd: process.cwd() } })
    const requests = page.getByRole('list', { name: 'Token requests' })
    await requests.waitFor({ timeout: 15_000 })
    const text = (await requests.textContent()) ?? ''
    expect(text).toContain('cfwrap:shop:prod:workers-deploy:agent')
    expect(text).toContain('Workers Scripts Write')
    expect(text).toContain('its risk is high, it is for prod')
    // The requester's words are text, never markup.
    expect(text).toContain(reason)
    expect(await page.locator('.requests img').count()).toBe(0)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'request-pending-light.png'), fullPage: true })
    await requests.getByRole('button', { name: 'Approve', exact: true }).click()
    const granted = (await waiting) as { name: string }
    expect(granted.name).toBe('cfwrap:shop:prod:workers-deploy:agent')
    await requests.waitFor({ state: 'detached', timeout: 10_000 })
    expect(window.problems).toEqual([])
  })
})

describe('the approval rules in Settings', () => {
  let suite: BrowserSuite
  let harness: CoreHarness | undefined
  let window: OpenWindow | undefined
  beforeAll(async () => {
    suite = await startBrowserSuite('policy')
  })
  afterAll(async () => {
    await window?.close()
    await harness?.close()
    await suite?.close()
  })

  it('are shown and changed in the window, and the broker follows them', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window
    await page.getByRole('tab', { name: /Settings/ }).click()
    const form = page.getByRole('form', { name: 'When approval is needed' })
    await form.waitFor()
    expect(await form.getByRole('checkbox', { name: 'high' }).isChecked()).toBe(true)
    await form.getByRole('checkbox', { name: 'high' }).uncheck()
    await form.getByLabel('Environments (comma-separated)').fill('')
    await form.getByRole('button', { name: 'Save rules' }).click()
    await form.getByText('Saved.').waitFor()
    expect(harness.core.currentSnapshot().settings.approvalPolicy).toMatchObject({ risks: [], envs: [] })
    // With no rule about risk or env, a production deploy within its defaults is granted at once.
    const { brokerCall } = await import('../../shared/node/broker/client')
    const { brokerPaths } = await import('../../shared/node/broker/paths')
    const granted = (await brokerCall(brokerPaths({ ...process.env, CFWRAP_HOME: harness.home }).agent, {
      op: 'request',
      ask: { template: 'workers-deploy', project: 'shop', env: 'prod', accountId: harness.fake.account.id },
      reason: '',
      requester: { pid: process.pid, cwd: '/' },
    }, { onPending: () => expect.unreachable('no rule asks for approval any more') })) as { name: string }
    expect(granted.name).toBe('cfwrap:shop:prod:workers-deploy:agent')
    expect(window.problems).toEqual([])
  })
})
