import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORPUS_DIR, buildCorpus, type CorpusLabels, type ExpectedFinding } from '../corpus/generate'
import { FindingSchema, SECRET_KINDS, scanBytes, type Finding, type ScanResult, type SecretKind } from '../../shared/common/scan'

const labels = JSON.parse(readFileSync(join(CORPUS_DIR, 'labels.json'), 'utf8')) as CorpusLabels
const paths = Object.keys(labels.files).sort()

/** Every corpus file scanned once, as the watcher would: bytes in, with the labelled context. */
const results = new Map<string, { bytes: Uint8Array; result: ScanResult }>(
  paths.map((path) => {
    const file = labels.files[path]!
    const bytes = readFileSync(join(CORPUS_DIR, path))
    return [path, { bytes, result: scanBytes(bytes, { file: path, origin: file.origin, gitIgnored: file.gitIgnored }) }]
  }),
)

/** Findings are matched to labels by file, line, column and kind; everything else is compared after matching. */
function matchKey(path: string, finding: Pick<Finding, 'line' | 'column' | 'kind'>): string {
  return `${path}:${finding.line}:${finding.column}:${finding.kind}`
}

const expectedByKey = new Map<string, ExpectedFinding>()
const actualByKey = new Map<string, Finding>()
for (const path of paths) {
  for (const finding of labels.files[path]!.findings) expectedByKey.set(matchKey(path, finding), finding)
  for (const finding of results.get(path)!.result.findings) actualByKey.set(matchKey(path, finding), finding)
}

describe('secret scanner on the labelled corpus', () => {
  it('is the corpus the generator produces (deterministic, up to date)', () => {
    const { files, labels: regenerated } = buildCorpus()
    expect(regenerated).toEqual(labels)
    expect([...files.keys()].sort()).toEqual(paths)
    for (const [path, bytes] of files) expect(Buffer.from(results.get(path)!.bytes).equals(Buffer.from(bytes)), path).toBe(true)
  })

  it('covers every secret kind and every severity', () => {
    const kinds = new Set([...expectedByKey.values()].map((finding) => finding.kind))
    expect([...kinds].sort()).toEqual([...SECRET_KINDS].sort())
    const severities = new Set([...expectedByKey.values()].map((finding) => finding.severity))
    expect([...severities].sort()).toEqual(['critical', 'high', 'low', 'medium'])
  })

  it('has recall and precision 1.0 for every kind', () => {
    const rows: { kind: SecretKind; expected: number; found: number; truePositives: number; recall: number; precision: number }[] = []
    for (const kind of SECRET_KINDS) {
      const expected = [...expectedByKey].filter(([, finding]) => finding.kind === kind)
      const found = [...actualByKey].filter(([, finding]) => finding.kind === kind)
      const truePositives = found.filter(([key]) => expectedByKey.has(key)).length
      rows.push({
        kind,
        expected: expected.length,
        found: found.length,
        truePositives,
        recall: expected.length === 0 ? 1 : truePositives / expected.length,
        precision: found.length === 0 ? 1 : truePositives / found.length,
      })
    }
    const table = rows.map((row) => `${row.kind.padEnd(30)} ${String(row.expected).padStart(4)} ${String(row.found).padStart(6)} ${row.recall.toFixed(2).padStart(7)} ${row.precision.toFixed(2).padStart(10)}`)
    console.log([`${'kind'.padEnd(30)} ${'want'.padStart(4)} ${'found'.padStart(6)} ${'recall'.padStart(7)} ${'precision'.padStart(10)}`, ...table].join('\n'))

    const missing = [...expectedByKey.keys()].filter((key) => !actualByKey.has(key))
    const unexpected = [...actualByKey.keys()].filter((key) => !expectedByKey.has(key))
    expect(missing, 'labelled findings the scanner missed').toEqual([])
    expect(unexpected, 'findings nobody labelled').toEqual([])
    for (const row of rows) {
      expect(row.recall, row.kind).toBe(1)
      expect(row.precision, row.kind).toBe(1)
    }
  })

  it('gives every finding its labelled severity, variable and fingerprint', () => {
    for (const [key, expected] of expectedByKey) {
      const actual = actualByKey.get(key)
      if (actual === undefined) continue // reported by the recall test
      expect({ key, severity: actual.severity, variable: actual.variable, fingerprint: actual.fingerprint }).toEqual({
        key,
        severity: expected.severity,
        variable: expected.variable,
        fingerprint: expected.fingerprint,
      })
    }
  })

  it('names one secret by one fingerprint in every file it appears in', () => {
    const filesByFingerprint = new Map<string, Set<string>>()
    for (const path of paths) {
      for (const finding of results.get(path)!.result.findings) {
        const files = filesByFingerprint.get(finding.fingerprint) ?? new Set<string>()
        files.add(path)
        filesByFingerprint.set(finding.fingerprint, files)
      }
    }
    const sharedAcrossFiles = [...filesByFingerprint.values()].filter((files) => files.size > 1)
    expect(sharedAcrossFiles.length).toBeGreaterThanOrEqual(4)
  })

  it('keeps the contract: schema-valid findings that never contain the secret', () => {
    for (const path of paths) {
      const { bytes, result } = results.get(path)!
      const json = JSON.stringify(result)
      const text = new TextDecoder(bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : 'utf-8').decode(bytes)
      const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
      for (const finding of result.findings) {
        expect(FindingSchema.safeParse(finding).success).toBe(true)
        expect(finding.file).toBe(path)
      }
      for (const expected of labels.files[path]!.findings) {
        const secret = (lines[expected.line - 1] ?? '').slice(expected.column - 1, expected.column - 1 + expected.length)
        expect(secret.length, `${path}:${expected.line}`).toBe(expected.length)
        // A private key's header is not secret; its body is checked by length of the JSON instead.
        if (expected.kind !== 'private-key') expect(json.includes(secret), `${path}:${expected.line} leaks its secret`).toBe(false)
      }
      expect(json.length).toBeLessThan(400 * (result.findings.length + 1))
    }
  })

  it('skips the binary file and scans the Latin-1 profile lossily', () => {
    for (const path of paths) {
      const file = labels.files[path]!
      const { result } = results.get(path)!
      expect(result.skipped?.reason, path).toBe(file.skipped)
      expect((result.invalidUtf8Replacements ?? 0) > 0, path).toBe(file.invalidUtf8 === true)
    }
  })

  it('finds nothing in the documentation file full of placeholders and sample keys', () => {
    expect(results.get('project/README.md')!.result.findings).toEqual([])
  })
})
