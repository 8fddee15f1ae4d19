import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import type { GuardRule, Refusal, RefusalField } from '../../../shared/common/guards'
import type { MintPreview, Request } from '../../../shared/common/ipc'
import { DurationParseError, MIN_TTL_SECONDS, parseDuration } from '../../../shared/common/duration'
import { TEMPLATES, findTemplate, templatesInRecentOrder } from '../../../shared/common/templates'
import { normalizeTokenNameSegment } from '../../../shared/common/token-name'
import { Prose } from '../components/Prose'
import { useDebounced } from '../hooks'
import { durationInput, errorMessage, formatWhen } from '../format'
import type { ViewProps } from '../App'
import { TextField, type FieldAria } from '../components/TextField'

type MintRequest = Request<'mint'>
type RefusalItem = Refusal

/** What the preview panel shows: nothing yet, a preview, or why the core would refuse. */
type PreviewState =
  | { kind: 'incomplete'; missing: string[] }
  | { kind: 'invalid'; message: string }
  | { kind: 'ok'; preview: MintPreview; key: string }
  | { kind: 'refused'; error: string; refusals: RefusalItem[] }

const RULE_TITLES: Record<GuardRule, string> = {
  'ttl-bounds': 'Lifetime out of bounds',
  'deadline-required': 'A deadline is required',
  'permanent-conflict': 'Permanent and a lifetime',
  'resource-required': 'Resource missing',
  'resource-invalid': 'Resource not valid',
  'token-name': 'Token name',
  'admin-for-agent': 'Admin rights for an agent',
  'dns-with-deploy': 'DNS with deploy',
  'd1-with-deploy': 'D1 with deploy',
  'mixed-scopes': 'Mixed scopes',
  'unknown-template': 'Unknown template',
  'invalid-settings': 'Settings not valid',
}

// Waits for a pause in typing before asking the core, so a preview is not requested per keystroke.
const PREVIEW_DEBOUNCE_MS = 250

type Field = 'ttl' | 'accountId' | 'zoneId' | 'bucket' | 'project' | 'env' | 'owner'

const FORM_FIELDS: Partial<Record<RefusalField, Field>> = {
  ttlSeconds: 'ttl',
  accountId: 'accountId',
  zoneId: 'zoneId',
  bucket: 'bucket',
  project: 'project',
  env: 'env',
  owner: 'owner',
}

/** The form field a refusal is about (the core names it), so it can be marked invalid beside the explanation. */
function fieldsOf(refusal: Refusal): Field[] {
  const field = refusal.field === undefined ? undefined : FORM_FIELDS[refusal.field]
  return field === undefined ? [] : [field]
}

/** The mint form: template, resource, lifetime and name parts, with a live preview of what the core would create. */
export function MintView({ api, snapshot, navigate, notify }: ViewProps) {
  const { settings, minting } = snapshot
  const ordered = templatesInRecentOrder(settings.recentTemplates, settings.customTemplates)
  const [templateName, setTemplateName] = useState<string>(() => (ordered.recent[0] ?? ordered.rest[0] ?? TEMPLATES[0])!.name)
  const template = findTemplate(templateName, settings.customTemplates) ?? TEMPLATES[0]!
  const [ttl, setTtl] = useState('')
  const [project, setProject] = useState('')
  const [env, setEnv] = useState('')
  const [owner, setOwner] = useState('')
  // null: untouched, so the field follows the default account from settings or the minting credential.
  const [accountId, setAccountId] = useState<string | null>(null)
  const [zoneId, setZoneId] = useState('')
  const [bucket, setBucket] = useState('')
  const [preview, setPreview] = useState<PreviewState>({ kind: 'incomplete', missing: ['project', 'environment'] })
  const [checking, setChecking] = useState(false)
  const [creating, setCreating] = useState(false)
  const [createRefusal, setCreateRefusal] = useState<{ error: string; refusals: RefusalItem[] } | null>(null)
  const sequence = useRef(0)
  const ids = { template: useId(), ttl: useId(), project: useId(), env: useId(), owner: useId(), account: useId(), zone: useId(), bucket: useId(), preview: useId() }

  const defaultAccount = settings.defaultAccountId ?? minting.accountId ?? ''
  const accountValue = accountId ?? defaultAccount
  const needsAccount = template.resource === 'account' || template.resource === 'r2-bucket'

  let ttlSeconds: number | undefined
  let ttlProblem: string | null = null
  if (ttl.trim() !== '') {
    try {
      ttlSeconds = parseDuration(ttl)
    } catch (error) {
      ttlProblem = error instanceof DurationParseError ? error.message : errorMessage(error)
    }
  }

  const request: MintRequest = {
    template: template.name,
    project: normalizeTokenNameSegment(project),
    env: normalizeTokenNameSegment(env),
    ...(owner.trim() === '' ? {} : { owner: normalizeTokenNameSegment(owner) }),
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(needsAccount && accountValue.trim() !== '' ? { accountId: accountValue.trim() } : {}),
    ...(template.resource === 'zone' && zoneId.trim() !== '' ? { zoneId: zoneId.trim() } : {}),
    ...(template.resource === 'r2-bucket' && bucket.trim() !== '' ? { bucket: bucket.trim() } : {}),
  }
  // The key also carries the raw lifetime text: an unparsable lifetime leaves `ttlSeconds` out of the
  // request, and must still count as a change (the preview of the default lifetime is not its preview).
  const requestKey = JSON.stringify({ request, ttl: ttl.trim() })
  const settledKey = useDebounced(requestKey, PREVIEW_DEBOUNCE_MS)
  const missing = [request.project === '' ? 'project' : null, request.env === '' ? 'environment' : null].filter(
    (item): item is string => item !== null,
  )

  useEffect(() => {
    const run = ++sequence.current
    setCreateRefusal(null)
    // `missing` and `ttlProblem` come from the same inputs as `settledKey`, read here once typing paused.
    if (ttlProblem !== null) {
      setPreview({ kind: 'invalid', message: ttlProblem })
      return
    }
    if (missing.length > 0) {
      setPreview({ kind: 'incomplete', missing })
      return
    }
    setChecking(true)
    const { request: settled } = JSON.parse(settledKey) as { request: MintRequest }
    api.previewMint(settled).then(
      (result) => {
        // A slower answer to an older request must not overwrite the newer one.
        if (run !== sequence.current) return
        setChecking(false)
        setPreview(result.ok ? { kind: 'ok', preview: result.value, key: settledKey } : { kind: 'refused', error: result.error, refusals: result.refusals ?? [] })
      },
      (reason: unknown) => {
        if (run !== sequence.current) return
        setChecking(false)
        setPreview({ kind: 'refused', error: errorMessage(reason), refusals: [] })
      },
    )
  }, [api, settledKey])

  const refusalSource = createRefusal ?? (preview.kind === 'refused' ? preview : null)
  const invalidFields = new Set<Field>((refusalSource?.refusals ?? []).flatMap(fieldsOf))
  if (ttlProblem !== null) invalidFields.add('ttl')
  const fresh = preview.kind === 'ok' && preview.key === requestKey
  const canCreate = fresh && ttlProblem === null && !creating && createRefusal === null

  const create = async (event: FormEvent) => {
    event.preventDefault()
    if (!canCreate) return
    setCreating(true)
    try {
      const result = await api.mint(request)
      if (result.ok) {
        const { name, expiresAt } = result.value
        notify({
          tone: 'success',
          text: (
            <>
              Minted <code>{name}</code>.{' '}
              {expiresAt === null ? 'It has no deadline.' : <>It is deleted at <time dateTime={expiresAt}>{formatWhen(expiresAt)}</time>.</>}
            </>
          ),
        })
        navigate({ view: 'tokens', item: name })
      } else {
        setCreateRefusal({ error: result.error, refusals: result.refusals ?? [] })
      }
    } catch (reason) {
      setCreateRefusal({ error: errorMessage(reason), refusals: [] })
    } finally {
      setCreating(false)
    }
  }

  const fieldProps = (field: Field, describedBy?: string): FieldAria => ({
    'aria-invalid': invalidFields.has(field) || undefined,
    'aria-describedby': [describedBy, invalidFields.has(field) ? ids.preview : undefined].filter(Boolean).join(' ') || undefined,
  })

  return (
    <>
      <header className="view-header">
        <div>
          <h1>Mint a token</h1>
          <p className="muted">One token per job, narrowed to one resource, deleted at its deadline.</p>
        </div>
      </header>
      {!minting.configured && (
        <div className="notice notice-info">
          <div className="notice-text">
            cfwrap needs a minting credential before it can create tokens.{' '}
            <button type="button" className="link" onClick={() => navigate({ view: 'settings' })}>
              Set it up in Settings
            </button>
          </div>
        </div>
      )}
      <div className="mint-layout">
        <form className="card form" onSubmit={(event) => void create(event)} aria-label="Mint a token" noValidate>
          <div className="field">
            <label htmlFor={ids.template}>Template</label>
            <select id={ids.template} value={template.name} onChange={(event) => setTemplateName(event.target.value)} aria-describedby={`${ids.template}-about`}>
              {ordered.recent.length > 0 && (
                <optgroup label="Recently used">
                  {ordered.recent.map((item) => (
                    <option key={item.name} value={item.name}>
                      {item.title}
                    </option>
                  ))}
                </optgroup>
              )}
              <optgroup label={ordered.recent.length > 0 ? 'Other templates' : 'Templates'}>
                {ordered.rest.map((item) => (
                  <option key={item.name} value={item.name}>
                    {item.title}
                  </option>
                ))}
              </optgroup>
            </select>
            <div id={`${ids.template}-about`} className="hint">
              <p>{template.description}</p>
              <p>
                <span className={`badge badge-risk-${template.risk}`}>{template.risk} risk</span> {template.scopeSummary}
                {template.agentSafe ? '' : ' Not meant for unattended agents.'}
              </p>
            </div>
          </div>

          {needsAccount && (
            <TextField
              id={ids.account}
              label="Account id"
              value={accountValue}
              onChange={setAccountId}
              placeholder="32 hex characters"
              aria={fieldProps('accountId', `${ids.account}-hint`)}
              hint={
                <>
                  The token works only in this account. Shown in the dashboard and by <code>wrangler whoami</code>.
                </>
              }
            />
          )}
          {template.resource === 'zone' && (
            <TextField
              id={ids.zone}
              label="Zone id"
              value={zoneId}
              onChange={setZoneId}
              placeholder="32 hex characters"
              aria={fieldProps('zoneId', `${ids.zone}-hint`)}
              hint="The token works only in this zone (domain); the id is on the zone's Overview page."
            />
          )}
          {template.resource === 'r2-bucket' && (
            <TextField
              id={ids.bucket}
              label="R2 bucket"
              value={bucket}
              onChange={setBucket}
              aria={fieldProps('bucket', `${ids.bucket}-hint`)}
              hint={
                <>
                  As listed by <code>wrangler r2 bucket list</code>.
                </>
              }
            />
          )}

          <TextField
            id={ids.ttl}
            label="Lifetime"
            value={ttl}
            onChange={setTtl}
            placeholder={durationInput(template.defaultTtlSeconds)}
            aria={fieldProps('ttl', `${ids.ttl}-hint`)}
            hintClassName={ttlProblem === null ? 'hint' : 'hint error-text'}
            hint={
              ttlProblem ??
              `Default ${durationInput(template.defaultTtlSeconds)}, at most ${durationInput(template.maxTtlSeconds)}, at least ${durationInput(MIN_TTL_SECONDS)}. For example 90s, 15m, 1h30m.`
            }
          />

          <div className="field-row">
            <TextField id={ids.project} label="Project" value={project} onChange={setProject} placeholder="shop" aria={fieldProps('project')} />
            <TextField id={ids.env} label="Environment" value={env} onChange={setEnv} placeholder="prod" aria={fieldProps('env')} />
          </div>
          <TextField
            id={ids.owner}
            label="Owner"
            value={owner}
            onChange={setOwner}
            placeholder={settings.defaultOwner}
            aria={fieldProps('owner', `${ids.owner}-hint`)}
            hint={
              <>
                Who or what uses the token; default <code>{settings.defaultOwner}</code>. Owners that look like agents (bot, ai, claude…) get stricter rules.
              </>
            }
          />

          <div className="actions">
            <button type="submit" className="primary" disabled={!canCreate} aria-describedby={ids.preview}>
              {creating ? 'Creating…' : 'Create token'}
            </button>
          </div>
        </form>

        <aside className={`card preview${checking ? ' checking' : ''}`} id={ids.preview} aria-live="polite" aria-busy={checking} aria-label="What will be created">
          <PreviewPanel preview={preview} refusal={createRefusal} />
        </aside>
      </div>
    </>
  )
}

function PreviewPanel({ preview, refusal }: { preview: PreviewState; refusal: { error: string; refusals: RefusalItem[] } | null }) {
  if (refusal !== null) return <Refusals heading="The core refused to create it" error={refusal.error} refusals={refusal.refusals} />
  switch (preview.kind) {
    case 'incomplete':
      return (
        <>
          <h2>What will be created</h2>
          <p className="muted">Fill in the {preview.missing.join(' and ')} to see the token&apos;s name and policies.</p>
        </>
      )
    case 'invalid':
      return (
        <>
          <h2>What will be created</h2>
          <p className="error-text">
            <Prose text={preview.message} />
          </p>
        </>
      )
    case 'refused':
      return <Refusals heading="This token would be refused" error={preview.error} refusals={preview.refusals} />
    case 'ok':
      return <PreviewDetails preview={preview.preview} />
  }
}

function PreviewDetails({ preview }: { preview: MintPreview }) {
  return (
    <>
      <h2>What will be created</h2>
      <h3 className="label">Name</h3>
      <p className="token-name" data-testid="preview-name">
        {preview.name}
      </p>
      <h3 className="label">Policies</h3>
      <ul className="scopes">
        {preview.policies.map((policy) => (
          <li key={policy}>{policy}</li>
        ))}
      </ul>
      <h3 className="label">Deadline</h3>
      <p>
        {preview.ttlSeconds === null || preview.expiresAt === null
          ? 'None: the token stays until revoked.'
          : `${durationInput(preview.ttlSeconds)} after creation (about ${formatWhen(preview.expiresAt)}); then deleted on Cloudflare and from the keychain.`}
      </p>
      <p>
        <span className={`badge badge-risk-${preview.risk}`}>{preview.risk} risk</span>
      </p>
      {preview.warnings.length > 0 && (
        <ul className="warnings">
          {preview.warnings.map((warning) => (
            <li key={warning} className="warning">
              {warning}
            </li>
          ))}
        </ul>
      )}
    </>
  )
}

function Refusals({ heading, error, refusals }: { heading: string; error: string; refusals: RefusalItem[] }) {
  return (
    <div className="refusals">
      <h2>{heading}</h2>
      {refusals.length === 0 ? (
        <p className="error-text">
          <Prose text={error} />
        </p>
      ) : (
        <ul>
          {refusals.map((refusal) => (
            <li key={`${refusal.rule}:${refusal.message}`} data-rule={refusal.rule}>
              <strong>{RULE_TITLES[refusal.rule] ?? refusal.rule}</strong>
              <p>
                <Prose text={refusal.message} />
              </p>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
