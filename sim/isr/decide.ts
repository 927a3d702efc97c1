/**
 * The request decision (§1.2): what a request for a path is served, and whether it starts a
 * render. A pure function of integers and typed arrays: the path's record (entries.ts), the
 * clock, the tag check's verdict (§4.3 read side, tags-manifest.ts) and three switches. It
 * allocates nothing and lets no double cross the call (the clock is read from its slot), so it
 * may run on the hot path whether or not V8 inlines it. test/decide.test.ts checks it against
 * every rule of docs/semantics.md it implements.
 */
import * as Rec from './entries.ts'
import { BACKGROUND, BLOCKING, DYNAMIC_RENDER, type RenderMode } from './metrics.ts'
import { CAUSE_COLD, CAUSE_DYNAMIC, CAUSE_EXPIRE, CAUSE_TAG_EXPIRED, CAUSE_TAG_STALE, CAUSE_TIME } from './invariants.ts'

// The record layout as this module's own constants, which V8 folds into the code (an imported
// binding is read from its module cell at every use; docs/performance.md).
const { F_EXPIRE, F_FLIGHT_MODE, F_HAS_ENTRY, F_LAST_MOD, F_REVAL, FLIGHT_BACKGROUND, FLIGHT_BLOCKING, FLIGHT_NONE } = Rec

/** The tag check's verdict on an entry (§4.3 read side): no stale or expired tag, a stale one, an expired one. */
export const TAGS_NONE = 0, TAGS_STALE = 1, TAGS_EXPIRED = 2
export type TagState = typeof TAGS_NONE | typeof TAGS_STALE | typeof TAGS_EXPIRED

/** A fresh entry: HIT (§1.1). */
export const SERVE_HIT = 0
/** Stale by time: STALE, and a background regeneration (§1.1, §1.3). */
export const SERVE_STALE = 1
/** Fresh by time but a tag is stale (16.x revalidateTag with a profile): STALE, and a background regeneration (§4.3). */
export const SERVE_STALE_TAG = 2
/** A background regeneration is in flight: STALE from the entry, nothing started (§1.3). */
export const JOIN_STALE = 3
/** A blocking render is in flight: the leader's result, MISS or its error (A4, §1.3). */
export const JOIN_BLOCKING = 4
/** No entry: a blocking render with no previous entry, MISS (A5, §1.2). */
export const MISS_NO_ENTRY = 5
/** A tag expired the entry: it reads as missing, a blocking render with no previous entry (§4.3). */
export const MISS_TAG_EXPIRED = 6
/** Past its expire, 16.3+: a blocking render that keeps the previous entry for a failure (§2, §3.3). */
export const MISS_EXPIRED = 7
/** No entry and dynamicParams = false: a 404, no render (§6). */
export const SERVE_NOT_FOUND = 8
/** A dynamic route: rendered for this request, nothing cached (§5.2). */
export const RENDER_DYNAMIC = 9
/**
 * No entry on a Pages route with fallback: true (§14.3): the fallback shell, and the render
 * the browser's data request starts (blocking for that data request; the model starts it now).
 */
export const SERVE_FALLBACK = 10
export type Decision = typeof SERVE_HIT | typeof SERVE_STALE | typeof SERVE_STALE_TAG | typeof JOIN_STALE | typeof JOIN_BLOCKING
  | typeof MISS_NO_ENTRY | typeof MISS_TAG_EXPIRED | typeof MISS_EXPIRED | typeof SERVE_NOT_FOUND | typeof RENDER_DYNAMIC | typeof SERVE_FALLBACK

export const DECISION_NAMES = ['hit', 'stale', 'stale tag', 'join stale', 'join blocking', 'miss no entry', 'miss tag expired', 'miss expired', 'not found', 'dynamic', 'fallback'] as const

/** The render a decision starts and why (invariants.ts causes), or -1 for none. */
export const RENDER_CAUSE_OF: readonly number[] = [-1, CAUSE_TIME, CAUSE_TAG_STALE, -1, -1, CAUSE_COLD, CAUSE_TAG_EXPIRED, CAUSE_EXPIRE, -1, CAUSE_DYNAMIC, CAUSE_COLD]
/** The mode of that render, or -1 for none. */
export const RENDER_MODE_OF: readonly (RenderMode | -1)[] = [-1, BACKGROUND, BACKGROUND, -1, -1, BLOCKING, BLOCKING, BLOCKING, -1, DYNAMIC_RENDER, BLOCKING]

/**
 * The decision for a request at clock[0], for a path whose record has its own-slot fields
 * at rec[o + …] and its entry fields at rec[e + …] (entries.ts). `tags` is the tag check's
 * verdict on the entry; it is read only when the entry exists and nothing is in flight.
 */
export function decide(rec: Float64Array, o: number, e: number, clock: Float64Array, tags: TagState, isDynamic: boolean, dynamicParams: boolean, enforcesExpire: boolean, fallbackShell = false): Decision {
  if (isDynamic) return RENDER_DYNAMIC
  // §1.2: a request first joins the pending work for its path.
  const flight = rec[o + F_FLIGHT_MODE]!
  if (flight !== FLIGHT_NONE) {
    if (flight === FLIGHT_BACKGROUND) return JOIN_STALE
    if (flight === FLIGHT_BLOCKING || rec[e + F_HAS_ENTRY] === 0) return JOIN_BLOCKING
    // §14.5: res.revalidate's render is in its own batch; the entry is served as it stands.
    return clock[0]! - rec[e + F_LAST_MOD]! <= rec[o + F_REVAL]! ? SERVE_HIT : JOIN_STALE
  }
  if (rec[e + F_HAS_ENTRY] === 0) return dynamicParams ? (fallbackShell ? SERVE_FALLBACK : MISS_NO_ENTRY) : SERVE_NOT_FOUND
  if (tags === TAGS_EXPIRED) return MISS_TAG_EXPIRED
  const sinceSetUs = clock[0]! - rec[e + F_LAST_MOD]!
  // §2, 16.3+: past expire, strictly, the request blocks on a fresh render (isStale = -1).
  if (enforcesExpire && sinceSetUs > rec[o + F_EXPIRE]!) return MISS_EXPIRED
  // §1.1: fresh while now - lastModified <= revalidate (the boundary is fresh).
  if (sinceSetUs <= rec[o + F_REVAL]!) return tags === TAGS_NONE ? SERVE_HIT : SERVE_STALE_TAG
  return SERVE_STALE
}
