/**
 * Random small scenarios for property tests (TigerBeetle-style swarm), producing every field
 * of the scenario schema (test/generator-coverage.test.ts checks it against the schema):
 * 1-4 routes with layouts, fetches from a site-wide pool (literal and templated tags, shared
 * ids), params with real paths, popularity of every kind, arrivals, a route's or the site's
 * daily curve, replayed schedules, crawlers and unknown paths; on-demand calls of every kind
 * and schedule; data changes behind tags and fetch ids with webhooks; several instances with
 * local or shared caches and render concurrency; restarts, outages, cost, thresholds and the
 * import block, on every version. Decimals sit on fixed grids so that counterexamples print
 * short and exact. Every generated scenario is valid: the generator parses it and throws
 * (with the scenario) if not, so a generator bug cannot hide as a filtered case.
 */
import fc from 'fast-check'
import { NEXT_VERSIONS, parseScenario, type NextVersion, type RouteConfig, type ScenarioInput } from '../sim/index.ts'
import { changeRouteOf, fillTemplate, leafOf, routeFileOf, urlOf } from '../sim/isr/tags.ts'

export type RouteInput = ScenarioInput['routes'][number]
type RenderInput = RouteInput['renderS']
type FetchInput = NonNullable<RouteInput['fetches']>[number]
type OnDemandInput = NonNullable<ScenarioInput['onDemand']>[number]
type DataChangeInput = NonNullable<ScenarioInput['dataChanges']>[number]
type WebhookInput = NonNullable<DataChangeInput['webhook']>
type Profile = NonNullable<OnDemandInput['profile']>

export interface Case { readonly input: ScenarioInput; readonly seed: string }

/** Decimals on a fixed grid, so the JSON in messages is short and exact. */
export const grid = (min: number, max: number, step: number) => fc.integer({ min: Math.round(min / step), max: Math.round(max / step) }).map((k) => Math.round(k * step * 1e6) / 1e6)
/** A field that is sometimes left out (the schema's default applies). */
const opt = <T>(a: fc.Arbitrary<T>, freq = 2) => fc.option(a, { nil: undefined, freq })
/** `{ key: value }`, or `{}` when the value is undefined (exactOptionalPropertyTypes). */
const field = <K extends string, T>(key: K, v: T | undefined): { [k in K]?: T } => (v === undefined ? {} : { [key]: v } as { [k in K]: T })

export const arbRender: fc.Arbitrary<RenderInput> = fc.oneof(
  grid(0, 5, 0.001),
  fc.tuple(grid(0.001, 2, 0.001), grid(1, 5, 0.01)).map(([medianS, f]) => ({ lognormal: { medianS, p95S: Math.max(medianS, Math.round(medianS * f * 1000) / 1000) } })),
)
export const arbFailure = grid(0, 0.5, 0.001)
const arbRevalidate = fc.oneof(fc.constant(false as const), fc.constant(0 as const), fc.integer({ min: 1, max: 120 }))
/** A revalidate that rarely makes a route dynamic (layouts, fetches). */
const arbSoftRevalidate = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 120 }) }, { weight: 2, arbitrary: fc.constant(false as const) }, { weight: 1, arbitrary: fc.constant(0 as const) })
const arbDaily = fc.array(grid(0, 3, 0.5), { minLength: 24, maxLength: 24 }).map((h) => (h.some((x) => x > 0) ? h : [1, ...h.slice(1)]))
const arbDiurnal = fc.record({ hourly: arbDaily, startHour: opt(fc.integer({ min: 0, max: 23 })) }).map((d) => ({ hourly: d.hourly, ...field('startHour', d.startHour) }))

type Crawler = NonNullable<RouteInput['traffic']['crawlers']>[number]
/** A crawler of a route with `count` paths: all of them or the first few, revisited every 1..200 s. */
export const arbCrawler = (count: number): fc.Arbitrary<Crawler> =>
  fc.record({ revisitS: grid(1, 200, 0.5), paths: opt(fc.integer({ min: 1, max: count })) })
    .map((c): Crawler => ({ name: 'bot', revisitS: c.revisitS, ...field('paths', c.paths) }))

/** Relative weights for the first 1..count ranks, at least one of them positive. */
const arbWeights = (count: number) => fc.array(grid(0, 10, 0.5), { minLength: 1, maxLength: count }).map((w) => (w.some((x) => x > 0) ? w : [1, ...w.slice(1)]))

type CacheLifeInput = NonNullable<RouteInput['cacheLife']>
/** A cacheLife: a preset, or custom seconds (revalidate <= expire when both are given). */
const arbCacheLife: fc.Arbitrary<CacheLifeInput> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('default' as const, 'seconds' as const, 'minutes' as const, 'hours' as const, 'days' as const, 'weeks' as const, 'max' as const) },
  { weight: 1, arbitrary: fc.record({ staleS: opt(fc.integer({ min: 0, max: 600 })), revalidateS: opt(fc.integer({ min: 0, max: 300 })), extraS: opt(fc.integer({ min: 0, max: 900 })) })
    .map((c) => ({ ...field('staleS', c.staleS), ...field('revalidateS', c.revalidateS), ...field('expireS', c.extraS === undefined ? undefined : (c.revalidateS ?? 0) + c.extraS) })) },
)
/** Whether a version has 'use cache' (§12): not 14. */
const useCacheOn = (v: NextVersion | undefined) => v !== undefined && v !== '14'

/** A fetch of the site-wide pool. Templated tags ("{id}") only go to routes with an [id] segment. */
const arbFetch = (id: string, version?: NextVersion): fc.Arbitrary<FetchInput> =>
  fc.record({
    revalidateS: opt(arbSoftRevalidate),
    tags: opt(fc.uniqueArray(fc.constantFrom('posts', 'nav', 'p:{id}', 'q-{id}'), { maxLength: 2 }), 4),
    latencyS: opt(grid(0, 0.5, 0.01)),
    failureRate: opt(grid(0, 0.3, 0.01)),
    perPath: opt(fc.boolean()),
    kind: opt(useCacheOn(version) ? fc.constantFrom('fetch' as const, 'unstable_cache' as const, 'use cache' as const, 'use cache' as const, 'use cache: remote' as const, 'use cache: remote' as const) : fc.constantFrom('fetch' as const, 'unstable_cache' as const), 3),
    cacheLife: opt(arbCacheLife, 5),
  }).map((f) => {
    const useCache = f.kind === 'use cache' || f.kind === 'use cache: remote'
    // unstable_cache refuses revalidate 0; a 'use cache' function's life is its cacheLife.
    const revalidateS = useCache ? undefined : f.kind === 'unstable_cache' && f.revalidateS === 0 ? false : f.revalidateS
    return { id, ...field('revalidateS', revalidateS), tags: f.tags ?? [], ...field('latencyS', f.latencyS), ...field('failureRate', f.failureRate), ...field('perPath', f.perPath), ...field('kind', f.kind), ...field('cacheLife', useCache ? f.cacheLife : undefined) }
  })

const arbPoolOf = (version?: NextVersion) => fc.integer({ min: 0, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbFetch(`f${i}`, version))))
const arbPool = arbPoolOf()
const templated = (f: FetchInput) => (f.tags ?? []).some((t) => t.includes('{'))

/** A route's fetches: its own copy of the pool's (ids and tags prefixed) when isolated. */
function localFetches(routeId: string, fs: readonly FetchInput[]): FetchInput[] {
  return fs.map((f) => ({ ...f, id: `${routeId}-${f.id}`, tags: (f.tags ?? []).map((t) => `${routeId}-${t}`) }))
}

/** A real path's last segment; starts with a letter, so never an index's URL. (Built once: compiling the pattern is slow.) */
const arbSlug = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/)

interface RouteOpts {
  readonly maxRps?: number
  /** The site's fetches; absent: the route draws its own. */
  readonly pool?: readonly FetchInput[]
  /** Fetch ids and tags of its own (prefixed with the route id): nothing shared with other routes. */
  readonly isolated?: boolean
  /** The version the route is for: 'use cache' and cacheLife only where it has them (§12). Absent: none. */
  readonly version?: NextVersion
}

type SegmentConfigInput = NonNullable<RouteInput['segmentConfig']>

/**
 * The segment config as drawn, minus what next build refuses (§15.2, §15.3): a throwing
 * fetchCache mode against a fetch it refuses becomes the mode's non-throwing twin, and dynamic
 * 'error' on a route that may be dynamic becomes 'force-static'.
 */
function buildableSegmentConfig(c: SegmentConfigInput, page: { readonly dynamic?: boolean | undefined; readonly revalidateS: number | false; readonly cacheLife?: RouteInput['cacheLife'] }, layouts: readonly { readonly dynamic?: boolean | undefined; readonly revalidateS?: number | false | undefined; readonly cacheLife?: RouteInput['cacheLife'] }[], fetches: readonly FetchInput[]): SegmentConfigInput {
  const plain = fetches.filter((f) => f.kind === undefined || f.kind === 'fetch')
  let fetchCache = c.fetchCache
  if (fetchCache === 'only-no-store' && plain.some((f) => f.revalidateS === false || (f.revalidateS ?? 0) > 0)) fetchCache = 'force-no-store'
  if (fetchCache === 'only-cache' && plain.some((f) => f.revalidateS === 0)) fetchCache = 'force-cache'
  const noStore = (f: FetchInput) => f.revalidateS === 0 || (fetchCache === 'default-no-store' && f.revalidateS === undefined)
    || ((fetchCache === 'force-no-store' || fetchCache === 'only-no-store') && f.revalidateS !== false)
  // A 'use cache' scope (page, layout or function) with cacheLife revalidate 0 makes the route dynamic too (§12.2).
  const zeroLife = (l: RouteInput['cacheLife']) => typeof l === 'object' && l.revalidateS === 0
  const mayBeDynamic = page.dynamic === true || page.revalidateS === 0 || layouts.some((l) => l.dynamic === true || l.revalidateS === 0) || plain.some(noStore)
    || zeroLife(page.cacheLife) || layouts.some((l) => zeroLife(l.cacheLife)) || fetches.some((f) => (f.kind === 'use cache' || f.kind === 'use cache: remote') && zeroLife(f.cacheLife))
  const dynamic = c.dynamic === 'error' && mayBeDynamic ? 'force-static' : c.dynamic
  return { ...field('dynamic', dynamic), ...field('fetchCache', fetchCache) }
}

/** The route with its segment config made buildable again after a rewrite. */
function buildableRoute(r: RouteInput): RouteInput {
  if (r.segmentConfig === undefined) return r
  return { ...r, segmentConfig: buildableSegmentConfig(r.segmentConfig, { dynamic: r.dynamic, revalidateS: r.revalidateS ?? false, cacheLife: r.cacheLife }, r.layouts ?? [], r.fetches ?? []) }
}

export function arbRoute(i: number, opts: RouteOpts = {}): fc.Arbitrary<RouteInput> {
  const id = `r${i}`
  const pool = opts.pool === undefined ? arbPoolOf(opts.version) : fc.constant(opts.pool)
  const life = useCacheOn(opts.version) ? opt(arbCacheLife, 3) : fc.constant(undefined)
  return fc.tuple(fc.integer({ min: 1, max: 50 }), pool).chain(([count, fetchPool]) =>
    fc.record({
      revalidateS: arbRevalidate,
      dynamic: opt(fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })),
      intent: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant('dynamic' as const) }),
      layouts: opt(fc.array(fc.record({ revalidateS: opt(arbSoftRevalidate), dynamic: opt(fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })), cacheLife: life }), { maxLength: 2 })),
      router: opt(fc.constantFrom('app' as const, 'pages' as const), 3),
      kind: opt(fc.constantFrom('page' as const, 'route-handler' as const), 3),
      cacheLife: life,
      segmentConfig: opt(fc.record({
        dynamic: opt(fc.constantFrom('auto' as const, 'force-static' as const, 'force-dynamic' as const, 'error' as const)),
        fetchCache: opt(fc.constantFrom('auto' as const, 'default-cache' as const, 'only-cache' as const, 'force-cache' as const, 'default-no-store' as const, 'only-no-store' as const, 'force-no-store' as const)),
      }), 4),
      fallback: opt(fc.constantFrom(false as const, true as const, 'blocking' as const)),
      unknownResult: opt(fc.constantFrom('page' as const, 'notFound' as const, 'redirect' as const), 3),
      fetchPick: fc.subarray(fetchPool.map((_, k) => k)),
      withParams: count > 1 ? fc.constant(true) : fc.boolean(),
      prebuilt: opt(fc.integer({ min: 0, max: count })),
      dynamicParams: opt(fc.boolean()),
      renderS: arbRender,
      failureRate: opt(arbFailure),
      pageSizeKb: opt(grid(1, 200, 1), 4),
      rps: grid(0, opts.maxRps ?? 20, 0.1),
      arrivals: opt(fc.constantFrom('poisson' as const, 'uniform' as const)),
      popularity: opt(fc.oneof(fc.constant('uniform' as const), grid(0.1, 2, 0.1).map((zipf) => ({ zipf })), arbWeights(count).map((weights) => ({ weights })))),
      unknownRate: opt(fc.oneof(fc.constant(0), grid(0, 2, 0.1))),
      diurnal: opt(arbDiurnal, 5),
      schedule: opt(fc.array(fc.tuple(grid(0, 400, 0.25), fc.integer({ min: 0, max: count - 1 })), { minLength: 1, maxLength: 8 }).chain((reqs) => fc.boolean().map((withPaths) => {
        const sorted = [...reqs].sort((a, b) => a[0] - b[0])
        return { atS: sorted.map((r) => r[0]), ...(withPaths ? { path: sorted.map((r) => r[1]) } : {}) }
      })), 4),
      crawlers: fc.oneof({ weight: 2, arbitrary: fc.constant<Crawler[]>([]) }, { weight: 1, arbitrary: fc.array(arbCrawler(count), { minLength: 1, maxLength: 2 }) }),
      placeholder: opt(fc.boolean(), 5),
      // Real URLs for the first few ranks.
      slugs: fc.uniqueArray(arbSlug, { maxLength: Math.min(count, 6) }),
      source: opt(fc.record({ group: fc.boolean(), layouts: opt(fc.boolean()), gsp: opt(fc.boolean()), dynamic: opt(fc.boolean()), revalidate: opt(fc.boolean()) }), 4),
    }).map((r): RouteInput => {
      const pattern = r.withParams ? `/${id}/[id]` : `/${id}`
      // What each router allows (sim/scenario/check-families.ts): Pages routes have no layouts,
      // cacheLife, segment config or dynamicParams, and take fallback; route handlers have no layouts.
      const pages = r.router === 'pages'
      const layouts = pages || (r.kind === 'route-handler' && !pages) ? undefined : r.layouts
      const unknownResult = !pages && r.unknownResult === 'redirect' ? 'notFound' : r.unknownResult
      // 'use cache' is App Router only.
      const picked = r.fetchPick.map((k) => fetchPool[k]!).filter((f) => (r.withParams || !templated(f)) && !(pages && (f.kind === 'use cache' || f.kind === 'use cache: remote')))
      const fetches = opts.isolated === true ? localFetches(id, picked) : picked
      const slugs = r.withParams ? r.slugs : []
      const dir = `app/${r.source?.group === true ? '(g)/' : ''}${id}${r.withParams ? '/[id]' : ''}`
      return {
        id, pattern, revalidateS: r.revalidateS,
        ...field('dynamic', r.dynamic),
        ...field('intent', r.intent),
        ...field('router', r.router),
        ...field('kind', pages ? undefined : r.kind),
        ...field('cacheLife', pages ? undefined : r.cacheLife),
        ...field('segmentConfig', pages ? undefined : r.segmentConfig && buildableSegmentConfig(r.segmentConfig, { dynamic: r.dynamic, revalidateS: r.revalidateS, cacheLife: pages ? undefined : r.cacheLife }, layouts ?? [], fetches)),
        ...field('layouts', layouts?.map((l) => ({ ...field('revalidateS', l.revalidateS), ...field('dynamic', l.dynamic), ...field('cacheLife', l.cacheLife) }))),
        fetches,
        ...(r.withParams ? { params: { count, ...field('prebuilt', r.prebuilt), ...(pages ? field('fallback', r.fallback) : field('dynamicParams', r.dynamicParams)), ...field('unknownResult', unknownResult), ...(slugs.length > 0 ? { paths: slugs.map((x) => `/${id}/${x}`) } : {}) } } : {}),
        renderS: r.renderS,
        ...field('failureRate', r.failureRate),
        ...field('pageSizeKb', r.pageSizeKb),
        traffic: {
          rps: r.rps,
          ...field('arrivals', r.arrivals),
          ...field('popularity', r.popularity),
          ...field('unknownRate', r.unknownRate),
          ...field('diurnal', r.diurnal),
          ...field('schedule', r.schedule),
          ...(r.crawlers.length > 0 ? { crawlers: r.crawlers } : {}),
          ...field('placeholder', r.placeholder),
        },
        ...(r.source === undefined ? {} : {
          source: {
            page: `${dir}/page.tsx`,
            ...(r.source.layouts === undefined ? {} : { layouts: r.source.layouts ? ['app/layout.tsx', `${dir}/layout.tsx`] : [] }),
            ...(r.source.gsp === true ? { generateStaticParams: `${dir}/page.tsx:3` } : {}),
            ...(r.source.dynamic === undefined ? {} : { dynamic: r.source.dynamic ? [`${dir}/page.tsx:5 calls cookies()`] : [] }),
            ...(r.source.revalidate === true ? { revalidate: `${dir}/page.tsx:1 export const revalidate` } : {}),
          },
        }),
      }
    }),
  )
}

type Outages = NonNullable<ScenarioInput['outages']>
function arbOutages(nRoutes: number): fc.Arbitrary<Outages> {
  return fc.array(
    fc.record({
      fromS: fc.integer({ min: 0, max: 400 }),
      lenS: fc.integer({ min: 1, max: 200 }),
      failureRate: grid(0, 1, 0.01),
      routes: opt(fc.uniqueArray(fc.integer({ min: 0, max: nRoutes - 1 }), { maxLength: nRoutes })),
    }).map((o) => ({ fromS: o.fromS, toS: o.fromS + o.lenS, failureRate: o.failureRate, ...field('routes', o.routes?.map((k) => `r${k}`)) })),
    { maxLength: 2 },
  )
}

/** When an event fires: one-off, periodic (from atS or from everyS) or Poisson. */
const arbWhen = fc.oneof(
  grid(0, 400, 0.5).map((atS) => ({ atS })),
  grid(5, 200, 0.5).map((everyS) => ({ everyS })),
  fc.tuple(grid(0, 400, 0.5), grid(5, 200, 0.5)).map(([atS, everyS]) => ({ atS, everyS })),
  grid(0.005, 0.2, 0.005).map((ratePerS) => ({ ratePerS })),
)
const arbProfile: fc.Arbitrary<Profile> = fc.oneof(fc.constant('max' as const), grid(0, 300, 1).map((expireS) => ({ expireS })))

/** The routes as the tag helpers read them (they only look at pattern, params, fetches, source). */
const asConfigs = (routes: readonly RouteInput[]) => routes as unknown as RouteConfig[]

/** Tags some page carries: fetch tags filled for a path, and implicit tags. Never empty (`_N_T_/layout`). */
function pageTags(routes: readonly RouteInput[]): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 0, max: routes.length - 1 }), fc.nat(), fc.nat()).map(([ri, a, k0]) => {
    const r = asConfigs(routes)[ri]!
    const k = k0 % (r.params?.count ?? 1)
    const tags = [...new Set((r.fetches ?? []).flatMap((f) => f.tags ?? []))].map((t) => fillTemplate(t, k, r))
    const implicit = ['_N_T_/layout', `_N_T_${urlOf(r, k)}`, `_N_T_${routeFileOf(r)}/${leafOf(r)}`]
    const all = [...tags, ...implicit]
    return all[a % all.length]!
  })
}

/** revalidatePath arguments: a URL, a route file with type page, "/" with type layout, or a route file without type (no effect). */
function pathCalls(routes: readonly RouteInput[]): fc.Arbitrary<{ path: string; type?: 'page' | 'layout' }> {
  return fc.tuple(fc.integer({ min: 0, max: routes.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 3 })).map(([ri, k0, how]) => {
    const r = asConfigs(routes)[ri]!
    const file = routeFileOf(r)
    switch (how) {
      case 0: return { path: urlOf(r, k0 % (r.params?.count ?? 1)) }
      case 1: return leafOf(r) === 'page' ? { path: file, type: 'page' as const } : { path: urlOf(r, k0 % (r.params?.count ?? 1)) }
      case 2: return { path: '/', type: 'layout' as const }
      default: return file.includes('[') ? { path: file } : { path: file, type: 'layout' as const }
    }
  })
}

/** Who receives a call: the instance named (`instance`), every instance, or the one the balancer picks (then no `instance`). */
const arbReceiver = (instances: number) => fc.record({ target: opt(fc.constantFrom('instance' as const, 'all' as const, 'balancer' as const)), instance: opt(fc.integer({ min: 0, max: instances - 1 })) })
  .map((x) => ({ ...field('target', x.target), ...(x.target === 'all' || x.target === 'balancer' ? {} : field('instance', x.instance)) }))

/** res.revalidate arguments: the URL of a path of a Pages Router route (§14.5), or null without one. */
function pagesPaths(routes: readonly RouteInput[]): fc.Arbitrary<string> | null {
  const pages = asConfigs(routes).filter((r) => r.router === 'pages')
  if (pages.length === 0) return null
  return fc.tuple(fc.nat(), fc.nat()).map(([ri, k]) => {
    const r = pages[ri % pages.length]!
    return urlOf(r, k % (r.params?.count ?? 1))
  })
}

function arbOnDemand(routes: readonly RouteInput[], version: NextVersion, instances: number): fc.Arbitrary<OnDemandInput> {
  const pagesPath = pagesPaths(routes)
  const kinds: OnDemandInput['kind'][] = [...(version.startsWith('16') ? ['revalidateTag', 'revalidatePath', 'updateTag'] as const : ['revalidateTag', 'revalidatePath'] as const), ...(pagesPath === null ? [] : ['res.revalidate'] as const)]
  return fc.record({ kind: fc.constantFrom(...kinds), tag: pageTags(routes), path: pathCalls(routes), pagesPath: pagesPath ?? fc.constant('/'), profile: opt(arbProfile), when: arbWhen, receiver: arbReceiver(instances) })
    .map((e): OnDemandInput => {
      const target = e.kind === 'res.revalidate' ? { path: e.pagesPath }
        : e.kind === 'revalidatePath' ? { path: e.path.path, ...field('type', e.path.type) } : { tag: e.tag, ...(e.kind === 'revalidateTag' ? field('profile', e.profile) : {}) }
      return { kind: e.kind, ...target, ...e.when, ...e.receiver }
    })
}

/**
 * Deploys and purges: one-off, periodic, or periodic from atS, as fractions of the run
 * (durationS is drawn beside them) so that each fires inside it; a purge of everything or
 * of a prefix that reaches some path (a route's static head, or one path's URL).
 */
const arbTimes = fc.record({ at: fc.integer({ min: 0, max: 95 }), every: fc.integer({ min: 5, max: 95 }), how: fc.integer({ min: 0, max: 2 }) })
const timesIn = (t: { at: number; every: number; how: number }, durationS: number) => {
  const atS = Math.round((t.at / 100) * durationS * 2) / 2
  const everyS = Math.max(1, Math.round((t.every / 100) * durationS * 2) / 2)
  return t.how === 0 ? { atS } : t.how === 1 ? { everyS } : { atS, everyS }
}
const arbDeploys = fc.array(fc.record({ t: arbTimes, prerender: opt(fc.boolean()), reuseFetchCache: opt(fc.boolean()) }), { minLength: 1, maxLength: 2 })
function arbPurges(routes: readonly RouteInput[]) {
  const prefix = fc.tuple(fc.integer({ min: 0, max: routes.length - 1 }), fc.nat(), fc.boolean()).map(([ri, k, head]) => {
    const r = asConfigs(routes)[ri]!
    const url = urlOf(r, k % (r.params?.count ?? 1))
    return head ? `/${url.split('/')[1] ?? ''}` : url
  })
  return fc.array(fc.record({ t: arbTimes, prefix: opt(prefix) }), { minLength: 1, maxLength: 2 })
}

/** A data change behind a fetch id or a fetch tag (the template itself, or filled for a path), maybe with its webhook. */
function arbDataChange(routes: readonly RouteInput[], instances: number): fc.Arbitrary<DataChangeInput> | null {
  const cfgs = asConfigs(routes)
  const withFetches = cfgs.filter((r) => r.fetches.length > 0)
  if (withFetches.length === 0) return null
  const ids = [...new Set(withFetches.flatMap((r) => r.fetches.map((f) => f.id)))]
  const tagged = withFetches.flatMap((r) => r.fetches.flatMap((f) => f.tags.map((t) => ({ r, t }))))
  const what = fc.oneof(
    fc.constantFrom(...ids).map((fetch) => ({ fetch })),
    ...(tagged.length === 0 ? [] : [fc.tuple(fc.constantFrom(...tagged), fc.nat(), fc.boolean()).map(([{ r, t }, k, filled]) => ({ tag: filled ? fillTemplate(t, k % (r.params?.count ?? 1), r) : t }))]),
  )
  return fc.record({ what, when: arbWhen, hook: opt(fc.record({ kind: fc.constantFrom('revalidateTag' as const, 'revalidatePath' as const), own: fc.boolean(), tag: pageTags(routes), path: pathCalls(routes), profile: opt(arbProfile), delayS: opt(grid(0, 30, 0.5)), receiver: arbReceiver(instances) })) })
    .map(({ what, when, hook }) => {
      const c: DataChangeInput = { ...what, ...when }
      if (hook === undefined) return c
      // A templated change's webhook names the changed path ("{id}" takes its index).
      const route = changeRouteOf(c, cfgs)
      const template = 'tag' in what && what.tag.includes('{') && route !== undefined ? what.tag : null
      let w: WebhookInput
      if (hook.kind === 'revalidateTag') w = { kind: 'revalidateTag', tag: hook.own && template !== null ? template : hook.tag, ...field('profile', hook.profile) }
      else w = hook.own && template !== null && route!.pattern.includes('[') ? { kind: 'revalidatePath', path: route!.pattern.replace('[id]', '{id}') } : { kind: 'revalidatePath', path: hook.path.path, ...field('type', hook.path.type) }
      return { ...c, webhook: { ...w, ...field('delayS', hook.delayS), ...hook.receiver } }
    })
}

export interface ScenarioOpts extends Omit<RouteOpts, 'pool'> {
  readonly minRoutes?: number
  /** Rewrite each generated route (e.g. force revalidate false), before the events that name them are drawn. */
  readonly route?: (r: RouteInput) => RouteInput
  /** Outage windows. @default true */
  readonly outages?: boolean
  /** On-demand calls and data-change webhooks. @default true */
  readonly invalidations?: boolean
  /** Data changes (with their webhooks), apart from on-demand calls. @default invalidations */
  readonly dataChanges?: boolean
  /** Process restarts, deploys and purges (each resets caches). @default true */
  readonly restarts?: boolean
  /** Deploys, apart from restarts and purges. @default restarts */
  readonly deploys?: boolean
  /** Purges, apart from restarts and deploys. @default restarts */
  readonly purges?: boolean
  /**
   * Routes share nothing: no fetch id or tag in common, one instance, no render concurrency
   * (a shared worker pool or round-robin balancer would couple their requests). For stream
   * isolation laws.
   */
  readonly isolated?: boolean
}

type DeploymentInput = NonNullable<ScenarioInput['deployment']>
const arbDeployment: fc.Arbitrary<DeploymentInput> = fc.record({
  instances: opt(fc.integer({ min: 1, max: 3 }), 4),
  balancer: opt(fc.constantFrom('round-robin' as const, 'random' as const)),
  cache: opt(fc.constantFrom('local' as const, 'shared' as const)),
  tagPropagationS: opt(grid(0, 20, 0.5)),
  renderConcurrency: opt(fc.integer({ min: 1, max: 3 })),
  platform: opt(fc.constantFrom('self-hosted' as const, 'vercel' as const), 4),
  cdn: opt(fc.record({ pops: fc.integer({ min: 1, max: 3 }) }), 3),
  cacheHandler: opt(fc.constant('fortedigital-redis' as const), 3),
  // A CDN in front is refused on Vercel (§16); the Redis handler is a self-hosted shared cache's, with nothing propagating late (§8.2).
}).map((d) => ({ ...field('cacheHandler', d.cache === 'shared' && d.platform !== 'vercel' && !((d.tagPropagationS ?? 0) > 0) ? d.cacheHandler : undefined), ...field('instances', d.instances), ...field('balancer', d.balancer), ...field('cache', d.cache), ...field('tagPropagationS', d.tagPropagationS), ...field('renderConcurrency', d.renderConcurrency), ...field('platform', d.platform), ...field('cdn', d.platform === 'vercel' ? undefined : d.cdn) }))

const arbCost = fc.record({
  primary: opt(fc.constantFrom('vercel' as const, 'self-hosted' as const)),
  pageSizeKb: opt(grid(1, 500, 1)),
  cdnHitFraction: opt(grid(0, 1, 0.05)),
  functionMemoryGb: opt(grid(0.5, 4, 0.5)),
  activeCpuFraction: opt(grid(0, 1, 0.05)),
  vcpusPerInstance: opt(grid(0.5, 8, 0.5)),
  targetCpuUtilization: opt(grid(0.05, 1, 0.05)),
  originRateLimitPerS: opt(grid(0.1, 100, 0.1)),
}).map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)))

/** The build machine and static-generation settings: they change result.build only (the build-time prediction). */
const arbBuild = fc.record({
  cpus: opt(fc.integer({ min: 1, max: 8 })),
  workers: opt(fc.integer({ min: 1, max: 8 })),
  maxConcurrency: opt(fc.integer({ min: 1, max: 16 })),
  minPagesPerWorker: opt(fc.integer({ min: 1, max: 50 })),
  fixedS: opt(grid(0, 60, 0.5)),
  pageS: opt(grid(0, 0.05, 0.001)),
}).map((b) => Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)))

/** Fields that do not change the simulation: comments, the import block, budgets, the default seed. */
const arbPaperwork = fc.record({
  $schema: opt(fc.constant('./scenario.schema.json'), 4),
  description: opt(fc.constant('generated'), 4),
  seed: opt(fc.oneof(fc.stringMatching(/^[a-z0-9]{1,6}$/), fc.integer({ min: 0, max: 1000 })), 4),
  imported: opt(fc.record({ logs: opt(fc.constant(['access.log'])), warnings: opt(fc.constant(['a guess'])) }).map((x) => ({ app: 'app', nextVersion: '16.4.6', ...field('logs', x.logs), ...field('warnings', x.warnings) })), 5),
  thresholds: opt(fc.constant({ 'totals.renders': ['>=0'], 'staleness.ageP95S': ['<1e9'] }), 5),
}).map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)))

export function arbScenario(opts: ScenarioOpts = {}): fc.Arbitrary<ScenarioInput> {
  const deployment = opts.isolated === true ? fc.constant<DeploymentInput>({}) : arbDeployment
  return fc.tuple(fc.integer({ min: opts.minRoutes ?? 1, max: 4 }), fc.constantFrom(...NEXT_VERSIONS), opt(deployment, 3)).chain(([n, version, dep]) => fc.tuple(arbPoolOf(version), fc.constant(version), fc.constant(dep), fc.constant(n))).chain(([pool, version, dep, n]) => {
    const instances = dep?.instances ?? 1
    return fc.tuple(...Array.from({ length: n }, (_, i) => arbRoute(i, { ...opts, pool, version }))).chain((generated) => {
      // A caller's rewrite may turn a fetch against the route's fetchCache mode: re-check what next build accepts.
      const routes = opts.route ? generated.map((r) => buildableRoute(opts.route!(r))) : generated
      const change = (opts.dataChanges ?? opts.invalidations) === false ? null : arbDataChange(routes, instances)
      return fc.record({
        outages: opts.outages === false ? fc.constant<Outages>([]) : opt(arbOutages(n), 4),
        durationS: fc.integer({ min: 10, max: 400 }),
        warmupS: opt(fc.oneof(fc.constant(0), grid(0, 5, 0.001))),
        buildAgeS: opt(fc.oneof(fc.constant(0), grid(0, 100, 0.5))),
        expireTimeS: opt(grid(1, 600, 1), 3),
        // cacheComponents is refused before 16 (§12); false is accepted everywhere.
        cacheComponents: opt(version.startsWith('16') ? fc.boolean() : fc.constant(false), 3),
        // The site's daily curve: runs are shorter than an hour, so the start hour's multiplier is the rate's.
        diurnal: opt(arbDiurnal, 4),
        onDemand: opts.invalidations === false ? fc.constant([]) : opt(fc.array(arbOnDemand(routes, version, instances), { maxLength: 3 }), 3),
        dataChanges: change === null ? fc.constant(undefined) : opt(fc.array(change, { minLength: 1, maxLength: 3 }), 3),
        restarts: opts.restarts === false ? fc.constant([]) : opt(fc.array(fc.record({ atS: grid(0, 400, 0.5), instance: opt(fc.integer({ min: 0, max: instances - 1 })) }).map((r) => ({ atS: r.atS, ...field('instance', r.instance) })), { maxLength: 2 }), 3),
        deploys: (opts.deploys ?? opts.restarts) === false ? fc.constant(undefined) : opt(arbDeploys, 3),
        purges: (opts.purges ?? opts.restarts) === false ? fc.constant(undefined) : opt(arbPurges(routes), 3),
        cost: opt(arbCost, 4),
        build: opt(arbBuild, 4),
        paperwork: arbPaperwork,
      }).map((s): ScenarioInput => {
        const input = {
          ...s.paperwork,
          name: 'prop',
          durationS: s.durationS,
          ...field('warmupS', s.warmupS),
          ...field('buildAgeS', s.buildAgeS),
          next: { version, ...field('expireTimeS', s.expireTimeS), ...field('cacheComponents', s.cacheComponents) },
          routes: s.cacheComponents === true ? routes.map(forCacheComponents) : routes,
          ...field('outages', s.outages),
          ...field('diurnal', s.diurnal),
          ...field('onDemand', s.onDemand),
          ...field('dataChanges', s.dataChanges),
          ...field('deployment', dep),
          ...field('restarts', s.restarts),
          ...field('deploys', s.deploys?.map((d) => ({ ...timesIn(d.t, s.durationS), ...field('prerender', d.prerender), ...field('reuseFetchCache', d.reuseFetchCache) }))),
          ...field('purges', s.purges?.map((x) => ({ ...timesIn(x.t, s.durationS), ...field('prefix', x.prefix) }))),
          ...field('cost', s.cost),
          ...field('build', s.build),
        } as ScenarioInput
        try {
          parseScenario(input)
        } catch (e) {
          throw new Error(`test/arbitraries.ts generated an invalid scenario (a generator bug): ${(e as Error).message}\n${JSON.stringify(input)}`)
        }
        return input
      })
    })
  })
}

/** An App route as next build accepts it with cacheComponents: no segment revalidate, dynamic, fetchCache or dynamicParams export (§12). */
export function forCacheComponents(r: RouteInput): RouteInput {
  if (r.router === 'pages') return r
  const { revalidateS: _r, segmentConfig: _s, ...rest } = r
  const params = r.params && (({ dynamicParams: _d, ...p }) => p)(r.params)
  return { ...rest, ...(r.layouts ? { layouts: r.layouts.map(({ revalidateS: _l, ...l }) => l) } : {}), ...(params ? { params } : {}) }
}

export const arbSeed = fc.stringMatching(/^[a-z0-9]{1,8}$/)
export const arbCase = (opts: ScenarioOpts = {}): fc.Arbitrary<Case> => fc.record({ input: arbScenario(opts), seed: arbSeed })
