/**
 * Plain text from the core with `backticked` spans shown as code: the core writes commands that way
 * (for the terminal), and the window should show them as commands, not as stray backticks.
 * Only text is rendered, never HTML, so nothing in a message can inject markup.
 */
export function Prose({ text }: { text: string }) {
  const parts = text.split('`')
  // An odd count of backticks leaves an unmatched one: show the text as it is.
  if (parts.length % 2 === 0) return <>{text}</>
  return <>{parts.map((part, index) => (index % 2 === 1 ? <code key={index}>{part}</code> : part))}</>
}
