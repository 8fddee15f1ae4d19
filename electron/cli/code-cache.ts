import Module from 'node:module'
import { dirname, sep } from 'node:path'
import { Script } from 'node:vm'
import { replaceFileAtomic } from '../../shared/node/fs-atomic'
import { readRegularFile } from '../../shared/node/safe-read'

// V8 code caches for the CLI's chunks: compiling the bundle is the largest part of cfwrap's own
// start-up (~7–14 ms of ~45 on the benchmark machine), and Node 20 has no compile cache of its
// own (module.enableCompileCache is Node 22). The caches are written once, at build time, next to
// the chunks they belong to (out/main/cli/NAME.js.v8cache), so they are exactly as trusted as the
// code: nothing is cached in a directory the user (or an agent) writes at run time. V8 checks each
// cache against its own version, its flags and the source, and rejects one that does not match;
// the chunk is then compiled as usual, so a stale, foreign or damaged cache costs nothing but time.

/** How the caches fared in this process (for the tests). */
export interface CodeCacheStats {
  accepted: number
  rejected: number
  missing: number
  written: number
}

/** A cache larger than this is not V8's for a chunk of ours: it is not read. */
const MAX_CACHE_BYTES = 8 * 1024 * 1024

type CompileFn = (this: Module, content: string, filename: string) => unknown
interface ModuleInternals {
  prototype: { _compile: CompileFn }
  wrap(script: string): string
  _resolveFilename(request: string, parent: Module, isMain: boolean, options?: unknown): string
  _cache: unknown
  _extensions: unknown
}

/** The cache file of one chunk. */
function cachePathOf(chunk: string): string {
  return `${chunk}.v8cache`
}

/**
 * Compiles every CommonJS module under `root` with its V8 code cache when there is one. With
 * `write`, the caches of the modules this process ran are written at exit instead (the build does
 * this with a run of the wrapper's own path, so the functions that path calls are in them too).
 */
export function useCodeCache(root: string, write: boolean): CodeCacheStats {
  const stats: CodeCacheStats = { accepted: 0, rejected: 0, missing: 0, written: 0 }
  const internals = Module as unknown as ModuleInternals
  const compile = internals.prototype._compile
  const prefix = root.endsWith(sep) ? root : root + sep
  const ran: Array<{ script: Script; file: string }> = []
  internals.prototype._compile = function compileWithCache(this: Module, content: string, filename: string): unknown {
    // A chunk that may call import() compiles as usual: a vm.Script's import() needs Node's
    // loader behind it, and on Node 20 that is still an experimental option that warns on use.
    if (!filename.startsWith(prefix) || content.includes('import(')) return compile.call(this, content, filename)
    // Never through a link: the cache is only as trusted as the directory it was built into.
    const read = write ? undefined : readRegularFile(cachePathOf(filename), MAX_CACHE_BYTES, { followLinks: false })
    const cachedData = read && 'bytes' in read ? read.bytes : undefined
    const script = new Script(internals.wrap(content), { filename, cachedData })
    if (cachedData === undefined) stats.missing++
    else if (script.cachedDataRejected) stats.rejected++
    else stats.accepted++
    if (write) ran.push({ script, file: cachePathOf(filename) })
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown
    const moduleRequire = ((id: string) => this.require(id)) as NodeJS.Require
    moduleRequire.resolve = ((request: string, options?: unknown) => internals._resolveFilename(request, this, false, options)) as NodeJS.RequireResolve
    moduleRequire.main = require.main
    moduleRequire.cache = internals._cache as NodeJS.Require['cache']
    moduleRequire.extensions = internals._extensions as NodeJS.Require['extensions']
    return wrapper.call(this.exports, this.exports, moduleRequire, this, filename, dirname(filename))
  }
  if (write) {
    process.on('exit', () => {
      for (const { script, file } of ran) {
        // Atomic: a reader sees the old cache or the new one, never half of one. Readable by
        // all, like the chunk it belongs to.
        replaceFileAtomic(file, script.createCachedData(), 0o644)
        stats.written++
      }
    })
  }
  return stats
}
