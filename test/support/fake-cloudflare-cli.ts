/**
 * `npm run fake-api`: runs the fake Cloudflare API by hand, so wrangler, the SDK or cfwrap can be
 * pointed at it with `CLOUDFLARE_API_BASE_URL`. It seeds one minting token; its secret is only ever
 * written to `--token-file` (mode 0600), never printed.
 */
import { randomBytes } from 'node:crypto'
import { chmod, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fingerprint } from '../../shared/common/fingerprint'
import { PermissionScope, startFakeCloudflare, type RecordedRequest } from './fake-cloudflare'

const USAGE = `Usage: npm run fake-api -- [--port N] [--token-file PATH] [--quiet]

Runs a fake Cloudflare API v4 on 127.0.0.1 until Ctrl-C (SIGINT) or SIGTERM.

  --port N           listen on port N (default: a free port)
  --token-file PATH  write the seeded minting token's secret to PATH (mode 0600)
  --quiet            do not log one line per request
  --help             show this help

The minting token can create and manage user- and account-owned tokens and read
the user, memberships and account, so \`wrangler whoami\` works against the fake:

  CLOUDFLARE_API_BASE_URL=<base URL> CLOUDFLARE_API_TOKEN="$(cat PATH)" npx wrangler whoami
`

// Enough to mint tokens and to satisfy `wrangler whoami` (including its account lookup).
const MINTING_TOKEN_PERMISSIONS = [
  { name: 'API Tokens Write', scope: PermissionScope.user },
  { name: 'User Details Read', scope: PermissionScope.user },
  { name: 'Memberships Read', scope: PermissionScope.user },
  { name: 'Account API Tokens Write', scope: PermissionScope.account },
  { name: 'Account Settings Read', scope: PermissionScope.account },
]

// Temp file + rename, created 0600 from the start, so the secret is never readable by others.
async function writeSecretFile(filePath: string, secret: string): Promise<void> {
  const temporary = path.join(path.dirname(filePath), `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    await chmod(temporary, 0o600)
    await rename(temporary, filePath)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

function describeCaller(request: RecordedRequest): string {
  const credential = request.credential
  switch (credential.kind) {
    case 'bearer':
      return `token ${fingerprint(credential.token)}`
    case 'global-key':
      return `global key ${fingerprint(credential.key)} (${credential.email})`
    case 'malformed':
      return 'malformed Authorization'
    case 'none':
      return 'no credential'
  }
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`--port: "${text}" is not a port number`)
  return port
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'token-file': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE)
    return
  }
  const port = parsePort(values.port)
  const quiet = values.quiet ?? false
  const fake = await startFakeCloudflare({
    port,
    // A long-running fake should not keep every request forever.
    maxRecordedRequests: 10_000,
    onRequest: (request) => {
      if (quiet) return
      const status = request.status === 0 ? 'dropped' : String(request.status)
      const fault = request.fault ? ` [fault: ${request.fault}]` : ''
      process.stderr.write(`${new Date(request.at).toISOString()} ${request.method} ${request.path} -> ${status} (${describeCaller(request)})${fault}\n`)
    },
  })
  const minting = fake.seedToken({ name: 'fake-api minting token', permissions: MINTING_TOKEN_PERMISSIONS })
  const tokenFile = values['token-file']
  if (tokenFile !== undefined) await writeSecretFile(path.resolve(tokenFile), minting.value)

  const lines = [
    'Fake Cloudflare API is running.',
    `  base URL:      ${fake.url}`,
    `  account id:    ${fake.account.id} (${fake.account.name})`,
    `  user:          ${fake.user.email} (${fake.user.id})`,
    `  minting token: id ${minting.id}, fingerprint ${fingerprint(minting.value)}`,
    tokenFile !== undefined
      ? `  token secret:  written to ${path.resolve(tokenFile)} (mode 0600)`
      : '  token secret:  not shown; pass --token-file PATH to receive it',
    'Press Ctrl-C to stop.',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)

  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await fake.close()
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-api: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
