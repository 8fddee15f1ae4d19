// Names the OS knows the app by. Kept in step with electron-builder.yml (a unit test compares them).

/** The app id: electron-builder's `appId`, and the Windows AppUserModelID notifications are grouped by. */
export const APP_ID = 'dev.cfwrap.app'
