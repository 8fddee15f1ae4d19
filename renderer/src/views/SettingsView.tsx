import { useId, useRef, useState, type FormEvent } from 'react'
import type { MintingView, Request } from '../../../shared/common/ipc'
import { Prose } from '../components/Prose'
import { errorMessage } from '../format'
import type { ViewProps } from '../App'
import { TextField } from '../components/TextField'
import { Facts } from '../components/Facts'
import { CheckboxField } from '../components/CheckboxField'

/** Minting credential, watched folders and defaults. */
export function SettingsView(props: ViewProps) {
  return (
    <>
      <header className="view-header">
        <div>
          <h1>Settings</h1>
        </div>
      </header>
      <MintingSection {...props} />
      <WatchSection {...props} />
      <DefaultsSection {...props} />
      <ApprovalSection {...props} />
    </>
  )
}

type Outcome = { tone: 'success' | 'error'; text: string } | null

function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (outcome === null) return null
  return (
    <p className={outcome.tone === 'error' ? 'error-text' : 'success-text'} role={outcome.tone === 'error' ? 'alert' : 'status'}>
      <Prose text={outcome.text} />
    </p>
  )
}

function describeMinting(minting: MintingView): string {
  const owner = minting.owner === 'account' ? 'account-owned' : 'user-owned'
  return `${owner} token, fingerprint ${minting.fingerprint ?? 'unknown'}${minting.accountId === null ? '' : `, account ${minting.accountId}`}`
}

function MintingSection({ api, snapshot }: ViewProps) {
  const { minting } = snapshot
  // Uncontrolled on purpose: the secret is read once on submit and the field emptied at once, so it
  // never sits in React state or survives a re-render.
  const secretInput = useRef<HTMLInputElement>(null)
  const [accountId, setAccountId] = useState('')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome>(null)
  const [verified, setVerified] = useState<MintingView | null>(null)
  const ids = { secret: useId(), account: useId(), title: useId() }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const input = secretInput.current
    if (input === null) return
    // Pasted tokens often carry a trailing newline; a token never contains whitespace.
    const secret = input.value.trim()
    input.value = ''
    if (secret === '') {
      setOutcome({ tone: 'error', text: 'Paste the token first.' })
      return
    }
    setBusy(true)
    setOutcome(null)
    setVerified(null)
    try {
      const request: Request<'setupMinting'> = { secret, ...(accountId.trim() === '' ? {} : { accountId: accountId.trim().toLowerCase() }) }
      const result = await api.setupMinting(request)
      if (result.ok) {
        setVerified(result.value.minting)
        setOutcome({ tone: 'success', text: 'Verified with Cloudflare and stored in the OS keychain.' })
        setAccountId('')
      } else {
        setOutcome({ tone: 'error', text: result.error })
      }
    } catch (reason) {
      setOutcome({ tone: 'error', text: errorMessage(reason) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card section" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Minting credential</h2>
      <p className="muted">
        A token made in the Cloudflare dashboard from the &ldquo;Create Additional Tokens&rdquo; template (API Tokens Write). cfwrap uses it only to
        create and delete the short-lived tokens you mint; it is never given to a command.
      </p>
      {minting.configured ? (
        <Facts
          testId="minting-status"
          entries={[
            ['Status', 'Set up'],
            ['Owner', minting.owner === 'account' ? 'An account (account-owned token)' : 'You (user-owned token)'],
            minting.accountId !== null && ['Account', <code>{minting.accountId}</code>],
            ['Fingerprint', <code>{minting.fingerprint ?? 'unknown'}</code>],
          ]}
        />
      ) : (
        <p className="warning">Not set up: cfwrap cannot mint tokens yet.</p>
      )}
      <form className="form" onSubmit={(event) => void submit(event)} aria-label="Set up the minting credential">
        <div className="field">
          <label htmlFor={ids.secret}>{minting.configured ? 'Replace with another token' : 'Token'}</label>
          <input
            id={ids.secret}
            ref={secretInput}
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="Paste the token's secret"
            aria-describedby={`${ids.secret}-hint`}
          />
          <p id={`${ids.secret}-hint`} className="hint">
            Checked with Cloudflare, then kept only in the OS keychain. The field is emptied as soon as you submit.
          </p>
        </div>
        <TextField id={ids.account} label="Account id (for account-owned tokens)" value={accountId} onChange={setAccountId} placeholder="optional, 32 hex characters" />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Verifying…' : 'Verify and store'}
          </button>
        </div>
        <OutcomeLine outcome={outcome} />
        {verified !== null && (
          <p className="verified" data-testid="minting-verified">
            Stored {describeMinting(verified)}.
          </p>
        )}
      </form>
    </section>
  )
}

function WatchSection({ api, snapshot }: ViewProps) {
  const { settings } = snapshot
  const [path, setPath] = useState('')
  const [outcome, setOutcome] = useState<Outcome>(null)
  const ids = { path: useId(), title: useId(), pause: useId(), verify: useId() }

  const run = async (action: () => ReturnType<ViewProps['api']['addWatchedRoot']>, success: string) => {
    try {
      const result = await action()
      setOutcome(result.ok ? { tone: 'success', text: success } : { tone: 'error', text: result.error })
      return result.ok
    } catch (reason) {
      setOutcome({ tone: 'error', text: errorMessage(reason) })
      return false
    }
  }

  const add = async (event: FormEvent) => {
    event.preventDefault()
    const trimmed = path.trim()
    if (trimmed === '') return
    if (await run(() => api.addWatchedRoot({ path: trimmed }), `Watching ${trimmed}.`)) setPath('')
  }

  return (
    <section className="card section" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Watched folders</h2>
      <p className="muted">
        Shell start-up files are always checked. Add project folders to check their <code>.env</code> and config files for secrets in plain text.
      </p>
      {settings.watchedRoots.length === 0 ? (
        <p className="muted">No project folders yet.</p>
      ) : (
        <ul className="roots" aria-label="Watched folders">
          {settings.watchedRoots.map((root) => (
            <li key={root}>
              <code>{root}</code>
              <button type="button" onClick={() => void run(() => api.removeWatchedRoot({ path: root }), `Stopped watching ${root}.`)} aria-label={`Stop watching ${root}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={(event) => void add(event)} aria-label="Watch a folder">
        <div className="field grow">
          <label htmlFor={ids.path}>Folder to watch</label>
          <input id={ids.path} value={path} onChange={(event) => setPath(event.target.value)} spellCheck={false} autoComplete="off" placeholder="/home/you/projects/shop" />
        </div>
        <button type="submit" disabled={path.trim() === ''}>
          Add folder
        </button>
      </form>
      <CheckboxField
        id={ids.pause}
        label="Pause watching"
        checked={settings.watchPaused}
        onChange={(paused) => void run(() => api.setWatchPaused({ paused }), paused ? 'Watching paused.' : 'Watching resumed.')}
      />
      <CheckboxField
        id={ids.verify}
        label="Ask Cloudflare whether a leaked Cloudflare token still works (sends each one to Cloudflare's verify endpoint, at most once an hour)"
        checked={settings.verifyFindings}
        onChange={(verifyFindings) =>
          void run(
            () => api.updateSettings({ verifyFindings }),
            verifyFindings ? 'Leaked Cloudflare tokens will be checked with Cloudflare.' : 'Leaked tokens are no longer sent to Cloudflare to be checked.',
          )
        }
      />
      <OutcomeLine outcome={outcome} />
    </section>
  )
}

function DefaultsSection({ api, snapshot }: ViewProps) {
  const { settings } = snapshot
  const [prefix, setPrefix] = useState(settings.namePrefix)
  const [owner, setOwner] = useState(settings.defaultOwner)
  const [account, setAccount] = useState(settings.defaultAccountId ?? '')
  const [outcome, setOutcome] = useState<Outcome>(null)
  const ids = { prefix: useId(), owner: useId(), account: useId(), title: useId() }

  const save = async (event: FormEvent) => {
    event.preventDefault()
    const request: Request<'updateSettings'> = {
      namePrefix: prefix.trim().toLowerCase(),
      defaultOwner: owner.trim().toLowerCase(),
      defaultAccountId: account.trim() === '' ? null : account.trim().toLowerCase(),
    }
    try {
      const result = await api.updateSettings(request)
      setOutcome(result.ok ? { tone: 'success', text: 'Saved.' } : { tone: 'error', text: result.error })
    } catch (reason) {
      setOutcome({ tone: 'error', text: errorMessage(reason) })
    }
  }

  return (
    <section className="card section" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Defaults for new tokens</h2>
      <form className="form" onSubmit={(event) => void save(event)} aria-label="Defaults for new tokens">
        <div className="field-row">
          <div className="field">
            <label htmlFor={ids.prefix}>Name prefix</label>
            <input id={ids.prefix} value={prefix} onChange={(event) => setPrefix(event.target.value)} spellCheck={false} autoComplete="off" aria-describedby={`${ids.prefix}-hint`} />
            <p id={`${ids.prefix}-hint`} className="hint">
              First part of every token name; cfwrap recognises its tokens on Cloudflare by it.
            </p>
          </div>
          <div className="field">
            <label htmlFor={ids.owner}>Default owner</label>
            <input id={ids.owner} value={owner} onChange={(event) => setOwner(event.target.value)} spellCheck={false} autoComplete="off" />
          </div>
        </div>
        <div className="field">
          <label htmlFor={ids.account}>Default account id</label>
          <input id={ids.account} value={account} onChange={(event) => setAccount(event.target.value)} spellCheck={false} autoComplete="off" placeholder="32 hex characters" />
        </div>
        <div className="actions">
          <button type="submit">Save defaults</button>
        </div>
        <OutcomeLine outcome={outcome} />
      </form>
    </section>
  )
}

const RISKS = ['low', 'medium', 'high'] as const

/** When an agent's request through the broker needs the person's approval (the same policy as `cfwrap --policy`). */
function ApprovalSection({ api, snapshot }: ViewProps) {
  const policy = snapshot.settings.approvalPolicy
  const [risks, setRisks] = useState<ReadonlySet<string>>(new Set(policy.risks))
  const [envs, setEnvs] = useState(policy.envs.join(', '))
  const [aboveDefaultTtl, setAboveDefaultTtl] = useState(policy.aboveDefaultTtl)
  const [permanent, setPermanent] = useState(policy.permanent)
  const [outcome, setOutcome] = useState<Outcome>(null)
  const ids = { title: useId(), envs: useId() }

  const save = async (event: FormEvent) => {
    event.preventDefault()
    const request: Request<'updatePolicy'> = {
      risks: RISKS.filter((risk) => risks.has(risk)),
      envs: envs.split(',').map((env) => env.trim()).filter(Boolean),
      aboveDefaultTtl,
      permanent,
    }
    try {
      const result = await api.updatePolicy(request)
      setOutcome(result.ok ? { tone: 'success', text: 'Saved.' } : { tone: 'error', text: result.error })
    } catch (reason) {
      setOutcome({ tone: 'error', text: errorMessage(reason) })
    }
  }
  const toggleRisk = (risk: string, on: boolean) => setRisks((current) => new Set(on ? [...current, risk] : [...current].filter((item) => item !== risk)))

  return (
    <section className="card section" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Agents&apos; requests</h2>
      <p className="muted">
        An agent asks for tokens through the broker (<code>cfwrap --sandbox</code>, <code>cfwrap --mcp</code>). A request needs your approval when any rule below
        applies; anything else is granted at once, and everything is in the audit log.
      </p>
      <form className="form" onSubmit={(event) => void save(event)} aria-label="When approval is needed">
        <fieldset>
          <legend>Templates of these risks</legend>
          {RISKS.map((risk) => (
            <label key={risk} className="check">
              <input type="checkbox" checked={risks.has(risk)} onChange={(event) => toggleRisk(risk, event.target.checked)} /> {risk}
            </label>
          ))}
        </fieldset>
        <TextField id={ids.envs} label="Environments (comma-separated)" value={envs} onChange={setEnvs} placeholder="prod, staging" />
        <label className="check">
          <input type="checkbox" checked={aboveDefaultTtl} onChange={(event) => setAboveDefaultTtl(event.target.checked)} /> A lifetime above the template&apos;s default
        </label>
        <label className="check">
          <input type="checkbox" checked={permanent} onChange={(event) => setPermanent(event.target.checked)} /> A token without a deadline
        </label>
        <div className="actions">
          <button type="submit">Save rules</button>
        </div>
        <OutcomeLine outcome={outcome} />
      </form>
    </section>
  )
}
