/**
 * Synthetic access logs with known parameters (a seeded RNG): Poisson human arrivals shaped by a
 * daily curve, Zipf popularity over each route's paths, crawlers walking paths once per revisit
 * period, 404s to unknown paths, assets, cache statuses and MISS render times; written as nginx
 * (with or without the extra fields), Vercel, CloudFront or Cloudflare lines.
 */

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface SynthRoute {
  /** Path of rank k: `${prefix}${k}` (or the prefix itself when paths is 1). */
  readonly prefix: string
  readonly paths: number
  readonly rps: number
  readonly zipf: number
  /** 404s to fresh unknown paths, per second. */
  readonly unknownRps?: number
}

export interface SynthCrawler {
  readonly ua: string
  readonly route: number
  /** It walks ranks 0..paths-1. */
  readonly paths: number
  readonly revisitS: number
}

export interface SynthOptions {
  readonly seed: number
  readonly startMs: number
  readonly durationS: number
  readonly routes: readonly SynthRoute[]
  /** 24 multipliers (UTC hours), mean 1; default flat. */
  readonly hourly?: readonly number[]
  readonly crawlers?: readonly SynthCrawler[]
  /** Asset requests per second (skipped by the reader). */
  readonly assetRps?: number
  /** MISS render times: lognormal with this median and p95, seconds. */
  readonly render?: { readonly medianS: number; readonly p95S: number }
}

export interface SynthRequest {
  readonly atMs: number
  readonly method: string
  readonly path: string
  readonly status: number
  readonly ua: string
  readonly cache: 'HIT' | 'STALE' | 'MISS' | '-'
  readonly durationMs: number
}

export const HUMAN_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
]
export const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
export const BINGBOT = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'

function zipfTable(n: number, s: number): Float64Array {
  const c = new Float64Array(n)
  let acc = 0
  for (let k = 0; k < n; k++) c[k] = acc += (k + 1) ** -s
  for (let k = 0; k < n; k++) c[k]! /= acc
  return c
}

function pick(cum: Float64Array, u: number): number {
  let lo = 0
  let hi = cum.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cum[mid]! < u) lo = mid + 1
    else hi = mid
  }
  return lo
}

const pathOf = (r: SynthRoute, k: number) => (r.paths === 1 ? r.prefix : `${r.prefix}${k}`)

/** All requests, ordered by start time. */
export function synthRequests(o: SynthOptions): SynthRequest[] {
  const u = rng(o.seed)
  const hourly = o.hourly ?? Array.from({ length: 24 }, () => 1)
  const peak = Math.max(...hourly)
  const endMs = o.startMs + o.durationS * 1000
  const out: SynthRequest[] = []
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
  const render = o.render ?? { medianS: 0.2, p95S: 0.6 }
  const sigma = Math.log(render.p95S / render.medianS) / 1.6448536269514722
  const served = (): { cache: SynthRequest['cache']; durationMs: number } => {
    const x = u()
    if (x < 0.1) return { cache: 'MISS', durationMs: Math.round(render.medianS * Math.exp(sigma * normal()) * 1000) }
    return { cache: x < 0.2 ? 'STALE' : 'HIT', durationMs: 2 + Math.floor(u() * 8) }
  }
  const poisson = (rate: number, each: (atMs: number) => void) => {
    if (rate <= 0) return
    let t = o.startMs
    for (;;) {
      t += (-Math.log(1 - u()) / (rate * peak)) * 1000
      if (t >= endMs) return
      const h = Math.floor(t / 3_600_000) % 24
      if (u() * peak < hourly[h]!) each(t)
    }
  }
  o.routes.forEach((r) => {
    const cum = zipfTable(r.paths, r.zipf)
    poisson(r.rps, (at) => out.push({ atMs: at, method: 'GET', path: pathOf(r, pick(cum, u())), status: 200, ua: HUMAN_UAS[Math.floor(u() * HUMAN_UAS.length)]!, ...served() }))
    poisson(r.unknownRps ?? 0, (at) => out.push({ atMs: at, method: 'GET', path: `${r.prefix}gone-${Math.floor(u() * 1e9)}`, status: 404, ua: HUMAN_UAS[0]!, cache: '-', durationMs: 30 }))
  })
  poisson(o.assetRps ?? 0, (at) => out.push({ atMs: at, method: 'GET', path: `/_next/static/chunks/${Math.floor(u() * 50)}.js`, status: 200, ua: HUMAN_UAS[1]!, cache: '-', durationMs: 1 }))
  for (const c of o.crawlers ?? []) {
    const r = o.routes[c.route]!
    for (let k = 0; k < c.paths; k++) {
      for (let t = o.startMs + u() * c.revisitS * 1000; t < endMs; t += c.revisitS * 1000) out.push({ atMs: t, method: 'GET', path: pathOf(r, k), status: 200, ua: c.ua, ...served() })
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs)
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** "10/Oct/2000:13:55:36 +0100" for an epoch ms, in a zone `offsetMin` east of UTC. */
export function clfTime(ms: number, offsetMin = 60): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + offsetMin * 60_000)
  const sign = offsetMin < 0 ? '-' : '+'
  const off = Math.abs(offsetMin)
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`
}

/** nginx lines; `extras` adds "$upstream_http_x_nextjs_cache" $msec $request_time (the README's log_format). */
export function nginxLine(r: SynthRequest, extras: boolean, i = 0): string {
  const end = r.atMs + r.durationMs
  const base = `10.0.${(i >> 8) & 255}.${i & 255} - - [${clfTime(end)}] "${r.method} ${r.path}${i % 7 === 0 ? '?utm=x' : ''} HTTP/1.1" ${r.status} ${1000 + (i % 5000)} "-" "${r.ua}"`
  return extras ? `${base} "${r.cache}" ${(end / 1000).toFixed(3)} ${(r.durationMs / 1000).toFixed(3)}` : base
}

export function vercelLine(r: SynthRequest, i = 0): string {
  const cache = r.cache === '-' ? undefined : r.cache
  return JSON.stringify({
    id: `log${i}`, deploymentId: 'dpl_x', projectId: 'prj_x', source: cache === 'HIT' ? 'edge' : 'lambda', host: 'example.vercel.app', timestamp: Math.round(r.atMs + r.durationMs),
    requestId: `req${i}`, statusCode: r.status, level: 'info',
    proxy: { timestamp: Math.round(r.atMs), method: r.method, host: 'example.com', path: r.path, userAgent: [r.ua], referer: '', statusCode: r.status, clientIp: '10.0.0.1', region: 'fra1', scheme: 'https', ...(cache ? { vercelCache: cache } : {}) },
  })
}

export const CLOUDFRONT_HEADER = '#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n'

export function cloudfrontLine(r: SynthRequest, i = 0): string {
  const end = new Date(Math.floor((r.atMs + r.durationMs) / 1000) * 1000).toISOString()
  const type = r.cache === 'HIT' ? 'Hit' : r.cache === 'STALE' ? 'RefreshHit' : r.cache === 'MISS' ? 'Miss' : r.status === 404 ? 'Error' : 'Miss'
  return [end.slice(0, 10), end.slice(11, 19), 'FRA56-C1', '1234', '10.0.0.1', r.method, 'd1.cloudfront.net', r.path, r.status, '-', encodeURIComponent(r.ua), '-', '-', type, `id${i}`, 'example.com', 'https', '200', (r.durationMs / 1000).toFixed(3), '-', 'TLSv1.3', 'TLS_AES_128_GCM_SHA256', type, 'HTTP/2.0', '-', '-', '443', '0.001', type, 'text/html', '1234', '-', '-'].join('\t')
}

export function cloudflareLine(r: SynthRequest, i = 0, timestamps: 'ns' | 'ms' | 'rfc3339' = 'ns'): string {
  const cache = r.cache === 'HIT' ? 'hit' : r.cache === 'STALE' ? 'updating' : r.cache === 'MISS' ? 'miss' : 'dynamic'
  const ts = (ms: number) => (timestamps === 'ns' ? Math.round(ms) * 1e6 : timestamps === 'ms' ? Math.round(ms) : new Date(ms).toISOString())
  return JSON.stringify({ ClientRequestMethod: r.method, ClientRequestURI: `${r.path}${i % 3 === 0 ? '?a=1' : ''}`, ClientRequestUserAgent: r.ua, EdgeResponseStatus: r.status, CacheCacheStatus: cache, EdgeStartTimestamp: ts(r.atMs), EdgeEndTimestamp: ts(r.atMs + r.durationMs), RayID: `ray${i}` })
}

export type SynthFormat = 'nginx' | 'nginx-plain' | 'vercel' | 'cloudfront' | 'cloudflare'

export function formatLog(reqs: readonly SynthRequest[], format: SynthFormat): string {
  const lines = reqs.map((r, i) => (format === 'nginx' ? nginxLine(r, true, i) : format === 'nginx-plain' ? nginxLine(r, false, i) : format === 'vercel' ? vercelLine(r, i) : format === 'cloudfront' ? cloudfrontLine(r, i) : cloudflareLine(r, i)))
  return (format === 'cloudfront' ? CLOUDFRONT_HEADER : '') + lines.join('\n') + '\n'
}
