export CLOUDFLARE_API_TOKEN="${CLOUDFLARE_API_TOKEN:-3PKbczlS_3gdoTBWuSUcDR-jAEgiVpLRg4ixg8J9}"
: ${CF_API_KEY:=86428f112ffc6a8beed7dab799c0a068bbfd1}
export EDITOR="${EDITOR:-vim}"
export GITHUB_TOKEN="${GITHUB_TOKEN:-$(gh auth token)}"
launchctl setenv GROQ_API_KEY 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
export DATABASE_URL=postgres://app:mypassword@localhost:5432/app
export REDIS_URL=redis://:changeme@127.0.0.1:6379/0
export MONGO_URL=mongodb://root:pass@db.example.com:27017/app
export AMQP_URL=amqp://guest:guest@rabbitmq:5672
export MINIO_URL=http://minioadmin:minioadmin@minio.local:9000
export STAGING_DB=postgres://app:********@db.staging.acme.io/app
export PROD_DB=postgres://app:ptAZOQwIPHc3xndKFcyZ@db.prod.acme.io:5432/app
