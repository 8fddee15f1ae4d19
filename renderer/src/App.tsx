import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { isSeriousProblem, type CfwrapApi, type CoreSnapshot, type Navigate } from '../../shared/common/ipc'
import { PendingRequests } from './components/PendingRequests'
import { Prose } from './components/Prose'
import { useCoreSnapshot, useNow } from './hooks'
import { remaining } from './format'
import { TokensView } from './views/TokensView'
import { MintView } from './views/MintView'
import { FindingsView } from './views/FindingsView'
import { AuditView } from './views/AuditView'
import { SettingsView } from './views/SettingsView'

/** One of the window's views, as `Navigate` names them. */
export type ViewId = Navigate['view']

/** A message shown above the current view (e.g. "Minted X"), until dismissed or replaced. */
export interface Notice {
  tone: 'success' | 'error' | 'info'
  text: ReactNode
}

/** What every view gets from the app shell. */
export interface ViewProps {
  api: CfwrapApi
  snapshot: CoreSnapshot
  /** Token name or finding id to bring into view and mark, when a notification asked for it. */
  highlight: string | undefined
  navigate: (target: Navigate) => void
  notify: (notice: Notice | null) => void
}

const VIEWS: readonly { id: ViewId; label: string }[] = [
  { id: 'tokens', label: 'Tokens' },
  { id: 'mint', label: 'Mint a token' },
  { id: 'findings', label: 'Leak findings' },
  { id: 'audit', label: 'Audit log' },
  { id: 'settings', label: 'Settings' },
]

// A highlight fades after a while so an old notification click does not keep marking an item.
const HIGHLIGHT_MS = 8000
// Informational notes ("Copied …") go away by themselves; successes and errors stay until dismissed.
const INFO_NOTICE_MS = 8000

/** The window: a vertical tab list of views over the core's pushed snapshot. */
export function App({ api }: { api: CfwrapApi }) {
  const { snapshot, error } = useCoreSnapshot(api)
  const [view, setView] = useState<ViewId>('tokens')
  const [highlight, setHighlight] = useState<{ view: ViewId; item: string } | null>(null)
  const [notice, setNotice] = useState<Notice | null>(null)
  const tabs = useRef(new Map<ViewId, HTMLButtonElement>())

  const navigate = useCallback((target: Navigate) => {
    setView(target.view)
    setHighlight(target.item === undefined ? null : { view: target.view, item: target.item })
  }, [])

  useEffect(() => api.onNavigate(navigate), [api, navigate])

  useEffect(() => {
    if (highlight === null) return
    const timer = setTimeout(() => setHighlight(null), HIGHLIGHT_MS)
    return () => clearTimeout(timer)
  }, [highlight])

  useEffect(() => {
    if (notice?.tone !== 'info') return
    const timer = setTimeout(() => setNotice(null), INFO_NOTICE_MS)
    return () => clearTimeout(timer)
  }, [notice])

  const selectTab = (id: ViewId) => {
    setView(id)
    setHighlight(null)
  }

  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation); Tab leaves the list.
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const last = VIEWS.length - 1
    const next =
      event.key === 'ArrowDown' || event.key === 'ArrowRight'
        ? (index + 1) % VIEWS.length
        : event.key === 'ArrowUp' || event.key === 'ArrowLeft'
          ? (index - 1 + VIEWS.length) % VIEWS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : null
    if (next === null) return
    event.preventDefault()
    const target = VIEWS[next]
    if (target === undefined) return
    selectTab(target.id)
    tabs.current.get(target.id)?.focus()
  }

  if (snapshot === null) {
    return (
      <main className="loading">
        {error === null ? <p>Connecting to cfwrap…</p> : <p className="error-text">Could not reach the cfwrap core: {error}</p>}
      </main>
    )
  }

  const viewProps: ViewProps = {
    api,
    snapshot,
    highlight: highlight?.view === view ? highlight.item : undefined,
    navigate,
    notify: setNotice,
  }
  const counts: Partial<Record<ViewId, number>> = {
    tokens: snapshot.tokens.filter((token) => token.role === 'command').length,
    findings: snapshot.findings.length + snapshot.shadows.length,
  }

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="cfwrap">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            cf
          </span>
          cfwrap
        </div>
        <div role="tablist" aria-orientation="vertical" aria-label="Views">
          {VIEWS.map((item, index) => {
            const count = counts[item.id]
            return (
              <button
                key={item.id}
                type="button"
                role="tab"
                id={`tab-${item.id}`}
                aria-selected={view === item.id}
                aria-controls={`panel-${item.id}`}
                tabIndex={view === item.id ? 0 : -1}
                ref={(element) => {
                  if (element) tabs.current.set(item.id, element)
                  else tabs.current.delete(item.id)
                }}
                onClick={() => selectTab(item.id)}
                onKeyDown={(event) => onTabKey(event, index)}
              >
                <span>{item.label}</span>
                {count !== undefined && count > 0 && (
                  <span className={`count${item.id === 'findings' ? ' count-alert' : ''}`}>
                    {count}
                  </span>
                )}
              </button>
            )
          })}
        </div>
        <StatusSummary snapshot={snapshot} />
      </nav>
      <main className="content">
        <Problems problems={snapshot.problems} />
        <PendingRequests api={api} pending={snapshot.pending} highlight={highlight?.item} onError={(text) => setNotice({ tone: 'error', text })} />
        {notice !== null && (
          <div className={`notice notice-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
            <div className="notice-text">{notice.text}</div>
            <button type="button" className="quiet" onClick={() => setNotice(null)} aria-label="Dismiss message">
              ×
            </button>
          </div>
        )}
        <section role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`} className="panel">
          {view === 'tokens' && <TokensView {...viewProps} />}
          {view === 'mint' && <MintView {...viewProps} />}
          {view === 'findings' && <FindingsView {...viewProps} />}
          {view === 'audit' && <AuditView {...viewProps} />}
          {view === 'settings' && <SettingsView {...viewProps} />}
        </section>
      </main>
    </div>
  )
}

/**
 * What stops or degrades cfwrap (a damaged state file, an unreachable keychain or Cloudflare),
 * above every view: these are states, not messages, and stay until they are resolved.
 */
function Problems({ problems }: { problems: CoreSnapshot['problems'] }) {
  if (problems.length === 0) return null
  return (
    <div className="problems">
      {problems.map((problem) => {
        const serious = isSeriousProblem(problem)
        return (
          <p key={`${problem.kind}:${problem.file ?? problem.message}`} className={`notice ${serious ? 'notice-error' : 'notice-info'}`} role={serious ? 'alert' : 'status'} data-problem={problem.kind}>
            <Prose text={problem.message} />
          </p>
        )
      })}
    </div>
  )
}

/** A few facts under the tabs: the next deadline, the minting credential, whether watching is paused. */
function StatusSummary({ snapshot }: { snapshot: CoreSnapshot }) {
  const now = useNow()
  // Only deadlines still ahead: a token past its own is already being deleted (its card says so).
  const next = snapshot.tokens
    .filter((token) => token.role === 'command' && token.expiresAt !== null && Date.parse(token.expiresAt) > now)
    .map((token) => token.expiresAt as string)
    .sort()[0]
  const left = next === undefined ? null : remaining(next, now)
  return (
    <dl className="summary">
      <dt>Next deadline</dt>
      <dd>{next === undefined ? 'none' : (left ?? 'now')}</dd>
      <dt>Minting</dt>
      <dd>{snapshot.minting.configured ? 'set up' : 'not set up'}</dd>
      <dt>Watching</dt>
      <dd>{snapshot.settings.watchPaused ? 'paused' : `${snapshot.settings.watchedRoots.length} folder${snapshot.settings.watchedRoots.length === 1 ? '' : 's'}`}</dd>
    </dl>
  )
}
