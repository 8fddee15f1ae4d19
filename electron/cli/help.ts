/** The text of `cfwrap --help`. */
export const HELP_TEXT = `cfwrap: run one command with one short-lived, least-privilege Cloudflare token.

Usage:
  cfwrap [--token NAME | --oauth] [--no-mask] [--] <command> [args...]
  cfwrap --add NAME [--account ID] [--expires ISO8601]   (secret read from stdin)
  cfwrap --list [--json]
  cfwrap --remove NAME [--yes]                          (--yes: forget a live minted token here only)
  cfwrap --bind NAME | --unbind                         (default token for this directory)
  cfwrap --setup [--account ID]                         (minting credential, secret from stdin)
  cfwrap --mint TEMPLATE --ttl DURATION [--project P] [--env E] [--owner O]
         [--account ID] [--zone ID] [--bucket NAME] [--permanent] [--name-only] [--json]
  cfwrap --revoke NAME [--yes] | --revoke-all [--yes] | --reap [--json]
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

Minting time-boxed tokens (once: \`cfwrap --setup\` with a dashboard token that has "API Tokens Write",
or "Account API Tokens Write" plus --account ID for an account token; the secret is read from stdin):
  --mint TEMPLATE  workers-deploy, pages-deploy, d1-migrations, r2-upload, kv-write, queues,
                   read-only or dns-edit: each grants only what that job needs.
  --ttl DURATION   how long it lives: 90s, 15m, 1h (at least 10s; each template has a maximum).
                   --permanent mints one without a deadline.
  Defaults: --project = this directory's name, --env dev, --owner = settings or your user name,
  --account = the minting credential's account. A name already taken gets a counter (owner-2).
  It prints the token's name and deadline, never the secret:
    cfwrap --token "$(cfwrap --mint workers-deploy --ttl 15m --name-only)" wrangler deploy
  The tray app or \`cfwrap --daemon\` deletes temporary tokens at their deadline, on Cloudflare and
  here; \`cfwrap --reap\` does one pass (exit 1 if something could not be deleted yet).
  --revoke NAME deletes one now (--yes forgets a dashboard token locally); --revoke-all [--yes]
  deletes every token this vault minted and lists what else to rotate. cfwrap deletes only what
  this vault recorded: a live token that merely looks like cfwrap's (another machine's, CI's) is
  reported as foreign, never deleted.

Files: state and audit log in $CFWRAP_HOME, else the platform config directory
(~/.config/cfwrap on Linux). Secrets live only in the OS keychain.
Exit status: the command's; 1 on failure; 2 on a usage error. NO_COLOR turns colour off.
`
