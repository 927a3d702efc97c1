/**
 * The isrsim k6 suite: replays a plan from `isrsim plan` against a Next.js deployment and
 * writes what it observed as JSON (loadtest/verify.ts reads it). Run natively by k6 v2:
 *
 *   k6 run -e PLAN=/abs/plan.json -e BASE_URL=http://127.0.0.1:3000 -e OUT=/abs/observed.json \
 *     [-e CACHE_HEADER=x-vercel-cache] [-e ORIGIN=http://127.0.0.1:4000] [-e MAX_RPS=50] \
 *     [-e CDN_HEADER=x-cache-status] [-e POP_URLS=http://127.0.0.1:8001,http://127.0.0.1:8002] loadtest/k6/isr.ts
 *
 * With CDN_HEADER (a CDN in front, §16) each response's CDN status is recorded too, per route:
 * HIT -> hit; STALE, UPDATING -> stale (an old copy answered at once); MISS, EXPIRED, BYPASS,
 * REVALIDATED -> miss (the CDN asked Next while the user waited). With several PoPs (the plan's
 * routes[].pop) each request goes to its PoP's URL in POP_URLS. With a plan that has data
 * changes, each page's probe carries the data version of every fetch it used: k6 counts the
 * responses that showed outdated data, and each change's lag (its first response showing it).
 *
 * The revalidation secret comes from the environment variable ISRSIM_REVALIDATE_SECRET
 * (never printed); without it no on-demand call is sent. Path choice comes from the
 * plan, never Math.random.
 */
import http from 'k6/http'
import { sleep } from 'k6'
import exec from 'k6/execution'
import { Counter, Trend } from 'k6/metrics'
import type { PlanRoute, RequestPlan } from '../../sim/contract.ts'

const env = {
  plan: required('PLAN'),
  baseUrl: required('BASE_URL').replace(/\/$/, ''),
  out: __ENV.OUT ?? 'observed.json',
  cacheHeader: __ENV.CACHE_HEADER ?? 'x-nextjs-cache',
  origin: __ENV.ORIGIN ?? '',
  maxRps: Number(__ENV.MAX_RPS ?? 'Infinity'),
  secret: __ENV.ISRSIM_REVALIDATE_SECRET ?? '',
  revalidateUrl: __ENV.REVALIDATE_PATH ?? '/api/isrsim/revalidate',
  /** The Server Action id of isrsimUpdateTag (from .next/server/server-reference-manifest.json). */
  actionId: __ENV.ACTION_ID ?? '',
  actionPage: __ENV.ACTION_PAGE ?? '/isrsim-admin',
  /** The CDN's status header (e.g. X-Cache-Status from loadtest/services/nginx-cdn.ts); '' without a CDN. */
  cdnHeader: __ENV.CDN_HEADER ?? '',
  /** Several CDN PoPs (§16): each PoP's base URL, comma-separated; request i of a route goes to popUrls[route.pop[i]]. */
  popUrls: (__ENV.POP_URLS ?? '').split(',').filter((u) => u !== '').map((u) => u.replace(/\/$/, '')),
}

function required(name: string): string {
  const v = __ENV[name]
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is required (k6 run -e ${name}=...)`)
  return v
}

/** Go canonicalises header names: x-nextjs-cache arrives as X-Nextjs-Cache. */
const canonical = (h: string) => h.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join('-')
const headerKey = canonical(env.cacheHeader)
const cdnKey = canonical(env.cdnHeader)

// The plan is read once in the init context (every VU runs this; it is small).
const plan = JSON.parse(open(env.plan)) as RequestPlan
const OUTCOMES = ['hit', 'stale', 'miss', 'dynamic', 'notFound', 'error', 'fallback'] as const
type Outcome = (typeof OUTCOMES)[number]

const requests = new Counter('isr_requests')
const ageMs = new Trend('isr_age_ms', true)
const latencyMs = new Trend('isr_latency_ms', true)
const unknownHeader = new Counter('isr_unknown_cache_header')
const onDemandSent = new Counter('isr_on_demand_sent')
const onDemandFailed = new Counter('isr_on_demand_failed')
/** A Pages Router fallback shell's follow-up: the browser's /_next/data/<buildId>/<path>.json request (not a route request). */
const fallbackData = new Counter('isr_fallback_data')
/** Responses of a Cache Components page with dynamic holes (x-nextjs-postponed, no cache header): counted as dynamic. */
const postponed = new Counter('isr_postponed')
/** The CDN layer (CDN_HEADER): users' requests by the CDN's status. */
const CDN_OUTCOMES = ['hit', 'stale', 'miss'] as const
const cdnRequests = new Counter('isr_cdn')
const cdnUnknown = new Counter('isr_cdn_unknown_status')
/** Responses whose page showed data older than the origin's at that moment (data changes only). */
const outdated = new Counter('isr_outdated')
/** Per data change of a key: time from the change to a response showing it (the minimum over VUs is the first). */
const dataLagMs = new Trend('isr_data_lag_ms', true)

/**
 * The plan's data changes per key ("<fetch>/<key>"): the times (ms since t = 0) of its 1st,
 * 2nd... change. A response whose probe says version v for the key shows changes 1..v.
 */
const changeTimesMs = new Map<string, number[]>()
for (const c of plan.dataChanges) {
  for (const k of c.keys) {
    const id = `${k.fetch}/${k.key}`
    const times = changeTimesMs.get(id) ?? []
    times.push(c.atMs)
    changeTimesMs.set(id, times)
  }
}
for (const t of changeTimesMs.values()) t.sort((a, b) => a - b)
/** One lag submetric per key change (and route): more than this and lags are not recorded. */
const MAX_LAG_CHANGES = 400
const keyChanges = [...changeTimesMs.values()].reduce((n, t) => n + t.filter((x) => x < plan.scenario.durationS * 1000).length, 0)
const tracksLag = keyChanges > 0 && keyChanges * (plan.routes.length + 1) <= MAX_LAG_CHANGES * 4
/** Key changes this VU has already recorded a lag for (per route, and over all routes): only a VU's first counts. */
const lagSeen = new Set<string>()

// A plan with several PoPs names one per request: every PoP it names needs a URL.
const popsNamed = plan.routes.reduce((n, r) => (r.pop ?? []).reduce((m, p) => Math.max(m, p + 1), n), 0)
if (popsNamed > 0 && env.popUrls.length < popsNamed) throw new Error(`the plan sends requests to ${popsNamed} CDN PoPs but POP_URLS names ${env.popUrls.length}; pass -e POP_URLS=<url of PoP 0>,<url of PoP 1>,...`)
/** Where request i of route r goes: its PoP's URL (plans with several PoPs), else BASE_URL. */
const baseOf = (r: PlanRoute, i: number): string => (r.pop !== undefined && env.popUrls.length > 0 ? env.popUrls[r.pop[i]!]! : env.baseUrl)

const totalRps = plan.routes.reduce((n, r) => n + r.rps, 0)
if (totalRps > env.maxRps) throw new Error(`the plan sends ${totalRps} requests/s, above MAX_RPS=${env.maxRps}; refusing`)

function routeScenario(r: PlanRoute, i: number): Record<string, unknown> {
  // Enough VUs for the route's whole rate: humans, unknown paths and crawlers.
  const vus = Math.max(4, Math.ceil(Math.max(r.rps, r.paths.length / plan.scenario.durationS) * 3))
  if (r.executor === 'uniform') {
    // Evenly spaced, first request at t = 0: what the simulator's "uniform" arrivals assume.
    // rate/timeUnit as integers: rps 2.5 -> 2500 per 1000 s.
    return { executor: 'constant-arrival-rate', rate: Math.round(r.rps * 1000), timeUnit: '1000s', duration: `${plan.scenario.durationS}s`, preAllocatedVUs: vus, maxVUs: vus * 4, exec: 'request', env: { ROUTE: String(i) }, gracefulStop: '30s' }
  }
  // A replayed schedule: each iteration takes the next entry and sends it at its planned time.
  const iterations = Math.ceil(r.paths.length / vus)
  return { executor: 'per-vu-iterations', vus, iterations: Math.max(1, iterations), maxDuration: `${plan.scenario.durationS + 60}s`, exec: 'replay', env: { ROUTE: String(i) }, gracefulStop: '30s' }
}

const scenarios: Record<string, Record<string, unknown>> = {}
plan.routes.forEach((r, i) => { if (r.paths.length > 0) scenarios[`route_${r.id}`] = routeScenario(r, i) })
if (plan.onDemand.length > 0 && env.secret !== '') {
  scenarios.on_demand = { executor: 'per-vu-iterations', vus: 1, iterations: plan.onDemand.length, maxDuration: `${plan.scenario.durationS + 60}s`, exec: 'onDemand' }
}

// Tagged submetrics appear in the summary only when a threshold names them.
const thresholds: Record<string, string[]> = { dropped_iterations: ['count>=0'], isr_unknown_cache_header: ['count>=0'], isr_on_demand_sent: ['count>=0'], isr_on_demand_failed: ['count>=0'] }
for (const r of plan.routes) {
  for (const o of OUTCOMES) thresholds[`isr_requests{route:${r.id},outcome:${o}}`] = ['count>=0']
  for (const o of ['ok', 'error']) thresholds[`isr_fallback_data{route:${r.id},result:${o}}`] = ['count>=0']
  thresholds[`isr_postponed{route:${r.id}}`] = ['count>=0']
  thresholds[`isr_age_ms{route:${r.id}}`] = ['p(95)>=0']
  thresholds[`isr_latency_ms{route:${r.id}}`] = ['p(95)>=0']
  thresholds[`isr_outdated{route:${r.id}}`] = ['count>=0']
  if (env.cdnHeader !== '') for (const o of CDN_OUTCOMES) thresholds[`isr_cdn{route:${r.id},outcome:${o}}`] = ['count>=0']
}
if (env.cdnHeader !== '') thresholds.isr_cdn_unknown_status = ['count>=0']
/**
 * Every key change in the run ("<fetch>/<key>/<j>", its j-th change) gets a number, the tag of
 * its lag submetrics over all routes (lagroute "all") and per route (tag values stay plain).
 */
const changeIds = new Map<string, number>()
if (tracksLag) {
  for (const [key, times] of changeTimesMs) {
    times.forEach((atMs, j) => {
      if (atMs >= plan.scenario.durationS * 1000) return
      const n = changeIds.size
      changeIds.set(`${key}/${j + 1}`, n)
      for (const route of ['all', ...plan.routes.map((r) => r.id)]) thresholds[`isr_data_lag_ms{change:c${n},lagroute:${route}}`] = ['min>=0']
    })
  }
}

export const options = {
  scenarios,
  thresholds,
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'max', 'count'],
  discardResponseBodies: false,
  noConnectionReuse: false,
  insecureSkipTLSVerify: false,
}

interface SetupData { readonly startMs: number; readonly originT0Ms: number }

export function setup(): SetupData {
  // Reachability, without touching a planned page: a path no route serves.
  const probe = http.get(`${env.baseUrl}/__isrsim_unreachable_check__`, { timeout: '5s', redirects: 0 })
  if (probe.status === 0) throw new Error(`target ${env.baseUrl} is unreachable: ${probe.error} (checked within 5 s)`)
  let originT0Ms = 0
  if (env.origin !== '') {
    const r = http.post(`${env.origin}/__start`, null, { timeout: '5s' })
    if (r.status !== 200) throw new Error(`origin ${env.origin} did not accept /__start: status ${r.status} ${r.error}`)
    originT0Ms = (JSON.parse(r.body as string) as { t0Ms: number }).t0Ms
  }
  return { startMs: Date.now(), originT0Ms }
}

function outcomeOf(status: number, cache: string | undefined): Outcome {
  if (status === 404) return 'notFound'
  if (status >= 500 || status === 0) return 'error'
  switch (cache) {
    case 'HIT': return 'hit'
    case 'STALE': return 'stale'
    case 'MISS': case 'REVALIDATED': return 'miss'
    case undefined: return 'dynamic'
    default:
      unknownHeader.add(1)
      return 'miss'
  }
}

const PROBE = /<script id="isrsim-probe" type="application\/json">([^<]*)<\/script>/
/** A Pages Router fallback shell: its __NEXT_DATA__ says isFallback and names the build. */
const FALLBACK = /"isFallback":true/
const BUILD_ID = /"buildId":"([^"]+)"/

/**
 * What a browser does with a fallback shell: its router hydrates and asks the page's data,
 * `/_next/data/<buildId>/<path>.json`. That request (never a shell: data requests block) is
 * what renders and caches the page. It is recorded apart from the route's requests.
 */
function followFallback(r: PlanRoute, base: string, path: string, body: string, ua: string): void {
  const id = BUILD_ID.exec(body)?.[1]
  const ok = id !== undefined && http.get(`${base}/_next/data/${id}${path === '/' ? '/index' : path.replace(/\?.*$/, '')}.json`, { headers: { 'User-Agent': ua }, tags: { route: r.id, name: `${r.pattern} (data)` }, redirects: 0, timeout: '60s' }).status === 200
  fallbackData.add(1, { route: r.id, result: ok ? 'ok' : 'error' })
}

/**
 * User agents. Human traffic looks like a browser (with an isrsim token), so that a log of the
 * run is fitted as humans (bot lists flag k6's own "k6/…"); a crawler sends its real user agent
 * where it is a well-known one, else the conventional "compatible; <name>/1.0; +<url>" form that
 * bot lists flag and that names it.
 */
const HUMAN_UA = __ENV.HUMAN_UA ?? 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 isrsim-k6/1'
const KNOWN_BOTS: Record<string, string> = {
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  bingbot: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
  gptbot: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  applebot: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)',
}
function crawlerUserAgent(name: string): string {
  return KNOWN_BOTS[name.toLowerCase()] ?? `Mozilla/5.0 (compatible; ${name.replace(/[;()]/g, ' ')}/1.0; +https://isrsim.invalid/crawler)`
}
/** Per route: the user agent of each of its agents (plan.routes[r].agents; index 0 is human). */
const userAgents = plan.routes.map((r) => (r.agents ?? ['human']).map((a, i) => (i === 0 ? HUMAN_UA : crawlerUserAgent(a))))

/** What the CDN's status header says, as the CDN layer's outcome (see the header comment). */
function cdnOutcomeOf(status: string | undefined): (typeof CDN_OUTCOMES)[number] {
  switch (status) {
    case 'HIT': return 'hit'
    case 'STALE': case 'UPDATING': return 'stale'
    case 'MISS': case 'EXPIRED': case 'BYPASS': case 'REVALIDATED': return 'miss'
    default:
      cdnUnknown.add(1)
      return 'miss'
  }
}

interface ProbeData { readonly fetch?: string; readonly key?: number; readonly version?: number }

/**
 * The data versions a page showed (its probe's `data`, one origin answer per fetch), at `atMs`
 * since the origin's t = 0: outdated when some key has changed more often than the page shows;
 * each change it shows that this VU has not seen shown yet gives a lag sample.
 */
function recordData(r: PlanRoute, data: readonly ProbeData[], atMs: number): void {
  let isOutdated = false
  for (const d of data) {
    if (d === null || typeof d !== 'object' || d.fetch === undefined || d.key === undefined || d.version === undefined) continue
    const key = `${d.fetch}/${d.key}`
    const times = changeTimesMs.get(key)
    if (times === undefined) continue
    let now = 0
    while (now < times.length && times[now]! <= atMs) now++
    if (d.version < now) isOutdated = true
    if (!tracksLag) continue
    for (let j = 1; j <= Math.min(d.version, times.length); j++) {
      const n = changeIds.get(`${key}/${j}`)
      if (n === undefined) continue
      for (const route of ['all', r.id]) {
        const seen = `${route} ${n}`
        if (lagSeen.has(seen)) continue
        lagSeen.add(seen)
        dataLagMs.add(Math.max(0, atMs - times[j - 1]!), { change: `c${n}`, lagroute: route })
      }
    }
  }
  if (isOutdated) outdated.add(1, { route: r.id })
}

function send(r: PlanRoute, ri: number, i: number, setupData: SetupData): void {
  const path = r.paths[i]!
  const ua = userAgents[ri]![r.agent?.[i] ?? 0]!
  const base = baseOf(r, i)
  const res = http.get(`${base}${path}`, { headers: { 'User-Agent': ua }, tags: { route: r.id, name: r.pattern }, redirects: 0, timeout: '60s' })
  const endMs = Date.now()
  const cache = res.headers[headerKey] as string | undefined
  const body = typeof res.body === 'string' ? res.body : ''
  // A Pages Router fallback shell comes as MISS (200, private no-store): its own outcome.
  const shell = res.status === 200 && cache === 'MISS' && FALLBACK.test(body)
  const outcome = shell ? 'fallback' : outcomeOf(res.status, cache)
  requests.add(1, { route: r.id, outcome })
  latencyMs.add(res.timings.duration, { route: r.id })
  if (cache === undefined && res.headers['X-Nextjs-Postponed'] !== undefined) postponed.add(1, { route: r.id })
  if (env.cdnHeader !== '') cdnRequests.add(1, { route: r.id, outcome: cdnOutcomeOf(res.headers[cdnKey] as string | undefined) })
  if (shell) followFallback(r, base, path, body, ua)
  else if (res.status === 200) {
    const m = PROBE.exec(body)
    if (m) {
      const probe = JSON.parse(m[1]!) as { renderStartMs: number; data?: readonly ProbeData[] }
      ageMs.add(endMs - probe.renderStartMs, { route: r.id })
      if (changeTimesMs.size > 0 && setupData.originT0Ms > 0 && Array.isArray(probe.data)) recordData(r, probe.data, endMs - setupData.originT0Ms)
    }
  }
}

export function request(data: SetupData): void {
  const ri = Number(__ENV.ROUTE)
  const r = plan.routes[ri]!
  const i = exec.scenario.iterationInTest
  if (i < r.paths.length) send(r, ri, i, data)
}

export function replay(data: SetupData): void {
  const ri = Number(__ENV.ROUTE)
  const r = plan.routes[ri]!
  // Entries are handed out in order: the scenario's n-th iteration (over all its VUs) sends entry n.
  // (A VU's id is not a position in its scenario: routes' VUs interleave, so ids mod VUs collide.)
  const i = exec.scenario.iterationInTest
  if (i >= r.paths.length) return
  const wait = r.atMs![i]! - (Date.now() - exec.scenario.startTime)
  if (wait > 0) sleep(wait / 1000)
  send(r, ri, i, data)
}

export function onDemand(): void {
  const i = exec.scenario.iterationInTest
  const c = plan.onDemand[i]
  if (!c) return
  const wait = c.atMs - (Date.now() - exec.scenario.startTime)
  if (wait > 0) sleep(wait / 1000)
  let ok: boolean
  if (c.kind === 'updateTag') {
    // A Server Action call without a browser: POST the page that uses it, with its id; the
    // body is the JSON array of its arguments. The return value is RSC row 1.
    const res = http.post(`${env.baseUrl}${env.actionPage}`, JSON.stringify([c.tag, env.secret]), { headers: { 'Next-Action': env.actionId, 'Content-Type': 'text/plain;charset=UTF-8', Accept: 'text/x-component' }, tags: { name: 'on-demand' }, timeout: '30s' })
    ok = env.actionId !== '' && res.status === 200 && typeof res.body === 'string' && /\n?1:\{"ok":true\}/.test(res.body)
  } else {
    const res = http.post(`${env.baseUrl}${env.revalidateUrl}`, JSON.stringify(c), { headers: { 'content-type': 'application/json', 'x-isrsim-secret': env.secret }, tags: { name: 'on-demand' }, timeout: '30s' })
    ok = res.status === 200
  }
  onDemandSent.add(1)
  if (!ok) onDemandFailed.add(1)
}

type Values = Record<string, number>
interface SummaryData { readonly metrics: Record<string, { readonly values: Values } | undefined>; readonly state: { readonly testRunDurationMs: number }; readonly setup_data?: SetupData }

/** Nearest-rank quantile of ascending `xs` (the simulator's definition: rank ceil(q·n)); 0 when empty. */
function quantile(xs: readonly number[], q: number): number {
  return xs.length === 0 ? 0 : xs[Math.max(1, Math.ceil(q * xs.length)) - 1]!
}

/** The lags (s, ascending) of the key changes shown by some response (of route `route`, or of any: "all"). */
function lagsOf(data: SummaryData, route: string): number[] {
  const out: number[] = []
  for (const n of changeIds.values()) {
    const m = data.metrics[`isr_data_lag_ms{change:c${n},lagroute:${route}}`]
    if (m !== undefined && (m.values.count ?? 0) > 0) out.push(m.values.min! / 1000)
  }
  return out.sort((a, b) => a - b)
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const v = (name: string, stat: string) => data.metrics[name]?.values[stat] ?? 0
  const round = (x: number) => Math.round(x * 1000) / 1000
  const routes: Record<string, Record<string, number>> = {}
  for (const r of plan.routes) {
    const counts: Record<string, number> = {}
    let total = 0
    for (const o of OUTCOMES) { counts[o] = v(`isr_requests{route:${r.id},outcome:${o}}`, 'count'); total += counts[o]! }
    const ages = v(`isr_age_ms{route:${r.id}}`, 'count')
    routes[r.id] = {
      requests: total, ...counts,
      ageSamples: ages,
      ageP50S: ages > 0 ? v(`isr_age_ms{route:${r.id}}`, 'med') / 1000 : 0,
      ageP95S: ages > 0 ? v(`isr_age_ms{route:${r.id}}`, 'p(95)') / 1000 : 0,
      latencyP95Ms: v(`isr_latency_ms{route:${r.id}}`, 'p(95)'),
      fallbackData: v(`isr_fallback_data{route:${r.id},result:ok}`, 'count'),
      fallbackDataErrors: v(`isr_fallback_data{route:${r.id},result:error}`, 'count'),
      postponed: v(`isr_postponed{route:${r.id}}`, 'count'),
      ...(changeTimesMs.size > 0 ? { outdated: v(`isr_outdated{route:${r.id}}`, 'count') } : {}),
      ...(env.cdnHeader !== '' ? { cdnHit: v(`isr_cdn{route:${r.id},outcome:hit}`, 'count'), cdnStale: v(`isr_cdn{route:${r.id},outcome:stale}`, 'count'), cdnMiss: v(`isr_cdn{route:${r.id},outcome:miss}`, 'count') } : {}),
    }
    if (tracksLag) {
      const lags = lagsOf(data, r.id)
      routes[r.id] = { ...routes[r.id]!, dataLagReflected: lags.length, dataLagP50S: round(quantile(lags, 0.5)), dataLagP95S: round(quantile(lags, 0.95)) }
    }
  }
  // Over all routes: each key change's first response anywhere (the simulator's freshness figures).
  const lags = lagsOf(data, 'all')
  const freshness = tracksLag
    ? { dataChanges: changeIds.size, reflected: lags.length, dataLagMeanS: round(lags.reduce((a, b) => a + b, 0) / Math.max(1, lags.length)), dataLagP50S: round(quantile(lags, 0.5)), dataLagP95S: round(quantile(lags, 0.95)), dataLagMaxS: round(lags[lags.length - 1] ?? 0) }
    : undefined
  const sumOf = (k: string) => Object.values(routes).reduce((n, x) => n + (x[k] ?? 0), 0)
  const cdn = env.cdnHeader !== '' ? { header: env.cdnHeader, hit: sumOf('cdnHit'), stale: sumOf('cdnStale'), miss: sumOf('cdnMiss'), unknownStatus: v('isr_cdn_unknown_status', 'count') } : undefined
  const observed = {
    observedVersion: 1,
    scenario: plan.scenario,
    seed: plan.seed,
    target: env.baseUrl,
    cacheHeader: env.cacheHeader,
    startMs: data.setup_data?.startMs ?? 0,
    originT0Ms: data.setup_data?.originT0Ms ?? 0,
    testRunDurationMs: data.state.testRunDurationMs,
    droppedIterations: v('dropped_iterations', 'count'),
    unknownCacheHeader: v('isr_unknown_cache_header', 'count'),
    onDemand: { planned: plan.onDemand.length, sent: v('isr_on_demand_sent', 'count'), failed: v('isr_on_demand_failed', 'count') },
    routes,
    ...(freshness ? { freshness } : {}),
    ...(cdn ? { cdn } : {}),
  }
  const lines = plan.routes.map((r) => {
    const x = routes[r.id]!
    return `  ${r.id}: ${x.requests} requests, HIT ${x.hit} STALE ${x.stale} MISS ${x.miss} dynamic ${x.dynamic} 404 ${x.notFound} error ${x.error}${x.fallback! > 0 ? ` fallback ${x.fallback} (data requests ${x.fallbackData}, failed ${x.fallbackDataErrors})` : ''}`
  })
  if (cdn) lines.push(`  CDN (${cdn.header}): HIT ${cdn.hit} STALE ${cdn.stale} MISS ${cdn.miss}`)
  if (freshness) lines.push(`  data changes ${freshness.dataChanges}, shown ${freshness.reflected}, lag p50 ${freshness.dataLagP50S} s p95 ${freshness.dataLagP95S} s`)
  return { [env.out]: JSON.stringify(observed, null, 2), stdout: `isrsim k6: observed\n${lines.join('\n')}\n` }
}
