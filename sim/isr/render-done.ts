/**
 * A cached render's completion (§1.3, §3): a success writes the entry (its clock starts when the
 * regeneration ends, its content dates from the render's start) and is billed as an ISR write
 * when the output changed; a failure with a previous entry re-sets it from the failure time with
 * the clamped revalidate; a failed blocking render with no previous entry caches nothing, so the
 * next request retries (§3.3). The old build's renders, discarded by a deploy, do nothing.
 */
import { secToUs, US_PER_S } from '../kernel/time.ts'
import type { Deploys } from './deploys.ts'
import * as Rec from './entries.ts'
import { routeOfPath, type Entries, type ResolvedRoute } from './entries.ts'
import type { DataFreshness } from './freshness.ts'
import type { RenderLedger } from './invariants.ts'
import { OBS_AT, type Metrics } from './metrics.ts'
import { backoffExpireUs, backoffRevalidateS, type VersionProfile } from './profiles.ts'
import type { TraceEvent } from './trace.ts'

const { F_CONTENT_AT, F_EXPIRE, F_FLIGHT_MODE, F_FLIGHT_START, F_HAS_ENTRY, F_LAST_MOD, F_REVAL, FLIGHT_NONE, SHIFT } = Rec

export interface RenderDoneParts {
  readonly routes: readonly ResolvedRoute[]
  readonly entries: Entries
  readonly profile: VersionProfile
  readonly clock: Float64Array
  readonly metrics: Metrics
  readonly fresh: DataFreshness
  readonly ledger: RenderLedger
  readonly trace: ((e: TraceEvent) => void) | null
  readonly deploys: Deploys
}

/** The handler of EV_RENDER_DONE for the render in flight on an (instance, path) slot. */
export function renderCompletion(d: RenderDoneParts): (slot: number) => void {
  const { routes, entries, profile, clock, metrics, fresh, ledger, trace, deploys } = d
  const sharedCache = entries.sharedCache, tracksFreshness = fresh.tracks, obs = metrics.obs
  return function onRenderDone(slot: number): void {
    if (deploys.discards(slot)) return // the old build's render, discarded by a deploy
    const nowUs = clock[0]!
    const p = entries.pathOf(slot)
    const route = routes[routeOfPath(routes, p)]!
    const o = entries.off(slot)
    const e = sharedCache ? entries.off(p) : o
    const st = entries.rec
    const ok = entries.flightOk[o >>> SHIFT] === 1
    if (ok) {
      // An ISR write is billed only when the output changed: a new entry, any regeneration of a
      // route whose data no change reaches, or one whose data differs from the entry's.
      const cold = st[e + F_HAS_ENTRY] === 0
      if (cold || fresh.writes(route, p, o >>> SHIFT, e >>> SHIFT)) {
        obs[OBS_AT] = nowUs
        metrics.write(route.index, cold)
      }
      // §1.3: the new entry's clock starts when the regeneration ends.
      st[e + F_HAS_ENTRY] = 1
      st[e + F_LAST_MOD] = nowUs
      st[e + F_CONTENT_AT] = st[o + F_FLIGHT_START]!
      st[o + F_REVAL] = route.revalidateUs
      st[o + F_EXPIRE] = route.expireUs
      if (tracksFreshness) fresh.commit(o >>> SHIFT, e >>> SHIFT)
    } else if (entries.flightPrev[o >>> SHIFT] === 1) {
      // §3: keep the old content, re-set it from the failure time with the clamped revalidate.
      const prevReval = st[o + F_REVAL]!
      const r2 = backoffRevalidateS(prevReval === Infinity ? false : prevReval / US_PER_S)
      st[e + F_LAST_MOD] = nowUs
      st[o + F_REVAL] = secToUs(r2)
      st[o + F_EXPIRE] = backoffExpireUs(profile, r2, st[o + F_EXPIRE]!)
    }
    st[o + F_FLIGHT_MODE] = FLIGHT_NONE
    ledger.finished++
    if (trace !== null) trace({ kind: 'render-done', atUs: nowUs, route: route.id, path: p - route.firstPath, ok })
  }
}
