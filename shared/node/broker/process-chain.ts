// The process chain of a requester, from the OS: its name and pid, its parent's, and so on up.
import { readFileSync } from 'node:fs'

/** One process of a chain. */
export interface ChainLink {
  pid: number
  name: string
}

/** Reads `/proc/<pid>/stat` for the name and parent; null when the process is gone (or this is not Linux). */
function readStat(pid: number): { name: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The name is in parentheses and may itself contain ") ": the fields after the last ")" are fixed.
    const open = stat.indexOf('(')
    const close = stat.lastIndexOf(')')
    const fields = stat.slice(close + 2).split(' ')
    return { name: stat.slice(open + 1, close), ppid: Number(fields[1]) }
  } catch {
    return null
  }
}

/**
 * The chain from `pid` up to (not including) pid 1, at most `depth` links, names as the kernel
 * keeps them (15 characters). Elsewhere than Linux, the pid alone with an unknown name.
 */
export function processChain(pid: number, depth = 8): ChainLink[] {
  if (process.platform !== 'linux') return [{ pid, name: 'unknown' }]
  const chain: ChainLink[] = []
  let current = pid
  while (current > 1 && chain.length < depth) {
    const stat = readStat(current)
    if (!stat) break
    chain.push({ pid: current, name: stat.name })
    current = stat.ppid
  }
  return chain.length > 0 ? chain : [{ pid, name: 'gone' }]
}

/** A chain in one line, requester first: `cfwrap (812) ← bash (800) ← claude (640)`. */
export function describeChain(chain: readonly ChainLink[]): string {
  return chain.map((link) => `${link.name} (${link.pid})`).join(' ← ')
}
