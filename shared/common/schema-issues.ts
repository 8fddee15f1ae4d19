/**
 * The one place schema problems become words. zod/mini ships without English messages (every issue
 * reads "Invalid input"), so the wording is ours. Built from an issue's code and path only: an issue
 * may carry the offending value in `input`, and that value must never be echoed (it can be a
 * credential pasted into the wrong field, or the minting secret of `setupMinting`).
 */
import type * as z from 'zod/mini'

/** One schema problem in plain words, naming the field but never its value. */
export function describeIssue(issue: z.core.$ZodIssue, whole = 'the request'): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : whole
  switch (issue.code) {
    case 'invalid_type':
      return `${field} should be ${issue.expected === 'undefined' ? 'left out' : `a ${issue.expected}`}`
    case 'unrecognized_keys':
      // Field names, not values; cut short in case a caller sends something odd as a key.
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')} in ${field}`
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`
    case 'too_small':
      return `${field} must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'character' : issue.origin === 'array' ? 'entry' : ''}${issue.minimum === 1 ? '' : 's'}`.replace(/ s$/, '')
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `${field} must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'entries'}`
        : `${field} must be at most ${String(issue.maximum)}`
    case 'invalid_format':
      return `${field} is not in the expected format`
    case 'custom':
      // Custom checks (refine) carry our own message, written without the value.
      return issue.message
    default:
      return `${field} is invalid`
  }
}

/** Every problem of a failed parse in one line, first three at most (a hostile input can have thousands). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], whole?: string): string {
  const shown = issues.slice(0, 3).map((issue) => describeIssue(issue, whole))
  return issues.length > 3 ? `${shown.join('; ')}; and ${issues.length - 3} more` : shown.join('; ')
}
