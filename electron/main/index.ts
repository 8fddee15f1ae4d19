// Composition root of the tray app. Filled in by the tray-app work; kept minimal so the build and
// the type check run against Electron's types from the start.
import { app } from 'electron'

void app.whenReady().then(() => {
  // The tray, notifications and window adapters attach here.
})
