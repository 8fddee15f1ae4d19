import { UserError } from '../../shared/common/errors'
import { holdSecret } from '../../shared/common/redact'
import { MAX_SECRET_BYTES, secretProblem } from '../../shared/common/secret'

/** Reads piped stdin as bytes, stopping once it is clearly more than one secret (a 32 MB pipe is not read to the end). */
async function readPipedBytes(stdin: NodeJS.ReadStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    chunks.push(chunk as Buffer)
    size += (chunk as Buffer).length
    if (size > MAX_SECRET_BYTES + 2) break
  }
  return Buffer.concat(chunks)
}

/**
 * Reads a secret from stdin: typed without echo when stdin is a terminal, otherwise the whole piped
 * input. Secrets never come from argv, where any process on the machine could read them. What is
 * read is checked before anything uses it ({@link secretProblem}), and never quoted in an error.
 */
export async function readSecretFromStdin(prompt: string): Promise<string> {
  const stdin = process.stdin
  let text: string
  if (stdin.isTTY) {
    process.stderr.write(prompt)
    text = await new Promise<string>((resolve, reject) => {
      let typed = ''
      stdin.setRawMode(true)
      stdin.resume()
      stdin.setEncoding('utf8')
      const onData = (chunk: string): void => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            stdin.setRawMode(false)
            stdin.pause()
            stdin.off('data', onData)
            process.stderr.write('\n')
            resolve(typed)
            return
          }
          if (char === '\u0003') {
            stdin.setRawMode(false)
            reject(new UserError('cancelled.', 130))
            return
          }
          typed = char === '\u007f' ? typed.slice(0, -1) : typed + char
        }
      }
      stdin.on('data', onData)
    })
  } else {
    const bytes = await readPipedBytes(stdin)
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      throw new UserError('the secret on stdin is not valid UTF-8 text; pipe in exactly the token.')
    }
  }
  // A trailing newline (echo, a password manager) and surrounding spaces are not part of a token.
  const secret = text.replace(/^[ \t]+|[ \t\r\n]+$/g, '')
  if (!secret) throw new UserError('no secret on stdin; pipe it in (e.g. from your password manager) or type it at the prompt.')
  holdSecret(secret)
  const problem = secretProblem(secret)
  if (problem !== null) throw new UserError(`the secret on stdin ${problem}.`)
  return secret
}
