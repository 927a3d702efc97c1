/** Shared helpers for tests: build scenarios quickly and run them with a trace. */
import { parseScenario, runScenario, type ScenarioInput, type TraceEvent } from '../sim/index.ts'
import type { SimResult } from '../sim/contract.ts'

export type RouteInput = ScenarioInput['routes'][number]

/** A one-route scenario with explicit request times (seconds). */
export function single(route: Partial<RouteInput> & { renderS: RouteInput['renderS'] }, atS: number[], extra: Partial<ScenarioInput> = {}, path?: number[]): ScenarioInput {
  return {
    name: 'micro',
    durationS: (atS[atS.length - 1] ?? 0) + 100,
    ...extra,
    routes: [{ id: 'r', pattern: route.params && route.params.count > 1 ? '/p/[id]' : '/', ...route, traffic: { rps: 0, schedule: { atS, ...(path ? { path } : {}) } } }],
  }
}

export interface Traced {
  readonly result: SimResult
  readonly events: TraceEvent[]
  /** Outcome names of the responses, in order. */
  readonly outcomes: string[]
  readonly requests: Extract<TraceEvent, { kind: 'request' }>[]
  readonly renders: Extract<TraceEvent, { kind: 'render' }>[]
}

export function traced(input: ScenarioInput, seed?: string): Traced {
  const events: TraceEvent[] = []
  const result = runScenario(parseScenario(input), { trace: (e) => events.push(e), ...(seed === undefined ? {} : { seed }) })
  const requests = events.filter((e): e is Extract<TraceEvent, { kind: 'request' }> => e.kind === 'request')
  const renders = events.filter((e): e is Extract<TraceEvent, { kind: 'render' }> => e.kind === 'render')
  return { result, events, requests, renders, outcomes: requests.map((r) => r.outcome) }
}

export const s = (us: number) => us / 1e6
