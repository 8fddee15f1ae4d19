// The stable ids of every kind of secret the scanner reports, and the words the UI shows for each.
// Ids are part of the --json output and the IPC contract: add new ones, never rename old ones.

/** Every secret kind the scanner can report, as stable kebab-case ids. */
export const SECRET_KINDS = [
  'cloudflare-user-token',
  'cloudflare-account-token',
  'cloudflare-global-key',
  'cloudflare-legacy-token',
  'cloudflare-legacy-global-key',
  'cloudflare-oauth-token',
  'cloudflare-origin-ca-key',
  'openai-key',
  'anthropic-key',
  'google-api-key',
  'replicate-token',
  'stripe-secret-key',
  'stripe-restricted-key',
  'twilio-auth-token',
  'twilio-api-key',
  'resend-key',
  'aws-access-key-id',
  'aws-secret-access-key',
  'github-token',
  'slack-token',
  'slack-webhook',
  'private-key',
  'url-password',
  'cloudflare-access-client-secret',
  'cloudflare-turnstile-secret',
  'cloudflare-r2-secret-key',
  'cloudflare-tunnel-token',
  'groq-key',
  'huggingface-token',
  'xai-key',
  'npm-token',
  'sendgrid-key',
  'stripe-webhook-secret',
  'supabase-service-role-key',
  'twilio-api-key-secret',
  'aws-session-token',
  'generic-secret',
] as const

/** One of the stable secret-kind ids in `SECRET_KINDS`. */
export type SecretKind = (typeof SECRET_KINDS)[number]

/** The kinds `cfwrap --adopt` moves into the vault: Cloudflare API tokens, what `cfwrap --token NAME` injects. */
export const ADOPTABLE_KINDS: ReadonlySet<SecretKind> = new Set<SecretKind>(['cloudflare-user-token', 'cloudflare-account-token', 'cloudflare-legacy-token'])

/** How bad a finding is, worst first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const

/** One of `SEVERITIES`. */
export type Severity = (typeof SEVERITIES)[number]

/** What the UI says about one secret kind. */
export interface SecretKindInfo {
  /** Short name, e.g. "Cloudflare user API token". */
  title: string
  /** What the value is. */
  description: string
  /** What someone holding it can do. */
  whyItMatters: string
  /** What to do about a leaked one. */
  howToFix: string
}

const ROTATE_THEN_MOVE = 'then keep the new value in the OS keychain (or a secret manager) and reference it instead of writing it into the file.'
const CLOUDFLARE_ROTATE = `Roll or delete it in the Cloudflare dashboard (My Profile > API Tokens), ${ROTATE_THEN_MOVE} With cfwrap, mint a short-lived token per command instead of keeping a long-lived one.`

/** Title, description, impact and remedy for every secret kind, for the UI and the CLI's explanations. */
export const SECRET_KIND_INFO: Readonly<Record<SecretKind, SecretKindInfo>> = {
  'cloudflare-user-token': {
    title: 'Cloudflare user API token',
    description: 'A user-owned Cloudflare API token (prefix cfut_).',
    whyItMatters: 'It acts as you on every account and zone its policies name, until it expires or is revoked.',
    howToFix: CLOUDFLARE_ROTATE,
  },
  'cloudflare-account-token': {
    title: 'Cloudflare account API token',
    description: 'An account-owned Cloudflare API token (prefix cfat_).',
    whyItMatters: 'It keeps working when the person who made it leaves, and acts on the account with every permission it was given.',
    howToFix: `Roll or delete it under Manage Account > Account API Tokens, ${ROTATE_THEN_MOVE}`,
  },
  'cloudflare-global-key': {
    title: 'Cloudflare Global API Key',
    description: 'A Cloudflare Global API Key (prefix cfk_).',
    whyItMatters: 'With your e-mail address it has full control of every account and zone you can reach, including creating new tokens.',
    howToFix: `Roll it under My Profile > API Tokens > Global API Key, ${ROTATE_THEN_MOVE} Prefer scoped API tokens.`,
  },
  'cloudflare-legacy-token': {
    title: 'Cloudflare API token (pre-2026 format)',
    description: 'A 40-character Cloudflare API token without a prefix, recognised by the variable or header it is assigned to.',
    whyItMatters: 'Old-format tokens stay valid and often never expire; it acts with every permission it was given.',
    howToFix: CLOUDFLARE_ROTATE,
  },
  'cloudflare-legacy-global-key': {
    title: 'Cloudflare Global API Key (pre-2026 format)',
    description: 'A 37–45 character hexadecimal Global API Key, recognised by the variable or X-Auth-Key header it is assigned to.',
    whyItMatters: 'With your e-mail address it has full control of every account and zone you can reach.',
    howToFix: `Roll it under My Profile > API Tokens > Global API Key, ${ROTATE_THEN_MOVE} Prefer scoped API tokens.`,
  },
  'cloudflare-oauth-token': {
    title: 'Wrangler OAuth token',
    description: 'An OAuth access token from `wrangler login` (prefix cfoat_).',
    whyItMatters: 'It carries the scopes granted at login (Workers, Pages, D1, R2, KV…) for the logged-in user.',
    howToFix: 'Run `wrangler logout` to revoke it and remove the copy from the file; log in again where it is needed.',
  },
  'cloudflare-origin-ca-key': {
    title: 'Cloudflare Origin CA key',
    description: 'An Origin CA service key (v1.0-…), used to issue origin certificates.',
    whyItMatters: 'It can issue and revoke Origin CA certificates for your zones.',
    howToFix: `Change it under My Profile > API Tokens > Origin CA Key, ${ROTATE_THEN_MOVE}`,
  },
  'openai-key': {
    title: 'OpenAI API key',
    description: 'An OpenAI API key (sk-, sk-proj-, sk-svcacct-, sk-admin-).',
    whyItMatters: 'Anyone holding it can spend your OpenAI credit and read files and assistants of the project.',
    howToFix: `Revoke it at platform.openai.com > API keys, ${ROTATE_THEN_MOVE}`,
  },
  'anthropic-key': {
    title: 'Anthropic API key',
    description: 'An Anthropic API key (sk-ant-).',
    whyItMatters: 'Anyone holding it can spend your Anthropic credit.',
    howToFix: `Revoke it in the Anthropic Console > API keys, ${ROTATE_THEN_MOVE}`,
  },
  'google-api-key': {
    title: 'Google API key',
    description: 'A Google Cloud / Gemini API key (AIza…).',
    whyItMatters: 'Unrestricted keys can call paid Google APIs (Gemini, Maps…) on your bill.',
    howToFix: `Delete or restrict it in Google Cloud Console > APIs & Services > Credentials (or AI Studio), ${ROTATE_THEN_MOVE}`,
  },
  'replicate-token': {
    title: 'Replicate API token',
    description: 'A Replicate API token (r8_).',
    whyItMatters: 'Anyone holding it can run models on your Replicate account and bill.',
    howToFix: `Revoke it at replicate.com > Account > API tokens, ${ROTATE_THEN_MOVE}`,
  },
  'stripe-secret-key': {
    title: 'Stripe secret key',
    description: 'A Stripe secret key (sk_live_ or sk_test_).',
    whyItMatters: 'A live key can create charges, refunds and payouts and read customer data; a test key exposes test data and settings.',
    howToFix: `Roll it in the Stripe Dashboard > Developers > API keys, ${ROTATE_THEN_MOVE}`,
  },
  'stripe-restricted-key': {
    title: 'Stripe restricted key',
    description: 'A Stripe restricted key (rk_live_ or rk_test_).',
    whyItMatters: 'It can do whatever its restrictions allow on your Stripe account.',
    howToFix: `Roll it in the Stripe Dashboard > Developers > API keys, ${ROTATE_THEN_MOVE}`,
  },
  'twilio-auth-token': {
    title: 'Twilio auth token',
    description: 'A 32-character hexadecimal Twilio auth token, recognised by a TWILIO… variable name.',
    whyItMatters: 'With the Account SID it has full control of the Twilio account: send messages, place calls, read logs.',
    howToFix: `Rotate it in the Twilio Console > Account > API keys & tokens, ${ROTATE_THEN_MOVE}`,
  },
  'twilio-api-key': {
    title: 'Twilio API key SID',
    description: 'A Twilio API key SID (SK + 32 hex), which is usually stored next to its secret.',
    whyItMatters: 'Together with its secret it can call the Twilio API on your account.',
    howToFix: `Delete the API key in the Twilio Console and create a new one, ${ROTATE_THEN_MOVE}`,
  },
  'resend-key': {
    title: 'Resend API key',
    description: 'A Resend API key (re_).',
    whyItMatters: 'Anyone holding it can send e-mail from your verified domains.',
    howToFix: `Delete it at resend.com > API Keys, ${ROTATE_THEN_MOVE}`,
  },
  'aws-access-key-id': {
    title: 'AWS access key ID',
    description: 'An AWS access key ID (AKIA… long-term, ASIA… temporary).',
    whyItMatters: 'It is half of an AWS credential and names the IAM user; its secret is usually nearby.',
    howToFix: `Deactivate and delete the access key in IAM, ${ROTATE_THEN_MOVE} Prefer short-lived credentials (SSO, aws-vault).`,
  },
  'aws-secret-access-key': {
    title: 'AWS secret access key',
    description: 'A 40-character AWS secret access key, recognised by an AWS… or …SECRET_ACCESS_KEY name.',
    whyItMatters: 'With its key ID it acts as the IAM user with all of that user’s permissions.',
    howToFix: `Deactivate and delete the access key in IAM, ${ROTATE_THEN_MOVE} Prefer short-lived credentials (SSO, aws-vault).`,
  },
  'github-token': {
    title: 'GitHub token',
    description: 'A GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_).',
    whyItMatters: 'It can read and often write the repositories and organisations it was granted.',
    howToFix: `Revoke it at github.com > Settings > Developer settings (or the app that issued it), ${ROTATE_THEN_MOVE}`,
  },
  'slack-token': {
    title: 'Slack token',
    description: 'A Slack bot, user, workspace or app-level token (xoxb-, xoxp-, xoxa-, xapp-).',
    whyItMatters: 'It can read channels and post as the bot or user it belongs to.',
    howToFix: `Revoke it at api.slack.com > Your Apps > OAuth & Permissions, ${ROTATE_THEN_MOVE}`,
  },
  'slack-webhook': {
    title: 'Slack incoming webhook URL',
    description: 'A hooks.slack.com webhook URL; the URL itself is the credential.',
    whyItMatters: 'Anyone holding it can post messages into the channel.',
    howToFix: `Remove the webhook in the Slack app's Incoming Webhooks page and create a new one, ${ROTATE_THEN_MOVE}`,
  },
  'private-key': {
    title: 'Private key',
    description: 'A PEM or OpenSSH private key block (-----BEGIN … PRIVATE KEY-----).',
    whyItMatters: 'It proves identity for SSH, TLS or signing; anyone holding it can impersonate the owner.',
    howToFix: 'Replace the key pair (revoke the certificate or remove the public key from authorized_keys) and keep the new private key out of the file.',
  },
  'url-password': {
    title: 'Password in a URL',
    description: 'A password written into a connection URL (scheme://user:password@host).',
    whyItMatters: 'It opens the database, queue or service the URL points at.',
    howToFix: `Change the password on the service, ${ROTATE_THEN_MOVE}`,
  },
  'cloudflare-access-client-secret': {
    title: 'Cloudflare Access service token secret',
    description: 'The 64-hex Client Secret of a Cloudflare Access service token, sent as CF-Access-Client-Secret.',
    whyItMatters: 'With its Client ID (often beside it) it passes every Access application whose policy admits the service token.',
    howToFix: `Refresh or revoke the service token in Zero Trust > Access > Service Auth, ${ROTATE_THEN_MOVE}`,
  },
  'cloudflare-turnstile-secret': {
    title: 'Cloudflare Turnstile secret key',
    description: 'A Turnstile secret key (0x4AAAAAAA…, longer than the public site key).',
    whyItMatters: 'It validates challenge responses for the widget; with it anyone can impersonate your server to Siteverify and read its results.',
    howToFix: `Rotate the secret key in the dashboard under Turnstile > the widget > Settings, ${ROTATE_THEN_MOVE}`,
  },
  'cloudflare-r2-secret-key': {
    title: 'Cloudflare R2 secret access key',
    description: 'The 64-hex Secret Access Key of an R2 S3-compatible credential, recognised by an R2 or S3 secret-key name.',
    whyItMatters: 'With its Access Key ID it reads and writes the R2 buckets the underlying API token can reach.',
    howToFix: `Delete the R2 API token under R2 > Manage R2 API Tokens and create a new one, ${ROTATE_THEN_MOVE}`,
  },
  'cloudflare-tunnel-token': {
    title: 'Cloudflare Tunnel token',
    description: 'A cloudflared tunnel token (base64 JSON with account, tunnel id and tunnel secret; starts eyJhIjoi).',
    whyItMatters: 'Anyone holding it can run a connector for the tunnel and receive the traffic meant for your origin.',
    howToFix: `Refresh the tunnel token (cloudflared tunnel token --cred-file, or rotate in Zero Trust > Networks > Tunnels), ${ROTATE_THEN_MOVE}`,
  },
  'groq-key': {
    title: 'Groq API key',
    description: 'A Groq API key (gsk_).',
    whyItMatters: 'Anyone holding it can run models on your Groq account and quota.',
    howToFix: `Delete it at console.groq.com > API Keys, ${ROTATE_THEN_MOVE}`,
  },
  'huggingface-token': {
    title: 'Hugging Face access token',
    description: 'A Hugging Face user access token (hf_).',
    whyItMatters: 'A write token can push to your models, datasets and Spaces; a read token reads your private repositories.',
    howToFix: `Invalidate it at huggingface.co > Settings > Access Tokens, ${ROTATE_THEN_MOVE}`,
  },
  'xai-key': {
    title: 'xAI API key',
    description: 'An xAI (Grok) API key (xai-).',
    whyItMatters: 'Anyone holding it can spend your xAI credit.',
    howToFix: `Delete it in the xAI console > API Keys, ${ROTATE_THEN_MOVE}`,
  },
  'npm-token': {
    title: 'npm access token',
    description: 'An npm access token (npm_, or the value of _authToken in an .npmrc).',
    whyItMatters: 'A publish token can release new versions of your packages to everyone who installs them.',
    howToFix: `Revoke it with \`npm token revoke\` or at npmjs.com > Access Tokens, ${ROTATE_THEN_MOVE} In .npmrc, write _authToken=\${NPM_TOKEN}.`,
  },
  'sendgrid-key': {
    title: 'SendGrid API key',
    description: 'A Twilio SendGrid API key (SG.…).',
    whyItMatters: 'Anyone holding it can send e-mail as your domains, often with access to contacts.',
    howToFix: `Delete it at app.sendgrid.com > Settings > API Keys, ${ROTATE_THEN_MOVE}`,
  },
  'stripe-webhook-secret': {
    title: 'Stripe webhook signing secret',
    description: 'A Stripe webhook endpoint signing secret (whsec_).',
    whyItMatters: 'With it anyone can forge webhook events (paid invoices, completed checkouts) your server will trust.',
    howToFix: `Roll the signing secret in the Stripe Dashboard > Developers > Webhooks, ${ROTATE_THEN_MOVE}`,
  },
  'supabase-service-role-key': {
    title: 'Supabase service-role key',
    description: 'A Supabase JWT whose role claim is service_role (the anon key is public and not reported).',
    whyItMatters: 'It bypasses Row Level Security: full read and write access to every table of the project.',
    howToFix: `Rotate the JWT secret or the API keys in Supabase > Project Settings > API, ${ROTATE_THEN_MOVE}`,
  },
  'twilio-api-key-secret': {
    title: 'Twilio API key secret',
    description: 'The 32-character secret of a Twilio API key, recognised by a TWILIO… SECRET name.',
    whyItMatters: 'With its SK… key SID it calls the Twilio API on your account.',
    howToFix: `Delete the API key in the Twilio Console and create a new one, ${ROTATE_THEN_MOVE}`,
  },
  'aws-session-token': {
    title: 'AWS session token',
    description: 'A temporary AWS session token (STS), recognised by its own start or an AWS_SESSION_TOKEN name.',
    whyItMatters: 'With its ASIA… key and secret it acts as the assumed role until it expires (up to 36 hours).',
    howToFix: `Revoke the role's active sessions in IAM (Revoke active sessions) if it may be valid, ${ROTATE_THEN_MOVE} Prefer aws-vault or SSO, which keep such tokens out of files.`,
  },
  'generic-secret': {
    title: 'Secret in a secret-named variable',
    description: 'A random-looking literal assigned to a name such as *_SECRET, *_TOKEN, *_PASSWORD or *_API_KEY, of no known vendor format.',
    whyItMatters: 'Whatever the variable unlocks (a database, a signing key, a third-party API) is open to anyone who reads the file.',
    howToFix: `Change the value where it is issued, ${ROTATE_THEN_MOVE}`,
  },
}
