/**
 * Random small scenarios for property tests (TigerBeetle-style swarm): 1-4 routes with
 * random revalidate, params (and real paths), render times, failures, traffic (Zipf or
 * weighted popularity, crawlers) and outages, a site-wide daily curve, on every version.
 * Decimals sit on fixed grids so that counterexamples print short and exact.
 */
import fc from 'fast-check'
import { NEXT_VERSIONS, type ScenarioInput } from '../sim/index.ts'

export type RouteInput = ScenarioInput['routes'][number]
type RenderInput = RouteInput['renderS']

export interface Case { readonly input: ScenarioInput; readonly seed: string }

/** Decimals on a fixed grid, so the JSON in messages is short and exact. */
export const grid = (min: number, max: number, step: number) => fc.integer({ min: Math.round(min / step), max: Math.round(max / step) }).map((k) => Math.round(k * step * 1e6) / 1e6)

export const arbRender: fc.Arbitrary<RenderInput> = fc.oneof(
  grid(0, 5, 0.001),
  fc.tuple(grid(0.001, 2, 0.001), grid(1, 5, 0.01)).map(([medianS, f]) => ({ lognormal: { medianS, p95S: Math.max(medianS, Math.round(medianS * f * 1000) / 1000) } })),
)
export const arbFailure = grid(0, 0.5, 0.001)
const arbRevalidate = fc.oneof(fc.constant(false as const), fc.constant(0 as const), fc.integer({ min: 1, max: 120 }))

type Crawler = NonNullable<RouteInput['traffic']['crawlers']>[number]
/** A crawler of a route with `count` paths: all of them or the first few, revisited every 1..200 s. */
export const arbCrawler = (count: number): fc.Arbitrary<Crawler> =>
  fc.record({ revisitS: grid(1, 200, 0.5), paths: fc.option(fc.integer({ min: 1, max: count }), { nil: undefined }) })
    .map((c): Crawler => ({ name: 'bot', revisitS: c.revisitS, ...(c.paths === undefined ? {} : { paths: c.paths }) }))

/** Relative weights for the first 1..count ranks, at least one of them positive. */
const arbWeights = (count: number) => fc.array(grid(0, 10, 0.5), { minLength: 1, maxLength: count }).map((w) => (w.some((x) => x > 0) ? w : [1, ...w.slice(1)]))

interface RouteOpts { readonly maxRps?: number }

export function arbRoute(i: number, opts: RouteOpts = {}): fc.Arbitrary<RouteInput> {
  return fc.integer({ min: 1, max: 50 }).chain((count) =>
    fc.record({
      revalidateS: arbRevalidate,
      dynamic: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      withParams: count > 1 ? fc.constant(true) : fc.boolean(),
      prebuilt: fc.option(fc.integer({ min: 0, max: count }), { nil: undefined }),
      dynamicParams: fc.boolean(),
      renderS: arbRender,
      failureRate: arbFailure,
      rps: grid(0, opts.maxRps ?? 20, 0.1),
      arrivals: fc.constantFrom('poisson' as const, 'uniform' as const),
      popularity: fc.oneof(fc.constant('uniform' as const), grid(0.1, 2, 0.1).map((zipf) => ({ zipf })), arbWeights(count).map((weights) => ({ weights }))),
      unknownRate: fc.oneof(fc.constant(0), grid(0, 2, 0.1)),
      crawlers: fc.oneof({ weight: 2, arbitrary: fc.constant<Crawler[]>([]) }, { weight: 1, arbitrary: fc.array(arbCrawler(count), { minLength: 1, maxLength: 2 }) }),
      // Real URLs for the first few ranks (slugs start with a letter: never an index's URL).
      slugs: count > 1 ? fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/), { maxLength: count }) : fc.constant<string[]>([]),
    }).map((r): RouteInput => ({
      id: `r${i}`,
      pattern: count > 1 ? `/r${i}/[id]` : `/r${i}`,
      revalidateS: r.revalidateS,
      dynamic: r.dynamic,
      ...(r.withParams ? { params: { count, ...(r.prebuilt === undefined ? {} : { prebuilt: r.prebuilt }), dynamicParams: r.dynamicParams, ...(r.slugs.length > 0 ? { paths: r.slugs.map((x) => `/r${i}/${x}`) } : {}) } } : {}),
      renderS: r.renderS,
      failureRate: r.failureRate,
      traffic: { rps: r.rps, arrivals: r.arrivals, popularity: r.popularity, unknownRate: r.unknownRate, ...(r.crawlers.length > 0 ? { crawlers: r.crawlers } : {}) },
    })),
  )
}

type Outages = NonNullable<ScenarioInput['outages']>
const noOutages = (): fc.Arbitrary<Outages> => fc.constant<Outages>([])

function arbOutages(nRoutes: number): fc.Arbitrary<Outages> {
  return fc.array(
    fc.record({
      fromS: fc.integer({ min: 0, max: 400 }),
      lenS: fc.integer({ min: 1, max: 200 }),
      failureRate: grid(0, 1, 0.01),
      routes: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: nRoutes - 1 }), { maxLength: nRoutes }), { nil: undefined }),
    }).map((o) => ({
      fromS: o.fromS, toS: o.fromS + o.lenS, failureRate: o.failureRate,
      ...(o.routes === undefined ? {} : { routes: o.routes.map((k) => `r${k}`) }),
    })),
    { maxLength: 2 },
  )
}

export interface ScenarioOpts extends RouteOpts {
  readonly minRoutes?: number
  /** Rewrite each generated route (e.g. force revalidate false). */
  readonly route?: (r: RouteInput) => RouteInput
  readonly outages?: boolean
}

export function arbScenario(opts: ScenarioOpts = {}): fc.Arbitrary<ScenarioInput> {
  return fc.integer({ min: opts.minRoutes ?? 1, max: 4 }).chain((n) =>
    fc.record({
      routes: fc.tuple(...Array.from({ length: n }, (_, i) => arbRoute(i, opts))),
      outages: opts.outages === false ? noOutages() : fc.oneof(noOutages(), arbOutages(n)),
      version: fc.constantFrom(...NEXT_VERSIONS),
      durationS: fc.integer({ min: 10, max: 400 }),
      warmupS: fc.oneof(fc.constant(0), grid(0, 5, 0.001)),
      buildAgeS: fc.oneof(fc.constant(0), grid(0, 100, 0.5)),
      // The site's daily curve: runs are shorter than an hour, so the start hour's multiplier is the rate's.
      diurnal: fc.option(fc.record({ hourly: fc.array(grid(0, 3, 0.5), { minLength: 24, maxLength: 24 }).map((h) => (h.some((x) => x > 0) ? h : [1, ...h.slice(1)])), startHour: fc.integer({ min: 0, max: 23 }) }), { nil: undefined, freq: 4 }),
    }).map((s): ScenarioInput => ({
      name: 'prop',
      durationS: s.durationS,
      warmupS: s.warmupS,
      buildAgeS: s.buildAgeS,
      next: { version: s.version },
      routes: opts.route ? s.routes.map(opts.route) : s.routes,
      outages: s.outages,
      ...(s.diurnal === undefined ? {} : { diurnal: s.diurnal }),
    })),
  )
}

export const arbSeed = fc.stringMatching(/^[a-z0-9]{1,8}$/)
export const arbCase = (opts: ScenarioOpts = {}): fc.Arbitrary<Case> => fc.record({ input: arbScenario(opts), seed: arbSeed })
