/**
 * The installed next version to the simulator's behaviour profile (14, 15, 16.0 for 16.0-16.2,
 * 16.3, 16.4 for 16.4 and later), by sim/versions.ts's table, the one the load test reads too.
 */
import { profileOfRelease, type NextVersion } from '../../sim/index.ts'

export function profileOf(version: string): { readonly profile: NextVersion; readonly warning?: string } {
  return profileOfRelease(version)
}
