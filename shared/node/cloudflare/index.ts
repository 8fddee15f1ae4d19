// The Cloudflare API as cfwrap uses it, by job: api.ts (operations and types), client.ts (the
// SDK-backed client), errors.ts (failures as one sentence), schemas.ts (answers validated),
// permission-groups.ts (the id cache).
export * from './api'
export { CloudflareClient, loadCloudflareSdk, type CloudflareClientOptions } from './client'
export { CloudflareApiError } from './errors'
export { PermissionGroupCache } from './permission-groups'
