// Imported first by the entry, for its side effect: ES modules evaluate in import order, so the
// keychain read starts before the rest of the CLI (schemas, the vault, the wrapper) is evaluated.
import { prefetchTokenSecret } from './prefetch'

// The installed shim runs the CLI with the app's own Electron binary as Node; a wrapped Electron
// program must not inherit that switch.
delete process.env.ELECTRON_RUN_AS_NODE
prefetchTokenSecret(process.argv.slice(2), process.env)
