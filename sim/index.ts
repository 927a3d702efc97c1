/** The public surface of isrsim's simulator. */
export { defineScenario, parseScenario, scenarioJsonSchema, scenarioHash, NEXT_VERSIONS } from './scenario.ts'
export type { Scenario, ScenarioInput, RouteConfig, NextVersion } from './scenario.ts'
export { runScenario, reproduceLine } from './run.ts'
export type { RunOptions } from './run.ts'
export type { TraceEvent } from './isr/model.ts'
export { ScenarioError, InvariantError } from './errors.ts'
export type * from './contract.ts'
