# .bash_profile
[[ -f ~/.bashrc ]] && source ~/.bashrc
export GOPATH=$HOME/go
export GITHUB_TOKEN=gho_R2yNtG5ffwBRnPnHLJfqfaMVNpY11yYBuhhV
# Réglages de déploiement (café)
export DEPLOY_HOOK=https://hooks.slack.com/services/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
export SLACK_APP_TOKEN=xapp-1-AMNNTJK9HVS-7012900479036-28ba6525e396444fea120ebbfee749d8f62a1b59898c929ade9d0ef19c08c08a
export REDIS_URL=redis://:8Pqy0JU7z0tevbmGVXeX@cache.internal:6379/0
export AMQP_URL=amqp://guest:guest@localhost:5672//
export MONGO_URL="mongodb+srv://svc:8uQCaIQlj4RoYmHlqGrC@cluster0.abcde.mongodb.net/app?retryWrites=true&w=majority"
export MYSQL_URL=mysql://root:password@127.0.0.1:3306/dev
export PG_URL=postgres://app:${PGPASSWORD}@db:5432/app
export SENTRY_DSN=https://0f4c2a9e1b7d4e3a8c6b5a4f3e2d1c0b@o123456.ingest.sentry.io/1234567
