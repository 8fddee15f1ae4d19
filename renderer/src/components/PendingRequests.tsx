import { useState } from 'react'
import type { CfwrapApi, CoreSnapshot } from '../../../shared/common/ipc'
import { errorMessage } from '../format'

type Pending = CoreSnapshot['pending'][number]

/** One hour, the approval window the window offers (the CLI takes any up to 8 h). */
const APPROVE_FOR_MS = 60 * 60 * 1000

/**
 * Agents' token requests waiting for the person, above every view: what the token could do, why
 * the policy asks, who asks (the process chain as the OS names it) and, set apart as the
 * requester's own untrusted words, its reason. Only here, in the tray and on `control.sock` can a
 * request be approved; the requester has no way to.
 */
export function PendingRequests({ api, pending, highlight, onError }: { api: CfwrapApi; pending: readonly Pending[]; highlight?: string | undefined; onError: (text: string) => void }) {
  const [busy, setBusy] = useState<string | null>(null)
  if (pending.length === 0) return null
  const decide = async (request: Pending, decision: 'approve' | 'approve-hour' | 'deny') => {
    setBusy(request.id)
    try {
      const result =
        decision === 'deny'
          ? await api.denyRequest({ requestId: request.id })
          : await api.approveRequest(decision === 'approve-hour' ? { requestId: request.id, forMs: APPROVE_FOR_MS } : { requestId: request.id })
      if (!result.ok) onError(result.error)
    } catch (reason) {
      onError(errorMessage(reason))
    } finally {
      setBusy(null)
    }
  }
  return (
    <section className="card requests" aria-labelledby="requests-title">
      <h2 id="requests-title">Waiting for your approval</h2>
      <ul aria-label="Token requests">
        {pending.map((request) => (
          <li key={request.id} className={request.id === highlight ? 'highlighted' : undefined} data-request={request.id}>
            <p>
              <strong>{request.chain.map((link) => link.name).join(' ← ')}</strong> asks for <code>{request.name}</code> ({request.risk} risk
              {request.ttlSeconds === null ? ', no deadline' : ''}).
            </p>
            <ul className="scopes">
              {request.policies.map((policy) => (
                <li key={policy}>{policy}</li>
              ))}
            </ul>
            <p className="muted">
              Needs your approval because {request.needsApprovalBecause.join(', ')}. Asked from <code>{request.cwd}</code>.
            </p>
            <p className="untrusted">
              Its reason, in its own words (not checked by cfwrap): <q>{request.reason === '' ? '(none given)' : request.reason}</q>
            </p>
            <div className="actions">
              <button type="button" className="primary" disabled={busy === request.id} onClick={() => void decide(request, 'approve')}>
                Approve
              </button>
              <button type="button" disabled={busy === request.id} onClick={() => void decide(request, 'approve-hour')}>
                Approve for 1 hour
              </button>
              <button type="button" className="danger" disabled={busy === request.id} onClick={() => void decide(request, 'deny')}>
                Deny
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  )
}
