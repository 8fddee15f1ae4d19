import { useId, type ReactNode } from 'react'
import type { FindingView, Result, ShadowWarning } from '../../../shared/common/ipc'
import { ADOPTABLE_KINDS, SECRET_KIND_INFO, SEVERITIES } from '../../../shared/common/scan/kinds'
import { ConfirmButton } from '../components/ConfirmButton'
import { Prose } from '../components/Prose'
import { errorMessage, formatWhen } from '../format'
import { useScrollToItem } from '../highlight'
import type { ViewProps } from '../App'
import { CardList } from '../components/CardList'

// Worst first, then the newest: the finding that needs action now is on top.
function byUrgency(a: FindingView, b: FindingView): number {
  const severity = SEVERITIES.indexOf(a.finding.severity) - SEVERITIES.indexOf(b.finding.severity)
  return severity !== 0 ? severity : b.firstSeen.localeCompare(a.firstSeen)
}

const SHADOW_SOURCE: Record<ShadowWarning['source'], string> = {
  environment: 'the environment cfwrap was started with',
  'shell-profile': 'a shell start-up file',
  dotenv: 'a .env file Wrangler loads',
}

/** Plaintext secrets found in watched files and shell profiles, each with what it is, why it matters and how to fix it. */
export function FindingsView({ api, snapshot, highlight, navigate, notify }: ViewProps) {
  const findings = [...snapshot.findings].sort(byUrgency)
  const { settings } = snapshot
  useScrollToItem(highlight, [...findings, ...snapshot.shadows].some((item) => item.id === highlight))

  /** Runs one window command and says how it went: `success` for the result, the error sentence otherwise (nothing on a quiet success). */
  const act = async <T,>(call: () => Promise<Result<T>>, success?: (value: T) => ReactNode) => {
    try {
      const result = await call()
      if (!result.ok) notify({ tone: 'error', text: <Prose text={result.error} /> })
      else if (success !== undefined) notify({ tone: 'success', text: success(result.value) })
    } catch (reason) {
      notify({ tone: 'error', text: errorMessage(reason) })
    }
  }

  const dismiss = (id: string) => act(() => api.dismissFinding({ id }))

  const revoke = (name: string) =>
    act(
      () => api.revoke({ name }),
      () => <>Revoked <code>{name}</code>. Remove the copy from the file too; it no longer works.</>,
    )

  const roll = (name: string) =>
    act(
      () => api.roll({ name }),
      () => <>Rolled <code>{name}</code>: the leaked secret no longer works; commands get the new one from the keychain. Remove the copy from the file too.</>,
    )

  const adopt = ({ finding }: FindingView) =>
    act(
      () => api.adopt({ file: finding.file, line: finding.line, fingerprint: finding.fingerprint }),
      (adopted) => (
        <>
          Moved the token to the keychain as <code>{adopted.name}</code>; the line is now a comment (backup: <code>{adopted.backup}</code>).
          {adopted.boundDir !== null && <> Commands in <code>{adopted.boundDir}</code> use it.</>}
        </>
      ),
    )

  return (
    <>
      <header className="view-header">
        <div>
          <h1>Leak findings</h1>
          <p className="muted">
            {settings.watchPaused
              ? 'Watching is paused: files are not being checked.'
              : `Watching shell start-up files and ${settings.watchedRoots.length} project folder${settings.watchedRoots.length === 1 ? '' : 's'} for secrets written in plain text.`}{' '}
            <button type="button" className="link" onClick={() => navigate({ view: 'settings' })}>
              Change watched folders
            </button>
          </p>
        </div>
      </header>

      <CardList label="Findings" items={findings} itemKey={(item) => item.id} empty={<p className="empty">No secrets found in plain text.</p>}>
        {(item) => <FindingCard item={item} highlighted={item.id === highlight} onDismiss={dismiss} onRevoke={revoke} onRoll={roll} onAdopt={adopt} />}
      </CardList>

      {snapshot.shadows.length > 0 && (
        <section aria-labelledby="shadows-title" className="section">
          <h2 id="shadows-title">Credentials that override <code>wrangler login</code></h2>
          <ul className="cards">
            {snapshot.shadows.map((shadow) => (
              <li key={shadow.id}>
                <article className={`card shadow${shadow.id === highlight ? ' highlight' : ''}`} data-item={shadow.id} tabIndex={-1} aria-label={shadow.variable}>
                  <header className="card-header">
                    <h3>
                      <code>{shadow.variable}</code> from {SHADOW_SOURCE[shadow.source]}
                    </h3>
                  </header>
                  {shadow.file !== null && (
                    <p className="location">
                      <code>
                        {shadow.file}
                        {shadow.line === null ? '' : `:${shadow.line}`}
                      </code>
                    </p>
                  )}
                  <p>
                    <Prose text={shadow.message} />
                  </p>
                  <p className="muted">Wrangler uses {shadow.effective} instead.</p>
                  <h4 className="label">How to fix</h4>
                  <p>
                    <Prose text={shadow.fix} />
                  </p>
                </article>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  )
}

/** What Cloudflare said of a leaked token, in a sentence. */
function verdictText(verdict: NonNullable<FindingView['verified']>): string {
  const ours = verdict.inVault ? ' It is one of this vault\'s tokens.' : ''
  switch (verdict.status) {
    case 'active':
      return `Cloudflare says this token still works${verdict.expiresOn ? ` (until ${verdict.expiresOn})` : ' and has no deadline'}.${ours}`
    case 'expired':
      return `Cloudflare says this token has expired.${ours}`
    case 'disabled':
      return `Cloudflare says this token is disabled.${ours}`
    case 'invalid':
      return 'Cloudflare does not know this token: it was deleted or never existed.'
    case 'unknown':
      return `Whether this token still works is unknown${verdict.detail ? `: ${verdict.detail}` : ''}.`
  }
}

function FindingCard({
  item,
  highlighted,
  onDismiss,
  onRevoke,
  onRoll,
  onAdopt,
}: {
  item: FindingView
  highlighted: boolean
  onDismiss: (id: string) => Promise<void>
  onRevoke: (name: string) => Promise<void>
  onRoll: (name: string) => Promise<void>
  onAdopt: (item: FindingView) => Promise<void>
}) {
  const titleId = useId()
  const { finding } = item
  const info = SECRET_KIND_INFO[finding.kind]
  const location = `${finding.file}:${finding.line}`
  return (
    <article className={`card finding severity-${finding.severity}${highlighted ? ' highlight' : ''}`} aria-labelledby={titleId} data-item={item.id} tabIndex={-1}>
      <header className="card-header">
        <h2 id={titleId}>{info.title}</h2>
        <span className={`badge badge-severity-${finding.severity}`}>{finding.severity}</span>
      </header>
      <p className="location">
        <code data-testid="finding-location">{location}</code>
        {finding.variable !== undefined && (
          <>
            {' '}
            in <code>{finding.variable}</code>
          </>
        )}
        {finding.exported && <span className="tag">exported to every process</span>}
        {finding.commented && <span className="tag">in a comment</span>}
      </p>
      {item.verified !== undefined && (
        <p className={`verdict verdict-${item.verified.status}`} data-testid="finding-verdict">
          {verdictText(item.verified)}
        </p>
      )}
      {item.knownToken !== null && (
        <div className="known-token">
          <p>
            This is your token <code>{item.knownToken}</code>. Revoke it (cfwrap mints a fresh one when you next need it), or roll it to keep the token with a new secret.
          </p>
          <ConfirmButton
            ariaLabel={`Revoke ${item.knownToken}`}
            title="Revoke this token?"
            body={
              <p>
                Deletes <code>{item.knownToken}</code> on Cloudflare and from the keychain now, so the copy in <code>{location}</code> stops working.
              </p>
            }
            confirmLabel="Revoke"
            onConfirm={() => onRevoke(item.knownToken as string)}
          >
            Revoke…
          </ConfirmButton>
          <ConfirmButton
            ariaLabel={`Roll ${item.knownToken}`}
            title="Roll this token's secret?"
            body={
              <p>
                Cloudflare issues <code>{item.knownToken}</code> a new secret and the one in <code>{location}</code> stops working at once; the new one goes to the
                keychain only.
              </p>
            }
            confirmLabel="Roll"
            onConfirm={() => onRoll(item.knownToken as string)}
          >
            Roll…
          </ConfirmButton>
        </div>
      )}
      <h3 className="label">Why it matters</h3>
      <p>{info.whyItMatters}</p>
      <h3 className="label">How to fix</h3>
      <p>
        <Prose text={info.howToFix} />
      </p>
      <p className="muted small">
        Fingerprint <code>{finding.fingerprint}</code> · first seen {formatWhen(item.firstSeen)}
      </p>
      <div className="actions">
        {ADOPTABLE_KINDS.has(finding.kind) && !finding.commented && (
          <ConfirmButton
            ariaLabel={`Move the token in ${location} to the keychain`}
            title="Move this token to the keychain?"
            body={
              <p>
                Stores the token in the OS keychain and replaces line {finding.line} of <code>{finding.file}</code> with a comment saying how to use it; a private backup of the
                file is kept.
              </p>
            }
            confirmLabel="Move to keychain"
            onConfirm={() => onAdopt(item)}
          >
            Move to keychain…
          </ConfirmButton>
        )}
        <button type="button" onClick={() => void onDismiss(item.id)} aria-label={`Dismiss ${info.title} in ${location}`}>
          Dismiss
        </button>
      </div>
    </article>
  )
}
