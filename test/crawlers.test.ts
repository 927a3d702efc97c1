/**
 * Crawlers (`traffic.crawlers`, sim/isr/crawlers.ts): hand-traced walks and outcomes, and the
 * crawler's closed form.
 *
 * The walk. A crawler walks P paths, each once per revisit period V: request j = c·P + i
 * (cycle c, position i < P) goes at phase + c·V + roundHalfUp(i·V/P) to (start + stride·i) mod P.
 * stride, start and phase are drawn from the crawler's own stream, so the hand traces below
 * take them from that stream (drawCrawlerWalk) and work out every time and path by hand.
 *
 * The closed form. One crawler alone (no humans) on P prebuilt paths, constant render R,
 * revalidate T, revisit V, nothing else. Every path is visited exactly every V seconds. Take
 * a visit at x that finds the entry stale: it is served STALE and starts a background render
 * x..x+R, and the new entry's clock starts at x+R (§1.3). The visit k periods later, at x+kV,
 * finds it fresh while (x+kV) − (x+R) <= T, i.e. kV <= T+R ("fresh while now − lastModified
 * <= revalidate", docs/semantics.md: the boundary is inclusive). So the next stale visit is
 * the first k with kV > T+R: k = ⌊(T+R)/V⌋ + 1 (k >= 1 and kV > R, so that render has
 * ended and no visit finds one in flight). Each path renders once every k visits, so
 *   renders per revisit cycle = P / (⌊(T+R)/V⌋ + 1),
 * and ISR writes per cycle the same: without dataChanges every successful regeneration
 * writes. With V > T+R that is P (every visit renders); with V < T it is P/k with k >= 2.
 * A model whose boundary were exclusive (stale at kV >= T+R) gives ⌈(T+R)/V⌉ instead, which
 * differs where (T+R)/V is whole: the "boundary" case below tells them apart by 25%.
 * Paths that were not prebuilt: the first visit of each is a blocking MISS (P blocking
 * renders in the first cycle), and the entry's clock starts at its end, so later cycles
 * follow the same rule with background renders.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { summaryTable } from '../sim/cli/format.ts'
import { closedFormProblem } from '../sim/isr/closed-form.ts'
import { drawCrawlerWalk, type CrawlerWalk } from '../sim/isr/crawlers.ts'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { createStreams } from '../sim/kernel/rng.ts'
import { roundHalfUp } from '../sim/kernel/time.ts'
import { traced } from './helpers.ts'

type RouteInput = ScenarioInput['routes'][number]

const SEED = 'crawl'

/** The walk of crawler `index` of route `routeId`, drawn from its own stream as the model does. */
function walkOf(routeId: string, index: number, paths: number, revisitS: number, seed = SEED): CrawlerWalk {
  return drawCrawlerWalk(createStreams(seed).claim('crawler', `${routeId}#${index}`), paths, Math.round(revisitS * 1e6))
}

/** One route walked by one crawler (no humans unless `extra` adds them). */
function crawled(route: Partial<RouteInput> & { renderS: RouteInput['renderS'] }, crawler: { revisitS: number; paths?: number }, durationS: number, extra: Partial<ScenarioInput> = {}): ScenarioInput {
  const count = route.params?.count ?? 1
  return {
    name: 'crawler',
    durationS,
    ...extra,
    routes: [{ id: 'r', pattern: count > 1 ? '/p/[id]' : '/', ...route, traffic: { rps: 0, crawlers: [{ name: 'bot', ...crawler }], ...route.traffic } }],
  }
}

const reproduce = (input: ScenarioInput, seed = SEED) => `Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { seed: ${JSON.stringify(seed)} })`

describe('the walk, by hand', () => {
  test('P = 5, V = 10 s: a request every 2 s, each path once per cycle in the same order, 10 s apart', () => {
    const input = crawled({ revalidateS: false, renderS: 1, params: { count: 5 } }, { revisitS: 10 }, 30)
    const w = walkOf('r', 0, 5, 10)
    const t = traced(input, SEED)
    // By hand: request j at phase + 2 s·j (V/P = 2 s is whole), path (start + stride·j) mod 5.
    const expected: string[] = []
    for (let j = 0; w.phaseUs + 2e6 * j < 30e6; j++) expected.push(`${w.phaseUs + 2e6 * j}:${(w.start + w.stride * j) % 5}`)
    expect(expected.length, 'phase < 2 s leaves room for 15 requests').toBe(15)
    expect(t.requests.map((r) => `${r.atUs}:${r.path}`), reproduce(input)).toEqual(expected)
    // The walk's draws: a stride coprime with 5, a start path and a phase in [0, V/P).
    expect([1, 2, 3, 4]).toContain(w.stride)
    expect(w.phaseUs).toBeGreaterThanOrEqual(0)
    expect(w.phaseUs).toBeLessThan(2e6)
    // Each cycle visits every path once; each path's visits are exactly V apart.
    const byPath = new Map<number, number[]>()
    for (const r of t.requests) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.atUs])
    expect([...byPath.keys()].sort()).toEqual([0, 1, 2, 3, 4])
    for (const times of byPath.values()) expect(times.slice(1).map((x, i) => x - times[i]!)).toEqual([10e6, 10e6])
    expect(t.result.routes.r).toMatchObject({ requests: 15, crawlerRequests: 15, crawlerRenders: 0, hit: 15 })
  })

  test('P = 3, V = 10 s: times are rounded to the µs within the cycle, and every cycle repeats them', () => {
    const input = crawled({ revalidateS: false, renderS: 1, params: { count: 3 } }, { revisitS: 10 }, 30)
    const w = walkOf('r', 0, 3, 10)
    const t = traced(input, SEED)
    // 10 s / 3 = 3,333,333.33 µs: positions 0, 1, 2 at +0, +3,333,333 and +6,666,667 µs.
    const offsets = [0, 3_333_333, 6_666_667]
    const expected: string[] = []
    for (let c = 0; c < 3; c++) for (let i = 0; i < 3; i++) expected.push(`${w.phaseUs + c * 10e6 + offsets[i]!}:${(w.start + w.stride * i) % 3}`)
    expect(t.requests.map((r) => `${r.atUs}:${r.path}`), reproduce(input)).toEqual(expected)
  })

  test('crawler.paths walks only the first ranks; two crawlers walk independently', () => {
    const input: ScenarioInput = {
      name: 'two', durationS: 40,
      routes: [{ id: 'r', pattern: '/p/[id]', revalidateS: false, renderS: 1, params: { count: 10 }, traffic: { rps: 0, crawlers: [{ name: 'a', revisitS: 20, paths: 4 }, { name: 'b', revisitS: 40 }] } }],
    }
    const a = walkOf('r', 0, 4, 20), b = walkOf('r', 1, 10, 40)
    const expected: [number, number][] = []
    for (let j = 0; j < 8; j++) expected.push([a.phaseUs + 5e6 * j, (a.start + a.stride * j) % 4])
    for (let j = 0; j < 10; j++) expected.push([b.phaseUs + 4e6 * j, (b.start + b.stride * j) % 10])
    expected.sort((x, y) => x[0] - y[0])
    const t = traced(input, SEED)
    expect(t.requests.map((r) => [r.atUs, r.path]), reproduce(input)).toEqual(expected)
    expect(t.requests.filter((r) => r.path >= 4).length).toBe(6) // only b reaches ranks 4..9, once each
  })

  test('the walk is a bijection for any P, and request j is at roundHalfUp(phase + j·V/P)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 10_000 }), fc.stringMatching(/^[a-z]{1,6}$/), (P, revisitS, seed) => {
      const w = drawCrawlerWalk(createStreams(seed).claim('crawler', 'x#0'), P, revisitS * 1e6)
      const seen = new Uint8Array(P)
      for (let i = 0, p = w.start; i < P; i++, p = (p + w.stride) % P) seen[p] = 1
      expect(seen.every((x) => x === 1), `P ${P} stride ${w.stride}`).toBe(true)
      expect(w.phaseUs).toBeLessThan(Math.max(1, (revisitS * 1e6) / P))
      // The model's per-cycle form equals the single formula (V and phase are whole µs).
      for (const j of [0, 1, P - 1, P, 3 * P + 1]) {
        const c = Math.floor(j / P), i = j % P
        expect(w.phaseUs + c * w.revisitUs + roundHalfUp((i * w.revisitUs) / P)).toBe(roundHalfUp(w.phaseUs + (j * w.revisitUs) / P))
      }
    }), { numRuns: 200 })
  })
})

describe('outcomes, by hand (P = 1: a visit every V seconds, whatever the phase)', () => {
  // buildAgeS 100 makes the prebuilt page stale at the first visit x0, whatever the phase;
  // x0 < 10 s, so a 70 s run has exactly 7 visits, at x0 + 10 s·j.
  const onePage = (revalidateS: number, durationS = 70) => crawled({ revalidateS, renderS: 2 }, { revisitS: 10 }, durationS, { buildAgeS: 100 })
  const firstVisit = () => walkOf('r', 0, 1, 10).phaseUs

  test('revalidate 25 > revisit 10: STALE, HIT, HIT, STALE, ... (a render every 3rd visit)', () => {
    // x0 STALE -> render x0..x0+2. x0+10: 8 <= 25 HIT; x0+20: 18 HIT; x0+30: 28 > 25 STALE -> render to x0+32; ...
    const t = traced(onePage(25), SEED)
    const x0 = firstVisit()
    expect(t.requests.map((r) => r.atUs)).toEqual([0, 1, 2, 3, 4, 5, 6].map((j) => x0 + j * 10e6))
    expect(t.outcomes, reproduce(onePage(25))).toEqual(['stale', 'hit', 'hit', 'stale', 'hit', 'hit', 'stale'])
    expect(t.renders.map((r) => [r.atUs, r.mode])).toEqual([[x0, 'background'], [x0 + 30e6, 'background'], [x0 + 60e6, 'background']])
    expect(t.result.routes.r).toMatchObject({ crawlerRequests: 7, crawlerRenders: 3, renders: 3, isrWrites: 3 })
    expect(summaryTable(t.result)).toContain('\nr crawlers: 7 requests caused 3 of 3 renders\n')
    // A route without crawlers gets no such line, and no crawler figures.
    const humans = runScenario(parseScenario({ ...onePage(25), routes: [{ ...onePage(25).routes[0]!, traffic: { rps: 1 } }] }), { seed: SEED })
    expect(summaryTable(humans)).not.toContain('crawlers:')
    expect(humans.routes.r!.crawlerRequests).toBeUndefined()
    expect(humans.totals.crawlerRequests).toBeUndefined()
  })

  test('revalidate 5 < revisit 10: every visit is STALE and renders', () => {
    const t = traced(onePage(5), SEED)
    expect(t.outcomes).toEqual(Array(7).fill('stale'))
    expect(t.result.routes.r).toMatchObject({ crawlerRequests: 7, crawlerRenders: 7, backgroundRenders: 7 })
  })

  test('revalidate 8, render 2: the visit 10 s later is exactly at the boundary, and fresh', () => {
    // x0 STALE -> entry set at x0+2; x0+10: 10 − 2 = 8 <= 8 HIT; x0+20: 18 > 8 STALE.
    const t = traced(onePage(8), SEED)
    expect(t.outcomes).toEqual(['stale', 'hit', 'stale', 'hit', 'stale', 'hit', 'stale'])
  })

  test('paths that were not prebuilt: the first cycle blocks (MISS), later cycles are STALE with background renders', () => {
    // P = 3, V = 10 s, revalidate 25, render 2. Per path: MISS at x (entry set at x+2), HIT at
    // x+10 and x+20 (8 and 18 <= 25), STALE at x+30 (28 > 25), HIT, HIT, STALE, ...
    const input = crawled({ revalidateS: 25, renderS: 2, params: { count: 3, prebuilt: 0 } }, { revisitS: 10 }, 70)
    const t = traced(input, SEED)
    const perPath = new Map<number, string[]>()
    t.requests.forEach((r, i) => perPath.set(r.path, [...(perPath.get(r.path) ?? []), t.outcomes[i]!]))
    for (const [p, seq] of perPath) expect(seq, `path ${p}: ${reproduce(input)}`).toEqual(['miss', 'hit', 'hit', 'stale', 'hit', 'hit', 'stale'])
    expect(t.result.routes.r).toMatchObject({ requests: 21, blockingRenders: 3, backgroundRenders: 6, crawlerRenders: 9 })
    // Every render that ends within the run writes (a new entry, or a regeneration without dataChanges).
    expect(t.result.routes.r!.isrWrites).toBe(t.renders.filter((r) => r.endUs < 70e6).length)
  })

  test('dynamicParams false: a crawler on paths that were not prebuilt gets 404s and renders nothing', () => {
    const input = crawled({ revalidateS: false, renderS: 2, params: { count: 4, prebuilt: 2, dynamicParams: false } }, { revisitS: 10 }, 40)
    const r = runScenario(parseScenario(input), { seed: SEED })
    expect(r.routes.r).toMatchObject({ requests: 16, notFound: 8, hit: 8, renders: 0, crawlerRequests: 16, crawlerRenders: 0 })
  })

  test('crawler and human requests share the cache; crawlerRenders counts only the renders crawlers started', () => {
    // Visits every 60 s from x0; humans at x0+1, x0+40, x0+70. Revalidate 25, render 2, stale at start.
    // x0 crawler STALE -> render (crawler's), entry at x0+2; x0+1 human joins (STALE);
    // x0+40 human: 38 > 25 STALE -> render (human's), entry at x0+42; x0+60 crawler: 18 HIT;
    // x0+70 human: 28 > 25 STALE -> render (human's), entry at x0+72; x0+120 crawler: 48 STALE -> render (crawler's).
    const x0 = walkOf('r', 0, 1, 60).phaseUs
    const atS = [1, 40, 70].map((d) => (x0 + d * 1e6) / 1e6)
    const input = crawled({ revalidateS: 25, renderS: 2, traffic: { rps: 0, schedule: { atS }, crawlers: [{ name: 'bot', revisitS: 60 }] } }, { revisitS: 60 }, x0 / 1e6 + 130, { buildAgeS: 100 })
    const t = traced(input, SEED)
    expect(t.requests.map((r) => r.atUs - x0)).toEqual([0, 1e6, 40e6, 60e6, 70e6, 120e6])
    expect(t.outcomes, reproduce(input)).toEqual(['stale', 'stale', 'stale', 'hit', 'stale', 'stale'])
    expect(t.result.routes.r).toMatchObject({ requests: 6, crawlerRequests: 3, renders: 4, crawlerRenders: 2 })
    expect(t.result.totals).toMatchObject({ crawlerRequests: 3, crawlerRenders: 2 })
  })

  test('warmup: crawler figures are measured like requests and renders, from warmupS on', () => {
    const input = { ...onePage(5), warmupS: 35 }
    const x0 = firstVisit()
    const r = runScenario(parseScenario(input), { seed: SEED })
    const after = [0, 1, 2, 3, 4, 5, 6].filter((j) => x0 + j * 10e6 >= 35e6).length
    expect(r.routes.r).toMatchObject({ requests: after, crawlerRequests: after, renders: after, crawlerRenders: after })
  })
})

describe('closed form: renders per revisit cycle = P / (⌊(T+R)/V⌋ + 1)', () => {
  const cycles = 1000
  /** P paths, revisit V, revalidate T, render R; measured over `cycles` cycles after a warmup of 5. */
  function check(P: number, V: number, T: number, R: number, prebuilt = P) {
    const k = Math.floor((T + R) / V) + 1
    const input = crawled({ revalidateS: T, renderS: R, params: { count: P, prebuilt } }, { revisitS: V }, (cycles + 5) * V, { warmupS: 5 * V })
    const r = runScenario(parseScenario(input), { seed: SEED })
    const perCycle = r.totals.renders / cycles
    const what = `P=${P} V=${V} T=${T} R=${R}: ${perCycle} renders per cycle, closed form ${P / k}. ${reproduce(input)}`
    expect(Math.abs(perCycle / (P / k) - 1), what).toBeLessThan(0.01)
    expect(Math.abs(r.totals.isrWrites / cycles / (P / k) - 1), `ISR writes: ${what}`).toBeLessThan(0.01)
    expect(r.routes.r).toMatchObject({ crawlerRequests: cycles * P, requests: cycles * P, crawlerRenders: r.totals.renders })
    return r
  }

  test('revisit longer than revalidate + render (V > T+R): every visit renders', () => {
    check(40, 30, 10, 3)
  })

  test('revisit shorter than revalidate (V < T): a render every ⌊(T+R)/V⌋ + 1 visits', () => {
    check(40, 10, 35, 3) // k = 4
    check(7, 10, 25, 2) // k = 3, and V/P is not a whole number of µs
  })

  test('the boundary: T+R a multiple of V is still fresh (k = 4, not 3)', () => {
    check(24, 10, 28, 2)
  })

  test('paths that were not prebuilt: P blocking renders in the first cycle, then the same rate in the background', () => {
    const P = 20, V = 10, T = 25, R = 2
    const input = crawled({ revalidateS: T, renderS: R, params: { count: P, prebuilt: 0 } }, { revisitS: V }, cycles * V)
    const r = runScenario(parseScenario(input), { seed: SEED })
    const k = Math.floor((T + R) / V) + 1
    expect(r.totals.blockingRenders, reproduce(input)).toBe(P)
    expect(Math.abs(r.totals.backgroundRenders / (cycles - 1) / (P / k) - 1), `background renders per cycle ${r.totals.backgroundRenders / (cycles - 1)} vs ${P / k}: ${reproduce(input)}`).toBeLessThan(0.01)
    expect(r.totals.renders - r.totals.isrWrites, 'only renders still running at the end are not written').toBeLessThanOrEqual(P)
  })

  test('a crawled route has no Poisson closed form (the age CDF leaves it out)', () => {
    const s = parseScenario(crawled({ revalidateS: 25, renderS: 2, traffic: { rps: 5, crawlers: [{ name: 'b', revisitS: 10 }] } }, { revisitS: 10 }, 100))
    expect(closedFormProblem(s, 0)).toMatch(/crawlers/)
    expect(runScenario(s).ageCdf.r!.closedForm).toBeUndefined()
  })
})
