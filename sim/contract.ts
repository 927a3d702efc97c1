/**
 * The JSON output contract. Types only (and SCHEMA_VERSION); it imports only its own parts in
 * sim/contract/, no simulator code: reports/ and loadtest/ `import type` from here and read
 * the JSON files.
 */
export * from './contract/result.ts'
export type * from './contract/plan.ts'
export type * from './contract/checks.ts'
