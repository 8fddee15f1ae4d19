// Permission-group ids by name, cached beside the state file for a day: every mint needs them and
// Cloudflare rarely changes them.
import { join } from 'node:path'
import * as z from 'zod/mini'
import { permissionGroupKey } from '../../common/policy'
import type { ScopeId } from '../../common/templates'
import { writeFileAtomic } from '../fs-atomic'
import { readPrivateFile } from '../private-files'
import { PERMISSION_GROUP_CACHE_TTL_MS } from './api'


const CacheFileSchema = z.object({
  version: z.literal(1),
  /** base URL → `permissionGroupKey(name, scope)` → entry. Keyed by URL because a fake's ids are not Cloudflare's. */
  apis: z.record(z.string(), z.record(z.string(), z.object({ id: z.string(), fetchedAt: z.number() }))),
})
type CacheFile = z.infer<typeof CacheFileSchema>

/**
 * Permission-group ids by name and scope, in memory and in `permission-groups.json` beside the state
 * file, trusted for {@link PERMISSION_GROUP_CACHE_TTL_MS}. A cache file rather than the state file:
 * the state is user data, validated strictly and written under a cross-process lock, while this is
 * disposable (a corrupt or stale file is simply ignored and refilled) and must not contend for that lock.
 */
export class PermissionGroupCache {
  private memory: CacheFile | null = null

  constructor(
    /** The cache file, or null to keep the cache in memory only. */
    readonly file: string | null,
    private readonly now: () => number = Date.now,
    readonly ttlMs: number = PERMISSION_GROUP_CACHE_TTL_MS,
  ) {}

  /** The cache file inside config directory `dir`. */
  static inDir(dir: string): PermissionGroupCache {
    return new PermissionGroupCache(join(dir, 'permission-groups.json'))
  }

  /** The cached id of group `name` at `scope` for API `baseURL`, if fresh. */
  get(baseURL: string, name: string, scope: string): string | undefined {
    const entry = this.load().apis[baseURL]?.[permissionGroupKey(name, scope as ScopeId)]
    if (!entry || this.now() - entry.fetchedAt > this.ttlMs) return undefined
    return entry.id
  }

  /** Stores ids (keyed by `permissionGroupKey`) for `baseURL` and writes the file. */
  set(baseURL: string, ids: ReadonlyMap<string, string>): void {
    const cache = this.load()
    const forApi = (cache.apis[baseURL] ??= {})
    const fetchedAt = this.now()
    for (const [key, id] of ids) forApi[key] = { id, fetchedAt }
    this.save(cache)
  }

  /** Forgets everything cached for `baseURL` (e.g. after Cloudflare refused an id). */
  invalidate(baseURL: string): void {
    const cache = this.load()
    if (!cache.apis[baseURL]) return
    delete cache.apis[baseURL]
    this.save(cache)
  }

  private load(): CacheFile {
    if (this.memory) return this.memory
    let loaded: CacheFile = { version: 1, apis: {} }
    if (this.file) {
      try {
        // Never through a link, never a FIFO: a cache is ours like the state file (and checked after each create, see mint.ts).
        const parsed = CacheFileSchema.safeParse(JSON.parse(readPrivateFile(this.file, 1024 * 1024)))
        if (parsed.success) loaded = parsed.data
      } catch {
        // Missing or unreadable: start empty, the API is asked again.
      }
    }
    this.memory = loaded
    return loaded
  }

  private save(cache: CacheFile): void {
    this.memory = cache
    if (!this.file) return
    try {
      writeFileAtomic(this.file, `${JSON.stringify(cache)}\n`)
    } catch {
      // A cache that cannot be written only costs a lookup next time.
    }
  }
}
