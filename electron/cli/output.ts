import { redact } from '../../shared/common/redact'

/** True when colour may be used on `stream`: a terminal, and NO_COLOR unset (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
}

/** Writes `cfwrap: <message>` to stderr, the prefix in red on a colour terminal; any secret this process holds is redacted first. */
export function printError(message: string): void {
  const prefix = useColour(process.stderr) ? '\u001b[31mcfwrap:\u001b[0m' : 'cfwrap:'
  process.stderr.write(`${prefix} ${redact(message)}\n`)
}

/** Writes a warning line to stderr, in yellow on a colour terminal; any secret this process holds is redacted first. */
export function printWarning(message: string): void {
  const text = redact(message)
  process.stderr.write(useColour(process.stderr) ? `\u001b[33m${text}\u001b[0m\n` : `${text}\n`)
}

/** "in 14m 3s", "3m ago": how far `iso` is from now, for people. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const diff = Date.parse(iso) - now
  const abs = Math.round(Math.abs(diff) / 1000)
  const text =
    abs < 60 ? `${abs}s` : abs < 3600 ? `${Math.floor(abs / 60)}m ${abs % 60}s` : abs < 86400 ? `${Math.floor(abs / 3600)}h ${Math.floor((abs % 3600) / 60)}m` : `${Math.floor(abs / 86400)}d ${Math.floor((abs % 86400) / 3600)}h`
  return diff > 0 ? `in ${text}` : `${text} ago`
}
