import { createInterface } from 'node:readline'
import { describeTokenEvent } from '../../../shared/common/events'
import { SECRET_KIND_INFO } from '../../../shared/common/scan/kinds'
import type { Core, CoreEvent } from '../../../shared/node/core-api'
import { createCore } from '../../../shared/node/core'
import { UsageError } from '../../../shared/common/errors'
import type { Invocation } from '../args'

/** One daemon event as a flat JSON object: `type` first, never a secret (fingerprints only). */
export function daemonEventJson(event: CoreEvent, now: Date = new Date()): Record<string, unknown> {
  const time = now.toISOString()
  switch (event.type) {
    case 'token':
      return { ...event.event }
    case 'finding': {
      const { finding, knownToken, id } = event.finding
      return { type: 'finding', time, id, file: finding.file, line: finding.line, column: finding.column, kind: finding.kind, severity: finding.severity, fingerprint: finding.fingerprint, knownToken }
    }
    case 'finding-resolved':
      return { type: 'finding-resolved', time, id: event.id, file: event.file }
    case 'shadow':
      return { type: 'shadow', time, ...event.warning }
    case 'shadow-resolved':
      return { type: 'shadow-resolved', time, id: event.id, variable: event.variable, file: event.file }
    case 'finding-verified': {
      const { id, finding, verified } = event.finding
      return { type: 'finding-verified', time, id, file: finding.file, line: finding.line, fingerprint: finding.fingerprint, verified }
    }
    case 'finding-moved':
      return { type: 'finding-moved', time, id: event.id, file: event.file, line: event.line, column: event.column }
    case 'expiring-soon':
      return { type: 'expiring-soon', time, token: event.token, tokenId: event.tokenId, fingerprint: event.fingerprint, expiresAt: event.expiresAt }
  }
}

/** One daemon event as a line for people. */
export function describeDaemonEvent(event: CoreEvent): string {
  switch (event.type) {
    case 'token':
      return describeTokenEvent(event.event)
    case 'finding': {
      const { finding, knownToken } = event.finding
      return `leak: ${finding.severity} ${SECRET_KIND_INFO[finding.kind].title} at ${finding.file}:${finding.line} (fingerprint ${finding.fingerprint})${knownToken ? `: this is your token ${knownToken}` : ''}`
    }
    case 'finding-resolved':
      return `resolved: the secret in ${event.file} is gone`
    case 'shadow':
      return `shadowing: ${event.warning.message} Fix: ${event.warning.fix}`
    case 'finding-verified':
      return `checked with Cloudflare: the token in ${event.finding.finding.file}:${event.finding.finding.line} is ${event.finding.verified?.status ?? 'unknown'}`
    case 'finding-moved':
      return `moved: the secret in ${event.file} is now on line ${event.line}`
    case 'shadow-resolved':
      return `resolved: ${event.variable}${event.file ? ` in ${event.file}` : ''} no longer overrides the Wrangler login`
    case 'expiring-soon':
      return `${event.token} expires at ${event.expiresAt}`
  }
}

/**
 * Decisions typed on the daemon's terminal: `approve ID [DURATION]` or `deny ID`. Each request that
 * waits is announced with how to answer it. Returns a function that stops reading.
 */
async function promptForApprovals(core: Core): Promise<() => void> {
  const { parseDuration, DurationParseError } = await import('../../../shared/common/duration')
  const rl = createInterface({ input: process.stdin })
  const unsubscribe = core.onEvent((event) => {
    if (event.type === 'token' && event.event.type === 'broker-request' && event.event.needsApproval.length > 0) {
      process.stdout.write(`  type "approve ${event.event.requestId}" (optionally "approve ${event.event.requestId} 1h" for an hour of the same) or "deny ${event.event.requestId}"\n`)
    }
  })
  rl.on('line', (line) => {
    const [verb, id, window] = line.trim().split(/\s+/)
    if (!verb) return
    const answer = (text: string): void => void process.stdout.write(`${text}\n`)
    void (async () => {
      try {
        if ((verb === 'approve' || verb === 'a') && id) {
          const forMs = window === undefined ? undefined : parseDuration(window) * 1000
          const decided = await core.approveRequest(forMs === undefined ? { requestId: id } : { requestId: id, forMs })
          answer(`approved ${decided.requestId}${decided.until ? ` (the same until ${decided.until})` : ''}`)
        } else if ((verb === 'deny' || verb === 'd') && id) {
          answer(`denied ${(await core.denyRequest({ requestId: id })).requestId}`)
        } else {
          answer('type "approve ID [DURATION]" or "deny ID"')
        }
      } catch (error) {
        answer(`cfwrap: ${error instanceof DurationParseError ? `the duration: ${error.message}` : error instanceof Error ? error.message : String(error)}`)
      }
    })()
  })
  return () => {
    unsubscribe()
    rl.close()
  }
}

/**
 * `cfwrap --daemon [--json] [--watch PATH …]`: the same core as the tray app (reaper, leak watcher,
 * shadow detector) in the foreground, without a GUI. Each event goes to stdout, one JSON object per
 * line with `--json`. SIGINT and SIGTERM stop it cleanly with exit status 0.
 */
export async function daemonCommand(invocation: Invocation): Promise<number> {
  const json = invocation.options['--json'] === true
  const watch = (invocation.options['--watch'] as string[] | undefined) ?? []
  for (const path of watch) if (!path) throw new UsageError('--watch needs a directory.')
  // Listen for the stop signals before starting, so a signal during the first pass still stops cleanly.
  // A second signal forces the exit.
  let signals = 0
  const stopSignal = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143)
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  // A reader that went away (`| head`) must not kill the daemon with EPIPE; the events also go to the audit log.
  process.stdout.on('error', () => undefined)
  const core = createCore({ extraRoots: watch })
  core.onEvent((event) => {
    process.stdout.write(json ? `${JSON.stringify(daemonEventJson(event))}\n` : `${new Date().toISOString()} ${describeDaemonEvent(event)}\n`)
  })
  await core.start()
  if (!json) process.stderr.write('cfwrap daemon: deleting temporary tokens at their deadlines, watching for leaks and serving the broker; Ctrl-C stops it.\n')
  // The daemon's own terminal is a channel the requester does not control: requests can be decided here too.
  const stopPrompt = !json && process.stdin.isTTY ? await promptForApprovals(core) : () => undefined
  await stopSignal
  stopPrompt()
  await core.stop()
  return 0
}
