import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  main: {
    build: {
      // The CLI sits beside the app's main entry as a second input. Each entry is bundled on its
      // own (no shared chunks), so `cfwrap` starts from one file; its lazily imported modes become
      // separate chunks loaded only when chosen.
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'electron/main/index.ts'),
          cfwrap: resolve(__dirname, 'electron/cli/cfwrap.ts'),
        },
      },
      minify: true,
      sourcemap: false,
    },
  },
  preload: {
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
    plugins: [react()],
  },
})
