/**
 * The fresh-hit shortcut of a plain scenario (docs/performance.md, "Against a minimal loop"):
 * with one instance, no CDN, no trace, no freshness tracking, no Redis key TTL, no Cache
 * Components holes and no tracked tag on any path, a request for a fresh entry with nothing in
 * flight is served here, as decide() would serve it (SERVE_HIT with no tag verdict), and
 * everything else goes to the model's onRequest. Small, so that V8 inlines it and the metrics
 * into the arrival loop: the branches a plain scenario never takes cost nothing here.
 */
import { bucketOf, HISTOGRAM_BUCKETS } from '../kernel/histogram.ts'
import * as Rec from './entries.ts'
import type { ResolvedRoute } from './entries.ts'
import { HIT, OUTCOME_NAMES, type Metrics } from './metrics.ts'

// The record layout and sizes as this module's own constants (V8 folds them into the code).
const { F_CONTENT_AT, F_EXPIRE, F_FLIGHT_MODE, F_HAS_ENTRY, F_LAST_MOD, F_REVAL, FLIGHT_NONE, W } = Rec
const BUCKETS = HISTOGRAM_BUCKETS, OUTCOMES = OUTCOME_NAMES.length, HIT_ = HIT

export interface PlainConditions {
  readonly instances: number
  readonly cdn: boolean
  readonly trace: boolean
  readonly tracksFreshness: boolean
  readonly redisKeyTtl: boolean
  readonly holeRoutes: Uint8Array
  /** The manifest's tag count and whether path p carries a tracked tag. */
  readonly tags: number
  readonly totalPaths: number
  readonly pathHasTag: (p: number) => boolean
  /** Lazy records (entries.ts) move as they grow: the shortcut reads eager ones only. */
  readonly lazy: boolean
}

/** Whether every request can take the shortcut. Decided once per run, before the first request. */
function isPlain(c: PlainConditions): boolean {
  if (c.lazy || c.instances !== 1 || c.cdn || c.trace || c.tracksFreshness || c.redisKeyTtl || c.holeRoutes.includes(1)) return false
  // (No tracked tag at all: no path carries one, and a site of millions of paths skips the walk.)
  if (c.tags > 0) for (let p = 0; p < c.totalPaths; p++) if (c.pathHasTag(p)) return false
  return true
}

/** The request handler for the lane: the shortcut in front of onRequest for a plain scenario, else onRequest itself. */
export function requestHandler(c: PlainConditions, st: Float64Array, clock: Float64Array, metrics: Metrics, enforcesExpire: boolean, onRequest: (route: ResolvedRoute, p: number) => void): (route: ResolvedRoute, p: number) => void {
  if (!isPlain(c)) return onRequest
  const { counts, ageHist, ageSum, ageMax } = metrics
  return function onPlainRequest(route: ResolvedRoute, p: number): void {
    const e = p * W
    if (st[e + F_FLIGHT_MODE] === FLIGHT_NONE && st[e + F_HAS_ENTRY] === 1 && !route.isDynamic) {
      const sinceSetUs = clock[0]! - st[e + F_LAST_MOD]!
      if (sinceSetUs <= st[e + F_REVAL]! && !(enforcesExpire && sinceSetUs > st[e + F_EXPIRE]!)) {
        // Metrics.request(route, HIT) for an age >= 0 (the content's render started by now) and no latency.
        const r = route.index
        const ageUs = clock[0]! - st[e + F_CONTENT_AT]!
        const k = r * OUTCOMES + HIT_
        counts[k] = counts[k]! + 1
        const h = r * BUCKETS + bucketOf(ageUs)
        ageHist[h] = ageHist[h]! + 1
        ageSum[r] = ageSum[r]! + ageUs
        if (ageUs > ageMax[r]!) ageMax[r] = ageUs
        return
      }
    }
    onRequest(route, p)
  }
}
