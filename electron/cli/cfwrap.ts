#!/usr/bin/env node
// The cfwrap entry, kept tiny: it starts the keychain read for `--token NAME` first (see
// prefetch.ts), then loads the rest. Everything heavier (schemas, the vault, other modes) is
// required after that, so its load time overlaps the keychain's latency.
import { prefetchTokenSecret } from './prefetch'

prefetchTokenSecret(process.argv.slice(2), process.env)
void import('./main').then(({ main }) => main(process.argv.slice(2)))
