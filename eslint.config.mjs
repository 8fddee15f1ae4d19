import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'
import { builtinModules } from 'node:module'

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

// The layers (DEVELOPERS.md), enforced in the editor as well as by test/unit/layering.test.ts.
// In flat config a later block's no-restricted-imports replaces an earlier one's, so each layer's
// block repeats the IPC rules that apply to it.
const NO_ELECTRON = { group: ['electron', 'electron/*'], message: 'Only electron/main and electron/preload import electron.' }
const BROWSER_ONLY = 'shared/common and renderer run in the browser too: no Node built-ins (put Node code in shared/node).'
// Bare built-in names as exact paths (as patterns, `events` would also match a file named events.ts).
const NO_NODE_BUILTIN_NAMES = builtinModules.filter((name) => !name.startsWith('_')).map((name) => ({ name, message: BROWSER_ONLY }))
const NO_NODE_BUILTINS = { group: ['node:*'], message: BROWSER_ONLY }
const NO_NODE_LAYERS = {
  group: ['**/node/**', '**/node', '**/electron/**', '**/electron'],
  message: 'This layer may import only shared/common (see DEVELOPERS.md).',
}
const NO_APP_LAYERS = { group: ['**/electron/main/*', '**/electron/preload/*', '**/renderer/*'], message: 'shared/ never imports the app layers.' }

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
    files: ['shared/common/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [IPC_RENDERER_ONLY_IN_PRELOAD, IPC_MAIN_ONLY_IN_WRAPPER, ...NO_NODE_BUILTIN_NAMES], patterns: [NO_ELECTRON, NO_NODE_BUILTINS, NO_NODE_LAYERS] }] },
  },
  {
    files: ['renderer/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [IPC_RENDERER_ONLY_IN_PRELOAD, IPC_MAIN_ONLY_IN_WRAPPER, ...NO_NODE_BUILTIN_NAMES], patterns: [NO_ELECTRON, NO_NODE_BUILTINS, NO_NODE_LAYERS] }] },
  },
  {
    files: ['shared/node/**', 'electron/cli/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [IPC_RENDERER_ONLY_IN_PRELOAD, IPC_MAIN_ONLY_IN_WRAPPER], patterns: [NO_ELECTRON, NO_APP_LAYERS] }] },
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
