/** The text of `cfwrap --help`. */
export const HELP_TEXT = `cfwrap: run one command with one short-lived, least-privilege Cloudflare token.

Usage:
  cfwrap [--token NAME | --oauth] [--no-mask] [--] <command> [args...]
  cfwrap --add NAME [--account ID] [--expires ISO8601]   (secret read from stdin)
  cfwrap --list [--json]
  cfwrap --remove NAME
  cfwrap --bind NAME | --unbind                         (default token for this directory)
  cfwrap --setup [--account ID]                         (minting credential, secret from stdin)
  cfwrap --mint TEMPLATE --ttl DURATION [--project P] [--env E] [--owner O]
         [--account ID] [--zone ID] [--bucket NAME] [--permanent] [--name-only] [--json]
  cfwrap --revoke NAME | --revoke-all [--yes] | --reap [--json]
  cfwrap --daemon [--json] [--watch PATH ...]
  cfwrap --scan [--json] [PATH ...]
  cfwrap --doctor [--json]
  cfwrap --help | --version

Running a command:
  The command gets exactly one token in CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID when the
  token is bound to an account). CLOUDFLARE_API_TOKEN, CF_API_TOKEN, CLOUDFLARE_API_KEY,
  CLOUDFLARE_EMAIL, CF_API_KEY and CF_EMAIL from your environment are removed first.
  --token NAME   the token to inject. Without it: the token bound to this directory or its
                 nearest parent with \`cfwrap --bind NAME\`.
  --oauth        inject nothing and remove every Cloudflare credential, so Wrangler uses the
                 login from \`wrangler login\`.
  --no-mask      do not mask the secret in piped output. (Output to a terminal is never touched.)
  A bare word is always the command; options go before it. The exit status is the command's
  (128+n when it died by signal n).

Files: state and audit log in $CFWRAP_HOME, else the platform config directory
(~/.config/cfwrap on Linux). Secrets live only in the OS keychain.
Exit status: the command's; 1 on failure; 2 on a usage error. NO_COLOR turns colour off.
`
