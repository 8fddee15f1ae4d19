import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** inotify watches process `pid` holds, read from the kernel (/proc/PID/fdinfo): what the user's limit counts. */
export function inotifyWatches(pid: number | 'self' = 'self'): number {
  let watches = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue
      watches += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n').filter((line) => line.startsWith('inotify wd:')).length
    } catch {
      // Closed while listing.
    }
  }
  return watches
}
