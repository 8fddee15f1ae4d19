/**
 * Loads a module on first use. In the bundled CommonJS CLI this is a plain `require`: a dynamic
 * `import()` there would start Node's ESM loader, which costs ~10 ms of start-up for a single
 * module. Under the test runner (native ESM, no `require`) it is an `import()`.
 *
 * The id is a value, not a literal, on purpose: a literal `import('x')` at each call site would
 * stay in the bundle as text, and a chunk whose text calls import() cannot be compiled from its V8
 * code cache (electron/cli/code-cache.ts). Only this small module keeps that text.
 */
export function lazyLoad<T>(id: string): Promise<T> {
  if (typeof require === 'function') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return Promise.resolve(require(id) as T)
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return import(/* @vite-ignore */ id) as Promise<T>
}
