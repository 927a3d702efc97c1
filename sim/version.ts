/**
 * Bump MODEL_VERSION whenever simulated behaviour changes, and in the same commit regenerate
 * the goldens (UPDATE_GOLDENS=1 npx vitest run test/noreg.test.ts, see test/goldens/README.md)
 * and add a row to the version table in docs/semantics.md, saying why.
 */
export const MODEL_VERSION = '8'
export const ISRSIM_VERSION = '0.1.0'
