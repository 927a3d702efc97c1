/**
 * The scenario format as data: one zod schema gives the TypeScript types, the field-level
 * validation and the published JSON Schema. Rules that tie fields together (route ids, tags
 * that must exist, instances in range) are scenario/check.ts's; parse.ts composes the two.
 * Imports nothing of the model, so the model's modules can import its types.
 */
import * as z from 'zod'
import { ONE_YEAR_S } from '../kernel/time.ts'
import { DEFAULT_NEXT_VERSION, NEXT_VERSIONS, type NextVersion } from '../versions.ts'

// The profiles are sim/versions.ts's table; the format names them.
export { NEXT_VERSIONS, type NextVersion }

const TEN_YEARS_S = 10 * ONE_YEAR_S

/** A cache-life profile's expire (revalidateTag's second argument), §4.3. */
const EXPIRE_S = 'The profile\'s expire, seconds: touched entries are served stale until this long after the call, then expire (the next request blocks on a render).'
const seconds = (desc: string) => z.number().min(0).max(TEN_YEARS_S).describe(desc)
const fraction = (desc: string) => z.number().min(0).max(1).describe(desc)

const revalidate = z
  .union([z.literal(false), z.literal(0), z.number().min(1).max(TEN_YEARS_S)], {
    error: 'must be false (never revalidate by time), 0 (dynamic: rendered on every request) or a number of seconds >= 1 (Next.js rejects fractions below 1 at response time)',
  })
  .describe('Seconds after which a cached page is stale; false = never by time; 0 = dynamic.')

/** cacheLife presets by name; their numbers per version are sim/isr/profiles.ts's (§12). */
export const CACHE_LIFE_PRESETS = ['default', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'max'] as const
const cacheLife = z
  .union([
    z.enum(CACHE_LIFE_PRESETS),
    z.strictObject({
      staleS: seconds('Client router stale time, seconds (16.3+: below 30 the entry is left out of the static shell).').optional(),
      revalidateS: seconds('Seconds after which the entry is regenerated (0: a dynamic hole).').optional(),
      expireS: seconds('Seconds after which the entry is dropped (below 300: a dynamic hole).').optional(),
    }).describe('A custom profile; a field left out takes the "default" profile\'s value.'),
  ], { error: 'must be a preset ("default", "seconds", "minutes", "hours", "days", "weeks", "max") or { "staleS": s, "revalidateS": s, "expireS": s }' })
  .describe('cacheLife(...) in the \'use cache\' scope: a preset of the installed version or custom seconds.')

const renderTime = z
  .union(
    [
      z.number().min(0).max(3600),
      z.strictObject({
        lognormal: z.strictObject({
          medianS: z.number().gt(0).max(3600).describe('Median render time, seconds.'),
          p95S: z.number().gt(0).max(3600).describe('95th percentile render time, seconds (>= medianS).'),
        }).describe('A log-normal render time, given by its median and 95th percentile.'),
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
    fallback: z.union([z.literal(false), z.literal(true), z.literal('blocking')], { error: 'must be false, true or "blocking"' }).optional()
      .describe('Pages Router getStaticPaths fallback: false (a path that was not prebuilt is a 404), "blocking" (rendered on first request, then cached) or true (the fallback shell is served, outcome "fallback", while the page renders). Default "blocking".'),
    unknownResult: z.enum(['page', 'notFound', 'redirect']).optional()
      .describe('What a path outside the route (traffic.unknownRate) renders: "page" (default), "notFound" (notFound() / getStaticProps { notFound: true }: a cached 404) or "redirect" (Pages getStaticProps { redirect }: a cached redirect).'),
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
    cacheLife: cacheLife.optional().describe('The layout is a \'use cache\' scope with this cacheLife.'),
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
    kind: z.enum(['fetch', 'unstable_cache', 'use cache', 'use cache: remote']).optional()
      .describe('"fetch" (default): a fetch() through the Data Cache; "unstable_cache": a data function wrapped in unstable_cache (revalidateS and tags are its options, the id its key); "use cache": a \'use cache\' function in each process\'s memory; "use cache: remote": one shared by every instance.'),
    cacheLife: cacheLife.optional().describe('A \'use cache\' function\'s cacheLife (kinds "use cache" and "use cache: remote"); default "default".'),
  })
  .describe('A data read the route makes during its render: a fetch, an unstable_cache function or a \'use cache\' function.')

const route = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a route id of letters, digits, "_" or "-" (e.g. "post")').describe('Stable route id, used in results and streams.'),
  pattern: z.string().regex(/^\//, 'must be a URL pattern starting with "/" (e.g. "/blog/[slug]")').describe('URL pattern of the page (App or Pages Router), e.g. /blog/[slug].'),
  revalidateS: revalidate.default(false),
  dynamic: z.boolean().default(false).describe('The page calls request APIs (cookies(), headers(), ...): rendered on every request.'),
  router: z.enum(['app', 'pages']).optional().describe('"app" (default): the App Router; "pages": the Pages Router (getStaticProps revalidate, getStaticPaths fallback).'),
  kind: z.enum(['page', 'route-handler']).optional().describe('"page" (default) or "route-handler" (an App Router route.ts GET: static by default on 14, dynamic on 15+ unless it exports revalidate or dynamic).'),
  cacheLife: cacheLife.optional().describe('The page is a \'use cache\' scope with this cacheLife (15 with experimental.useCache, 16).'),
  segmentConfig: z
    .strictObject({
      dynamic: z.enum(['auto', 'force-static', 'force-dynamic', 'error']).optional().describe('export const dynamic (the nested-most segment\'s): "force-static" ignores request APIs, "force-dynamic" renders every request, "error" refuses request APIs at build.'),
      fetchCache: z.enum(['auto', 'default-cache', 'only-cache', 'force-cache', 'default-no-store', 'only-no-store', 'force-no-store']).optional().describe('export const fetchCache (the nested-most segment\'s): how fetches without their own option are cached.'),
    })
    .optional()
    .describe('Route segment config the page and its layouts export, nested-most first; default "auto" for both.'),
  intent: z.enum(['dynamic']).optional().describe('"dynamic": the route is dynamic on purpose (e.g. per-user pages under a layout that reads cookies): no dynamic-route warning, and `isrsim check` does not fail it for being dynamic. Not part of the model (not in the scenario hash).'),
  layouts: z.array(layout).max(32).default([]).describe('The layouts above the page, root first.'),
  fetches: z.array(fetchSpec).max(128).default([]).describe('The fetch() calls the route makes while it renders (each goes through the Data Cache by its own revalidate and tags).'),
  params: params.optional(),
  renderS: renderTime,
  failureRate: fraction('Probability that a render throws (the regeneration fails).').default(0),
  pageSizeKb: z.number().gt(0).max(100_000).optional().describe('Size of one cached page (HTML plus RSC payload), KB: ISR read and write units are 8 KB each. Default: cost.pageSizeKb.'),
  traffic: traffic.describe('Requests to the route: rate, arrivals, popularity over its paths, daily curve, schedules, crawlers.'),
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

const target = z
  .enum(['instance', 'all', 'balancer'])
  .describe('Who receives the call: "instance" (the one named by `instance`, the default), "all" (every instance, e.g. a webhook fanned out to each pod) or "balancer" (the instance the load balancer picks, as for a request; round-robin or random from its own stream).')

/** What an on-demand call and a webhook's call share. */
const tagProfile = z
  .union([z.literal('max'), z.strictObject({ expireS: z.number().min(0).max(TEN_YEARS_S).describe(EXPIRE_S) })], { error: 'must be "max" or { "expireS": seconds }' })
  .optional()
  .describe('revalidateTag second argument (16.x); absent = the deprecated one-argument form.')
const callInstance = z.int().min(0).default(0).describe('The instance that receives the call (with local caches only it is affected).')

const onDemand = z
  .strictObject({
    kind: z.enum(['revalidateTag', 'revalidatePath', 'updateTag', 'res.revalidate']).describe('The Next.js call. "res.revalidate": a Pages Router API route awaiting res.revalidate(path), which re-renders that one Pages path at once (x-nextjs-cache REVALIDATED on its internal request; docs/semantics.md §14.5).'),
    tag: z.string().min(1).max(256).optional().describe('revalidateTag / updateTag: the tag, e.g. "posts", "post:7" or "_N_T_/blog/7".'),
    path: z.string().regex(/^\//, 'must be a path starting with "/"').max(1024).optional().describe('revalidatePath: a URL ("/blog/7"), or a route file path with type ("/blog/[slug]" + "page"). res.revalidate: the URL of a path of a Pages Router route ("/posts/7").'),
    type: z.enum(['page', 'layout']).optional().describe('revalidatePath type.'),
    profile: tagProfile,
    atS: seconds('One-off at this time (or the first of a periodic event).').optional(),
    everyS: z.number().gt(0).max(TEN_YEARS_S).optional().describe('Periodic: every this many seconds (from atS, or from everyS).'),
    ratePerS: z.number().gt(0).max(1000).optional().describe('Poisson: this many per second on average.'),
    instance: callInstance,
    target: target.optional(),
  })
  .describe('An on-demand invalidation: revalidateTag, revalidatePath, updateTag or (Pages Router) res.revalidate.')

const webhook = z
  .strictObject({
    kind: z.enum(['revalidateTag', 'revalidatePath', 'updateTag']).describe('The Next.js call the webhook makes (updateTag runs only inside a Server Action, so it is refused here).'),
    tag: z.string().min(1).max(256).optional().describe('"{slug}" takes the changed path\'s index.'),
    path: z.string().regex(/^\//, 'must be a path starting with "/"').max(1024).optional().describe('"{slug}" takes the changed path\'s index.'),
    type: z.enum(['page', 'layout']).optional().describe('revalidatePath type.'),
    profile: tagProfile,
    delayS: seconds('Seconds from the change to the call (CMS webhook latency).').default(0),
    instance: callInstance,
    target: target.optional(),
  })
  .describe('The on-demand call a CMS webhook makes after the change.')

const dataChange = z
  .strictObject({
    tag: z.string().min(1).max(256).optional().describe('The data behind this fetch tag changes; a templated tag ("post:{slug}") picks one path at random each time.'),
    fetch: z.string().min(1).optional().describe('Every key of this fetch id changes.'),
    atS: seconds('One-off at this time (or the first of a periodic change).').optional(),
    everyS: z.number().gt(0).max(TEN_YEARS_S).optional().describe('Periodic: every this many seconds (from atS, or from everyS).'),
    ratePerS: z.number().gt(0).max(1000).optional().describe('Poisson: changes per second.'),
    webhook: webhook.optional(),
  })
  .describe('A change of origin data, optionally followed by an on-demand call (the CMS webhook pattern).')

const deploy = z
  .strictObject({
    atS: seconds('When the new build goes live (one-off), or the first of periodic deploys.').optional(),
    everyS: z.number().min(1).max(TEN_YEARS_S).optional().describe('Periodic: a deploy every this many seconds (from atS, or from everyS); 8640 is ten a day.'),
    prerender: z.boolean().default(true).describe('true: the build prerenders each route\'s params.prebuilt paths, fresh from the deploy; false: it prerenders nothing and every path starts cold.'),
    reuseFetchCache: z.boolean().optional().describe('true: the build keeps .next/cache/fetch-cache from before (CI caches it): its prerender reuses the Data Cache entries still fresh at the deploy (old data in the new build), and a stale one is refetched during the build on 16, served stale into the page on 14 and 15. Default false: the build fetches everything anew.'),
  })
  .describe('A deploy: a new build goes live on every instance. Caches start again from its prerendered pages, every other path is cold (its first request waits for a render), and the old build\'s renders in flight are discarded.')

const purge = z
  .strictObject({
    atS: seconds('When the purge happens (one-off), or the first of periodic purges.').optional(),
    everyS: z.number().min(1).max(TEN_YEARS_S).optional().describe('Periodic: a purge every this many seconds (from atS, or from everyS).'),
    prefix: z.string().regex(/^\//, 'must be a URL path prefix starting with "/" (e.g. "/blog")').max(1024).optional().describe('Only the cached paths under this URL prefix ("/blog" reaches "/blog" and "/blog/…", not "/blogs"). Default: every path.'),
  })
  .describe('A purge of the ISR cache: the pages it reaches are dropped from every cache, so their next request waits for a render (MISS).')

const deployment = z
  .strictObject({
    instances: z.int().min(1).max(256).default(1).describe('`next start` instances behind the load balancer.'),
    balancer: z.enum(['round-robin', 'random']).default('round-robin').describe('How requests are spread over instances.'),
    cache: z.enum(['local', 'shared']).default('local').describe('"local": each instance has its own cache and tags manifest (the default). "shared": a custom cache handler shares entries and tags.'),
    tagPropagationS: seconds('shared cache: how long an invalidation takes to reach the other instances.').default(0),
    cacheHandler: z.enum(['fortedigital-redis']).optional().describe('With cache "shared" (ignored with "local"): the handler, where its rules differ from the file-system cache\'s (§8.2). "fortedigital-redis": @fortedigital/nextjs-cache-handler\'s redis-strings (what `isrsim loadtest` runs): revalidateTag/revalidatePath delete the entries at once for every instance (the next request is a blocking MISS, whatever the profile), an entry lives 1.5 × revalidate, and the build\'s prerendered pages are not in the cache. Absent: entries and tags shared with the file-system cache\'s rules.'),
    renderConcurrency: z.int().min(1).max(10_000).optional().describe('Renders one instance runs at once; more wait in a first-in-first-out queue. Default: unlimited.'),
    platform: z.enum(['self-hosted', 'vercel']).optional().describe('"self-hosted" (the default): `next start` instances, optionally behind deployment.cdn. "vercel": the ISR cache is Vercel\'s CDN itself (no separate CDN layer).'),
    cdn: z
      .strictObject({
        pops: z.int().min(1).max(1000).describe('Points of presence, each its own cache; requests are spread evenly over them.'),
      })
      .optional()
      .describe('A shared CDN cache in front of Next that honours the Cache-Control Next sends (s-maxage, stale-while-revalidate, private/no-store). Absent: no CDN.'),
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
    targetCpuUtilization: z.number().gt(0).max(1).optional().describe('Self-hosted: the share of the fleet\'s vCPUs renders may use; the self-hosted cost counts the instances that keep render CPU (the busiest hour\'s, with a daily curve) at or under it, at least deployment.instances. Default 0.6.'),
    originRateLimitPerS: z.number().gt(0).max(1e9).optional().describe('Origin calls per second your API allows; a mean rate above it is flagged.'),
  })
  .describe('Inputs of the cost model (prices come from the pricing table).')

/** Metric path -> k6-style conditions, e.g. { "staleness.ageP95S": ["<600"] }. Checked by `isrsim check`. */
const thresholds = z
  .record(z.string().min(1), z.array(z.string().min(1)).min(1).max(32))
  .describe('Budgets in k6\'s style: { "staleness.ageP95S": ["<600"], "cost.monthlyUsd": ["<250"], "routes.post.staleServedFraction": ["<0.05"] }.')
export const scenarioShape = z.strictObject({
  $schema: z.string().optional().describe('This JSON Schema, for editors (e.g. "./scenario.schema.json"); not read by isrsim.'),
  name: z.string().min(1).max(200).describe('Scenario name, used for output files.'),
  description: z.string().optional().describe('Free text about the scenario; not part of the model (not in the scenario hash).'),
  seed: z.union([z.string().min(1), z.int()]).default('1').describe('Default seed; --seed overrides.'),
  durationS: z.number().gt(0).max(TEN_YEARS_S).describe('Simulated seconds.'),
  warmupS: seconds('Seconds at the start that are simulated but not measured.').default(0),
  buildAgeS: seconds('How long before t = 0 the build prerendered the pages.').default(0),
  next: z
    .strictObject({
      version: z.enum(NEXT_VERSIONS).default(DEFAULT_NEXT_VERSION).describe('Next.js behaviour profile.'),
      expireTimeS: z.number().gt(0).max(TEN_YEARS_S).default(ONE_YEAR_S).describe('next.config expireTime, seconds (enforced from 16.3).'),
      cacheComponents: z.boolean().optional().describe('next.config cacheComponents (16.x only): Partial Prerendering, where request APIs and short-lived \'use cache\' entries become dynamic holes rendered per request inside a cached static shell.'),
    })
    .default({ version: DEFAULT_NEXT_VERSION, expireTimeS: ONE_YEAR_S })
    .describe('The Next.js version whose ISR behaviour is modelled, and its expireTime.'),
  routes: z.array(route).min(1).describe('The app\'s routes, one per page pattern.'),
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
  outages: z.array(outage).default([]).describe('Windows in which renders fail (an origin or CMS outage): the cached pages stay and are served stale.'),
  onDemand: z.array(onDemand).max(1000).default([]).describe('On-demand invalidations: revalidateTag, revalidatePath, updateTag and res.revalidate calls, one-off, periodic or Poisson.'),
  deployment: deployment.optional(),
  dataChanges: z.array(dataChange).max(1000).default([]).describe('Changes of origin data (what changes and when), each optionally followed by a CMS webhook.'),
  restarts: z
    .array(z.strictObject({ atS: seconds('When the instance restarts.'), instance: z.int().min(0).optional().describe('Which instance; default all.') }))
    .max(10_000)
    .default([])
    .describe('Process restarts: the memory cache, cache controls and (15+) the tags manifest are lost; entries are read back from disk.'),
  deploys: z.array(deploy).max(1000).default([]).describe('Deploys of a new build (issue 16): each resets every cache to the build\'s prerendered pages.'),
  purges: z.array(purge).max(1000).default([]).describe('Purges of the ISR cache, of everything or of a path prefix.'),
  cost: cost.optional(),
  build: z
    .strictObject({
      cpus: z.int().min(1).max(1024).optional().describe('CPUs of the build machine: Next runs CPUs - 1 workers (at least 1) unless `workers` is set. Default 2.'),
      workers: z.int().min(1).max(1024).optional().describe('next.config experimental.cpus: the static-generation workers. Default: cpus - 1.'),
      maxConcurrency: z.int().min(1).max(10_000).optional().describe('next.config experimental.staticGenerationMaxConcurrency: pages a worker renders at once. Default 8.'),
      minPagesPerWorker: z.int().min(1).max(1_000_000).optional().describe('next.config experimental.staticGenerationMinPagesPerWorker: a worker gets pages only in batches of at least this many. Default 25.'),
      fixedS: z.number().min(0).max(86_400).optional().describe('Seconds of the build that do not grow with prerendered paths (compile, type check, page data, finalizing). Default: calibrated on the reference machine.'),
      pageS: z.number().min(0).max(3600).optional().describe('Seconds of CPU Next spends per prerendered page in a worker besides the render (HTML and RSC payload, files). Default: calibrated on the reference machine.'),
    })
    .optional()
    .describe('The build machine and next.config static-generation settings: with this block the result carries `build`, the predicted `next build` time.'),
  thresholds: thresholds.optional(),
})

/** What a scenario author writes (JSON or `defineScenario`): optional fields may be left out. */
export type ScenarioInput = z.input<typeof scenarioShape>
/** A validated scenario with every default filled in. */
export type Scenario = z.output<typeof scenarioShape>
export type RouteConfig = Scenario['routes'][number]
export type DeploymentConfig = NonNullable<Scenario['deployment']>
/** The deployment with every default filled in (a single instance when absent). */
export function deploymentOf(s: Scenario): DeploymentConfig {
  return s.deployment ?? { instances: 1, balancer: 'round-robin', cache: 'local', tagPropagationS: 0 }
}
/** The cost inputs with every default filled in. */
export function costInputsOf(s: Scenario): CostConfig {
  return s.cost ?? COST_DEFAULTS
}
export type CostConfig = NonNullable<Scenario['cost']>
/** The cost block's defaults, from the schema itself. (The block stays optional: filling it in would change every scenario's hash.) */
const COST_DEFAULTS: CostConfig = cost.parse({})
