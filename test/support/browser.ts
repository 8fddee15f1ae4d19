/**
 * Helpers for the browser tests: build the renderer exactly as electron-vite configures it, serve
 * it on 127.0.0.1 with the same Content-Security-Policy the window declares, and open it in Debian's
 * Chromium (driven by playwright-core) with `window.cfwrap` backed by a core in the test process.
 */
import { serveRequest } from '../../shared/node/ipc-adapter'
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { build } from 'vite'
import type { Channel, CoreSnapshot, Navigate, ServiceChannels } from '../../shared/common/ipc'
import { CHANNELS } from '../../shared/common/ipc'
import type { Core } from '../../shared/node/core-api'
import electronViteConfig from '../../electron.vite.config'

const ROOT = resolve(__dirname, '..', '..')

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM_PATH = process.env.CFWRAP_CHROMIUM ?? '/usr/bin/chromium'

/** The Content-Security-Policy the window declares in renderer/index.html; the test server sends it as a header too. */
export function rendererCsp(): string {
  const html = readFileSync(join(ROOT, 'renderer', 'index.html'), 'utf8')
  const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)
  if (!match?.[1]) throw new Error('renderer/index.html declares no Content-Security-Policy')
  return match[1]
}

/** Builds the renderer with the `renderer` section of electron.vite.config.ts into `outDir`. */
export async function buildRenderer(outDir: string): Promise<void> {
  const config = electronViteConfig as { renderer?: Record<string, unknown> & { build?: Record<string, unknown> } }
  const renderer = config.renderer
  if (renderer === undefined) throw new Error('electron.vite.config.ts has no renderer section')
  // vitest runs with NODE_ENV=test, and Vite (and the React plugin) decide from NODE_ENV whether this
  // is a production build: without this the page would get React's development build and JSX
  // runtime, not the production ones the app ships.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      ...renderer,
      configFile: false,
      mode: 'production',
      // electron-vite's renderer preset: relative asset URLs (the app loads the page from file://), no
      // module-preload polyfill (Chromium has modulepreload), no minification.
      base: './',
      logLevel: 'warn',
      build: { modulePreload: { polyfill: false }, minify: false, reportCompressedSize: false, ...renderer.build, outDir, emptyOutDir: true },
    })
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
}

/** A static file server on 127.0.0.1 for a built renderer, sending the window's CSP with every answer. */
export async function serveRenderer(dir: string, csp: string = rendererCsp()): Promise<{ url: string; close: () => Promise<void> }> {
  const root = resolve(dir)
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname)
    if (path === '/favicon.ico') {
      // Chromium asks for one on its own; the app has none (Electron never asks).
      response.writeHead(204, { 'content-security-policy': csp }).end()
      return
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : path))
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-security-policy': csp }).end('not found')
      return
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': csp,
      'cache-control': 'no-store',
    })
    createReadStream(file).pipe(response)
  })
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections()
        server.close(() => resolveClose())
      }),
  }
}

/** Launches Debian's Chromium headless, with nothing that reaches the network by itself. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/** The part of the core the window needs. */
export type WindowCore = ServiceChannels & Pick<Core, 'subscribe'>

/** An open window over a core. */
export interface OpenWindow {
  page: Page
  context: BrowserContext
  /** Console errors, page errors and CSP violations seen so far: a healthy window has none. */
  problems: string[]
  /** Sends a navigation request, as main does when a notification is clicked. */
  navigate(target: Navigate): Promise<void>
  close(): Promise<void>
}

/**
 * Opens the renderer at `url` with `window.cfwrap` installed before any of its scripts run. Each
 * command goes through a binding to `serveRequest` in this process (the same generic adapter main's
 * IPC handlers use, so each request is validated exactly as IPC requests are) and each snapshot the core publishes is pushed to the page's
 * listeners, like the preload's `onSnapshot`.
 */
export async function openWindow(
  browser: Browser,
  url: string,
  core: WindowCore,
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<OpenWindow> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1100, height: 800 },
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    // frame-ancestors only works as a header (which the server sends); Chromium notes that it ignores the meta copy.
    if (message.type() === 'error' && !/'frame-ancestors' is ignored when delivered via a <meta>/.test(message.text())) {
      problems.push(`console: ${message.text()}`)
    }
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))

  await page.exposeBinding('__cfwrapCall', (_source, channel: string, request: unknown) => {
    if (!(CHANNELS as string[]).includes(channel)) return { ok: false, error: `unknown channel ${channel}` }
    return serveRequest(core, channel as Channel, request)
  })
  await page.addInitScript((channels: string[]) => {
    type Listener = (value: unknown) => void
    const snapshotListeners = new Set<Listener>()
    const navigateListeners = new Set<Listener>()
    const w = window as unknown as Record<string, unknown> & { __cfwrapCall: (channel: string, request: unknown) => Promise<unknown> }
    const api: Record<string, unknown> = {
      onSnapshot(listener: Listener) {
        snapshotListeners.add(listener)
        return () => snapshotListeners.delete(listener)
      },
      onNavigate(listener: Listener) {
        navigateListeners.add(listener)
        return () => navigateListeners.delete(listener)
      },
    }
    for (const channel of channels) api[channel] = (request: unknown) => w.__cfwrapCall(channel, request)
    // Frozen like the preload's contextBridge object: the page cannot swap methods.
    w.cfwrap = Object.freeze(api)
    w.__cfwrapPush = (snapshot: unknown) => snapshotListeners.forEach((listener) => listener(snapshot))
    w.__cfwrapNavigate = (target: unknown) => navigateListeners.forEach((listener) => listener(target))
  }, CHANNELS as string[])

  const unsubscribe = core.subscribe((snapshot: CoreSnapshot) => {
    page.evaluate((value) => (window as unknown as { __cfwrapPush?: (s: unknown) => void }).__cfwrapPush?.(value), snapshot).catch(() => {
      // The page may be navigating or closed; the next snapshot (or the page's own request) catches up.
    })
  })

  await page.goto(url)
  return {
    page,
    context,
    problems,
    navigate: (target) => page.evaluate((value) => (window as unknown as { __cfwrapNavigate: (t: unknown) => void }).__cfwrapNavigate(value), target),
    close: async () => {
      unsubscribe()
      await context.close()
    },
  }
}

/** A built, served renderer and a running Chromium, shared by the tests of one file. */
export interface BrowserSuite {
  url: string
  browser: Browser
  close(): Promise<void>
}

/**
 * Builds the renderer into `test-output/renderer-<name>` (one directory per test file, so files
 * running in parallel never build over each other), serves it and launches Chromium.
 */
export async function startBrowserSuite(name: string): Promise<BrowserSuite> {
  const outDir = join(ROOT, 'test-output', `renderer-${name}`)
  await buildRenderer(outDir)
  const server = await serveRenderer(outDir)
  const browser = await launchChromium()
  return {
    url: server.url,
    browser,
    close: async () => {
      await browser.close()
      await server.close()
    },
  }
}

/** Where the browser tests save screenshots (one PNG per view and theme). */
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots')
