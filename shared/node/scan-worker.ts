// The program of a scan worker (built to out/main/scan-worker.js on its own): scans each batch of
// files it is given and posts the results back in the order given. See scan-pool.ts.
import { parentPort } from 'node:worker_threads'
import { scanFile } from './file-scan'
import { ScanBatchSchema } from './scan-pool'

parentPort?.on('message', (message: unknown) => {
  const batch = ScanBatchSchema.parse(message)
  const results = batch.files.map((entry) => scanFile(entry.path, { origin: entry.origin, gitIgnored: entry.gitIgnored }, batch.maxBytes))
  parentPort?.postMessage({ id: batch.id, results })
})
