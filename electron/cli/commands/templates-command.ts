import { formatDuration } from '../../../shared/common/duration'
import { UsageError } from '../../../shared/common/errors'
import type { TokenTemplate } from '../../../shared/common/templates'
import { readRegularFile } from '../../../shared/node/safe-read'
import type { Invocation } from '../args'
import { openService } from '../service'

/** Largest template file `--import` reads. */
const MAX_TEMPLATE_FILE_BYTES = 256 * 1024

/** `cfwrap --templates [--import FILE | --drop NAME] [--json]`. */
export async function templatesCommand(invocation: Invocation): Promise<number> {
  const service = openService()
  const file = invocation.options['--import'] as string | undefined
  const drop = invocation.options['--drop'] as string | undefined
  if (file !== undefined && drop !== undefined) throw new UsageError('--import and --drop exclude each other.')
  if (file !== undefined) {
    const read = readRegularFile(file, MAX_TEMPLATE_FILE_BYTES)
    if (!('bytes' in read)) throw new UsageError(`--import ${file}: ${read.detail}.`)
    let parsed: unknown
    try {
      parsed = JSON.parse(read.bytes.toString('utf8'))
    } catch {
      throw new UsageError(`--import ${file}: not JSON.`)
    }
    const names = await service.importTemplates(parsed)
    process.stdout.write(`stored ${names.length === 1 ? 'template' : 'templates'} ${names.join(', ')}; mint with \`cfwrap --mint ${names[0]} …\`.\n`)
    return 0
  }
  if (drop !== undefined) {
    await service.dropTemplate(drop)
    process.stdout.write(`removed template ${drop}.\n`)
    return 0
  }
  const { builtIn, custom } = await service.templates()
  if (invocation.options['--json'] === true) {
    process.stdout.write(`${JSON.stringify({ builtIn, custom })}\n`)
    return 0
  }
  const line = (template: TokenTemplate, own: boolean): string =>
    `${template.name.padEnd(18)} ${template.risk.padEnd(6)} ${formatDuration(template.defaultTtlSeconds)} (max ${formatDuration(template.maxTtlSeconds)})${template.agentSafe ? '' : ', not for agents'}${own ? ', yours' : ''}\n` +
    `    ${template.permissions.map((permission) => permission.name).join(', ')} (narrowed to one ${template.resource})\n`
  process.stdout.write([...builtIn.map((template) => line(template, false)), ...custom.map((template) => line(template, true))].join(''))
  return 0
}
