/**
 * The isrsim k6 suite: replays a plan from `isrsim plan` against a Next.js deployment and
 * writes what it observed as JSON (loadtest/verify.ts reads it). Run natively by k6 v2:
 *
 *   k6 run -e PLAN=/abs/plan.json -e BASE_URL=http://127.0.0.1:3000 -e OUT=/abs/observed.json \
 *     [-e CACHE_HEADER=x-vercel-cache] [-e ORIGIN=http://127.0.0.1:4000] [-e MAX_RPS=50] loadtest/k6/isr.ts
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
}

function required(name: string): string {
  const v = __ENV[name]
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is required (k6 run -e ${name}=...)`)
  return v
}

/** Go canonicalises header names: x-nextjs-cache arrives as X-Nextjs-Cache. */
const headerKey = env.cacheHeader.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join('-')

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
}

export const options = {
  scenarios,
  thresholds,
  summaryTrendStats: ['avg', 'med', 'p(95)', 'max', 'count'],
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
function followFallback(r: PlanRoute, path: string, body: string, ua: string): void {
  const id = BUILD_ID.exec(body)?.[1]
  const ok = id !== undefined && http.get(`${env.baseUrl}/_next/data/${id}${path === '/' ? '/index' : path.replace(/\?.*$/, '')}.json`, { headers: { 'User-Agent': ua }, tags: { route: r.id, name: `${r.pattern} (data)` }, redirects: 0, timeout: '60s' }).status === 200
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

function send(r: PlanRoute, ri: number, i: number): void {
  const path = r.paths[i]!
  const ua = userAgents[ri]![r.agent?.[i] ?? 0]!
  const res = http.get(`${env.baseUrl}${path}`, { headers: { 'User-Agent': ua }, tags: { route: r.id, name: r.pattern }, redirects: 0, timeout: '60s' })
  const endMs = Date.now()
  const cache = res.headers[headerKey] as string | undefined
  const body = typeof res.body === 'string' ? res.body : ''
  // A Pages Router fallback shell comes as MISS (200, private no-store): its own outcome.
  const shell = res.status === 200 && cache === 'MISS' && FALLBACK.test(body)
  const outcome = shell ? 'fallback' : outcomeOf(res.status, cache)
  requests.add(1, { route: r.id, outcome })
  latencyMs.add(res.timings.duration, { route: r.id })
  if (cache === undefined && res.headers['X-Nextjs-Postponed'] !== undefined) postponed.add(1, { route: r.id })
  if (shell) followFallback(r, path, body, ua)
  else if (res.status === 200) {
    const m = PROBE.exec(body)
    if (m) ageMs.add(endMs - (JSON.parse(m[1]!) as { renderStartMs: number }).renderStartMs, { route: r.id })
  }
}

export function request(): void {
  const ri = Number(__ENV.ROUTE)
  const r = plan.routes[ri]!
  const i = exec.scenario.iterationInTest
  if (i < r.paths.length) send(r, ri, i)
}

export function replay(): void {
  const ri = Number(__ENV.ROUTE)
  const r = plan.routes[ri]!
  // Entries are handed out in order: the scenario's n-th iteration (over all its VUs) sends entry n.
  // (A VU's id is not a position in its scenario: routes' VUs interleave, so ids mod VUs collide.)
  const i = exec.scenario.iterationInTest
  if (i >= r.paths.length) return
  const wait = r.atMs![i]! - (Date.now() - exec.scenario.startTime)
  if (wait > 0) sleep(wait / 1000)
  send(r, ri, i)
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

export function handleSummary(data: SummaryData): Record<string, string> {
  const v = (name: string, stat: string) => data.metrics[name]?.values[stat] ?? 0
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
    }
  }
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
  }
  const lines = plan.routes.map((r) => {
    const x = routes[r.id]!
    return `  ${r.id}: ${x.requests} requests, HIT ${x.hit} STALE ${x.stale} MISS ${x.miss} dynamic ${x.dynamic} 404 ${x.notFound} error ${x.error}${x.fallback! > 0 ? ` fallback ${x.fallback} (data requests ${x.fallbackData}, failed ${x.fallbackDataErrors})` : ''}`
  })
  return { [env.out]: JSON.stringify(observed, null, 2), stdout: `isrsim k6: observed\n${lines.join('\n')}\n` }
}
