// A stand-in child for the wrapper tests: prints what it received (never the secret itself),
// exits or waits as asked. Usage: node child-script.cjs <action> [arg]
const { createHash } = require('node:crypto')
const [action, arg] = process.argv.slice(2)
const fp = (v) => (v ? createHash('sha256').update(v).digest('hex').slice(0, 12) : null)
const report = () => {
  const env = process.env
  return {
    tokenFingerprint: fp(env.CLOUDFLARE_API_TOKEN),
    accountId: env.CLOUDFLARE_ACCOUNT_ID ?? null,
    present: ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL', 'CF_API_KEY', 'CF_EMAIL'].filter((k) => k in env),
    baseUrl: env.CLOUDFLARE_API_BASE_URL ?? null,
    other: env.CFWRAP_TEST_PASSTHROUGH ?? null,
    argv: process.argv.slice(2),
  }
}
switch (action) {
  case 'env':
    process.stdout.write(`${JSON.stringify(report())}\n`)
    break
  case 'exit':
    process.exit(Number(arg))
    break
  case 'print-secret':
    // Writes the injected secret in pieces with pauses, to cross pipe chunk boundaries.
    {
      const secret = process.env.CLOUDFLARE_API_TOKEN || ''
      const half = Math.floor(secret.length / 2)
      process.stdout.write(`start ${secret.slice(0, half)}`)
      setTimeout(() => {
        process.stdout.write(`${secret.slice(half)} end\n`)
        process.stderr.write(`err ${secret}\n`)
      }, 50)
    }
    break
  case 'bulk-secret':
    // Many megabytes written as fast as possible, the secret at uneven offsets: exercises the
    // wrapper's bulk read path and chunk boundaries at every alignment.
    {
      const secret = process.env.CLOUDFLARE_API_TOKEN || ''
      const count = Number(arg ?? 500)
      const parts = []
      // Numbered, so that bytes out of order or overwritten cannot pass for the right ones.
      for (let i = 0; i < count; i++) parts.push(`${i}:`, 'x'.repeat(1 + ((i * 7919) % 65536)), secret)
      process.stdout.write(parts.join('') + '\n')
    }
    break
  case 'bulk-then-tail':
    // KiB at once, then after a pause a last few numbered lines (each with the secret), then exit:
    // with a reader that has not started reading, the wrapper has paused the child's pipe by then,
    // so the child exits while part of its output is still buffered on the wrapper's side.
    {
      const secret = process.env.CLOUDFLARE_API_TOKEN || ''
      const kilobytes = Number(arg ?? 8300)
      process.stdout.write(`${'y'.repeat(1023)}\n`.repeat(kilobytes))
      setTimeout(() => {
        const lines = []
        for (let i = 0; i < 2000; i++) lines.push(`tail ${i} ${secret}\n`)
        process.stdout.write(lines.join(''))
      }, 300)
    }
    break
  case 'wait-signal':
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        process.stdout.write(`got ${sig}\n`)
        process.exit(Number(arg ?? 0))
      })
    }
    process.stdout.write('ready\n')
    setInterval(() => {}, 1000)
    break
  case 'wait-forever':
    process.stdout.write('ready\n')
    setInterval(() => {}, 1000)
    break
  default:
    process.stderr.write(`unknown action ${action}\n`)
    process.exit(2)
}
