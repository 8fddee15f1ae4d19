/** What replaces a masked secret in piped output. */
export const MASK_MARKER = '[cfwrap:masked]'

const EMPTY = Buffer.alloc(0)

/**
 * Replaces every occurrence of `secret` in a byte stream with a marker, including occurrences split
 * across chunk boundaries. Only the longest tail of a chunk that could still become the secret is
 * held back, so ordinary output (a prompt, a progress line) passes through without delay.
 */
export class SecretMasker {
  private readonly secret: Buffer
  private readonly marker: Buffer
  private pending: Buffer = EMPTY

  constructor(secret: string, marker: string = MASK_MARKER) {
    if (secret.length === 0) throw new Error('SecretMasker needs a non-empty secret')
    this.secret = Buffer.from(secret, 'utf8')
    this.marker = Buffer.from(marker, 'utf8')
  }

  /** Masks one chunk; returns the bytes that are safe to emit now. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    let buffer = chunk
    let start = 0
    if (this.pending.length > 0) {
      if (chunk.length < this.secret.length * 2) {
        // A small chunk: joining it to the held tail costs nothing, and the tail may still grow.
        buffer = Buffer.concat([this.pending, chunk])
      } else {
        // A large chunk (bulk output, up to a megabyte): only an occurrence that starts in the held
        // tail spans the boundary, and it ends within the chunk's first secret.length - 1 bytes; so
        // look at tail + that head instead of copying the whole chunk behind the tail.
        const seam = Buffer.concat([this.pending, chunk.subarray(0, this.secret.length - 1)])
        const hit = seam.indexOf(this.secret)
        if (hit === -1) out.push(this.pending)
        else {
          if (hit > 0) out.push(this.pending.subarray(0, hit))
          out.push(this.marker)
          start = hit + this.secret.length - this.pending.length
        }
      }
    }
    for (let hit = buffer.indexOf(this.secret, start); hit !== -1; hit = buffer.indexOf(this.secret, start)) {
      if (hit > start) out.push(buffer.subarray(start, hit))
      out.push(this.marker)
      start = hit + this.secret.length
    }
    const held = this.heldBackLength(buffer, start)
    const end = buffer.length - held
    if (end > start) out.push(buffer.subarray(start, end))
    // Copy: the caller may reuse the chunk's memory once we return.
    this.pending = held > 0 ? Buffer.from(buffer.subarray(end)) : EMPTY
    return out
  }

  /** Emits whatever was held back; call once at end of stream. */
  flush(): Buffer[] {
    const rest = this.pending
    this.pending = EMPTY
    return rest.length > 0 ? [rest] : []
  }

  /** Length of the longest suffix of buffer[from..] that is a proper prefix of the secret. */
  private heldBackLength(buffer: Buffer, from: number): number {
    const max = Math.min(this.secret.length - 1, buffer.length - from)
    // Cheap exit for the common case: the last byte cannot start or continue the secret.
    if (max <= 0 || !this.secret.includes(buffer[buffer.length - 1] as number)) return 0
    for (let length = max; length > 0; length--) {
      if (buffer.compare(this.secret, 0, length, buffer.length - length, buffer.length) === 0) return length
    }
    return 0
  }
}
