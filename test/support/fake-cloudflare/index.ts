// The fake Cloudflare API, a file per job: catalog.ts (permission groups, error codes), types.ts
// (what the tests see), server.ts (HTTP, authentication, the token model), routes/ (one file per
// endpoint family), faults.ts, rate-limit.ts, request-schemas.ts, resources.ts, secrets.ts.
export * from './catalog'
export * from './secrets'
export * from './types'
export { startFakeCloudflare } from './server'
