import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative, resolve, dirname } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '..', '..')
const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry)
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full))
    else if (/\.(ts|tsx|mts|cts)$/.test(entry)) out.push(full)
  }
  return out
}

/** Every module specifier a file imports (static, dynamic, re-export, require). */
export function importsOf(text: string): string[] {
  const specs: string[] = []
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\blazyLoad(?:<[^>]*>)?\(\s*['"]([^'"]+)['"]/g,
  ]
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) specs.push(match[1] as string)
  return specs
}

type Layer = 'shared/common' | 'shared/node' | 'electron/cli' | 'electron/main' | 'electron/preload' | 'renderer'

function layerOf(file: string): Layer | null {
  const rel = relative(ROOT, file).split('\\').join('/')
  for (const layer of ['shared/common', 'shared/node', 'electron/cli', 'electron/main', 'electron/preload', 'renderer'] as const) {
    if (rel.startsWith(`${layer}/`)) return layer
  }
  return null
}

/** What each layer may import from the project's own layers. */
const ALLOWED_LAYERS: Record<Layer, Layer[]> = {
  'shared/common': ['shared/common'],
  'shared/node': ['shared/common', 'shared/node'],
  'electron/cli': ['shared/common', 'shared/node', 'electron/cli'],
  'electron/main': ['shared/common', 'shared/node', 'electron/main'],
  'electron/preload': ['shared/common', 'electron/preload'],
  renderer: ['shared/common', 'renderer'],
}

/** Packages that are allowed outside the Node layers (browser-safe). */
const BROWSER_PACKAGES = /^(zod(\/.*)?|@noble\/hashes(\/.*)?|react(\/.*)?|react-dom(\/.*)?)$/

/** Returns the layering violations of one file (empty when it keeps the rules). */
export function violations(file: string, text: string): string[] {
  const layer = layerOf(file)
  if (!layer) return []
  const problems: string[] = []
  for (const spec of importsOf(text)) {
    if (spec.startsWith('.')) {
      const target = layerOf(resolve(dirname(file), spec))
      if (target && !ALLOWED_LAYERS[layer].includes(target)) problems.push(`${spec} (${target}) is not allowed in ${layer}`)
      if (!target && layer !== 'electron/cli') {
        // Only package.json (for the version) may be reached outside the layers, and only by the CLI.
        problems.push(`${spec} reaches outside the layered folders`)
      }
      continue
    }
    const isElectron = spec === 'electron' || spec.startsWith('electron/')
    if (isElectron && layer !== 'electron/main' && layer !== 'electron/preload') problems.push(`${spec} may only be imported by electron/main and electron/preload`)
    const isBuiltin = NODE_BUILTINS.has(spec)
    if (isBuiltin && (layer === 'shared/common' || layer === 'renderer' || layer === 'electron/preload')) problems.push(`Node built-in ${spec} is not allowed in ${layer}`)
    if ((layer === 'shared/common' || layer === 'renderer') && !isBuiltin && !isElectron && !BROWSER_PACKAGES.test(spec)) {
      problems.push(`${spec} is not a known browser-safe package for ${layer}`)
    }
  }
  return problems
}

describe('layering', () => {
  it('every source file keeps the import rules of its layer', () => {
    const files = ['shared', 'electron', 'renderer'].flatMap((dir) => sourceFiles(join(ROOT, dir)))
    expect(files.length).toBeGreaterThan(10)
    const found = files.flatMap((file) => violations(file, readFileSync(file, 'utf8')).map((p) => `${relative(ROOT, file)}: ${p}`))
    expect(found).toEqual([])
  })

  it('catches the violations it is meant to catch', () => {
    expect(violations(join(ROOT, 'shared/common/x.ts'), "import { readFileSync } from 'node:fs'")).toHaveLength(1)
    expect(violations(join(ROOT, 'shared/common/x.ts'), "import fs from 'fs'")).toHaveLength(1)
    expect(violations(join(ROOT, 'shared/node/x.ts'), "import { app } from 'electron'")).toHaveLength(1)
    expect(violations(join(ROOT, 'renderer/src/x.tsx'), "import { Vault } from '../../shared/node/vault'")).toHaveLength(1)
    expect(violations(join(ROOT, 'renderer/src/x.tsx'), "const m = await import('../../electron/main/index')")).not.toHaveLength(0)
    expect(violations(join(ROOT, 'electron/cli/x.ts'), "import { BrowserWindow } from 'electron'")).toHaveLength(1)
    expect(violations(join(ROOT, 'shared/common/x.ts'), "import { spawn } from 'node:child_process'")).toHaveLength(1)
    expect(violations(join(ROOT, 'shared/common/x.ts'), "import * as z from 'zod/mini'")).toEqual([])
    expect(violations(join(ROOT, 'electron/main/x.ts'), "import { app } from 'electron'\nimport { Vault } from '../../shared/node/vault'")).toEqual([])
  })
})

describe('layering in the editor (ESLint)', () => {
  it('flags a Node built-in, shared/node or electron imported into shared/common or the renderer', async () => {
    const { ESLint } = await import('eslint')
    const eslint = new ESLint({ cwd: ROOT })
    const flagged = async (file: string, code: string): Promise<boolean> => {
      const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) })
      return (result?.messages ?? []).some((message) => message.ruleId === 'no-restricted-imports')
    }
    for (const spec of ['node:fs', 'fs', '../node/vault', '../../node/vault', 'electron']) {
      expect(await flagged('shared/common/scan/probe.ts', `import { x } from '${spec}'\nexport const y = x\n`), spec).toBe(true)
    }
    expect(await flagged('renderer/src/probe.ts', `import { x } from '../../shared/node/vault'\nexport const y = x\n`)).toBe(true)
    expect(await flagged('shared/node/probe.ts', `import { x } from 'electron'\nexport const y = x\n`)).toBe(true)
    // What the layers may import stays allowed: a sibling named like a built-in, zod, shared/common from shared/node.
    expect(await flagged('shared/common/probe.ts', `import { x } from './events'\nimport * as z from 'zod/mini'\nexport const y = [x, z]\n`)).toBe(false)
    expect(await flagged('shared/node/probe.ts', `import { x } from '../common/events'\nimport { readFileSync } from 'node:fs'\nexport const y = [x, readFileSync]\n`)).toBe(false)
  })
})
