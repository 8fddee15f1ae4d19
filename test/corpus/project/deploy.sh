#!/usr/bin/env bash
set -euo pipefail
ACCOUNT_ID="f59ee0253cb30603052ad2a8b587a170"
CF_API_TOKEN="${CF_API_TOKEN:?set CF_API_TOKEN}"
curl -sS -X GET "https://api.cloudflare.com/client/v4/user/tokens/verify" \
  -H "Authorization: Bearer cfut_7L3Dr1UPiK76ZGo07i1yKnicdangNKVUoiuFym5z2c8e7116" \
  -H "Content-Type: application/json"
curl -sS "https://api.cloudflare.com/client/v4/zones" -H "X-Auth-Email: ops@example.com" -H "X-Auth-Key: 9ed969a67b0d65d5be219a0aa6f6d9d5ac1a7"
curl -H "Authorization: Bearer wml44FM6CV0ub3eQMFy8KI1moSaX9TUWnJ9PUQTY" https://api.cloudflare.com/client/v4/accounts/$ACCOUNT_ID/workers/scripts
curl -H "Authorization: Bearer $CF_API_TOKEN" https://api.cloudflare.com/client/v4/user/tokens/verify
curl -fsSL "https://api.example.com/v1/export?token=cfut_0sukOD2geyQ6sIUusLcNecLZ7rAOkMVDK8uQ2HHb0d4042ee&format=csv"
curl -X POST -H 'Content-type: application/json' --data '{"text":"deployed"}' https://hooks.slack.com/services/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
git clone https://x-access-token:ghs_PhCxpFHrjPoNmtKmBp657FVjO0UYuXgZzhqW@github.com/acme/infra.git
export WRANGLER_SEND_METRICS=false
CLOUDFLARE_API_TOKEN=cfut_BpwtGfJWwSYD1iOVfvQZhxaj7DpRPqGMRpndlBphf8dc9258 npx wrangler deploy --env production
# CLOUDFLARE_API_TOKEN=cfut_XLRyKESTwBUXQ8ioe5wC0OeFktAAdvd4cO4ixrWY738d0d7f npx wrangler deploy
echo "deployed $(git rev-parse HEAD)"
curl -sS https://api.openai.com/v1/models -H "Authorization: Bearer sk-proj-4-B5k8peojiUsqC68D6LsywaV2O8ZEiGyTg0mvYUlMlJL9EAJAWTn6Xwy5NkE9KRdbuqsbhTYaE4dm_UJI8k-PFpJZES7wm4HcHoIOTtXPdavJVo_h2TFP3eUbJ3IH4JDQN3JRvl7tRme1dVzduWBcoY2aBJ"
psql "postgres://deploy:iMR0rLq9sJsnFxLxYS0R@db.internal:5432/app" -c 'select 1'
curl -u AKIAICVKWB04SCLVEKPQ:x https://example.com/upload
