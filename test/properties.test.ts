/**
 * Laws over random small scenarios (TigerBeetle-style swarm; test/arbitraries.ts generates
 * every scenario field, test/generator-coverage.test.ts proves it): conservation,
 * determinism, stream isolation (also for added crawlers), at most one render in flight
 * per path and instance, and warmup. Every run also ends with the model's own invariant
 * checks (IsrModel.finish, Caffeine-style), so any property run that breaks one fails.
 *
 * A failing property prints fast-check's seed and the counterexample ({ input, seed });
 * assertion messages repeat the scenario JSON and simulator seed so the run can be
 * replayed with `isrsim run` directly.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput, type SimResult, type TraceEvent } from '../sim/index.ts'
import { OUTCOME_NAMES, RENDER_MODE_NAMES } from '../sim/isr/metrics.ts'
import { drawCrawlerWalk } from '../sim/isr/crawlers.ts'
import { createStreams } from '../sim/kernel/rng.ts'
import { roundHalfUp } from '../sim/kernel/time.ts'
import { arbCase, forCacheComponents, arbCrawler, arbFailure, arbRender, arbRoute, arbSeed, grid, type Case, type RouteInput } from './arbitraries.ts'

type RequestEv = Extract<TraceEvent, { kind: 'request' }>
type RenderEv = Extract<TraceEvent, { kind: 'render' }>

/** numRuns per property: small by default (whole file < 20 s); FC_NUM_RUNS raises it for soak runs. */
const RUNS = process.env.FC_NUM_RUNS !== undefined ? Number(process.env.FC_NUM_RUNS) : 25

// ---------------------------------------------------------------------------
// Running

interface Run {
  readonly result: SimResult
  readonly events: TraceEvent[]
  readonly requests: RequestEv[]
  readonly renders: RenderEv[]
}

function run(input: ScenarioInput, seed: string): Run {
  const events: TraceEvent[] = []
  const result = runScenario(parseScenario(input), { seed, trace: (e) => events.push(e) })
  return {
    result,
    events,
    requests: events.filter((e): e is RequestEv => e.kind === 'request'),
    renders: events.filter((e): e is RenderEv => e.kind === 'render'),
  }
}

/** The replay context for assertion messages. */
const where = (c: Case) => `scenario ${JSON.stringify(c.input)} seed ${JSON.stringify(c.seed)}`

const warmupUs = (input: ScenarioInput) => Math.round((input.warmupS ?? 0) * 1e6)

/** Per route: the (atUs, path) request sequence, as a string for compact diffs. */
function requestSequences(requests: readonly RequestEv[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const r of requests) (out[r.route] ??= []).push(`${r.atUs}:${r.path}`)
  return out
}

/** Per route: every trace event of that route, serialised. */
function traceByRoute(events: readonly TraceEvent[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const e of events) if ('route' in e) (out[e.route] ??= []).push(JSON.stringify(e))
  return out
}

const without = <T extends object, K extends keyof T>(o: T, k: K): Omit<T, K> => { const { [k]: _, ...rest } = o; return rest }

// ---------------------------------------------------------------------------

describe(`simulator laws over random scenarios (fast-check seed ${fc.readConfigureGlobal().seed})`, () => {
  it('conservation: outcomes sum to requests per route and in total, and match the trace', () => {
    fc.assert(
      fc.property(arbCase(), (c) => {
        const { result, requests, renders } = run(c.input, c.seed)
        const w = where(c)
        const wu = warmupUs(c.input)
        // A Pages fallback shell is an outcome too (§14.3), reported only where a route has one.
        const sum = (o: { hit: number; stale: number; miss: number; dynamic: number; notFound: number; error: number; fallback?: number }) => o.hit + o.stale + o.miss + o.dynamic + o.notFound + o.error + (o.fallback ?? 0)
        expect(sum(result.totals), `totals: ${w}`).toBe(result.totals.requests)
        expect(Object.keys(result.routes).sort(), w).toEqual(c.input.routes.map((r) => r.id).sort())
        let routeTotal = 0
        for (const r of c.input.routes) {
          const rr = result.routes[r.id]!
          expect(sum(rr), `route ${r.id}: ${w}`).toBe(rr.requests)
          routeTotal += rr.requests
          // Every traced request has exactly one outcome, and the counts per outcome agree.
          const measured = requests.filter((e) => e.route === r.id && e.atUs >= wu)
          expect(measured.length, `route ${r.id} traced vs counted requests: ${w}`).toBe(rr.requests)
          const byOutcome = Object.fromEntries(OUTCOME_NAMES.map((n) => [n, 0])) as Record<(typeof OUTCOME_NAMES)[number], number>
          for (const e of measured) {
            expect(OUTCOME_NAMES, `outcome ${e.outcome}: ${w}`).toContain(e.outcome)
            byOutcome[e.outcome]++
          }
          expect(byOutcome, `route ${r.id} outcome counts: ${w}`).toEqual({ hit: rr.hit, stale: rr.stale, miss: rr.miss, dynamic: rr.dynamic, notFound: rr.notFound, error: rr.error, fallback: rr.fallback ?? 0 })
          // Renders likewise: every traced render start is counted once, by mode and outcome.
          // The result counts a render from the request that asked for it; the trace gives its
          // start, later when it waited for a worker (renderConcurrency): then a render asked
          // for in the warmup may start after it, and the trace can only bound the counts.
          const rs = renders.filter((e) => e.route === r.id && e.atUs >= wu)
          const modes = RENDER_MODE_NAMES.map((m) => rs.filter((e) => e.mode === m).length)
          const traced = { renders: rs.length, background: modes[0], blocking: modes[1], dynamic: modes[2], failed: rs.filter((e) => !e.ok).length }
          const counted = { renders: rr.renders, background: rr.backgroundRenders, blocking: rr.blockingRenders, dynamic: rr.dynamicRenders, failed: rr.failedRenders }
          if (c.input.deployment?.renderConcurrency === undefined || wu === 0) expect(traced, `route ${r.id} renders: ${w}`).toEqual(counted)
          else for (const [k, v] of Object.entries(counted)) expect(v, `route ${r.id} ${k} renders (queued renders): ${w}`).toBeLessThanOrEqual(traced[k as keyof typeof traced]!)
          // Crawler figures: only on crawled routes, and a part of the route's requests and renders.
          expect(rr.crawlerRequests !== undefined, `route ${r.id} crawler figures: ${w}`).toBe((r.traffic.crawlers?.length ?? 0) > 0)
          expect(rr.crawlerRequests ?? 0, `route ${r.id}: ${w}`).toBeLessThanOrEqual(rr.requests)
          expect(rr.crawlerRenders ?? 0, `route ${r.id}: ${w}`).toBeLessThanOrEqual(rr.renders)
        }
        expect(routeTotal, `sum over routes: ${w}`).toBe(result.totals.requests)
        // The series counts every response, warmup included.
        const seriesTotal = result.series.bins.reduce((a, b) => a + sum(b), 0)
        expect(seriesTotal, `series vs trace: ${w}`).toBe(requests.length)
      }),
      { numRuns: RUNS },
    )
  })

  it('determinism: the same input and seed give an identical result and trace', () => {
    fc.assert(
      fc.property(arbCase(), (c) => {
        const a = run(c.input, c.seed)
        const b = run(c.input, c.seed)
        expect(JSON.stringify(b.result), where(c)).toBe(JSON.stringify(a.result))
        expect(JSON.stringify(b.events), where(c)).toBe(JSON.stringify(a.events))
        // Parsing does not mutate the input: a third run from the same object agrees too.
        expect(JSON.stringify(runScenario(parseScenario(c.input), { seed: c.seed })), where(c)).toBe(JSON.stringify(a.result))
      }),
      { numRuns: RUNS },
    )
  })

  it('determinism: different seeds give different results when there is Poisson traffic', () => {
    const withPoisson = arbCase().chain((c) =>
      fc.tuple(grid(1, 20, 0.1), arbSeed).map(([rps, other]) => {
        const [first, ...rest] = c.input.routes
        // Without the route's and the site's daily curves, whose hour may be silent, and without a
        // schedule, whose fixed times replace the Poisson arrivals.
        const { diurnal: _rd, schedule: _sc, ...traffic } = first!.traffic
        const r0: RouteInput = { ...first!, traffic: { ...traffic, rps, arrivals: 'poisson' } }
        const { diurnal: _d, ...input } = c.input
        return { c: { ...c, input: { ...input, routes: [r0, ...rest] } }, other }
      }),
    ).filter(({ c, other }) => c.seed !== other)
    fc.assert(
      fc.property(withPoisson, ({ c, other }) => {
        const a = run(c.input, c.seed)
        const b = run(c.input, other)
        const ta = a.requests.filter((e) => e.route === 'r0').map((e) => e.atUs)
        const tb = b.requests.filter((e) => e.route === 'r0').map((e) => e.atUs)
        expect(tb, `r0 arrival times equal under seeds ${c.seed} and ${other}: ${where(c)}`).not.toEqual(ta)
        expect(JSON.stringify(without(b.result, 'seed')), `results equal under seeds ${c.seed} and ${other}: ${where(c)}`).not.toBe(JSON.stringify(without(a.result, 'seed')))
      }),
      { numRuns: RUNS },
    )
  })

  it("stream isolation: changing one route's renderS or failureRate moves no request, and nothing of other routes", () => {
    // Isolated routes: a shared fetch id or worker pool would let one route's render times move another's.
    const arb = arbCase({ isolated: true }).chain((c) =>
      fc.record({
        k: fc.integer({ min: 0, max: c.input.routes.length - 1 }),
        renderS: fc.option(arbRender, { nil: undefined }),
        failureRate: fc.option(arbFailure, { nil: undefined }),
      }).map((ch) => ({ c, ...ch })),
    )
    fc.assert(
      fc.property(arb, ({ c, k, renderS, failureRate }) => {
        const changed: ScenarioInput = {
          ...c.input,
          routes: c.input.routes.map((r, i) => (i !== k ? r : {
            ...r,
            ...(renderS === undefined ? {} : { renderS }),
            ...(failureRate === undefined ? {} : { failureRate }),
          })),
        }
        const a = run(c.input, c.seed)
        const b = run(changed, c.seed)
        const msg = `route r${k} -> renderS ${JSON.stringify(renderS)} failureRate ${failureRate}: ${where(c)}`
        expect(requestSequences(b.requests), `request sequences moved; ${msg}`).toEqual(requestSequences(a.requests))
        const ta = traceByRoute(a.events), tb = traceByRoute(b.events)
        for (const r of c.input.routes) {
          if (r.id !== `r${k}`) expect(tb[r.id], `trace of untouched route ${r.id} changed; ${msg}`).toEqual(ta[r.id])
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('stream isolation: adding a route (first or last) leaves every existing route unchanged', () => {
    // Isolated routes and one instance: a round-robin balancer or shared fetches would couple them.
    const arb = fc.record({ c: arbCase({ isolated: true }), extra: arbRoute(9, { isolated: true }), first: fc.boolean() })
    fc.assert(
      fc.property(arb, ({ c, extra, first }) => {
        const x = c.input.next?.cacheComponents === true ? forCacheComponents(extra) : extra
        const added: ScenarioInput = { ...c.input, routes: first ? [x, ...c.input.routes] : [...c.input.routes, x] }
        const a = run(c.input, c.seed)
        const b = run(added, c.seed)
        const msg = `added ${JSON.stringify(extra)} ${first ? 'first' : 'last'}: ${where(c)}`
        const sa = requestSequences(a.requests)
        const sb = requestSequences(b.requests)
        const ta = traceByRoute(a.events), tb = traceByRoute(b.events)
        for (const r of c.input.routes) {
          expect(sb[r.id], `requests of ${r.id} moved; ${msg}`).toEqual(sa[r.id])
          expect(tb[r.id], `trace of ${r.id} changed; ${msg}`).toEqual(ta[r.id])
          expect(b.result.routes[r.id], `result of ${r.id} changed; ${msg}`).toEqual(a.result.routes[r.id])
        }
      }),
      { numRuns: RUNS },
    )
  })

  it("stream isolation: adding a crawler moves no other route's requests, and adds exactly its walk to its own", () => {
    const arb = arbCase({ isolated: true }).chain((c) => fc.integer({ min: 0, max: c.input.routes.length - 1 }).chain((k) => {
      const r = c.input.routes[k]!
      return arbCrawler(r.params?.count ?? 1).map((crawler) => ({ c, k, crawler }))
    }))
    fc.assert(
      fc.property(arb, ({ c, k, crawler }) => {
        const r = c.input.routes[k]!
        const existing = r.traffic.crawlers ?? []
        const added: ScenarioInput = { ...c.input, routes: c.input.routes.map((x, i) => (i === k ? { ...x, traffic: { ...x.traffic, crawlers: [...existing, crawler] } } : x)) }
        const a = run(c.input, c.seed)
        const b = run(added, c.seed)
        const msg = `added crawler ${JSON.stringify(crawler)} to ${r.id}: ${where(c)}`
        const sa = requestSequences(a.requests), sb = requestSequences(b.requests)
        for (const o of c.input.routes) if (o.id !== r.id) expect(sb[o.id], `requests of ${o.id} moved; ${msg}`).toEqual(sa[o.id])
        // The crawler's walk (crawlers.ts): request j = c·P + i at phase + c·V + roundHalfUp(i·V/P), path (start + stride·i) mod P.
        const P = crawler.paths ?? r.params?.count ?? 1
        const w = drawCrawlerWalk(createStreams(c.seed).claim('crawler', `${r.id}#${existing.length}`), P, Math.round(crawler.revisitS * 1e6))
        const walk: string[] = []
        const durationUs = Math.round(c.input.durationS * 1e6)
        for (let j = 0; ; j++) {
          const i = j % P
          const t = w.phaseUs + Math.floor(j / P) * w.revisitUs + roundHalfUp((i * w.revisitUs) / P)
          if (t >= durationUs) break
          walk.push(`${t}:${(w.start + w.stride * i) % P}`)
        }
        expect([...(sb[r.id] ?? [])].sort(), `requests of ${r.id}: the old ones plus the walk; ${msg}`).toEqual([...(sa[r.id] ?? []), ...walk].sort())
        const wu = warmupUs(c.input)
        const measured = walk.filter((x) => Number(x.split(':')[0]) >= wu).length
        expect(b.result.routes[r.id]!.crawlerRequests, msg).toBe((a.result.routes[r.id]!.crawlerRequests ?? 0) + measured)
      }),
      { numRuns: RUNS },
    )
  })

  it('revalidate false (no dynamic, no outages, no invalidations or restarts, local caches): prebuilt paths never render, others at most one successful render per instance', () => {
    // Nothing on the route lowers revalidate or makes it dynamic. (A shared cache is left out: an
    // instance that did not write a path reads it with the 1 s default cache control, §1.1.)
    // A cacheLife ('use cache' page, layout or function) lowers revalidate too (§12.2): the
    // route keeps none of them.
    // Segment config can make it dynamic or its fetches no-store (§15.2, §15.3): dropped too.
    const never = ({ cacheLife: _life, segmentConfig: _config, ...r }: RouteInput): RouteInput => ({
      ...r, revalidateS: false, dynamic: false,
      layouts: (r.layouts ?? []).map(() => ({})),
      fetches: (r.fetches ?? []).filter((f) => f.kind !== 'use cache' && f.kind !== 'use cache: remote').map((f) => (f.revalidateS === undefined ? f : { ...f, revalidateS: false })),
    })
    const arb = arbCase({ outages: false, invalidations: false, restarts: false, route: never })
      .map((c) => (c.input.deployment === undefined ? c : { ...c, input: { ...c.input, deployment: { ...c.input.deployment, cache: 'local' as const } } }))
    fc.assert(
      fc.property(arb, (c) => {
        const { renders } = run(c.input, c.seed)
        const ok = new Map<string, number>()
        for (const e of renders) {
          if (e.path < 0) continue // one-off unknown paths are never asked for again
          const route = c.input.routes.find((r) => r.id === e.route)!
          const count = route.params?.count ?? 1
          const prebuilt = route.params?.prebuilt ?? count
          expect(e.path, `render of prebuilt ${e.route} #${e.path} at ${e.atUs} µs: ${where(c)}`).toBeGreaterThanOrEqual(prebuilt)
          expect(e.mode, `render of ${e.route} #${e.path} at ${e.atUs} µs: ${where(c)}`).toBe('blocking')
          const key = `instance ${e.instance} ${e.route}#${e.path}`
          if (e.ok) ok.set(key, (ok.get(key) ?? 0) + 1)
        }
        for (const [p, n] of ok) expect(n, `${p} rendered successfully ${n} times: ${where(c)}`).toBeLessThanOrEqual(1)
      }),
      { numRuns: RUNS },
    )
  })

  it('no path ever has two renders in flight on one instance', () => {
    fc.assert(
      fc.property(arbCase(), (c) => {
        const { renders, events } = run(c.input, c.seed)
        const last = new Map<string, RenderEv>()
        for (const e of renders) {
          expect(e.endUs, `render ends before it starts: ${where(c)}`).toBeGreaterThanOrEqual(e.atUs)
          if (e.path < 0) continue
          // De-duplication is per instance (§8) and per process: a deploy's new build may render
          // a path while the old build's render of it ends (discarded).
          const key = `instance ${e.instance} build ${e.build ?? 0} ${e.route}#${e.path}`
          const prev = last.get(key)
          if (prev !== undefined) {
            expect(e.atUs, `${key}: render [${e.atUs}, ${e.endUs}) overlaps [${prev.atUs}, ${prev.endUs}): ${where(c)}`).toBeGreaterThanOrEqual(prev.endUs)
          }
          last.set(key, e)
        }
        // Every cached-path render that ends inside the run is followed by its render-done.
        const durationUs = Math.round(c.input.durationS * 1e6)
        const done = events.filter((e) => e.kind === 'render-done').map((e) => `${e.route}#${e.path}@${e.atUs}:${e.ok}`)
        const expected = renders.filter((e) => e.path >= 0 && e.endUs < durationUs).map((e) => `${e.route}#${e.path}@${e.endUs}:${e.ok}`)
        expect([...done].sort(), where(c)).toEqual([...expected].sort())
      }),
      { numRuns: RUNS },
    )
  })

  it('warmup: measured requests are exactly the traced requests at or after warmupS', () => {
    const arb = arbCase().chain((c) => grid(0, Math.min(5, c.input.durationS - 1), 0.001).map((warmupS) => ({ ...c, input: { ...c.input, warmupS } })))
    fc.assert(
      fc.property(arb, (c) => {
        const { result, requests } = run(c.input, c.seed)
        const wu = warmupUs(c.input)
        expect(result.totals.requests, where(c)).toBe(requests.filter((e) => e.atUs >= wu).length)
        for (const r of c.input.routes) {
          expect(result.routes[r.id]!.requests, `route ${r.id}: ${where(c)}`).toBe(requests.filter((e) => e.route === r.id && e.atUs >= wu).length)
        }
        expect(result.scenario.warmupS).toBe(c.input.warmupS)
      }),
      { numRuns: RUNS },
    )
  })
})
