#!/usr/bin/env node
// The cfwrap entry, kept tiny: it starts the keychain read for `--token NAME` first (see
// prefetch.ts), then loads the rest. Everything heavier (schemas, the vault, other modes) is
// required after that, so its load time overlaps the keychain's latency.
import { prefetchTokenSecret } from './prefetch'

// The installed shim runs this file with the app's own Electron binary as Node; a wrapped Electron
// program must not inherit that switch.
delete process.env.ELECTRON_RUN_AS_NODE
prefetchTokenSecret(process.argv.slice(2), process.env)
void import('./main').then(({ main }) => main(process.argv.slice(2)))
