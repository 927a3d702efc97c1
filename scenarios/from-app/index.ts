/** `isrsim import`: a built App Router app to a scenario. (Being written: see issue 14.) */
import { UsageError, type ScenarioInput } from '../../sim/index.ts'

export interface AppImport {
  /** The scenario, with clearly marked placeholder traffic (traffic.placeholder: true). */
  readonly scenario: ScenarioInput
  /** What could not be modelled or had to be guessed, each naming the file (and line). */
  readonly warnings: readonly string[]
}

export function importApp(appDir: string): AppImport {
  throw new UsageError(`isrsim import ${appDir}: not implemented yet`)
}
