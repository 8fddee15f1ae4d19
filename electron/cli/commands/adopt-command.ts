import { relative } from 'node:path'
import * as z from 'zod/mini'
import { UsageError } from '../../../shared/common/errors'
import { parseFileLine } from '../../../shared/node/adopt'
import { optionValue, TokenNameArg, type Invocation } from '../args'
import { openService } from '../service'

const FingerprintArg = z.string().check(z.regex(/^[0-9a-f]{12}$/, 'a fingerprint is the 12 hex digits --scan prints'))

/** `cfwrap --adopt FILE:LINE [--name NAME] [--fingerprint FP] [--json]`. */
export async function adoptCommand(invocation: Invocation): Promise<number> {
  const target = parseFileLine(String(invocation.options['--adopt'] ?? ''))
  if (target === null) throw new UsageError('--adopt takes FILE:LINE, e.g. --adopt .env:3 (the place --scan printed).')
  const name = optionValue(invocation, '--name', TokenNameArg)
  const fingerprint = optionValue(invocation, '--fingerprint', FingerprintArg)
  const adopted = await openService().adopt({ file: target.file, line: target.line, ...(name !== undefined ? { name } : {}), ...(fingerprint !== undefined ? { fingerprint } : {}) })
  if (invocation.options['--json'] === true) {
    process.stdout.write(`${JSON.stringify(adopted)}\n`)
    return 0
  }
  const shown = relative(process.cwd(), adopted.file) || adopted.file
  process.stdout.write(
    `${adopted.alreadyStored ? `the token on ${shown}:${adopted.line} was already in the keychain as ${adopted.name}` : `stored the token from ${shown}:${adopted.line} in the keychain as ${adopted.name}`} (fingerprint ${adopted.fingerprint}); the line is now a comment.\n` +
      `backup of the old file (0600): ${adopted.backup}\n` +
      (adopted.boundDir ? `bound ${adopted.boundDir} to ${adopted.name}: \`cfwrap wrangler …\` there uses it.\n` : `use it with \`cfwrap --token ${adopted.name} -- <command>\`.\n`) +
      'The old value was in a file: if that file was ever shared or committed, roll the token in the dashboard.\n',
  )
  return 0
}
