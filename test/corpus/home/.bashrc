# ~/.bashrc: executed by bash(1) for non-login shells.
# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

HISTCONTROL=ignoreboth
HISTSIZE=1000
shopt -s histappend checkwinsize
export PATH="$HOME/.local/bin:$HOME/.cargo/bin:$PATH"
export EDITOR=vim
alias ll='ls -alF'

# Cloudflare
export CLOUDFLARE_API_TOKEN=cfut_BpwtGfJWwSYD1iOVfvQZhxaj7DpRPqGMRpndlBphf8dc9258
export CLOUDFLARE_ACCOUNT_ID=f59ee0253cb30603052ad2a8b587a170
export CF_ZONE_ID="62beea2746f869fc2af7ab6706766316"
# export CLOUDFLARE_API_TOKEN=cfut_tP86OVpwESx4Uk4ilcuNgKhCQOkHykLMAuFYInKJ99f83e34
export CLOUDFLARE_API_KEY='9e344b0e45f189236b16c8b31a54e135695ce'
export CLOUDFLARE_EMAIL=dev@example.com
export CLOUDFLARE_DEPLOY_COMMIT=69a5816f83fd5904d7112e88e26393ce18c04284
export CF_API_KEY_SHA1=ec56a39c8dd617093c498659a050fe1d63e95a4a

# AI
export OPENAI_API_KEY="sk-proj--lKix49JJuCD6TkS4w25TwXlrFTgrfgXJvlPivwFJf2ZXlDoVy5SRU44UOiZjgG0KxVVZv384JAwf-PqtkL3XcjzJs2E_DtRZGGD55Abhogxtpu-915tv3adDXOOrZdNmBnY3QgY8a4TH7QEemGdXGx3ZAqc"
export ANTHROPIC_API_KEY=sk-ant-api03-uN8qc2Yg3bFSRTOdLCHb44_un1sJiWEYs0jR5SSkPhrSgY_xNbG-dvSGn8RTV4yxw6jl-mJUFZFy5ZjPhd6dp55mCTVY_AA
GEMINI_API_KEY=AIzauOe_XzWKoXXbzURb17jqyDJLt04XH9cVizo
REPLICATE_API_TOKEN=r8_1BdIz2ML5Ce0uenGMfbfeT9luRDdMJ4S9HEHS
export OPENAI_ORG_ID=org-14a0ff884b8b3afe9d285ac0

# AWS
export AWS_ACCESS_KEY_ID=AKIAYO0LVQGWW3RHDB8Q
export AWS_SECRET_ACCESS_KEY=8nHsbtmp/KcZ/IIUTrcSEI4ZqHr8CVjMcVEqGMhw
export AWS_DEFAULT_REGION=eu-west-1
export AWS_ACCOUNT_ID=123456789012
# The examples from AWS's documentation are not secrets:
# export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
# export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

export GITHUB_TOKEN=$(gh auth token)
export NPM_TOKEN="${NPM_TOKEN:-}"
export HOMEBREW_GITHUB_API_TOKEN=ghp_h3niGvqFZift8q8VsMXhK6w9Hdt8JmkGuV9h
export LANG=en_US.UTF-8 STRIPE_SECRET_KEY=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 PAGER=less
DB_USER=app; export DATABASE_URL="postgres://app:zVlMlTp7spaQzTLZcyEs@db.internal:5432/app"
export SLACK_BOT_TOKEN=xoxb-697162101096-1808233408009-UVR6yO1cjf08cCJcKCUOvPFa # team bot
export TASK_RUNNER=disk-cleanup-task-runner-with-a-very-long-name
[ -f ~/.bash_aliases ] && . ~/.bash_aliases
if [ -d "$HOME/.nvm" ]; then export NVM_DIR="$HOME/.nvm"; fi
export GEMINI_API_KEY
