/**
 * The request decision (sim/isr/decide.ts) against the rules of docs/semantics.md, one row per
 * rule: a record built by hand, a clock, the tag verdict and the switches in; what is served and
 * which render starts out. Reproduce: npx vitest run test/decide.test.ts -t "<rule>".
 */
import { describe, expect, test } from 'vitest'
import {
  decide, DECISION_NAMES, RENDER_CAUSE_OF, RENDER_MODE_OF, TAGS_EXPIRED, TAGS_NONE, TAGS_STALE, type Decision, type TagState,
} from '../sim/isr/decide.ts'
import {
  Entries, F_CONTENT_AT, F_EXPIRE, F_FLIGHT_MODE, F_HAS_ENTRY, F_LAST_MOD, F_REVAL, FLIGHT_BACKGROUND, FLIGHT_BLOCKING, FLIGHT_NONE, resolveRoutes, W,
} from '../sim/isr/entries.ts'
import { CAUSE_NAMES } from '../sim/isr/invariants.ts'
import { tagVerdict } from '../sim/isr/tags-manifest.ts'
import { RENDER_MODE_NAMES } from '../sim/isr/metrics.ts'
import { parseScenario } from '../sim/index.ts'

const S = 1_000_000

interface Slot {
  /** An entry, written at lastModS (its content from contentAtS); absent: no entry. */
  readonly entry?: { readonly lastModS: number; readonly contentAtS?: number }
  /** The process's cache control, seconds (Infinity: revalidate false / no expire). */
  readonly revalidateS?: number
  readonly expireS?: number
  readonly flight?: typeof FLIGHT_NONE | typeof FLIGHT_BACKGROUND | typeof FLIGHT_BLOCKING
}

/** A one-slot record (own slot = entry slot, offset 0). */
function record(s: Slot): Float64Array {
  const rec = new Float64Array(W)
  rec[F_REVAL] = (s.revalidateS ?? 10) * S
  rec[F_EXPIRE] = (s.expireS ?? Infinity) * S
  rec[F_FLIGHT_MODE] = s.flight ?? FLIGHT_NONE
  if (s.entry) {
    rec[F_HAS_ENTRY] = 1
    rec[F_LAST_MOD] = s.entry.lastModS * S
    rec[F_CONTENT_AT] = (s.entry.contentAtS ?? s.entry.lastModS) * S
  }
  return rec
}

interface Switches { readonly tags?: TagState; readonly isDynamic?: boolean; readonly dynamicParams?: boolean; readonly enforcesExpire?: boolean }

/** decide() on a one-slot record at nowS, as [decision, render mode, render cause] names. */
function served(slot: Slot, nowUs: number, sw: Switches = {}): [string, string, string] {
  const rec = record(slot)
  const before = rec.slice()
  const d = decide(rec, 0, 0, Float64Array.of(nowUs), sw.tags ?? TAGS_NONE, sw.isDynamic ?? false, sw.dynamicParams ?? true, sw.enforcesExpire ?? true)
  expect(rec, 'decide() writes nothing').toEqual(before)
  return named(d)
}

function named(d: Decision): [string, string, string] {
  const mode = RENDER_MODE_OF[d]!, cause = RENDER_CAUSE_OF[d]!
  return [DECISION_NAMES[d], mode === -1 ? 'no render' : RENDER_MODE_NAMES[mode], cause < 0 ? '-' : CAUSE_NAMES[cause]!]
}

const written = { entry: { lastModS: 100, contentAtS: 99 }, revalidateS: 10 } as const

describe('the request decision, rule by rule (docs/semantics.md)', () => {
  test.each([
    ['A2 §1.1: fresh while now - lastModified <= revalidate: 5 s after the write', written, 105 * S, {}, ['hit', 'no render', '-']],
    ['A2 §1.1: the boundary is fresh: exactly revalidate after the write', written, 110 * S, {}, ['hit', 'no render', '-']],
    ['A3 §1.1 §1.3: stale 1 µs past the boundary: served STALE, one background regeneration', written, 110 * S + 1, {}, ['stale', 'background', 'stale by time']],
    ['§1.1: revalidate false never goes stale by time', { ...written, revalidateS: Infinity }, 1e9 * S, {}, ['hit', 'no render', '-']],
    ['A4 §1.3: a background regeneration in flight: joiners get the stale entry and start nothing', { ...written, flight: FLIGHT_BACKGROUND }, 200 * S, {}, ['join stale', 'no render', '-']],
    ['A4 §1.3: a blocking render in flight: joiners share the leader\'s result and start nothing', { flight: FLIGHT_BLOCKING }, 200 * S, {}, ['join blocking', 'no render', '-']],
    ['A4: joining comes first, even for a path whose entry is fresh', { ...written, flight: FLIGHT_BLOCKING }, 101 * S, {}, ['join blocking', 'no render', '-']],
    ['A5 §1.2: no entry: a blocking render with no previous entry (MISS)', {}, 5 * S, {}, ['miss no entry', 'blocking', 'no entry']],
    ['A5 §6: no entry and dynamicParams = false: a 404, no render', {}, 5 * S, { dynamicParams: false }, ['not found', 'no render', '-']],
    ['§6: dynamicParams = false does not touch a path that has an entry', written, 105 * S, { dynamicParams: false }, ['hit', 'no render', '-']],
    ['§5.2: a dynamic route renders every request and caches nothing', written, 105 * S, { isDynamic: true }, ['dynamic', 'dynamic', 'dynamic route']],
    ['§2 16.3+: past expire the request blocks on a fresh render that keeps the old entry', { ...written, expireS: 20 }, 120 * S + 1, {}, ['miss expired', 'blocking', 'expired']],
    ['§2: expire is strict: exactly expire after the write is still served stale', { ...written, expireS: 20 }, 120 * S, {}, ['stale', 'background', 'stale by time']],
    ['§2 before 16.3: expire is never read, the entry is served stale', { ...written, expireS: 20 }, 500 * S, { enforcesExpire: false }, ['stale', 'background', 'stale by time']],
    ['§4.3 16.x: a stale tag on a fresh entry: STALE and a background regeneration', written, 105 * S, { tags: TAGS_STALE }, ['stale tag', 'background', 'stale tag']],
    ['§4.3: a stale tag on an entry stale by time is a time render', written, 115 * S, { tags: TAGS_STALE }, ['stale', 'background', 'stale by time']],
    ['§4.3: an expired tag reads as no entry: blocking, no previous entry', written, 105 * S, { tags: TAGS_EXPIRED }, ['miss tag expired', 'blocking', 'expired tag']],
    ['§4.3 §2: an expired tag wins over an expired entry (no previous entry is kept)', { ...written, expireS: 20 }, 500 * S, { tags: TAGS_EXPIRED }, ['miss tag expired', 'blocking', 'expired tag']],
    ['§4.3 A4: a render in flight is joined whatever the tags say', { ...written, flight: FLIGHT_BACKGROUND }, 105 * S, { tags: TAGS_EXPIRED }, ['join stale', 'no render', '-']],
  ] as const)('%s', (_rule, slot, nowUs, sw, want) => {
    expect(served(slot, nowUs, sw)).toEqual(want)
  })

  test('every decision has a name, and a render mode exactly when it has a cause', () => {
    expect(DECISION_NAMES).toHaveLength(RENDER_CAUSE_OF.length)
    expect(RENDER_MODE_OF).toHaveLength(RENDER_CAUSE_OF.length)
    for (let d = 0; d < DECISION_NAMES.length; d++) expect(RENDER_MODE_OF[d]! < 0, DECISION_NAMES[d]).toBe(RENDER_CAUSE_OF[d]! < 0)
  })

  test('§8: cache control and in-flight renders are per process, the entry per cache (a shared handler)', () => {
    // Own slot of instance 1 at offset W, the shared entry at offset 0 (written by instance 0).
    const rec = new Float64Array(2 * W)
    rec[F_HAS_ENTRY] = 1
    rec[F_LAST_MOD] = 100 * S
    rec[F_REVAL] = 60 * S // instance 0 wrote it: its cache control is the route's
    rec[W + F_REVAL] = 1 * S // instance 1 never wrote it: the 1 s default (§1.1)
    rec[W + F_EXPIRE] = Infinity
    rec[F_EXPIRE] = Infinity
    const at = (o: number) => named(decide(rec, o, 0, Float64Array.of(105 * S), TAGS_NONE, false, true, true))
    expect(at(0)).toEqual(['hit', 'no render', '-'])
    expect(at(W)).toEqual(['stale', 'background', 'stale by time'])
    rec[F_FLIGHT_MODE] = FLIGHT_BACKGROUND // instance 0 regenerates: instance 1 does not join it
    expect(at(W)).toEqual(['stale', 'background', 'stale by time'])
  })

  test('§11.2 §1.1: after a restart a path rendered on demand falls back to the 1 s default, unless the profile keeps written cache controls (16.4, F2)', () => {
    const s = parseScenario({ name: 'restart', durationS: 10, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, params: { count: 2, prebuilt: 1 }, renderS: 0.1, traffic: { rps: 0 } }] })
    const routes = resolveRoutes(s)
    for (const keepWritten of [false, true]) {
      const entries = new Entries(routes, 1, false, -5 * S)
      const rec = entries.rec
      // Path 1 (not prebuilt) was rendered on demand at t = 100 s: it took the route's revalidate.
      rec[W + F_HAS_ENTRY] = 1
      rec[W + F_LAST_MOD] = 100 * S
      rec[W + F_REVAL] = 60 * S
      const at = (p: number, nowS: number) => named(decide(rec, p * W, p * W, Float64Array.of(nowS * S), TAGS_NONE, false, true, true))
      expect(at(1, 102)).toEqual(['hit', 'no render', '-'])
      entries.restartCacheControls(0, routes, keepWritten)
      expect(at(1, 102), `keepWritten ${keepWritten}`).toEqual(keepWritten ? ['hit', 'no render', '-'] : ['stale', 'background', 'stale by time'])
      // The prebuilt path 0 falls back to the manifest's revalidate (60 s), aged from the build.
      expect(at(0, 50)).toEqual(['hit', 'no render', '-'])
      expect(at(0, 56)).toEqual(['stale', 'background', 'stale by time'])
    }
  })
})


describe('the tag verdict on an entry (§4.3 read side), on both tag models', () => {
  const verdict = (model: 'stale-expired' | 'revalidated-at', mark: { staleS: number; expiredS: number }, writtenS: number, nowS: number) =>
    ['none', 'stale', 'expired'][tagVerdict(model === 'revalidated-at', mark.staleS * S, mark.expiredS * S, writtenS * S, nowS * S)]
  const never = -Infinity
  test.each([
    ['§4.3 16.x: revalidateTag(tag, "max") at 200 s marks an older entry stale', 'stale-expired', { staleS: 200, expiredS: 200 + 31_536_000 }, 100, 250, 'stale'],
    ['§4.3 16.x: an entry written after the mark is untouched', 'stale-expired', { staleS: 200, expiredS: 200 + 31_536_000 }, 201, 250, 'none'],
    ['§4.3 16.x: the one-argument form, updateTag and revalidatePath expire it at once', 'stale-expired', { staleS: never, expiredS: 200 }, 100, 250, 'expired'],
    ["§4.3 16.x race: an entry written at the mark's µs is not older than it (expired > lastModified)", 'stale-expired', { staleS: never, expiredS: 200 }, 200, 250, 'none'],
    ['§4.3 16.x future expiry: a finite profile expires a regenerated entry once its time comes', 'stale-expired', { staleS: 200, expiredS: 260 }, 230, 259, 'none'],
    ['§4.3 16.x future expiry: ... and at expired <= now it is expired', 'stale-expired', { staleS: 200, expiredS: 260 }, 230, 260, 'expired'],
    ['§4.3 14/15: revalidatedAt >= lastModified discards the entry (blocking), a profile or not', 'revalidated-at', { staleS: 200, expiredS: 200 }, 100, 250, 'expired'],
    ["§4.3 14/15: the comparison is >=: an entry written at the mark's µs is discarded too", 'revalidated-at', { staleS: never, expiredS: 200 }, 200, 250, 'expired'],
    ['§4.3 14/15: an entry written after the mark is untouched; there is no stale', 'revalidated-at', { staleS: 300, expiredS: 200 }, 201, 250, 'none'],
  ] as const)('%s', (_rule, model, mark, writtenS, nowS, want) => {
    expect(verdict(model, mark, writtenS, nowS)).toBe(want)
  })
})
