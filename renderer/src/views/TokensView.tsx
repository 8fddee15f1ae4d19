import { useId, useState } from 'react'
import type { Response, TokenView } from '../../../shared/common/ipc'
import { byDeadline, cfwrapCommandFor } from '../../../shared/common/token-views'
import { findTemplate } from '../../../shared/common/templates'
import { ConfirmButton } from '../components/ConfirmButton'
import { Countdown } from '../components/Countdown'
import { Prose } from '../components/Prose'
import { errorMessage, formatWhen } from '../format'
import { useScrollToItem } from '../highlight'
import type { ViewProps } from '../App'
import { Facts } from '../components/Facts'
import { CardList } from '../components/CardList'

const STATUS_LABEL: Record<TokenView['status'], string> = {
  pending: 'Being created',
  active: 'Active',
  deleting: 'Deleting…',
  'delete-failed': 'Delete failed',
  missing: 'Missing on Cloudflare',
}

/** Every token the person can run commands with: deadline countdowns, scopes, status, revoke. */
export function TokensView({ api, snapshot, highlight, navigate, notify }: ViewProps) {
  const tokens = snapshot.tokens.filter((token) => token.role === 'command').sort(byDeadline)
  const [revokeAll, setRevokeAll] = useState<Response<'revokeAll'> | null>(null)
  useScrollToItem(highlight, tokens.some((token) => token.name === highlight))

  const revoke = async (name: string) => {
    try {
      const result = await api.revoke({ name })
      notify(result.ok ? { tone: 'success', text: <>Revoked <code>{name}</code>.</> } : { tone: 'error', text: <Prose text={result.error} /> })
    } catch (reason) {
      notify({ tone: 'error', text: errorMessage(reason) })
    }
  }

  const copy = async (name: string) => {
    const command = cfwrapCommandFor(name)
    try {
      await navigator.clipboard.writeText(command)
      notify({ tone: 'info', text: <>Copied <code>{command}</code>: paste it before the command to run.</> })
    } catch {
      // Without clipboard access, show the command so it can be selected and copied by hand.
      notify({ tone: 'error', text: <>Could not reach the clipboard; copy this by hand: <code className="selectable">{command}</code></> })
    }
  }

  const runRevokeAll = async () => {
    try {
      const result = await api.revokeAll({})
      if (result.ok) setRevokeAll(result.value)
      else notify({ tone: 'error', text: <Prose text={result.error} /> })
    } catch (reason) {
      notify({ tone: 'error', text: errorMessage(reason) })
    }
  }

  return (
    <>
      <header className="view-header">
        <div>
          <h1>Tokens</h1>
          <p className="muted">Each token is deleted on Cloudflare and from the keychain at its deadline.</p>
        </div>
        {tokens.length > 0 && (
          <ConfirmButton
            title="Revoke every token?"
            body={
              <p>
                Deletes all {tokens.length} token{tokens.length === 1 ? '' : 's'} listed here, on Cloudflare and from the keychain.
                Commands using them stop working. Anything cfwrap cannot delete itself is listed afterwards with what to do.
              </p>
            }
            confirmLabel="Revoke all"
            onConfirm={runRevokeAll}
          >
            Revoke all…
          </ConfirmButton>
        )}
      </header>

      {revokeAll !== null && <RevokeAllReport report={revokeAll} onDismiss={() => setRevokeAll(null)} />}

      <CardList
        label="Tokens"
        items={tokens}
        itemKey={(token) => token.name}
        empty={
          <div className="empty">
            <p>No tokens. Mint one for the job at hand; it is deleted when its deadline passes.</p>
            <button type="button" className="primary" onClick={() => navigate({ view: 'mint' })}>
              Mint a token
            </button>
          </div>
        }
      >
        {(token) => <TokenCard token={token} highlighted={token.name === highlight} onRevoke={revoke} onCopy={copy} />}
      </CardList>

      {snapshot.foreign.length > 0 && (
        <section className="card report foreign" aria-labelledby="foreign-title">
          <h2 id="foreign-title">On Cloudflare, not this vault's</h2>
          <p className="muted">
            Named like cfwrap's tokens, but this vault never recorded them: another machine's, CI's, or made by hand. cfwrap leaves them alone;
            check them in the dashboard (My Profile → API Tokens).
          </p>
          <ul className="plain" aria-label="Foreign tokens">
            {snapshot.foreign.map((token) => (
              <li key={token.id}>
                <code>{token.name}</code> <span className="muted">({token.id}{token.expiresOn ? `, expires ${token.expiresOn}` : ', no deadline'})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  )
}

function TokenCard({
  token,
  highlighted,
  onRevoke,
  onCopy,
}: {
  token: TokenView
  highlighted: boolean
  onRevoke: (name: string) => Promise<void>
  onCopy: (name: string) => Promise<void>
}) {
  const titleId = useId()
  const template = token.template === null ? null : findTemplate(token.template)
  return (
    <article
      className={`card token status-${token.status}${highlighted ? ' highlight' : ''}`}
      aria-labelledby={titleId}
      data-item={token.name}
      tabIndex={-1}
    >
      <header className="card-header">
        <h2 id={titleId} className="token-name">
          {token.name}
        </h2>
        <span className={`badge badge-${token.status}`}>{STATUS_LABEL[token.status]}</span>
      </header>
      <p className="muted">
        {template?.title ?? token.template ?? 'Added from the dashboard'}
        {' · '}
        {token.source === 'minted' ? 'minted by cfwrap' : token.source === 'dashboard' ? 'added by hand' : 'set up'}
        {' · created '}
        {formatWhen(token.createdAt)}
      </p>
      <p className="deadline">
        <Countdown expiresAt={token.expiresAt} overdue={token.status === 'delete-failed' ? 'deletion is being retried' : 'deleting now'} />
      </p>
      {token.status === 'delete-failed' && (
        <p className="warning" role="note">
          Cloudflare has not confirmed the deletion yet (attempt {token.attempts}
          {token.lastError === null ? '' : `: ${token.lastError}`}). cfwrap keeps retrying; the token is refused to commands meanwhile.
        </p>
      )}
      {token.status === 'missing' && (
        <p className="warning" role="note">
          Cloudflare no longer has this token (deleted in the dashboard?). Revoke it here to forget it.
        </p>
      )}
      <h3 className="label">Permissions</h3>
      {token.scopes.length === 0 ? (
        <p className="muted">Unknown: added by hand, so cfwrap did not choose its permissions.</p>
      ) : (
        <ul className="scopes">
          {token.scopes.map((scope) => (
            <li key={scope}>{scope}</li>
          ))}
        </ul>
      )}
      <Facts entries={[['Fingerprint', <code>{token.fingerprint ?? 'not yet known'}</code>], token.accountId !== null && ['Account', <code>{token.accountId}</code>]]} />
      <div className="actions">
        <button type="button" onClick={() => void onCopy(token.name)} aria-label={`Copy cfwrap command for ${token.name}`}>
          Copy cfwrap command
        </button>
        <ConfirmButton
          ariaLabel={`Revoke ${token.name}`}
          title="Revoke this token?"
          body={
            <p>
              Deletes <code>{token.name}</code> on Cloudflare and from the keychain now. Commands using it stop working.
            </p>
          }
          confirmLabel="Revoke"
          onConfirm={() => onRevoke(token.name)}
        >
          Revoke…
        </ConfirmButton>
      </div>
    </article>
  )
}

function RevokeAllReport({ report, onDismiss }: { report: Response<'revokeAll'>; onDismiss: () => void }) {
  return (
    <section className="card report" aria-labelledby="revoke-all-title">
      <header className="card-header">
        <h2 id="revoke-all-title">Revoke all: done</h2>
        <button type="button" className="quiet" onClick={onDismiss}>
          Dismiss
        </button>
      </header>
      <p>
        {report.deleted.length === 0 ? 'Nothing was deleted.' : `Deleted ${report.deleted.length} token${report.deleted.length === 1 ? '' : 's'}:`}
      </p>
      {report.deleted.length > 0 && (
        <ul className="plain">
          {report.deleted.map((name) => (
            <li key={name}>
              <code>{name}</code>
            </li>
          ))}
        </ul>
      )}
      {report.failed.length > 0 && (
        <>
          <h3 className="label">Not deleted yet (cfwrap keeps retrying)</h3>
          <ul className="plain">
            {report.failed.map((failure) => (
              <li key={failure.name}>
                <code>{failure.name}</code>: <Prose text={failure.error} />
              </li>
            ))}
          </ul>
        </>
      )}
      {report.rotateAlso.length > 0 && (
        <>
          <h3 className="label">Also rotate these yourself</h3>
          <ul className="rotate">
            {report.rotateAlso.map((instruction) => (
              <li key={instruction}>
                <Prose text={instruction} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
