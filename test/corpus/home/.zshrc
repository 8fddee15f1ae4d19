# Path to your oh-my-zsh installation.
export ZSH="$HOME/.oh-my-zsh"
ZSH_THEME="robbyrussell"
plugins=(git docker kubectl)
source $ZSH/oh-my-zsh.sh

typeset -x CF_API_TOKEN=yex94QR68XKgC4FIT4Q4LQwW3A3BgHBpn5icR_BV
declare -x CLOUDFLARE_API_TOKEN="cfat_QZkRba6u3xeQ5XUKHbBoTnQhQJZb700KfTTDP1c83676f367"
typeset -gx GITHUB_PAT=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
wrangler_login=cfoat_a_i9m-EwF22L0EQiGH9PY7w6NJh3EGP2N40mUJgnc1sj4JKgkAnrbM3PyTE6WzpF
export TWILIO_ACCOUNT_SID=ACaf91e480bfdac3c8d854c9f08b87b938
export TWILIO_AUTH_TOKEN=9b517b5eedc2178cb7c680bc60e9f6e5
export TWILIO_API_KEY=SK27ec46953087343fb4f7174804834514
export RESEND_API_KEY=re_dnB2BMDI_bS2AB3XRihnSlI8edmGMo3Fu
export STRIPE_PUBLISHABLE_KEY=pk_live_vGR9sZp9ZiSgVaE3zAUvj1U3
alias deploy='CLOUDFLARE_API_TOKEN=cfut_vJek9CZnT5VAxLNA4X5r6C7wp7vmQQrLAhmw6s7R0a79d9fa npx wrangler deploy'
export GIT_SHA=890c8a3bbec260cfa82730e72da7576cd9dbf343
export BUILD_ID=1491603a-4044-40eb-af9f-66f989f75a82
export RE_PATTERN=re_compile_cache_for_module_default_x
PROMPT='%F{green}%n@%m%f %~ %# '
bindkey -e
