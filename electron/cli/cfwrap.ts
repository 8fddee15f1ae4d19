#!/usr/bin/env node
// The cfwrap entry. The first import starts the keychain read for `--token NAME` (prefetch.ts);
// everything after it evaluates while the keychain answers on a worker thread. Running a command
// is bundled into this one file; every other mode is a chunk loaded only when chosen.
import './prefetch-start'
import { main } from './main'

void main(process.argv.slice(2))
