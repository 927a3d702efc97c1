/**
 * Per-version Next.js behaviour. Every version difference the simulator knows is one
 * field here, read in one place in the model, with its source in shared/isr-semantics.md.
 */
import type { NextVersion } from '../scenario.ts'

export interface VersionProfile {
  readonly version: NextVersion
  /**
   * An entry older than its `expire` (default next.config expireTime, 1 year) blocks on a
   * fresh render instead of being served stale. Only 16.3+ (PR #93211); before that the
   * runtime never read expire (semantics §2).
   */
  readonly enforcesExpire: boolean
  /** The failure back-off re-sets expire' = max(r' + 3, expire) (15.x/16.x); 14.x has no expire (§3). */
  readonly backoffSetsExpire: boolean
}

const PROFILES: Record<NextVersion, VersionProfile> = {
  '14': { version: '14', enforcesExpire: false, backoffSetsExpire: false },
  '15': { version: '15', enforcesExpire: false, backoffSetsExpire: true },
  '16.0': { version: '16.0', enforcesExpire: false, backoffSetsExpire: true },
  '16.3': { version: '16.3', enforcesExpire: true, backoffSetsExpire: true },
  '16.4': { version: '16.4', enforcesExpire: true, backoffSetsExpire: true },
}

export function profileFor(version: NextVersion): VersionProfile {
  return PROFILES[version]
}
