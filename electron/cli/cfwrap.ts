#!/usr/bin/env node
// The cfwrap entry: a few hundred bytes on purpose. The first import starts the keychain read for
// `--token NAME` (prefetch.ts); only then is the CLI's one bundle (main) loaded, so compiling and
// evaluating it overlaps the keychain's round trip instead of preceding it. Running a command is
// in that bundle; every other mode is a chunk loaded only when chosen. Before both, the chunks
// are set to compile from the V8 code caches the build wrote beside them (code-cache.ts).
import './code-cache-start'
import './prefetch-start'

void import('./main').then(({ main }) => main(process.argv.slice(2)))
