import type { ReactNode } from 'react'

/** The accessibility attributes a form sets on a field (marked invalid, described by its hint and the preview). */
export type FieldAria = { 'aria-invalid'?: boolean; 'aria-describedby'?: string }

/**
 * A labelled one-line text input, optionally with a hint under it (its id is `${id}-hint`, for the
 * field's `aria-describedby`). Never spell-checked or autocompleted: the values are ids, names and
 * durations, and a browser must not remember them.
 */
export function TextField({
  id,
  label,
  value,
  onChange,
  placeholder,
  hint,
  hintClassName = 'hint',
  aria,
}: {
  id: string
  label: ReactNode
  value: string
  onChange: (value: string) => void
  placeholder?: string
  hint?: ReactNode
  hintClassName?: string
  aria?: FieldAria
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} onChange={(event) => onChange(event.target.value)} spellCheck={false} autoComplete="off" placeholder={placeholder} {...aria} />
      {hint !== undefined && (
        <p id={`${id}-hint`} className={hintClassName}>
          {hint}
        </p>
      )}
    </div>
  )
}
