import { CLOUDFLARE_CREDENTIAL_VARS, type CloudflareCredentialVar } from './credentials'

/** A Cloudflare credential variable that a shell start-up file exports, with any value. */
export interface ProfileCredentialExport {
  variable: CloudflareCredentialVar
  line: number
}

const NAMES = CLOUDFLARE_CREDENTIAL_VARS.join('|')
// Exported assignments only: a plain `X=v` stays in the shell unless exported elsewhere, which
// the second pattern catches (`export X`). Values may be references (`$(op read …)`): they are
// no leak, but they still shadow the OAuth login, which is what this looks for.
const EXPORT_FORMS = new RegExp(
  String.raw`^\s*(?:export|declare\s+-[a-zA-Z]*x[a-zA-Z]*|typeset\s+-[a-zA-Z]*x[a-zA-Z]*|setenv|set\s+(?:-[a-zA-Z]*[xU][a-zA-Z]*\s+)+)\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(${NAMES})(?:=|\s+)(\S?)`,
)
const BARE_EXPORT = new RegExp(String.raw`^\s*export\s+(?:[A-Za-z_][A-Za-z0-9_]*\s+)*(${NAMES})\s*(?:$|[;#])`)
const PLAIN_ASSIGNMENT = new RegExp(String.raw`^\s*(${NAMES})=(\S)`)

/**
 * Cloudflare credential variables a shell start-up file exports (any value, references included),
 * skipping comments. Handles `export X=…`, `declare -x`, `typeset -x`, fish `set -gx`/`set -Ux`,
 * csh `setenv`, and `X=…` followed later by `export X`.
 */
export function profileCredentialExports(text: string): ProfileCredentialExport[] {
  const found: ProfileCredentialExport[] = []
  const assigned = new Map<string, number>()
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = raw.replace(/^\uFEFF/, '')
    if (/^\s*#/.test(line)) return
    const exported = EXPORT_FORMS.exec(line)
    if (exported && exported[2] && exported[2] !== '"' && exported[2] !== "'") {
      found.push({ variable: exported[1] as CloudflareCredentialVar, line: index + 1 })
      return
    }
    if (exported && (exported[2] === '"' || exported[2] === "'")) {
      // Quoted: exported unless the quotes are empty.
      const after = line.slice(line.indexOf(exported[1] as string) + (exported[1] as string).length + 1)
      if (!/^(""|'')/.test(after)) found.push({ variable: exported[1] as CloudflareCredentialVar, line: index + 1 })
      return
    }
    const plain = PLAIN_ASSIGNMENT.exec(line)
    if (plain) {
      if (!/^(""|'')/.test(line.slice(line.indexOf('=') + 1).trim())) assigned.set(plain[1] as string, index + 1)
      return
    }
    const bare = BARE_EXPORT.exec(line)
    if (bare && assigned.has(bare[1] as string)) {
      found.push({ variable: bare[1] as CloudflareCredentialVar, line: assigned.get(bare[1] as string) as number })
    }
  })
  return found
}
