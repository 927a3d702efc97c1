/** The public surface of isrsim's simulator. */
export { defineScenario, parseScenario, scenarioJsonSchema, scenarioHash } from './scenario/parse.ts'
export { NEXT_VERSIONS, PROFILE_RELEASES, profileOfRelease } from './versions.ts'
export type { NextVersion } from './versions.ts'
export type { Scenario, ScenarioInput, RouteConfig } from './scenario/schema.ts'
export { runScenario, reproduceLine } from './run.ts'
export type { RunOptions } from './run.ts'
export type { TraceEvent, OutcomeName, RenderModeName } from './isr/trace.ts'
export { ScenarioError, InvariantError } from './kernel/errors.ts'
// The cacheLife hole rule by version (§12.3), for `isrsim import`.
export { isHoleOn as isCacheLifeHole } from './isr/cache-life.ts'
export type * from './contract.ts'
export { UsageError } from './kernel/errors.ts'
export { loadScenario, readJsonFile, writeAtomic } from './cli/files.ts'
