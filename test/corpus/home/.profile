CF_API_KEY=92c04cf7070c9bb505e49968f97efec0f8ef0b3c5cc69
# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ]; then
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi
PATH="$HOME/bin:$PATH"
export CF_API_KEY CF_API_EMAIL
export CF_API_EMAIL=ops@example.com
export DEPLOY_KEY_SHA256=9f407298175f9d8c0ef7c09c5c012b2391d17c1fa62beb95bf9f3a50f97d0c9c
export OPENAI_API_KEY=sk-your-key-here
export OPENAI_API_KEY="<OPENAI_API_KEY>"
export ANTHROPIC_API_KEY=changeme
export STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx
export GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
export CLOUDFLARE_API_TOKEN=your-token-here
export CLOUDFLARE_API_TOKEN=REPLACE_ME
export CF_API_TOKEN=TODO
export CLOUDFLARE_API_TOKEN=
export CLOUDFLARE_API_TOKEN=""
export CLOUDFLARE_API_TOKEN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
export CLOUDFLARE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
export CLOUDFLARE_API_TOKEN=0123456789abcdefghij0123456789abcdefghij
export CLOUDFLARE_API_TOKEN=example
export CLOUDFLARE_API_TOKEN="$(security find-generic-password -s cloudflare -w)"
export CLOUDFLARE_API_TOKEN=`pass show cloudflare/token`
export CLOUDFLARE_API_TOKEN=op://Private/Cloudflare/credential
export CLOUDFLARE_API_TOKEN=vault:secret/data/cloudflare#token
export CLOUDFLARE_API_TOKEN=${CF_TOKEN}
export CLOUDFLARE_API_TOKEN=$CF_TOKEN
export CLOUDFLARE_API_KEY=fffffffffffffffffffffffffffffffffffff
export CLOUDFLARE_API_TOKEN=ExampleTokenDoNotUse_QQQQQQQQQQQQQQQQQQQ
