import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SCREENSHOT_DIR, openWindow, startBrowserSuite, type BrowserSuite, type OpenWindow } from '../support/browser'
import { startCoreHarness, type CoreHarness } from './harness'

// A real deadline has to pass in scenario (a): 12 s is just above the 10 s floor, with room for the
// form to be filled before the token is created.
const SHORT_TTL = '12s'

describe('the window mints through the real core', () => {
  let suite: BrowserSuite
  let harness: CoreHarness | undefined
  let window: OpenWindow | undefined

  beforeAll(async () => {
    suite = await startBrowserSuite('mint')
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

  it('(a) mints from the form, counts down, and deletes the token on Cloudflare at its deadline', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    const { fake } = harness
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window

    await page.getByRole('tab', { name: /Mint a token/ }).click()
    await page.getByLabel('Template').selectOption('workers-deploy')
    await page.getByLabel('Account id').fill(fake.account.id)
    await page.getByLabel('Lifetime').fill(SHORT_TTL)
    await page.getByLabel('Project').fill('shop')
    await page.getByLabel('Environment').fill('test')

    // The preview names the token and its policies before anything is created.
    const previewName = page.getByTestId('preview-name')
    await expect.poll(() => previewName.textContent()).toMatch(/^cfwrap:shop:test:workers-deploy:[a-z0-9._-]+$/)
    const name = (await previewName.textContent()) as string
    const preview = page.getByRole('complementary', { name: 'What will be created' })
    await expect.poll(() => preview.textContent()).toContain(`Workers Scripts Write and Account Settings Read on account ${fake.account.id.slice(0, 8)}`)
    expect(fake.tokensAlive().map((token) => token.name)).not.toContain(name)

    await page.getByRole('button', { name: 'Create token' }).click()

    // Created: the window says so, switches to Tokens and shows the token with a live countdown.
    await page.getByRole('status').filter({ hasText: `Minted ${name}` }).waitFor()
    expect(await page.getByRole('tab', { name: /Tokens/ }).getAttribute('aria-selected')).toBe('true')
    const card = page.getByRole('article', { name })
    await card.waitFor()
    const onCloudflare = fake.tokensAlive().find((token) => token.name === name)
    expect(onCloudflare).toBeDefined()
    expect(onCloudflare?.expiresOn).toBeDefined()
    const countdown = card.getByTestId('countdown')
    const first = await countdown.textContent()
    expect(first).toMatch(/Deleted in (1[0-2]|[1-9])s/)
    // It ticks: computed from expiresAt every second, not a fixed label.
    await expect.poll(() => countdown.textContent(), { timeout: 3000 }).not.toBe(first)
    expect(await card.textContent()).toContain('Workers Scripts Write')
    const fingerprint = (await card.locator('dd code').first().textContent()) ?? ''
    expect(fingerprint).toMatch(/^[0-9a-f]{12}$/)
    // The secret exists on Cloudflare; the window never has it.
    expect(await page.content()).not.toContain(onCloudflare?.value)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'tokens-countdown-light.png'), fullPage: true })

    // The deadline passes: the reaper deletes it on Cloudflare and the card goes away.
    await card.waitFor({ state: 'detached', timeout: 30_000 })
    expect(fake.listTokens({ includeExpired: true }).map((token) => token.name)).not.toContain(name)
    await page.getByRole('tab', { name: /Audit log/ }).click()
    await page.getByRole('cell', { name: /deleted/ }).first().waitFor()
    expect(window.problems).toEqual([])
  }, 60_000)

  it('(c) explains each guard-rule refusal next to the form and will not create the token', async () => {
    harness = await startCoreHarness({ setupMinting: true })
    window = await openWindow(suite.browser, suite.url, harness.core)
    const { page } = window

    await page.getByRole('tab', { name: /Mint a token/ }).click()
    await page.getByLabel('Template').selectOption('dns-edit')
    // A zone template asks for a zone, not an account.
    expect(await page.getByLabel('Account id').count()).toBe(0)
    await page.getByLabel('Lifetime').fill('3h')
    await page.getByLabel('Project').fill('shop')
    await page.getByLabel('Environment').fill('prod')
    await page.getByLabel('Owner').fill('claude-agent')

    const refusals = page.locator('.refusals')
    await refusals.getByText('This token would be refused').waitFor()
    const ttl = refusals.locator('[data-rule="ttl-bounds"]')
    await expect.poll(() => ttl.textContent()).toContain('longer than the 1h maximum for dns-edit')
    expect(await refusals.locator('[data-rule="resource-required"]').textContent()).toContain('no zone id was given')
    expect(await page.getByLabel('Lifetime').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByLabel('Zone id').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(true)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'mint-refused-light.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'mint-refused-dark.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })

    // A TTL that does not parse is explained at the field, before the core is asked.
    await page.getByLabel('Lifetime').fill('90')
    await page.getByText('has no unit: write 90s for seconds or 90m for minutes').waitFor()

    // Fixed: within bounds and with a zone it passes, with a warning that agents should not hold it.
    await page.getByLabel('Lifetime').fill('30m')
    await page.getByLabel('Zone id').fill('0123456789abcdef0123456789abcdef')
    const previewName = page.getByTestId('preview-name')
    await expect.poll(() => previewName.textContent()).toBe('cfwrap:shop:prod:dns-edit:claude-agent')
    await page.getByText('is not meant for unattended agents').waitFor()
    expect(await page.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(false)
    expect(harness.fake.tokensAlive().map((token) => token.name)).not.toContain('cfwrap:shop:prod:dns-edit:claude-agent')
    expect(window.problems).toEqual([])
  })
})
