/**
 * Keeps every secret this process has held out of what it prints. Error messages are the leak to
 * guard: Node's own messages embed values (`ERR_INVALID_ARG_VALUE … Received 'cfut_…\x00'`), and so
 * can a native library's. Every secret the process reads (keychain, stdin, a form) is registered
 * with {@link holdSecret}; every line of error text passes {@link redact} before it is shown.
 */

const held = new Set<string>()

/** The shortest piece of a secret worth hiding on its own (shorter pieces are ordinary text). */
const MIN_PIECE = 8

/** Anything shaped like a Cloudflare credential, in case a message quotes one this process never held. */
const CREDENTIAL_SHAPED = /\bcf[a-z]{1,3}_[A-Za-z0-9]{20,}|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])/g

/** Registers a secret this process holds, so {@link redact} removes it (and its escaped forms) from any text. */
export function holdSecret(secret: string | null | undefined): void {
  if (!secret) return
  held.add(secret)
  // As JSON or util.inspect would print it, and each run of printable text between control bytes.
  const escaped = JSON.stringify(secret).slice(1, -1)
  if (escaped !== secret) held.add(escaped)
  // eslint-disable-next-line no-control-regex -- splitting at control bytes is the point
  for (const piece of secret.split(/[\u0000-\u001f\u007f]+/)) if (piece.length >= MIN_PIECE && piece !== secret) held.add(piece)
}

/** `text` with every held secret, and anything credential-shaped, replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text
  // Longest first, so a whole secret is replaced before any of its pieces.
  for (const secret of [...held].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join('[redacted]')
  return out.replace(CREDENTIAL_SHAPED, '[redacted]')
}
