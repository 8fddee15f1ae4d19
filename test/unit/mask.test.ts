import { describe, expect, it } from 'vitest'
import { MASK_MARKER, SecretMasker } from '../../shared/node/mask'

const SECRET = 'cfut_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0h1a2b3c4d'

function maskInChunks(input: string, cuts: number[]): string {
  const bytes = Buffer.from(input)
  const masker = new SecretMasker(SECRET)
  const out: Buffer[] = []
  let start = 0
  for (const cut of [...cuts, bytes.length]) {
    out.push(...masker.push(bytes.subarray(start, cut)))
    start = cut
  }
  out.push(...masker.flush())
  return Buffer.concat(out).toString()
}

/** A tiny deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

describe('SecretMasker', () => {
  it('replaces every occurrence in one chunk', () => {
    expect(maskInChunks(`a ${SECRET} b ${SECRET}${SECRET}\n`, [])).toBe(`a ${MASK_MARKER} b ${MASK_MARKER}${MASK_MARKER}\n`)
  })

  it('masks a secret split at every possible position', () => {
    const input = `token=${SECRET};`
    for (let cut = 0; cut <= input.length; cut++) {
      expect(maskInChunks(input, [cut])).toBe(`token=${MASK_MARKER};`)
    }
  })

  it('masks a secret split into single bytes', () => {
    const input = `x${SECRET}y`
    const cuts = Array.from({ length: input.length - 1 }, (_, i) => i + 1)
    expect(maskInChunks(input, cuts)).toBe(`x${MASK_MARKER}y`)
  })

  it('masks across random chunkings of random text with near-misses', () => {
    const random = prng(42)
    for (let round = 0; round < 300; round++) {
      const pieces: string[] = []
      const expected: string[] = []
      for (let i = 0; i < 20; i++) {
        const r = random()
        if (r < 0.2) {
          pieces.push(SECRET)
          expected.push(MASK_MARKER)
        } else if (r < 0.4) {
          // A prefix of the secret that is not the secret: must pass through untouched.
          const near = SECRET.slice(0, 1 + Math.floor(random() * (SECRET.length - 1))) + '!'
          pieces.push(near)
          expected.push(near)
        } else {
          const text = `line ${Math.floor(random() * 1e6)} ccc\n`
          pieces.push(text)
          expected.push(text)
        }
      }
      const input = pieces.join('')
      const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * input.length)).sort((a, b) => a - b)
      expect(maskInChunks(input, cuts)).toBe(expected.join(''))
    }
  })

  it('holds back only a tail that could still become the secret', () => {
    const masker = new SecretMasker(SECRET)
    expect(Buffer.concat(masker.push(Buffer.from('prompt> '))).toString()).toBe('prompt> ')
    expect(Buffer.concat(masker.push(Buffer.from('abc cfut_Ab'))).toString()).toBe('abc ')
    expect(Buffer.concat(masker.flush()).toString()).toBe('cfut_Ab')
  })

  it('does not mangle multi-byte UTF-8 around the secret', () => {
    const input = `é${SECRET}ü—✓`
    expect(maskInChunks(input, [1, 2, 9, input.length - 2])).toBe(`é${MASK_MARKER}ü—✓`)
  })
})
