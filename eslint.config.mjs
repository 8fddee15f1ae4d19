import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

// IPC goes through two doors only: the preload (ipcRenderer) and electron/main/ipc-main.ts
// (ipcMain), which checks every sender and payload. Anywhere else, either is an error.
const IPC_RENDERER_ONLY_IN_PRELOAD = { name: 'electron', importNames: ['ipcRenderer'], message: 'Only electron/preload may use ipcRenderer.' }
const IPC_MAIN_ONLY_IN_WRAPPER = {
  name: 'electron',
  importNames: ['ipcMain'],
  message: 'Register IPC handlers with registerIpcHandlers (electron/main/ipc-main.ts): it checks the sender and the payload.',
}
const NO_IPC_MAIN_MEMBER = {
  selector: "MemberExpression[property.name='ipcMain']",
  message: 'Register IPC handlers with registerIpcHandlers (electron/main/ipc-main.ts): it checks the sender and the payload.',
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // ipcRenderer must never be reached from the renderer; the preload exposes named methods only.
      'no-restricted-imports': ['error', { paths: [IPC_RENDERER_ONLY_IN_PRELOAD, IPC_MAIN_ONLY_IN_WRAPPER] }],
    },
  },
  {
    files: ['electron/**', 'shared/**', 'renderer/**'],
    ignores: ['electron/main/ipc-main.ts'],
    rules: { 'no-restricted-syntax': ['error', NO_IPC_MAIN_MEMBER] },
  },
  {
    files: ['electron/preload/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [IPC_MAIN_ONLY_IN_WRAPPER] }] },
  },
  {
    files: ['electron/main/ipc-main.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [IPC_RENDERER_ONLY_IN_PRELOAD] }] },
  },
  {
    // The Electron stand-in for unit tests defines both; tests read them to drive handlers.
    files: ['test/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
)
