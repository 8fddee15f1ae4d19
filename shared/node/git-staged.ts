/**
 * Secrets before they land: `cfwrap --scan --staged` scans what git would commit (the index, not
 * the work tree), and `cfwrap --install-git-hook` makes every commit of a repository run it.
 * Real `git` does the reading (`git show :path`) and finds the hooks directory (so
 * `core.hooksPath` is respected); an existing pre-commit hook is kept and still runs first.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UserError } from '../common/errors'
import { DEFAULT_MAX_SCAN_BYTES, scanBytes } from '../common/scan'
import type { FileScanReport } from './file-scan'
import { writeFileAtomic } from './fs-atomic'

function git(cwd: string, args: string[], maxBuffer = 64 * 1024 * 1024): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync('git', args, { cwd, maxBuffer })
  if (result.error) throw new UserError(`cannot run git: ${(result.error as NodeJS.ErrnoException).code ?? result.error.message}.`)
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') }
}

/** The top of the repository `cwd` is in, or a clear sentence when it is in none. */
function repositoryTop(cwd: string): string {
  const top = git(cwd, ['rev-parse', '--show-toplevel'])
  if (top.status !== 0) throw new UserError(`${cwd} is not in a git repository.`, 2, 'usage')
  return top.stdout.toString('utf8').trim()
}

/** Scans the staged content of every added, copied, modified or renamed file. Paths are the repository's. */
export function scanStaged(cwd: string, maxBytes = DEFAULT_MAX_SCAN_BYTES): FileScanReport {
  const top = repositoryTop(cwd)
  const report: FileScanReport = { findings: [], skipped: [], notices: [], filesScanned: 0, bytesScanned: 0 }
  const names = git(top, ['diff', '--cached', '--name-only', '-z', '--diff-filter=ACMR']).stdout.toString('utf8').split('\0').filter(Boolean)
  for (const name of names) {
    // Its staged size first: a huge blob costs one small call, not a read.
    const size = Number(git(top, ['cat-file', '-s', `:${name}`]).stdout.toString('utf8').trim())
    if (!(size <= maxBytes)) {
      report.skipped.push({ file: name, reason: 'too-large', detail: `${size} bytes staged, more than the ${maxBytes}-byte limit` })
      continue
    }
    const blob = git(top, ['show', `:${name}`], maxBytes + 1024)
    if (blob.status !== 0) {
      report.skipped.push({ file: name, reason: 'unreadable', detail: blob.stderr.trim().slice(0, 200) || 'git show failed' })
      continue
    }
    const result = scanBytes(blob.stdout, { file: name, origin: 'project', gitIgnored: false }, { maxBytes })
    report.filesScanned++
    report.bytesScanned += blob.stdout.length
    report.findings.push(...result.findings)
    if (result.notice) report.notices.push({ file: name, detail: result.notice })
  }
  return report
}

/** The first line cfwrap's hook carries, so it is recognised again (and never mistaken for someone else's). */
const HOOK_MARK = '# cfwrap pre-commit hook'

/** Where this repository's hooks live (`core.hooksPath` respected). */
function hooksDir(cwd: string): string {
  repositoryTop(cwd)
  return resolve(cwd, git(cwd, ['rev-parse', '--git-path', 'hooks']).stdout.toString('utf8').trim())
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** Installs the pre-commit hook that runs `cfwrap --scan --staged`; returns the hook's path and whether a previous one was kept. */
export function installGitHook(cwd: string, cfwrap: { node: string; script: string }): { path: string; kept: string | null } {
  const dir = hooksDir(cwd)
  const path = join(dir, 'pre-commit')
  const previous = join(dir, 'pre-commit.cfwrap-previous')
  let kept: string | null = existsSync(previous) ? previous : null
  if (existsSync(path) && !readFileSync(path, 'utf8').includes(HOOK_MARK)) {
    if (kept) throw new UserError(`${previous} exists already; move it away before installing cfwrap's hook.`)
    renameSync(path, previous)
    kept = previous
  }
  writeFileAtomic(
    path,
    [
      '#!/bin/sh',
      HOOK_MARK,
      '# Installed by `cfwrap --install-git-hook`: refuses a commit whose staged changes hold a secret.',
      '# `cfwrap --uninstall-git-hook` removes it and puts back the hook that was here before.',
      'previous="$(dirname "$0")/pre-commit.cfwrap-previous"',
      'if [ -x "$previous" ]; then "$previous" "$@" || exit $?; fi',
      `exec ${shellQuote(cfwrap.node)} ${shellQuote(cfwrap.script)} --scan --staged`,
      '',
    ].join('\n'),
  )
  chmodSync(path, 0o700)
  return { path, kept }
}

/** Removes cfwrap's hook and puts back the one it kept; false when there was none of cfwrap's. */
export function uninstallGitHook(cwd: string): { path: string; restored: boolean } | null {
  const dir = hooksDir(cwd)
  const path = join(dir, 'pre-commit')
  if (!existsSync(path) || !readFileSync(path, 'utf8').includes(HOOK_MARK)) return null
  unlinkSync(path)
  const previous = join(dir, 'pre-commit.cfwrap-previous')
  if (existsSync(previous)) {
    renameSync(previous, path)
    return { path, restored: true }
  }
  return { path, restored: false }
}
