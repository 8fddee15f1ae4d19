// Imported first by the entry, for its side effect: every chunk the CLI loads after this one is
// compiled with the V8 code cache the build wrote beside it (code-cache.ts). The build's own
// training run sets CFWRAP_WRITE_CODE_CACHE=1 to write those caches; nothing else should.
import { join } from 'node:path'
import { useCodeCache } from './code-cache'

useCodeCache(join(__dirname, 'cli'), process.env.CFWRAP_WRITE_CODE_CACHE === '1')
