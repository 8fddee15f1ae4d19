// The test command's own safety nets: a missing tool is one clear line up front, and a test file that
// cannot even load is counted as a failure in the closing line CI reads.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '..', '..')

describe('npm test tooling', () => {
  it('names a missing Chromium before any test runs', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-test-tools.mjs')], { encoding: 'utf8', env: { ...process.env, CFWRAP_CHROMIUM: '/nonexistent/chromium' } })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/missing Chromium at \/nonexistent\/chromium \(Debian package chromium/)
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-test-tools.mjs')]).status).toBe(0)
  })

  it('the closing line counts a test file that failed to load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfwrap-reporter-'))
    try {
      writeFileSync(join(dir, 'broken.test.ts'), "import { it } from 'vitest'\nthrow new Error('cannot load')\nit('never runs', () => undefined)\n")
      writeFileSync(join(dir, 'fine.test.ts'), "import { it } from 'vitest'\nit('runs', () => undefined)\n")
      writeFileSync(
        join(dir, 'vitest.config.mts'),
        `export default { test: { include: ['*.test.ts'], reporters: [${JSON.stringify(join(ROOT, 'test', 'support', 'summary-reporter.ts'))}] } }\n`,
      )
      const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir], { encoding: 'utf8', cwd: ROOT })
      expect(run.status).toBe(1)
      expect(run.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed, 0 skipped')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
