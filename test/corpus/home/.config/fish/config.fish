if status is-interactive
    # Commands to run in interactive sessions can go here
end
set -gx PATH $HOME/.local/bin $PATH
set -gx CLOUDFLARE_API_TOKEN cfut_FlK9EW4iMcyUU8QLYfkuJsoHjXh4zAkOMRAggMvD31e441a0
set -Ux OPENAI_API_KEY sk-jx3POvdlxp3Ka2DFapZ5JRQRyENwhEHtvQlyZUxoiuJeMlFT
set -x ANTHROPIC_API_KEY 'sk-ant-api03-_TxT3endTWx5idcE7IgOcv-jydCUvs9PNXBGr-IMLkmJfkScyE7Cn3jSxPKGccVlcBBkM_e9ziTmqRUjGkkhrTbETOvy-AA'
set -U REPLICATE_API_TOKEN r8_JivD6f4Q4PuEHR1HkKwZbPTmSZAi79KnobZfK
set -g fish_greeting ''
set -gx CF_ACCOUNT_ID 0229ec85661f4f75d78c3bd132773efe
# set -gx STRIPE_SECRET_KEY sk_test_HO2FD2OkVGNKdczSIczF6wuE
set -gx GITHUB_TOKEN (gh auth token)
set -gx AWS_SECRET_ACCESS_KEY (security find-generic-password -w -s aws)
set -gx SLACK_USER_TOKEN xoxp-635496200790-244167602812-7575267219316-63388c4659e3cc6d40a0057957e95054