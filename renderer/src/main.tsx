import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import './styles.css'

const root = createRoot(document.getElementById('root') as HTMLElement)
const api = window.cfwrap
root.render(
  <StrictMode>
    {api === undefined ? (
      <main className="loading">
        <p className="error-text">The window was opened without the cfwrap core (window.cfwrap is missing).</p>
      </main>
    ) : (
      <App api={api} />
    )}
  </StrictMode>,
)
