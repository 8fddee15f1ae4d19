import { UserError } from '../../shared/common/errors'

/**
 * Reads a secret from stdin: typed without echo when stdin is a terminal, otherwise the whole piped
 * input. Secrets never come from argv, where any process on the machine could read them.
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
    const chunks: Buffer[] = []
    for await (const chunk of stdin) chunks.push(chunk as Buffer)
    text = Buffer.concat(chunks).toString('utf8')
  }
  const secret = text.trim()
  if (!secret) throw new UserError('no secret on stdin; pipe it in (e.g. from your password manager) or type it at the prompt.')
  if (/\s/.test(secret)) throw new UserError('the secret contains white space; paste exactly one token.')
  return secret
}
