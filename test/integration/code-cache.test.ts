// The V8 code caches of the CLI's chunks (electron/cli/code-cache.ts): written by the build,
// used when they match, ignored (the chunk compiled as usual) when they do not. Real Node
// processes, real files; acceptance is V8's own verdict (vm.Script's cachedDataRejected).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CLI, cliEnv, makeHome } from '../support/cli'

const CODE_CACHE = resolve(__dirname, '..', '..', 'electron', 'cli', 'code-cache.ts')
const CHUNKS = resolve(CLI, '..', 'cli')

/** Runs `require(dir/mod.js)` in a fresh Node with the code-cache hook on `dir`; the module's answer and the hook's stats. */
function loadWithHook(dir: string, write: boolean): { value: unknown; later: unknown; stats: { accepted: number; rejected: number; missing: number; written: number } } {
  const script = join(dir, 'load.mts')
  writeFileSync(
    script,
    `import { createRequire } from 'node:module'\n` +
      `import { useCodeCache } from ${JSON.stringify(CODE_CACHE)}\n` +
      `const stats = useCodeCache(${JSON.stringify(join(dir, 'chunks'))}, ${write})\n` +
      `const mod = createRequire(import.meta.url)(${JSON.stringify(join(dir, 'chunks', 'mod.js'))})\n` +
      `const value = mod.answer()\n` +
      // import() from a cached chunk goes through Node's own loader, as the MCP chunk's does.
      `const later = mod.later ? await mod.later() : null\n` +
      `process.on('exit', () => process.stdout.write(JSON.stringify({ value, later, stats })))\n`,
  )
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' })
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return JSON.parse(result.stdout)
}

describe('V8 code caches for the CLI chunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfwrap-code-cache-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const chunks = join(dir, 'chunks')
  const mod = join(chunks, 'mod.js')

  it('writes a cache, then compiles from it; a cache for other source is rejected and the module still runs', () => {
    spawnSync('mkdir', ['-p', chunks])
    writeFileSync(join(chunks, 'helper.js'), 'exports.twice = (n) => n * 2\n')
    writeFileSync(mod, `const { twice } = require('./helper.js')\nexports.answer = () => twice(21) + (require.resolve('./helper.js') === __dirname + '/helper.js' ? 0 : 1000)\n`)
    expect(loadWithHook(dir, true)).toEqual({ value: 42, later: null, stats: { accepted: 0, rejected: 0, missing: 2, written: 2 } })
    expect(readdirSync(chunks).sort()).toEqual(['helper.js', 'helper.js.v8cache', 'mod.js', 'mod.js.v8cache'])
    expect(loadWithHook(dir, false)).toEqual({ value: 42, later: null, stats: { accepted: 2, rejected: 0, missing: 0, written: 0 } })

    // Same cache, changed source (a rebuild without new caches): V8 refuses it, the new code runs.
    writeFileSync(mod, `const { twice } = require('./helper.js')\nexports.answer = () => twice(50) + 0 * 123456789\n`)
    expect(loadWithHook(dir, false)).toEqual({ value: 100, later: null, stats: { accepted: 1, rejected: 1, missing: 0, written: 0 } })
    // Garbage in place of a cache: refused the same way.
    writeFileSync(join(chunks, 'mod.js.v8cache'), Buffer.alloc(4096, 0x5a))
    expect(loadWithHook(dir, false)).toEqual({ value: 100, later: null, stats: { accepted: 1, rejected: 1, missing: 0, written: 0 } })
  })

  it('leaves a chunk that calls import() to Node, which compiles it with its loader behind it', () => {
    const dynamic = join(dir, 'dynamic')
    spawnSync('mkdir', ['-p', join(dynamic, 'chunks')])
    writeFileSync(join(dynamic, 'chunks', 'mod.js'), `exports.answer = () => 7\nexports.later = () => import('node:os').then((os) => typeof os.tmpdir)\n`)
    expect(loadWithHook(dynamic, true)).toEqual({ value: 7, later: 'function', stats: { accepted: 0, rejected: 0, missing: 0, written: 0 } })
    expect(readdirSync(join(dynamic, 'chunks'))).toEqual(['mod.js'])
  })

  it('never reads a cache through a symbolic link', () => {
    rmSync(join(chunks, 'helper.js.v8cache'))
    writeFileSync(join(dir, 'elsewhere.v8cache'), readFileSync(join(chunks, 'mod.js.v8cache')))
    symlinkSync(join(dir, 'elsewhere.v8cache'), join(chunks, 'helper.js.v8cache'))
    expect(loadWithHook(dir, false).stats.missing).toBe(1)
  })

  it('the build wrote caches for the chunks of the wrapper path, and the wrapper runs with them', () => {
    const names = readdirSync(CHUNKS)
    // main is the wrapper's own bundle, the largest compile on its path.
    for (const chunk of ['main', 'run-state', 'schemas', 'vault']) {
      expect(names.some((name) => name.startsWith(`${chunk}-`) && name.endsWith('.js.v8cache'))).toBe(true)
    }
    // A chunk whose text calls import() is compiled without its cache: only the tiny lazyLoad module may.
    const dynamic = names.filter((name) => name.endsWith('.js') && readFileSync(join(CHUNKS, name), 'utf8').includes('import('))
    expect(dynamic).toHaveLength(1)
    expect(dynamic[0]).toMatch(/^lazy-load-/)
    const home = makeHome()
    try {
      const result = spawnSync(process.execPath, [CLI, '--oauth', 'node', '-e', 'process.stdout.write("ran")'], { env: cliEnv(home.dir), encoding: 'utf8' })
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('ran')
      expect(result.status).toBe(0)
    } finally {
      home.cleanup()
    }
  })
})
