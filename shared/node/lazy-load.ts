/**
 * Loads a module on first use. In the bundled CommonJS CLI this is a plain `require`: a dynamic
 * `import()` there would start Node's ESM loader, which costs ~10 ms of start-up for a single
 * module. Under the test runner (native ESM, no `require`) it falls back to `viaImport`.
 */
export function lazyLoad<T>(id: string, viaImport: () => Promise<T>): Promise<T> {
  if (typeof require === 'function') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return Promise.resolve(require(id) as T)
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return viaImport()
}
