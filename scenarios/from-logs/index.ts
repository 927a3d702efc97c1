/** Traffic from access logs. (Being written: see issue 14.) */
import { UsageError, type ScenarioInput } from '../../sim/index.ts'

export const LOG_FORMATS = ['auto', 'nginx', 'vercel', 'cloudfront', 'cloudflare'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface FitOptions {
  readonly format: LogFormat
  /** Also put the logs' exact requests into the scenario as schedules. */
  readonly replay: boolean
  /** Where a progress line may go (a terminal gets a bar). */
  readonly progress?: NodeJS.WritableStream
}

export interface TrafficFit {
  /** The scenario with each route's traffic, params.count and params.paths fitted. */
  readonly scenario: ScenarioInput
  /** Lines for the terminal: per route what was fitted, with the goodness of fit. */
  readonly report: readonly string[]
  readonly warnings: readonly string[]
}

export async function fitTraffic(_scenario: ScenarioInput, logs: readonly string[], _o: FitOptions): Promise<TrafficFit> {
  throw new UsageError(`isrsim traffic --log ${logs.join(' ')}: not implemented yet`)
}
