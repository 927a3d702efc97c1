/**
 * Fast mode against exact mode on swarm-generated scenarios (issue 19, test/arbitraries.ts).
 *
 * 1. Scenarios made fast-eligible (one instance, or 2-3 behind a random balancer, local
 *    caches; no data changes; on-demand calls and purges in a property of their own; App pages and
 *    route handlers, cacheLife and segment config included, and Pages pages, fallback shells
 *    included; Poisson traffic) but otherwise every feature
 *    the generator draws: deploys, restarts, daily curves, crawlers, one-off unknown paths, every popularity,
 *    prebuilt and dynamicParams, revalidate numbers, false and 0, dynamic pages and layouts,
 *    failures, outages, expireTimeS, buildAgeS, warmup, both
 *    render laws, every version, cacheComponents. Each runs 30 replications per mode and must
 *    pass the checks of test/fast-mode.test.ts (test/fast-stats.ts), with every route fast.
 * 2. Scenarios as generated, blockers kept: a route runs fast exactly when nothing the brief
 *    lists couples it or falls outside fast mode, and otherwise runs exact with a reason that
 *    names the field; the routes that run exact give what exact mode gives.
 * 3. Determinism: the same generated scenario, seed and mode give the same bytes.
 *
 * fast-check's seed is printed once per file (test/setup.ts): DEFAULT_SEED=<seed> replays a run.
 * The cross-validation property does not shrink (endOnFailure): each case costs 120 runs or more,
 * and its message already holds the whole scenario, both stages' figures and the seeds.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type Scenario, type SimResult } from '../sim/index.ts'
import { resolveRoutes } from '../sim/isr/entries.ts'
import { withSegmentConfig } from '../sim/isr/segment-config.ts'
import { tagIndexOf } from '../sim/isr/tags-manifest.ts'
import { profileFor } from '../sim/isr/profiles.ts'
import { deploymentOf } from '../sim/scenario/schema.ts'
import { arbCase, type Case } from './arbitraries.ts'
import { arbFastCase, arbFastFetchCase, arbFastOnDemandCase, arbLayoutFetch, arbSparseCase, fastFetchRoute, fastRoute, withLayoutFetch } from './fast-cases.ts'
import { crossValidate } from './fast-stats.ts'

/** Cases per property: FC_NUM_RUNS raises them for soak runs. */
const RUNS = (n: number) => (process.env.FC_NUM_RUNS !== undefined ? Number(process.env.FC_NUM_RUNS) : n)

const where = (c: Case) => `scenario ${JSON.stringify(c.input)} seed ${JSON.stringify(c.seed)}`

/** Cross-validates one generated case: 30 replications per mode agree, and every route ran fast. */
function agreesRunningFast(c: Case): void {
  const s = parseScenario(c.input)
  const cv = crossValidate(s, c.seed)
  // Chance rejections of the first stage, for the record (a soak run counts them).
  if (cv.first.length > 0) console.log(`${cv.report}\n${where(c)}`)
  for (const r of cv.fast.results) {
    for (const [id, route] of Object.entries(r.routes)) expect(route.mode, `route ${id} ran exact (${route.exactBecause}) in ${where(c)}`).toBe('fast')
  }
  expect(cv.confirmed.map((f) => f.key), `${cv.report}\n${where(c)}`).toEqual([])
}

describe('swarm: fast mode agrees with exact mode on generated fast-eligible scenarios', () => {
  test('30 replications per mode: means, spreads and served ages agree at 1%; every route ran fast', () => {
    fc.assert(fc.property(arbFastCase, agreesRunningFast), { numRuns: RUNS(30), endOnFailure: true })
  }, 600_000)

  test('sparse traffic (200 times the paths, a twentieth of the requests): the same agreement; every route ran fast', () => {
    fc.assert(fc.property(arbSparseCase, agreesRunningFast), { numRuns: RUNS(10), endOnFailure: true })
  }, 600_000)

  test('with the routes\' own fetches: the same agreement, origin calls per fetch included; every route ran fast', () => {
    fc.assert(fc.property(arbFastFetchCase, (c) => {
      expect(c.input.routes.some((r) => (r.fetches?.length ?? 0) > 0)).toBe(true)
      agreesRunningFast(c)
    }), { numRuns: RUNS(15), endOnFailure: true })
  }, 600_000)

  test('with on-demand calls reaching page entries and the routes\' fetches, and purges: the same agreement, each call\'s entries touched and renders caused included; every route ran fast', () => {
    fc.assert(fc.property(arbFastOnDemandCase, (c) => {
      expect((c.input.onDemand?.length ?? 0) + (c.input.purges?.length ?? 0)).toBeGreaterThan(0)
      agreesRunningFast(c)
    }), { numRuns: RUNS(12), endOnFailure: true })
  }, 600_000)
})

// ---------------------------------------------------------------------------
// What keeps a scenario or a route exact, as the brief lists it: the field names the reason
// must contain. Written apart from sim/isr/fast-eligibility.ts so that the two can disagree.

function scenarioBlockers(s: Scenario): string[] {
  const d = deploymentOf(s)
  return [
    d.instances > 1 && d.balancer !== 'random' ? 'deployment.instances' : null,
    d.cache === 'shared' ? 'deployment.cache' : null,
    d.cdn !== undefined ? 'deployment.cdn' : null,
    d.platform === 'vercel' ? 'deployment.platform' : null,
    d.renderConcurrency !== undefined ? 'deployment.renderConcurrency' : null,
    // res.revalidate renders its Pages path at the call; the other calls are replayed per path.
    s.onDemand.some((e) => e.kind === 'res.revalidate') ? 'onDemand' : null,
    s.dataChanges.length > 0 ? 'dataChanges' : null,
  ].filter((x) => x !== null)
}

/** Whether the Data Cache keeps fetch f in an ISR render (§5.3): a revalidate other than 0, tags, or 14's plain fetch(); an unstable_cache function always (§13). */
function kept(s: Scenario, r: Scenario['routes'][number], f: Scenario['routes'][number]['fetches'][number]): boolean {
  // getStaticProps has no Data Cache (§14.9); a 'use cache' function has its own store (§12.5).
  return f.kind === 'unstable_cache' || useCache(f) || (r.router !== 'pages' && f.revalidateS !== 0 && (f.revalidateS !== undefined || f.tags.length > 0 || s.next.version === '14'))
}

const useCache = (f: Scenario['routes'][number]['fetches'][number]) => f.kind === 'use cache' || f.kind === 'use cache: remote'
/** A 'use cache' function whose store a restart empties (the default handler) on a dynamic route, or one every instance shares (remote). */
const storeBlocked = (s: Scenario, f: Scenario['routes'][number]['fetches'][number], dynamic: boolean) => (f.kind === 'use cache' && dynamic && s.restarts.length > 0) || (f.kind === 'use cache: remote' && deploymentOf(s).instances > 1)

/**
 * A route's fetches keep it exact unless each is a plain fetch() that the Data Cache never
 * keeps, or a fetch() or unstable_cache per path (or on a route of one path) that no other
 * route makes, read by ISR renders only; on a dynamic route, unless no dynamic render keeps any.
 */
function ownFetchesBlocked(s: Scenario, i: number): boolean {
  const r = s.routes[i]!
  if (r.fetches.length === 0) return false
  const resolved = resolveRoutes(s)[i]!
  if (resolved.isDynamic) {
    // A dynamic render keeps an unstable_cache function or a fetch with a revalidate (not 0) or tags (§5.3), never in getServerSideProps (§14.9).
    const pages = r.router === 'pages'
    if (r.fetches.some((f) => (pages && f.kind === 'unstable_cache') || storeBlocked(s, f, true))) return true
    const kept = r.fetches.filter((f) => !pages && (f.kind === 'unstable_cache' || useCache(f) || (f.revalidateS !== 0 && (f.revalidateS !== undefined || f.tags.length > 0))))
    if (kept.length === 0) return false
    const f = kept[0]!
    // One kept fetch of its own, read by no one-off path through a shared key, nor by crawlers, never kept across a deploy (reuseFetchCache, for the Data Cache).
    return kept.length > 1 || r.fetches.filter((g) => g.id === f.id).length > 1 || s.routes.some((x, j) => j !== i && x.fetches.some((g) => g.id === f.id))
      || (!(f.perPath ?? f.tags.some((t) => t.includes('{'))) && r.traffic.unknownRate > 0) || (r.traffic.crawlers?.length ?? 0) > 0
      || (!useCache(f) && s.deploys.some((d) => d.reuseFetchCache === true))
  }
  const ids = r.fetches.map((f) => f.id)
  // A cached fetch with one URL for every path is the path's own only on a route of one path that one-off paths do not visit.
  const ownKeys = (f: Scenario['routes'][number]['fetches'][number]) => (f.perPath ?? f.tags.some((t) => t.includes('{'))) || (resolved.count === 1 && r.traffic.unknownRate === 0)
  return new Set(ids).size < ids.length || r.fetches.some((f) => storeBlocked(s, f, false)
    || (kept(s, r, f) && (!ownKeys(f) || s.routes.some((x, j) => j !== i && x.fetches.some((g) => g.id === f.id)))))
}

/** Whether an on-demand call's tags reach route i (the model's tag index), whose 'use cache' entry or dynamic render's kept fetch fast mode does not replay them on. */
function callBlocked(s: Scenario, i: number): boolean {
  const r = s.routes[i]!
  const dynamic = resolveRoutes(s)[i]!.isDynamic
  if (!r.fetches.some((f) => useCache(f) || (dynamic && r.router !== 'pages' && (f.kind === 'unstable_cache' || (f.revalidateS !== 0 && (f.revalidateS !== undefined || f.tags.length > 0)))))) return false
  const index = tagIndexOf(s, profileFor(s.next.version))
  return index.onDemandIds.some((ids) => ids.some((id) => index.targets[id]!.some((t) => t.route === i)))
}

function ownBlockers(s: Scenario, i: number): string[] {
  const r = s.routes[i]!
  const t = r.traffic
  return [
    ownFetchesBlocked(s, i) ? 'fetches' : null,
    callBlocked(s, i) ? 'onDemand' : null,
    t.arrivals !== 'poisson' ? 'traffic.arrivals' : null,
    deploymentOf(s).instances > 1 && (t.crawlers?.length ?? 0) > 0 ? 'traffic.crawlers' : null,
    t.schedule !== undefined ? 'traffic.schedule' : null,
    // Holes (§12.4: an App page's dynamic causes under cacheComponents, or a short-lived cacheLife, §12.3, as the resolver finds them)
    // run fast but with an outage on the route, or a fetch some render keeps (a hole render reads it too).
    s.next.cacheComponents && (r.router ?? 'app') === 'app' && (r.kind ?? 'page') === 'page'
      && (r.dynamic === true || r.revalidateS === 0 || r.layouts.some((l) => l.dynamic === true || l.revalidateS === 0) || resolveRoutes(s)[i]!.effective.holes !== undefined)
      && (s.outages.some((o) => o.failureRate > 0 && (o.routes === undefined || o.routes.includes(r.id))) || r.fetches.some((f) => kept(s, r, f))) ? 'cacheComponents' : null,
  ].filter((x) => x !== null)
}

/** A route's blockers; with none of its own, 'fetches' when it makes a fetch that a route running exact makes too (one stream draws for both). */
function routeBlockers(scenario: Scenario, i: number): string[] {
  // Each fetch as its segment's fetchCache leaves it (§15.3: force-cache caches a plain fetch, force-no-store none).
  const s = withSegmentConfig(scenario)
  const own = ownBlockers(s, i)
  if (own.length > 0) return own
  const exact = s.routes.map((_, j) => ownBlockers(s, j).length > 0)
  const sharesWithExact = (j: number) => s.routes[j]!.fetches.some((f) => s.routes.some((x, k) => exact[k] && x.fetches.some((g) => g.id === f.id)))
  for (let changed = true; changed;) {
    changed = false
    for (let j = 0; j < s.routes.length; j++) if (!exact[j] && sharesWithExact(j)) { exact[j] = true; changed = true }
  }
  return exact[i] ? ['fetches'] : []
}

/** The result without what differs by mode alone. */
function withoutModes(r: SimResult): unknown {
  const { mode: _m, ...rest } = r
  return { ...rest, routes: Object.fromEntries(Object.entries(r.routes).map(([id, x]) => { const { mode: _n, exactBecause: _x, ...y } = x; return [id, y] })) }
}

/**
 * Scenarios as generated (a scenario-wide blocker nearly always: 200 of 200 sampled), and
 * scenarios with none where every other route is made fast-eligible, the rest as generated
 * (route blockers: fetches, holes, schedules, arrivals),
 * so that fast and exact routes share runs, some of them sharing a layout's fetch.
 */
const arbMixedCase = fc.oneof(
  arbCase(),
  arbCase({ isolated: true, invalidations: false, restarts: false, route: (r) => (Number(r.id.slice(1)) % 2 === 0 ? fastRoute(r) : r) }),
  // A layout's uncached fetch shared by fast-eligible routes with fetches and routes as generated: fast together, or exact together.
  fc.tuple(arbCase({ isolated: true, invalidations: false, restarts: false, route: (r) => (Number(r.id.slice(1)) % 2 === 0 ? fastFetchRoute(r) : r) }), arbLayoutFetch)
    .map(([c, f]) => withLayoutFetch(c, f)),
)

describe('swarm: what fast mode cannot fast-forward runs exact, and says why', () => {
  test('every route runs fast unless a listed feature blocks it; then exact, with exactBecause naming the field, and the figures of exact mode', () => {
    fc.assert(
      fc.property(arbMixedCase, (c) => {
        const s = parseScenario(c.input)
        const fast = runScenario(s, { mode: 'fast', seed: c.seed })
        const exact = runScenario(s, { mode: 'exact', seed: c.seed })
        expect(fast.mode).toBe('fast')
        // Several instances share the balancer's stream: one exact route keeps them all exact.
        // So do on-demand calls, which fire once for every route.
        const anyRouteExact = s.routes.some((_, i) => routeBlockers(s, i).length > 0)
        const all = [...scenarioBlockers(s), ...(deploymentOf(s).instances > 1 && anyRouteExact ? ['deployment.instances'] : []), ...(s.onDemand.length > 0 && anyRouteExact ? ['onDemand'] : [])]
        s.routes.forEach((r, i) => {
          const blockers = [...all, ...routeBlockers(s, i)]
          const got = fast.routes[r.id]!
          const what = `route ${r.id}: mode ${got.mode}, exactBecause ${JSON.stringify(got.exactBecause)}, blockers ${JSON.stringify(blockers)} in ${where(c)}`
          if (blockers.length === 0) {
            expect(got.mode, what).toBe('fast')
            expect(got.exactBecause, what).toBeUndefined()
            return
          }
          expect(got.mode, what).toBe('exact')
          expect(got.exactBecause, what).toMatch(/\S/)
          expect(blockers.some((b) => got.exactBecause!.includes(b)), what).toBe(true)
          // Run exact inside a fast run, the route draws and does what it does in exact mode.
          const { mode: _m, exactBecause: _x, ...inFast } = got
          const { mode: _n, ...inExact } = exact.routes[r.id]!
          expect(inFast, what).toEqual(inExact)
          expect(fast.ageCdf[r.id], what).toEqual(exact.ageCdf[r.id])
        })
        // Blocked as a whole, the run is exact mode's run.
        if (all.length > 0) expect(withoutModes(fast), where(c)).toEqual(withoutModes(exact))
        // Exact mode says nothing about fast mode.
        for (const route of Object.values(exact.routes)) expect([route.mode, route.exactBecause]).toEqual(['exact', undefined])
      }),
      { numRuns: RUNS(60) },
    )
  })
})

describe('swarm: determinism in fast mode', () => {
  test('the same generated scenario, seed and mode give the same bytes (fast-eligible, as generated, mixed)', () => {
    fc.assert(
      fc.property(fc.oneof(arbFastCase, arbMixedCase), (c) => {
        const s = parseScenario(c.input)
        for (const mode of ['fast', 'auto'] as const) {
          const a = JSON.stringify(runScenario(s, { mode, seed: c.seed, replications: 2 }))
          const b = JSON.stringify(runScenario(parseScenario(c.input), { mode, seed: c.seed, replications: 2 }))
          expect(a === b, `--mode ${mode}: two runs differ in ${where(c)}`).toBe(true)
        }
      }),
      { numRuns: RUNS(25) },
    )
  })
})
