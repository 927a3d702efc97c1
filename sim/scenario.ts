/**
 * The scenario format: one zod schema gives the TypeScript types, the validation and
 * the published JSON Schema. Validation collects every issue and reports each as
 * field path, value received and what is allowed.
 */
import { createHash } from 'node:crypto'
import * as z from 'zod'
import { zipfWeights } from './dist.ts'
import { ScenarioError, type ScenarioIssue } from './errors.ts'
import { profileFor } from './isr/profiles.ts'
import { conditionProblem, metricProblem } from './thresholds.ts'
import { changeRouteOf, eventTags, exampleTags, fillTemplate, tagMatchesTemplate, targetsOfTag, templateIndexesIn, urlMatchesPattern } from './isr/tags.ts'

export const NEXT_VERSIONS = ['14', '15', '16.0', '16.3', '16.4'] as const
export type NextVersion = (typeof NEXT_VERSIONS)[number]

const ONE_YEAR_S = 31_536_000
const TEN_YEARS_S = 10 * ONE_YEAR_S

const seconds = (desc: string) => z.number().min(0).max(TEN_YEARS_S).describe(desc)
const fraction = (desc: string) => z.number().min(0).max(1).describe(desc)

const revalidate = z
  .union([z.literal(false), z.literal(0), z.number().min(1).max(TEN_YEARS_S)], {
    error: 'must be false (never revalidate by time), 0 (dynamic: rendered on every request) or a number of seconds >= 1 (Next.js rejects fractions below 1 at response time)',
  })
  .describe('Seconds after which a cached page is stale; false = never by time; 0 = dynamic.')

const renderTime = z
  .union(
    [
      z.number().min(0).max(3600),
      z.strictObject({
        lognormal: z.strictObject({
          medianS: z.number().gt(0).max(3600).describe('Median render time, seconds.'),
          p95S: z.number().gt(0).max(3600).describe('95th percentile render time, seconds (>= medianS).'),
        }),
      }),
    ],
    { error: 'must be a number of seconds (0..3600) or { "lognormal": { "medianS": s, "p95S": s } }' },
  )
  .describe('Wall time of one render (all layouts and the page), seconds, not counting origin calls: a fetch that goes to the origin in the foreground adds its latencyS (the longest of them).')

const popularity = z
  .union([
    z.literal('uniform'),
    z.strictObject({ zipf: z.number().gt(0).max(10).describe('Zipf exponent s: path of rank k gets weight 1/k^s.') }),
    z.strictObject({ weights: z.array(z.number().min(0).max(1e12)).min(1).max(50_000_000).describe('Relative weight of each path, rank 0 first (e.g. request counts from a log); paths past the list get none.') }),
  ], {
    error: 'must be "uniform", { "zipf": s } with 0 < s <= 10, or { "weights": [w0, w1, ...] } with weights >= 0',
  })
  .describe('How requests spread over the route\'s paths (rank 0 is the most popular).')

const diurnal = z
  .strictObject({
    hourly: z.array(z.number().min(0).max(1000)).length(24).describe('Rate multiplier for each hour of the day, 0..23.'),
    startHour: z.int().min(0).max(23).default(0).describe('Hour of day at t = 0.'),
  })
  .describe('A daily rate curve: the rate in hour h is rps × hourly[h] (piecewise constant).')

const crawler = z
  .strictObject({
    name: z.string().min(1).max(200).describe('Who it is, e.g. "Googlebot" (from the user agent).'),
    revisitS: z.number().gt(0).max(TEN_YEARS_S).describe('Seconds between two visits of the same path: the crawler walks its paths once per revisitS, evenly spaced.'),
    paths: z.int().min(1).max(50_000_000).optional().describe('How many of the route\'s paths it walks (ranks 0..paths-1). Default: all (params.count).'),
  })
  .describe('A crawler: it visits each of its paths once per revisitS, in a fixed shuffled order, at paths / revisitS requests per second.')

const traffic = z.strictObject({
  rps: z.number().min(0).max(1e7).describe('Mean requests per second to the route\'s known paths.'),
  arrivals: z.enum(['poisson', 'uniform']).default('poisson').describe('"poisson" (independent users) or "uniform" (evenly spaced, what k6 constant-arrival-rate sends).'),
  popularity: popularity.default('uniform'),
  unknownRate: z.number().min(0).max(1e7).default(0).describe('Requests per second to paths that were never prebuilt and are each requested once (bots, typos, deleted items).'),
  diurnal: diurnal.optional(),
  schedule: z
    .strictObject({
      atS: z.array(z.number().min(0).max(TEN_YEARS_S)).max(10_000_000).describe('Request times, seconds since t = 0, ascending.'),
      path: z.array(z.int().min(0)).optional().describe('Path index (popularity rank) of each request; default 0.'),
    })
    .optional()
    .describe('Explicit requests in addition to rps, e.g. replayed from an access log.'),
  crawlers: z.array(crawler).max(100).optional().describe('Crawlers walking the route\'s paths, in addition to rps (which is human traffic).'),
  placeholder: z.boolean().optional().describe('true: these figures are placeholders (e.g. `isrsim import` without a log), not measured traffic.'),
})

const params = z
  .strictObject({
    count: z.int().min(1).max(50_000_000).describe('Distinct paths the route serves (1 for a static route).'),
    prebuilt: z.int().min(0).optional().describe('How many of them generateStaticParams returns, most popular first. Default: all.'),
    dynamicParams: z.boolean().default(true).describe('false: a path that was not prebuilt is a 404 with no render.'),
    paths: z
      .array(z.string().regex(/^\//, 'must be a URL path starting with "/" (e.g. "/blog/hello")').max(2048))
      .max(50_000_000)
      .optional()
      .describe('The real URL of each path, rank 0 first (prerendered paths from the build, then paths seen in logs, most popular first). Paths past the list are named by their index ("/blog/7").'),
  })
  .describe('generateStaticParams / dynamicParams.')

const layout = z
  .strictObject({
    revalidateS: revalidate.optional().describe('The layout\'s `export const revalidate`; absent when it exports none.'),
    dynamic: z.boolean().default(false).describe('The layout calls cookies()/headers(): every page under it is dynamic.'),
  })
  .describe('One layout segment, root first.')

const fetchSpec = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be a fetch id of letters, digits, "_", ".", ":" or "-" (e.g. "posts")').describe('Fetch id: the same id on several routes is the same URL.'),
    revalidateS: revalidate.optional().describe('next.revalidate: seconds, false (force-cache), 0 (no-store: the route is dynamic); absent when not set.'),
    tags: z.array(z.string().min(1).max(256)).max(128).default([]).describe('next.tags; "{param}" is replaced per path, e.g. "post:{slug}".'),
    latencyS: z.number().min(0).max(3600).default(0).describe('Origin latency of this fetch, seconds.'),
    failureRate: fraction('Probability the origin call fails.').default(0),
    perPath: z.boolean().optional().describe('One URL per path (true) or one shared URL (false). Default: true when a tag has a {param}.'),
  })
  .describe('A fetch the route makes during its render.')

const route = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a route id of letters, digits, "_" or "-" (e.g. "post")').describe('Stable route id, used in results and streams.'),
  pattern: z.string().regex(/^\//, 'must be a URL pattern starting with "/" (e.g. "/blog/[slug]")').describe('App Router pattern, e.g. /blog/[slug].'),
  revalidateS: revalidate.default(false),
  dynamic: z.boolean().default(false).describe('The page calls request APIs (cookies(), headers(), ...): rendered on every request.'),
  layouts: z.array(layout).max(32).default([]).describe('The layouts above the page, root first.'),
  fetches: z.array(fetchSpec).max(128).default([]),
  params: params.optional(),
  renderS: renderTime,
  failureRate: fraction('Probability that a render throws (the regeneration fails).').default(0),
  pageSizeKb: z.number().gt(0).max(100_000).optional().describe('Size of one cached page (HTML plus RSC payload), KB: ISR read and write units are 8 KB each. Default: cost.pageSizeKb.'),
  traffic,
  source: z
    .strictObject({
      page: z.string().min(1).describe('The page file, relative to the app (e.g. "app/blog/[slug]/page.tsx").'),
      layouts: z.array(z.string().min(1)).default([]).describe('The layout files above the page, root first.'),
      generateStaticParams: z.string().optional().describe('Where the page exports generateStaticParams ("file:line"); absent when it does not.'),
      dynamic: z.array(z.string().min(1)).default([]).describe('What makes the route dynamic, each "file:line what" (e.g. "app/(shop)/layout.tsx:5 calls cookies()").'),
      revalidate: z.string().optional().describe('What sets the effective revalidate ("file:line what").'),
    })
    .optional()
    .describe('Where the route comes from in the app (`isrsim import`): the gate names these files when caching gets worse.'),
})

const outage = z.strictObject({
  fromS: seconds('Start of the window, seconds since t = 0.'),
  toS: seconds('End of the window (exclusive), seconds.'),
  failureRate: fraction('Probability that a render starting in the window fails.'),
  routes: z.array(z.string()).optional().describe('Route ids affected; default all.'),
})

const onDemand = z
  .strictObject({
    kind: z.enum(['revalidateTag', 'revalidatePath', 'updateTag']).describe('The Next.js call.'),
    tag: z.string().min(1).max(256).optional().describe('revalidateTag / updateTag: the tag, e.g. "posts", "post:7" or "_N_T_/blog/7".'),
    path: z.string().regex(/^\//, 'must be a path starting with "/"').max(1024).optional().describe('revalidatePath: a URL ("/blog/7"), or a route file path with type ("/blog/[slug]" + "page").'),
    type: z.enum(['page', 'layout']).optional().describe('revalidatePath type.'),
    profile: z
      .union([z.literal('max'), z.strictObject({ expireS: z.number().min(0).max(TEN_YEARS_S) })], { error: 'must be "max" or { "expireS": seconds }' })
      .optional()
      .describe('revalidateTag second argument (16.x); absent = the deprecated one-argument form.'),
    atS: seconds('One-off at this time (or the first of a periodic event).').optional(),
    everyS: z.number().gt(0).max(TEN_YEARS_S).optional().describe('Periodic: every this many seconds (from atS, or from everyS).'),
    ratePerS: z.number().gt(0).max(1000).optional().describe('Poisson: this many per second on average.'),
    instance: z.int().min(0).default(0).describe('The instance that receives the call (with local caches only it is affected).'),
  })
  .describe('An on-demand invalidation: revalidateTag, revalidatePath or updateTag.')

const webhook = z
  .strictObject({
    kind: z.enum(['revalidateTag', 'revalidatePath', 'updateTag']),
    tag: z.string().min(1).max(256).optional().describe('"{slug}" takes the changed path\'s index.'),
    path: z.string().regex(/^\//, 'must be a path starting with "/"').max(1024).optional().describe('"{slug}" takes the changed path\'s index.'),
    type: z.enum(['page', 'layout']).optional(),
    profile: z.union([z.literal('max'), z.strictObject({ expireS: z.number().min(0).max(TEN_YEARS_S) })], { error: 'must be "max" or { "expireS": seconds }' }).optional(),
    delayS: seconds('Seconds from the change to the call (CMS webhook latency).').default(0),
    instance: z.int().min(0).default(0),
  })
  .describe('The on-demand call a CMS webhook makes after the change.')

const dataChange = z
  .strictObject({
    tag: z.string().min(1).max(256).optional().describe('The data behind this fetch tag changes; a templated tag ("post:{slug}") picks one path at random each time.'),
    fetch: z.string().min(1).optional().describe('Every key of this fetch id changes.'),
    atS: seconds('One-off at this time (or the first of a periodic change).').optional(),
    everyS: z.number().gt(0).max(TEN_YEARS_S).optional(),
    ratePerS: z.number().gt(0).max(1000).optional().describe('Poisson: changes per second.'),
    webhook: webhook.optional(),
  })
  .describe('A change of origin data, optionally followed by an on-demand call (the CMS webhook pattern).')

const deployment = z
  .strictObject({
    instances: z.int().min(1).max(256).default(1).describe('`next start` instances behind the load balancer.'),
    balancer: z.enum(['round-robin', 'random']).default('round-robin').describe('How requests are spread over instances.'),
    cache: z.enum(['local', 'shared']).default('local').describe('"local": each instance has its own cache and tags manifest (the default). "shared": a custom cache handler shares entries and tags.'),
    tagPropagationS: seconds('shared cache: how long an invalidation takes to reach the other instances.').default(0),
    renderConcurrency: z.int().min(1).max(10_000).optional().describe('Renders one instance runs at once; more wait in a first-in-first-out queue. Default: unlimited.'),
  })
  .describe('How the app is deployed.')

const cost = z
  .strictObject({
    primary: z.enum(['vercel', 'self-hosted']).default('vercel').describe('The cost model whose monthly figure is cost.monthlyUsd (thresholds, recommend).'),
    pageSizeKb: z.number().gt(0).max(100_000).default(64).describe('Default page size, KB, for routes without pageSizeKb.'),
    cdnHitFraction: fraction('Vercel: share of cached responses the regional CDN serves without reading the ISR store (no read units).').default(0),
    functionMemoryGb: z.number().gt(0).max(64).default(2).describe('Vercel: memory provisioned per function, GB (billed for each render\'s wall time).'),
    activeCpuFraction: fraction('Share of a render\'s wall time that is CPU work (Active CPU; waiting on fetches is not billed).').default(1),
    vcpusPerInstance: z.number().gt(0).max(1024).default(2).describe('Self-hosted: vCPUs of each `next start` instance.'),
    originRateLimitPerS: z.number().gt(0).max(1e9).optional().describe('Origin calls per second your API allows; a mean rate above it is flagged.'),
  })
  .describe('Inputs of the cost model (prices come from the pricing table).')

/** Metric path -> k6-style conditions, e.g. { "staleness.ageP95S": ["<600"] }. Checked by `isrsim check`. */
const thresholds = z
  .record(z.string().min(1), z.array(z.string().min(1)).min(1).max(32))
  .describe('Budgets in k6\'s style: { "staleness.ageP95S": ["<600"], "cost.monthlyUsd": ["<250"], "routes.post.staleServedFraction": ["<0.05"] }.')

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).max(200).describe('Scenario name, used for output files.'),
    description: z.string().optional(),
    seed: z.union([z.string().min(1), z.int()]).default('1').describe('Default seed; --seed overrides.'),
    durationS: z.number().gt(0).max(TEN_YEARS_S).describe('Simulated seconds.'),
    warmupS: seconds('Seconds at the start that are simulated but not measured.').default(0),
    buildAgeS: seconds('How long before t = 0 the build prerendered the pages.').default(0),
    next: z
      .strictObject({
        version: z.enum(NEXT_VERSIONS).default('16.4').describe('Next.js behaviour profile.'),
        expireTimeS: z.number().gt(0).max(TEN_YEARS_S).default(ONE_YEAR_S).describe('next.config expireTime, seconds (enforced from 16.3).'),
      })
      .default({ version: '16.4', expireTimeS: ONE_YEAR_S }),
    routes: z.array(route).min(1),
    diurnal: diurnal.optional().describe('A daily rate curve for every route without its own (crawlers keep a flat rate).'),
    imported: z
      .strictObject({
        app: z.string().describe('The app folder `isrsim import` read.'),
        nextVersion: z.string().describe('The installed next version, e.g. "16.4.6".'),
        logs: z.array(z.string()).default([]).describe('The access logs the traffic was fitted from.'),
        warnings: z.array(z.string()).default([]).describe('What the import could not model or had to guess.'),
      })
      .optional()
      .describe('Written by `isrsim import`; not part of the model (not in the scenario hash).'),
    outages: z.array(outage).default([]),
    onDemand: z.array(onDemand).max(1000).default([]),
    deployment: deployment.optional(),
    dataChanges: z.array(dataChange).max(1000).default([]),
    restarts: z
      .array(z.strictObject({ atS: seconds('When the instance restarts.'), instance: z.int().min(0).optional().describe('Which instance; default all.') }))
      .max(10_000)
      .default([])
      .describe('Process restarts: the memory cache, cache controls and (15+) the tags manifest are lost; entries are read back from disk.'),
    cost: cost.optional(),
    thresholds: thresholds.optional(),
  })
  .superRefine((s, ctx) => {
    const ids = new Map<string, number>()
    const fetchIds = new Map<string, { key: string; at: string }>()
    s.routes.forEach((r, i) => {
      const first = ids.get(r.id)
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['routes', i, 'id'], input: r.id, message: `is already used by routes[${first}]; route ids must be unique` })
      else ids.set(r.id, i)
      const count = r.params?.count ?? 1
      const dynamicSegment = /\[/.test(r.pattern)
      if (!dynamicSegment && count !== 1) ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'count'], input: count, message: `must be 1 for a pattern without a [param] segment ("${r.pattern}")` })
      if (r.params?.prebuilt !== undefined && r.params.prebuilt > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'prebuilt'], input: r.params.prebuilt, message: `must be at most params.count (${count})` })
      if (typeof r.renderS === 'object' && r.renderS.lognormal.p95S < r.renderS.lognormal.medianS) ctx.addIssue({ code: 'custom', path: ['routes', i, 'renderS', 'lognormal', 'p95S'], input: r.renderS.lognormal.p95S, message: `must be >= medianS (${r.renderS.lognormal.medianS})` })
      const params = [...r.pattern.matchAll(/\[{1,2}(?:\.\.\.)?([^\]]+)\]{1,2}/g)].map((m) => m[1]!)
      r.fetches.forEach((f, j) => {
        f.tags.forEach((t, k) => {
          for (const m of t.matchAll(/\{([^}]*)\}/g)) {
            if (!params.includes(m[1]!)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'fetches', j, 'tags', k], input: t, message: `uses {${m[1]}}, which is not a param of "${r.pattern}" (params: ${params.length ? params.map((p) => `{${p}}`).join(', ') : 'none'})` })
          }
        })
        const seen = fetchIds.get(f.id)
        const key = JSON.stringify({ revalidateS: f.revalidateS ?? null, tags: f.tags, latencyS: f.latencyS, failureRate: f.failureRate, perPath: f.perPath ?? null })
        if (seen && seen.key !== key) ctx.addIssue({ code: 'custom', path: ['routes', i, 'fetches', j, 'id'], input: f.id, message: `is also used by ${seen.at} with different settings; one fetch id is one URL, so its revalidateS, tags, latencyS, failureRate and perPath must match` })
        else if (!seen) fetchIds.set(f.id, { key, at: `routes[${i}].fetches[${j}]` })
      })
      const sch = r.traffic.schedule
      if (sch) {
        const bad = sch.atS.findIndex((t, j) => j > 0 && t < (sch.atS[j - 1] as number))
        if (bad > 0) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'schedule', 'atS', bad], input: sch.atS[bad], message: `must not be earlier than the time before it (${sch.atS[bad - 1]}); times are ascending` })
        if (sch.path && sch.path.length !== sch.atS.length) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'schedule', 'path'], input: sch.path.length, message: `must have one entry per time (${sch.atS.length})` })
        const over = sch.path?.findIndex((p) => p >= count) ?? -1
        if (over >= 0) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'schedule', 'path', over], input: sch.path![over], message: `must be a path index below params.count (${count})` })
      }
      const real = r.params?.paths
      if (real) {
        if (real.length > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'paths'], input: real.length, message: `has ${real.length} paths, more than params.count (${count})` })
        const seenPath = new Map<string, number>()
        for (let j = 0; j < real.length; j++) {
          const u = real[j]!
          const prev = seenPath.get(u)
          if (prev !== undefined) { ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'paths', j], input: u, message: `repeats params.paths[${prev}]; each path is listed once` }); break }
          seenPath.set(u, j)
          if (u.startsWith('/') && !urlMatchesPattern(r.pattern, u)) { ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'paths', j], input: u, message: `is not a URL of the pattern "${r.pattern}"` }); break }
        }
      }
      const pop = r.traffic.popularity
      if (typeof pop === 'object' && 'weights' in pop) {
        if (pop.weights.length > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'popularity', 'weights'], input: pop.weights.length, message: `has ${pop.weights.length} weights, more than params.count (${count})` })
        if (r.traffic.rps > 0 && !pop.weights.some((w) => w > 0)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'popularity', 'weights'], input: pop.weights.slice(0, 10), message: 'must have at least one positive weight when rps > 0' })
      }
      r.traffic.crawlers?.forEach((c, j) => {
        if (c.paths !== undefined && c.paths > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'crawlers', j, 'paths'], input: c.paths, message: `must be at most params.count (${count})` })
        // The same ceiling as traffic.rps: a crawler sends paths / revisitS requests a second.
        const walked = Math.min(c.paths ?? count, count)
        if (c.revisitS > 0 && walked / c.revisitS > 1e7) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'crawlers', j, 'revisitS'], input: c.revisitS, message: `makes ${walked} paths every ${c.revisitS} s = ${(walked / c.revisitS).toPrecision(3)} requests/s, above the limit of 1e7 requests/s: must be >= ${walked / 1e7}` })
      })
      if (r.traffic.diurnal && r.traffic.rps > 0 && !r.traffic.diurnal.hourly.some((m) => m > 0)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'diurnal', 'hourly'], input: r.traffic.diurnal.hourly, message: 'must have at least one positive multiplier when rps > 0' })
    })
    s.onDemand.forEach((e, i) => {
      const at = (field: string) => ['onDemand', i, field]
      const when = [e.atS !== undefined && e.everyS === undefined, e.everyS !== undefined, e.ratePerS !== undefined].filter(Boolean).length
      if (when !== 1 || (e.ratePerS !== undefined && e.atS !== undefined)) ctx.addIssue({ code: 'custom', path: ['onDemand', i], input: { atS: e.atS, everyS: e.everyS, ratePerS: e.ratePerS }, message: 'needs exactly one schedule: atS (one-off), everyS (periodic, optionally starting at atS) or ratePerS (Poisson)' })
      if (e.kind === 'revalidatePath') {
        if (e.path === undefined) ctx.addIssue({ code: 'custom', path: at('path'), message: 'is required for revalidatePath' })
        if (e.tag !== undefined) ctx.addIssue({ code: 'custom', path: at('tag'), input: e.tag, message: 'is not used by revalidatePath (use path)' })
        if (e.profile !== undefined) ctx.addIssue({ code: 'custom', path: at('profile'), input: e.profile, message: 'is only for revalidateTag' })
      } else {
        if (e.tag === undefined) ctx.addIssue({ code: 'custom', path: at('tag'), message: `is required for ${e.kind}` })
        if (e.path !== undefined) ctx.addIssue({ code: 'custom', path: at('path'), input: e.path, message: `is not used by ${e.kind} (use tag)` })
        if (e.type !== undefined) ctx.addIssue({ code: 'custom', path: at('type'), input: e.type, message: 'is only for revalidatePath' })
        if (e.kind === 'updateTag' && e.profile !== undefined) ctx.addIssue({ code: 'custom', path: at('profile'), input: e.profile, message: 'is only for revalidateTag (updateTag always expires at once)' })
      }
      const tags = eventTags(e, s.next.version)
      if (tags !== null && tags.length > 0 && tags.every((t) => targetsOfTag(t, s.routes).length === 0)) {
        if (e.kind === 'revalidatePath') {
          ctx.addIssue({ code: 'custom', path: at('path'), input: e.path, message: `matches no path of any route (path k of "/blog/[slug]" is "/blog/k", k < params.count; a route file path such as "/blog/[slug]" needs type "page" or "layout")` })
        } else {
          ctx.addIssue({ code: 'custom', path: at('tag'), input: e.tag, message: `is not a tag of any route (examples of tags here: ${exampleTags(s).map((t) => JSON.stringify(t)).join(', ')})` })
        }
      }
      const instances = s.deployment?.instances ?? 1
      if (e.instance >= instances) ctx.addIssue({ code: 'custom', path: at('instance'), input: e.instance, message: `must be below deployment.instances (${instances})` })
      if (e.kind === 'updateTag' && !profileFor(s.next.version).hasUpdateTag) {
        ctx.addIssue({ code: 'custom', path: at('kind'), input: e.kind, message: `updateTag exists only from Next 16 (Server Actions); next.version is "${s.next.version}": use revalidateTag` })
      }
    })
    s.dataChanges.forEach((c, i) => {
      const at = (field: string) => ['dataChanges', i, field]
      if ((c.tag === undefined) === (c.fetch === undefined)) ctx.addIssue({ code: 'custom', path: ['dataChanges', i], input: { tag: c.tag, fetch: c.fetch }, message: 'needs exactly one of tag or fetch' })
      const when = [c.atS !== undefined && c.everyS === undefined, c.everyS !== undefined, c.ratePerS !== undefined].filter(Boolean).length
      if (when !== 1 || (c.ratePerS !== undefined && c.atS !== undefined)) ctx.addIssue({ code: 'custom', path: ['dataChanges', i], input: { atS: c.atS, everyS: c.everyS, ratePerS: c.ratePerS }, message: 'needs exactly one schedule: atS (one-off), everyS (periodic, optionally starting at atS) or ratePerS (Poisson)' })
      if (c.fetch !== undefined && !s.routes.some((r) => r.fetches.some((f) => f.id === c.fetch))) ctx.addIssue({ code: 'custom', path: at('fetch'), input: c.fetch, message: `is not a fetch id of any route (known: ${[...new Set(s.routes.flatMap((r) => r.fetches.map((f) => f.id)))].map((x) => JSON.stringify(x)).join(', ') || 'none'})` })
      if (c.tag !== undefined && !s.routes.some((r) => r.fetches.some((f) => f.tags.some((t) => t === c.tag || tagMatchesTemplate(t, c.tag!) || (t.includes('{') && templateIndexesIn(t, c.tag!, r).length > 0))))) ctx.addIssue({ code: 'custom', path: at('tag'), input: c.tag, message: `is not a tag of any fetch (fetch tags here: ${[...new Set(s.routes.flatMap((r) => r.fetches.flatMap((f) => f.tags)))].map((x) => JSON.stringify(x)).join(', ') || 'none'})` })
      const w = c.webhook
      if (w) {
        if (w.kind === 'revalidatePath' ? w.path === undefined : w.tag === undefined) ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook'], input: w, message: w.kind === 'revalidatePath' ? 'needs path for revalidatePath' : `needs tag for ${w.kind}` })
        // A webhook is a route handler, where updateTag throws ("can only be called from within a Server Action").
        if (w.kind === 'updateTag') ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook', 'kind'], input: w.kind, message: 'updateTag works only inside a Server Action; a webhook is a route handler, where it throws: use revalidateTag or revalidatePath' })
        const instances = s.deployment?.instances ?? 1
        if (w.instance >= instances) ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook', 'instance'], input: w.instance, message: `must be below deployment.instances (${instances})` })
        const route = changeRouteOf(c, s.routes)
        const sample = { kind: w.kind, tag: w.tag === undefined ? undefined : fillTemplate(w.tag, 0, route), path: w.path === undefined ? undefined : fillTemplate(w.path, 0, route), type: w.type }
        const tags = eventTags(sample, s.next.version)
        if (tags !== null && tags.length > 0 && tags.every((t) => targetsOfTag(t, s.routes).length === 0)) ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook', w.kind === 'revalidatePath' ? 'path' : 'tag'], input: w.kind === 'revalidatePath' ? w.path : w.tag, message: 'matches no page (checked with {…} = 0)' })
      }
    })
    s.restarts.forEach((r, i) => {
      const instances = s.deployment?.instances ?? 1
      if (r.instance !== undefined && r.instance >= instances) ctx.addIssue({ code: 'custom', path: ['restarts', i, 'instance'], input: r.instance, message: `must be below deployment.instances (${instances})` })
    })
    if (s.thresholds) {
      for (const [metric, conds] of Object.entries(s.thresholds)) {
        const bad = metricProblem(metric, s.routes.map((r) => r.id), s.routes.flatMap((r) => r.fetches.map((f) => f.id)))
        if (bad !== null) ctx.addIssue({ code: 'custom', path: ['thresholds', metric], input: metric, message: bad })
        conds.forEach((c, j) => {
          const e = conditionProblem(c)
          if (e !== null) ctx.addIssue({ code: 'custom', path: ['thresholds', metric, j], input: c, message: e })
        })
      }
    }
    if (s.diurnal && !s.diurnal.hourly.some((m) => m > 0)) ctx.addIssue({ code: 'custom', path: ['diurnal', 'hourly'], input: s.diurnal.hourly, message: 'must have at least one positive multiplier' })
    if (s.warmupS >= s.durationS) ctx.addIssue({ code: 'custom', path: ['warmupS'], input: s.warmupS, message: `must be less than durationS (${s.durationS})` })
    s.outages.forEach((o, i) => {
      if (o.toS <= o.fromS) ctx.addIssue({ code: 'custom', path: ['outages', i, 'toS'], input: o.toS, message: `must be greater than fromS (${o.fromS})` })
      o.routes?.forEach((id, j) => {
        if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['outages', i, 'routes', j], input: id, message: `is not a route id (known: ${[...ids.keys()].map((k) => `"${k}"`).join(', ')})` })
      })
    })
  })

/** What a scenario author writes (JSON or `defineScenario`): optional fields may be left out. */
export type ScenarioInput = z.input<typeof scenarioSchema>
/** A validated scenario with every default filled in. */
export type Scenario = z.output<typeof scenarioSchema>
export type RouteConfig = Scenario['routes'][number]
export type DeploymentConfig = NonNullable<Scenario['deployment']>

/** A route's popularity as weights over its `count` paths, rank 0 first; null when uniform. */
export function popularityWeights(p: RouteConfig['traffic']['popularity'], count: number): Float64Array | null {
  if (p === 'uniform') return null
  if ('zipf' in p) return zipfWeights(count, p.zipf)
  const w = new Float64Array(count)
  w.set(p.weights.slice(0, count))
  return w
}

/** The deployment with every default filled in (a single instance when absent). */
export function deploymentOf(s: Scenario): DeploymentConfig {
  return s.deployment ?? { instances: 1, balancer: 'round-robin', cache: 'local', tagPropagationS: 0 }
}

/** Validate and fill defaults. Collects every issue; throws ScenarioError. */
export function parseScenario(input: unknown, source?: string): Scenario {
  const r = scenarioSchema.safeParse(input, { reportInput: true })
  if (r.success) return r.data
  throw new ScenarioError(r.error.issues.flatMap((i) => toIssues(i, input)), source)
}

/** Typed scenario files: `export default defineScenario({...})`. Validates where it is written. */
export function defineScenario<const T extends ScenarioInput>(input: T): T {
  parseScenario(input)
  return input
}

/** The cost inputs with every default filled in. */
export function costInputsOf(s: Scenario): CostConfig {
  return s.cost ?? COST_DEFAULTS
}
export type CostConfig = NonNullable<Scenario['cost']>
/** The cost block's defaults, from the schema itself. (The block stays optional: filling it in would change every scenario's hash.) */
const COST_DEFAULTS: CostConfig = cost.parse({})

/** sha-256 of the canonical resolved scenario, without seed, comments and thresholds: same model, same hash. */
export function scenarioHash(s: Scenario): string {
  const { seed: _seed, description: _d, $schema: _s, thresholds: _t, imported: _i, ...model } = s
  // Where a route comes from in the app's files is not part of the model either, except the
  // page file, whose route file path gives the implicit tags (route groups included, §4.1).
  const routes = model.routes.map(({ source, ...r }) => (source ? { ...r, routeFile: source.page } : r))
  return createHash('sha256').update(canonicalJson({ ...model, routes })).digest('hex').slice(0, 16)
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    // Empty lists are left out, so a feature a scenario does not use never changes its hash.
    const keep = (k: string) => o[k] !== undefined && !(Array.isArray(o[k]) && o[k].length === 0)
    return `{${Object.keys(o).sort().filter(keep).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

/** The published JSON Schema (draft 2020-12) of the scenario input. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://isrsim.dev/scenario.schema.json',
    title: 'isrsim scenario',
  }
}

// ---------------------------------------------------------------------------
// zod issue -> ScenarioIssue with domain wording

type ZodIssue = z.core.$ZodIssue

/** Fields whose allowed values are best said in one sentence, whatever zod's branch-level complaint. */
const FIELD_RULES: Record<string, string> = {
  revalidateS: 'must be false (never revalidate by time), 0 (dynamic: rendered on every request) or a number of seconds >= 1 (Next.js rejects fractions below 1)',
  renderS: 'must be a number of seconds (0..3600) or { "lognormal": { "medianS": s, "p95S": s } }',
  popularity: 'must be "uniform", { "zipf": s } with 0 < s <= 10, or { "weights": [w0, w1, ...] } with weights >= 0',
  id: 'must be a unique route id of letters, digits, "_" or "-" (e.g. "post")',
}

/** The rule for a field path, or undefined. `id` is a route id only directly under routes[i]. */
function fieldRule(path: readonly PropertyKey[]): string | undefined {
  const last = path[path.length - 1]
  if (typeof last !== 'string') return undefined
  if (last === 'id') return path.length === 3 && path[0] === 'routes' ? FIELD_RULES.id : path.length === 5 && path[2] === 'fetches' ? 'must be a fetch id of letters, digits, "_", ".", ":" or "-" (e.g. "posts")' : undefined
  return FIELD_RULES[last]
}

function toIssues(i: ZodIssue, root: unknown): ScenarioIssue[] {
  if (i.code !== 'unrecognized_keys') return [toIssue(i, root)]
  // One issue per unknown field, each at its own path with its own value.
  const allowed = allowedKeys(i.path)
  return i.keys.map((key) => ({
    path: joinPath(formatPath(i.path), key),
    message: `unknown field${allowed ? `; allowed fields: ${allowed.join(', ')}` : ''}`,
    received: valueAt(root, [...i.path, key]),
  }))
}

function toIssue(i: ZodIssue, root: unknown): ScenarioIssue {
  const path = formatPath(i.path)
  const received = 'input' in i ? i.input : valueAt(root, i.path)
  const rule = i.code !== 'unrecognized_keys' && i.code !== 'custom' ? fieldRule(i.path) : undefined
  if (rule !== undefined) return received === undefined ? { path, message: `is required: it ${rule}` } : { path, message: rule, received }
  switch (i.code) {
    case 'invalid_type':
      if (received === undefined) return { path, message: `is required (${describeExpected(i.expected)})` }
      return { path, message: `must be ${describeExpected(i.expected)}`, received }
    case 'too_small': {
      const what = i.origin === 'array' ? `${i.exact ? 'exactly' : 'at least'} ${String(i.minimum)} item(s)` : i.origin === 'string' ? `a non-empty string` : `${i.inclusive ? '>=' : '>'} ${String(i.minimum)}`
      return { path, message: `must be ${what}`, received }
    }
    case 'too_big': {
      const what = i.origin === 'array' ? `${i.exact ? 'exactly' : 'at most'} ${String(i.maximum)} item(s)` : `${i.inclusive ? '<=' : '<'} ${String(i.maximum)}`
      return { path, message: `must be ${what}`, received }
    }
    case 'invalid_value':
      return { path, message: `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`, received }
    default:
      return { path, message: i.message, received }
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'int': return 'a whole number'
    case 'number': return 'a number'
    case 'string': return 'a string'
    case 'boolean': return 'true or false'
    case 'array': return 'an array'
    case 'object': return 'an object'
    default: return expected
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : joinPath(acc, String(k))), '')
}

function joinPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

/** The field names allowed at an object path, read from the schema itself. */
function allowedKeys(path: readonly PropertyKey[]): string[] | undefined {
  let candidates: z.core.$ZodType[] = [scenarioSchema]
  for (const k of [...path, null]) {
    const next: z.core.$ZodType[] = []
    for (let c of candidates) {
      c = unwrap(c)
      const def = c._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; options?: z.core.$ZodType[] }
      const variants = def.type === 'union' ? (def.options ?? []).map(unwrap) : [c]
      for (const v of variants) {
        const d = v._zod.def as unknown as typeof def
        if (k === null) { if (d.type === 'object' && d.shape) return Object.keys(d.shape) }
        else if (typeof k === 'number' && d.type === 'array' && d.element) next.push(d.element)
        else if (typeof k === 'string' && d.type === 'object' && d.shape?.[k]) next.push(d.shape[k])
      }
    }
    candidates = next
  }
  return undefined
}

function unwrap(t: z.core.$ZodType): z.core.$ZodType {
  let c = t
  for (;;) {
    const def = c._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType }
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') && def.innerType) c = def.innerType
    else if (def.type === 'pipe' && def.in) c = def.in
    else return c
  }
}

/**
 * The kinds of value the schema allows at a field path (array indexes as numbers), e.g.
 * ['number', 'literal'] for routes[0].revalidateS; null when no such field exists.
 */
export function schemaKindsAt(path: readonly PropertyKey[]): string[] | null {
  let candidates: z.core.$ZodType[] = [scenarioSchema]
  for (const k of path) {
    const next: z.core.$ZodType[] = []
    for (const c of candidates) {
      const u = unwrap(c)
      const def = u._zod.def as unknown as { type: string; options?: z.core.$ZodType[] }
      const variants = def.type === 'union' ? (def.options ?? []).map(unwrap) : [u]
      for (const v of variants) {
        const d = v._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType }
        if (typeof k === 'number' && d.type === 'array' && d.element) next.push(d.element)
        else if (typeof k === 'string' && d.type === 'object' && d.shape?.[k]) next.push(d.shape[k])
        else if (typeof k === 'string' && d.type === 'record' && d.valueType) next.push(d.valueType)
      }
    }
    if (next.length === 0) return null
    candidates = next
  }
  const kinds = new Set<string>()
  for (const c of candidates) {
    const u = unwrap(c)
    const def = u._zod.def as unknown as { type: string; options?: z.core.$ZodType[] }
    for (const v of def.type === 'union' ? (def.options ?? []).map(unwrap) : [u]) kinds.add((v._zod.def as unknown as { type: string }).type)
  }
  return [...kinds]
}
