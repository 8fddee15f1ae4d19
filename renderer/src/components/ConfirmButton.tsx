import { useEffect, useId, useRef, useState, type ReactNode } from 'react'

interface ConfirmButtonProps {
  /** Text of the button that opens the confirmation. */
  children: ReactNode
  /** Accessible name of the button when its text alone is ambiguous (e.g. "Revoke" in a list). */
  ariaLabel?: string
  title: string
  /** What will happen, in plain words. */
  body: ReactNode
  confirmLabel: string
  /** Runs after the person confirms; the dialog stays open, busy, until it settles. */
  onConfirm: () => Promise<void>
  className?: string
}

/**
 * A button that asks before doing something that cannot be undone. The question is a modal
 * `<dialog>` (focus trapped, Escape cancels) with Cancel focused first, so an Enter pressed out of
 * habit does not revoke anything.
 */
export function ConfirmButton({ children, ariaLabel, title, body, confirmLabel, onConfirm, className = 'danger' }: ConfirmButtonProps) {
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const trigger = useRef<HTMLButtonElement>(null)
  const dialog = useRef<HTMLDialogElement>(null)
  const cancel = useRef<HTMLButtonElement>(null)
  const titleId = useId()
  const bodyId = useId()

  useEffect(() => {
    if (!open) return
    dialog.current?.showModal()
    cancel.current?.focus()
  }, [open])

  const close = () => {
    dialog.current?.close()
    setOpen(false)
    trigger.current?.focus()
  }

  const confirm = async () => {
    setBusy(true)
    try {
      await onConfirm()
    } finally {
      setBusy(false)
      close()
    }
  }

  return (
    <>
      <button type="button" ref={trigger} className={className} aria-label={ariaLabel} onClick={() => setOpen(true)}>
        {children}
      </button>
      {open && (
        <dialog
          ref={dialog}
          className="confirm"
          aria-labelledby={titleId}
          aria-describedby={bodyId}
          onCancel={(event) => {
            // Escape: close through our own path so state and focus stay in step.
            event.preventDefault()
            if (!busy) close()
          }}
        >
          <h2 id={titleId}>{title}</h2>
          <div id={bodyId}>{body}</div>
          <div className="actions">
            <button type="button" ref={cancel} onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </dialog>
      )}
    </>
  )
}
