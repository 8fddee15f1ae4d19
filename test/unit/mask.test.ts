import { describe, expect, it } from 'vitest'
import { MASK_MARKER, SecretMasker } from '../../shared/node/mask'

const SECRET = 'cfut_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0h1a2b3c4d'

function maskInChunks(input: string, cuts: number[], secret: string = SECRET): string {
  const bytes = Buffer.from(input)
  const masker = new SecretMasker(secret)
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

  it('masks a secret whose start was held back before a large chunk, at every split', () => {
    // A large chunk after a held tail takes the path that joins only the seam, not the whole chunk.
    const filler = 'log line\n'.repeat(40)
    const input = `${filler}${SECRET}${filler}`
    for (let k = 1; k < SECRET.length; k++) {
      expect(maskInChunks(input, [filler.length + k])).toBe(`${filler}${MASK_MARKER}${filler}`)
    }
    // A held prefix that turns out not to be the secret passes through whole, in order.
    const near = `${filler}${SECRET.slice(0, 9)}!${filler}`
    expect(maskInChunks(near, [filler.length + 9])).toBe(near)
  })

  it('matches a plain replace for a self-overlapping secret, in large and small chunks', () => {
    // 'aab' in text of a and b: nearly every chunk ends in a held tail, often one that overlaps itself.
    const random = prng(7)
    for (let round = 0; round < 300; round++) {
      const secret = ['aab', 'aaab', 'abab', 'aabaa'][round % 4] as string
      const input = Array.from({ length: 50 + Math.floor(random() * 400) }, () => (random() < 0.6 ? 'a' : 'b')).join('')
      const cuts = Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * input.length)).sort((a, b) => a - b)
      expect(maskInChunks(input, cuts, secret)).toBe(input.split(secret).join(MASK_MARKER))
    }
  })
})
