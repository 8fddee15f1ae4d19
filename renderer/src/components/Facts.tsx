import { Fragment, type ReactNode } from 'react'

/** A definition list of facts; entries given as `false` (a fact that does not apply) are left out. */
export function Facts({ entries, testId }: { entries: ReadonlyArray<readonly [string, ReactNode] | false>; testId?: string }) {
  return (
    <dl className="facts" data-testid={testId}>
      {entries.map((entry) =>
        entry === false ? null : (
          <Fragment key={entry[0]}>
            <dt>{entry[0]}</dt>
            <dd>{entry[1]}</dd>
          </Fragment>
        ),
      )}
    </dl>
  )
}
