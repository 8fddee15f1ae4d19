/**
 * `cfwrap --mcp`: an MCP server over stdio (the official TypeScript SDK) for coding agents. It is a
 * requester like `cfwrap` inside the sandbox: it talks to the broker over `agent.sock` and holds
 * nothing of its own. An agent asks for a token by template and waits for the person; it runs
 * allowed commands (Wrangler by default) with a granted token and gets their output back, masked;
 * it never receives a secret. Every tool call is audited by the broker with the caller's chain.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import * as z from 'zod/mini'
import { DurationParseError, parseDuration } from '../../common/duration'
import { UserError } from '../../common/errors'
import type { GrantedToken, TemplateInfo } from '../../common/broker/protocol'
import { redact } from '../../common/redact'
import { brokerCall } from '../broker/client'
import { profileTest, scanPaths } from '../file-scan'
import { runCaptured } from '../run-captured'

/** Output of `run_with_token` kept per stream; the rest is cut with a note. */
export const MAX_TOOL_OUTPUT_BYTES = 256 * 1024

/** How often `request_token` says it is still waiting. */
const PROGRESS_EVERY_MS = 5000

type ToolResult = { content: Array<{ type: 'text'; text: string }>; structuredContent?: Record<string, unknown>; isError?: boolean }

function ok(value: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value }
}

/** A tool error: one sentence the agent can act on, redacted like every message. */
function failed(error: unknown): ToolResult {
  const text = error instanceof UserError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`
  return { content: [{ type: 'text', text: redact(text.replace(/\n+/g, ' ')) }], isError: true }
}

/** Runs one tool's work: its value as the result, or what it threw as a tool error (never a crash of the server). */
async function guarded(work: () => Promise<Record<string, unknown>>): Promise<ToolResult> {
  try {
    return ok(await work())
  } catch (error) {
    return failed(error)
  }
}

/** Options of {@link startMcpServer}. */
export interface McpServerOptions {
  /** The broker's agent socket. */
  socket: string
  /** The directory `run_with_token` and `scan_for_leaks` default to. */
  cwd: string
  env: NodeJS.ProcessEnv
  version: string
}

/** Serves the six tools on stdin/stdout; resolves when stdin closes (the client went away). */
export async function startMcpServer(options: McpServerOptions): Promise<void> {
  const requester = { pid: process.pid, cwd: options.cwd }
  const call = (message: Record<string, unknown> & { op: string }, extra: Parameters<typeof brokerCall>[2] = {}) => brokerCall(options.socket, message, extra)
  const audit = (tool: string, detail: string): void => {
    void call({ op: 'audit', tool, detail: detail.slice(0, 500), requester }).catch(() => undefined)
  }
  const server = new McpServer({ name: 'cfwrap', version: options.version })

  server.registerTool(
    'list_templates',
    {
      title: 'List token templates',
      description: 'The templates a token can be asked for (built-in and the person\'s own): permissions, risk, TTL bounds, and when a person must approve. Ask request_token with one of these names.',
      inputSchema: {},
    },
    async () =>
      guarded(async () => {
        audit('list_templates', '')
        return { templates: (await call({ op: 'templates' })) as TemplateInfo[] }
      }),
  )

  server.registerTool(
    'list_tokens',
    {
      title: 'List my tokens',
      description: 'The tokens granted to you that are still usable: name, template, what each can do, deadline and seconds left. Pass a name to run_with_token.',
      inputSchema: {},
    },
    async () =>
      guarded(async () => {
        audit('list_tokens', '')
        const now = Date.now()
        const tokens = ((await call({ op: 'list' })) as GrantedToken[]).map(({ fingerprint: _fingerprint, ...token }) => ({
          ...token,
          secondsLeft: token.expiresAt === null ? null : Math.max(0, Math.round((Date.parse(token.expiresAt) - now) / 1000)),
        }))
        return { tokens }
      }),
  )

  server.registerTool(
    'request_token',
    {
      title: 'Ask for a token',
      description:
        'Asks for a time-boxed token made from a template (see list_templates), narrowed to one account, zone or bucket. A person may have to approve it first: ' +
        'this waits for the decision (progress notifications meanwhile), then returns the token\'s name and deadline, or the denial or refusal in words.',
      inputSchema: {
        template: z.string().check(z.minLength(1), z.maxLength(60)),
        project: z.string().check(z.minLength(1), z.maxLength(60)),
        env: z.string().check(z.minLength(1), z.maxLength(60)),
        ttl: z.optional(z.string().check(z.maxLength(20))),
        account: z.optional(z.string().check(z.maxLength(64))),
        zone: z.optional(z.string().check(z.maxLength(64))),
        bucket: z.optional(z.string().check(z.maxLength(64))),
        reason: z.optional(z.string().check(z.maxLength(500))),
        timeoutSeconds: z.optional(z.number().check(z.int(), z.positive(), z.maximum(24 * 3600))),
      },
    },
    async (input, extra) =>
      guarded(async () => {
        let ttlSeconds: number | undefined
        if (input.ttl !== undefined) {
          try {
            ttlSeconds = parseDuration(input.ttl)
          } catch (error) {
            if (error instanceof DurationParseError) throw new UserError(`ttl: ${error.message}`)
            throw error
          }
        }
        const ask = {
          template: input.template,
          project: input.project,
          env: input.env,
          ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
          ...(input.account !== undefined ? { accountId: input.account } : {}),
          ...(input.zone !== undefined ? { zoneId: input.zone } : {}),
          ...(input.bucket !== undefined ? { bucket: input.bucket } : {}),
        }
        audit('request_token', `${input.template} for ${input.project}/${input.env}`)
        const progressToken = extra._meta?.progressToken
        let ticks = 0
        let ticker: NodeJS.Timeout | null = null
        const progress = (message: string): void => {
          if (progressToken === undefined) return
          void extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: ++ticks, message } }).catch(() => undefined)
        }
        const timeout = new AbortController()
        const deadline = input.timeoutSeconds === undefined ? null : setTimeout(() => timeout.abort(), input.timeoutSeconds * 1000)
        try {
          const granted = (await call(
            { op: 'request', ask, reason: input.reason ?? '', requester },
            {
              signal: timeout.signal,
              onPending: (id) => {
                progress(`waiting for a person to approve request ${id}`)
                ticker = setInterval(() => progress(`still waiting for a person to approve request ${id}`), PROGRESS_EVERY_MS)
              },
            },
          )) as GrantedToken
          const { fingerprint: _fingerprint, ...token } = granted
          return { token }
        } finally {
          if (ticker) clearInterval(ticker)
          if (deadline) clearTimeout(deadline)
        }
      }),
  )

  server.registerTool(
    'run_with_token',
    {
      title: 'Run a command with a token',
      description:
        'Runs one allowed command (by default wrangler, or npx wrangler) with exactly the named token injected and every other credential removed, and returns its exit status and output ' +
        '(the secret masked, long output cut). argv is an array, never a shell string. You never see the secret.',
      inputSchema: {
        token: z.string().check(z.minLength(1), z.maxLength(120)),
        argv: z.array(z.string().check(z.maxLength(4096))).check(z.minLength(1), z.maxLength(200)),
        cwd: z.optional(z.string().check(z.maxLength(4096))),
        stdin: z.optional(z.string().check(z.maxLength(1024 * 1024))),
        timeoutSeconds: z.optional(z.number().check(z.int(), z.positive(), z.maximum(3600))),
      },
    },
    async (input) =>
      guarded(async () => {
        const allowlist = (await call({ op: 'allowlist' })) as string[][]
        if (!allowlist.some((prefix) => prefix.every((word, i) => input.argv[i] === word))) {
          throw new UserError(`only these commands may run with a token: ${allowlist.map((prefix) => prefix.join(' ')).join('; ')} (got ${JSON.stringify(input.argv[0])}).`)
        }
        audit('run_with_token', `${input.token}: ${input.argv.slice(0, 4).join(' ')}`)
        const lease = (await call({ op: 'lease', name: input.token, requester })) as GrantedToken & { secret: string }
        const run = await runCaptured({
          argv: input.argv,
          cwd: input.cwd ?? options.cwd,
          secret: lease.secret,
          accountId: null,
          ...(input.stdin !== undefined ? { stdin: input.stdin } : {}),
          timeoutMs: (input.timeoutSeconds ?? 600) * 1000,
          maxBytes: MAX_TOOL_OUTPUT_BYTES,
          env: options.env,
        })
        if (run.spawnError) throw new UserError(`cannot run ${input.argv[0]}: ${run.spawnError}.`)
        return {
          exitCode: run.exitCode,
          signal: run.signal,
          stdout: run.stdout,
          stderr: run.stderr,
          ...(run.truncated ? { note: `output was cut to ${MAX_TOOL_OUTPUT_BYTES} bytes per stream` } : {}),
          ...(run.timedOut ? { timedOut: true } : {}),
        }
      }),
  )

  server.registerTool(
    'revoke_token',
    {
      title: 'Revoke a token',
      description: 'Deletes a token granted to you, on Cloudflare and locally, when the job is done.',
      inputSchema: { token: z.string().check(z.minLength(1), z.maxLength(120)) },
    },
    async (input) =>
      guarded(async () => {
        audit('revoke_token', input.token)
        return (await call({ op: 'revoke', name: input.token })) as Record<string, unknown>
      }),
  )

  server.registerTool(
    'scan_for_leaks',
    {
      title: 'Scan for leaked secrets',
      description: 'Scans the project directory (or the given path) for secrets in plain text; returns where and what kind, never the values.',
      inputSchema: { path: z.optional(z.string().check(z.maxLength(4096))) },
    },
    async (input) =>
      guarded(async () => {
        audit('scan_for_leaks', input.path ?? options.cwd)
        const report = await scanPaths([input.path ?? options.cwd], profileTest([]))
        const findings = report.findings.map(({ file, line, column, kind, severity, fingerprint }) => ({ file, line, column, kind, severity, fingerprint }))
        return { findings, filesScanned: report.filesScanned, skipped: report.skipped.length }
      }),
  )

  const transport = new StdioServerTransport()
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve()
    process.stdin.once('end', () => resolve())
  })
  await server.connect(transport)
  await closed
  await server.close().catch(() => undefined)
}
