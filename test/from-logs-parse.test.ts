/**
 * Log parsing, format detection, page paths, route matching and crawler names, on hand-made
 * lines and the sample logs in test/fixtures/logs/ (each format's ugly cases: quotes inside
 * user agents, missing fields, "-", JSON batches, duplicate entries, background regenerations).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { crawlerName, botClassifier } from '../scenarios/from-logs/bots.ts'
import { detectFormat, makeParser } from '../scenarios/from-logs/detect.ts'
import { detectCombined } from '../scenarios/from-logs/formats/combined.ts'
import { epochMs, parseClfTime } from '../scenarios/from-logs/formats/time.ts'
import { buildMatcher } from '../scenarios/from-logs/match.ts'
import { NOT_PAGE_API, NOT_PAGE_ASSET, NOT_PAGE_INVALID, pagePath } from '../scenarios/from-logs/path.ts'
import { CACHE_HIT, CACHE_MISS, CACHE_NAMES, CACHE_NONE, CACHE_REVALIDATED, CACHE_STALE, newRecord, PARSE_BAD, PARSE_OK, PARSE_SKIP, type LogRecord } from '../scenarios/from-logs/record.ts'
import { scanLogs } from '../scenarios/from-logs/scan.ts'

const FIXTURES = join(import.meta.dirname, 'fixtures', 'logs')
const lines = (f: string) => readFileSync(join(FIXTURES, f), 'utf8').split('\n').filter((l) => l.trim() !== '')

/** Parse every line of a fixture with the detected parser: the outcome and a copy of each record. */
function parseAll(f: string): { r: number; rec: LogRecord }[] {
  const ls = lines(f)
  const spec = detectFormat(ls)
  if (!spec) throw new Error(`${f}: not detected`)
  const p = makeParser(spec)
  const out: { r: number; rec: LogRecord }[] = []
  for (const l of ls) {
    const rec = newRecord()
    const r = p.parse(l, 0, l.length, rec)
    out.push({ r, rec: { ...rec } })
    if (r === PARSE_OK && p.next) {
      const more = newRecord()
      while (p.next(more)) out.push({ r: PARSE_OK, rec: { ...more } })
    }
  }
  return out
}

describe('time parsing', () => {
  it('reads Common Log Format times with their zone', () => {
    expect(parseClfTime('01/May/2024:12:00:00 +0200', 0)).toBe(Date.UTC(2024, 4, 1, 10))
    expect(parseClfTime('31/Dec/2023:23:59:59 -0530', 0)).toBe(Date.UTC(2024, 0, 1, 5, 29, 59))
    expect(parseClfTime('01/Foo/2024:12:00:00 +0200', 0)).toBeNaN()
  })
  it('tells epoch units apart by magnitude, and reads RFC 3339', () => {
    const ms = Date.UTC(2024, 4, 1, 10)
    expect(epochMs(ms * 1e6)).toBe(ms)
    expect(epochMs(ms * 1e3)).toBe(ms)
    expect(epochMs(ms)).toBe(ms)
    expect(epochMs(ms / 1000)).toBe(ms)
    expect(epochMs('2024-05-01T10:00:00Z')).toBe(ms)
    expect(epochMs(String(ms))).toBe(ms)
  })
})

describe('nginx combined with extra fields', () => {
  it('detects which extra field is the cache status, $msec and $request_time from their values', () => {
    expect(detectCombined(lines('nginx-ugly.log'))).toEqual({ kind: 'nginx', extras: ['cache', 'msec', 'requestTime'] })
    // Another order, key=value, and an upstream time shorter than the request time.
    const l = (i: number, rt: string, urt: string) => `1.2.3.4 - - [01/May/2024:12:00:0${i} +0200] "GET /a HTTP/1.1" 200 5 "-" "UA" rt=${rt} urt=${urt} cache=MISS ${1714557600 + i}.250`
    expect(detectCombined([l(0, '0.300', '0.200'), l(1, '0.100', '0.090'), l(2, '1.000', '-')])?.extras).toEqual(['requestTime', 'other', 'cache', 'msec'])
  })

  it('parses the ugly lines: quotes in user agents, "-" fields, no request line', () => {
    const recs = parseAll('nginx-ugly.log')
    const ok = recs.filter((x) => x.r === PARSE_OK).map((x) => x.rec)
    expect(recs.filter((x) => x.r === PARSE_BAD)).toHaveLength(1) // "this line is not an access log line"
    expect(ok[0]).toMatchObject({ method: 'GET', path: '/blog/hello', status: 200, cache: CACHE_HIT, durationMs: 4 })
    expect(ok[0]!.atMs).toBeCloseTo(1714557600123 - 4, 6)
    // Escaped quotes in the referer, raw quotes in the user agent, a query string.
    expect(ok[1]).toMatchObject({ path: '/blog/hello', userAgent: 'Mozilla/5.0 "quoted" agent (like "this")', cache: CACHE_MISS, durationMs: 250 })
    expect(ok[1]!.atMs).toBeCloseTo(1714557601250, 6)
    expect(ok[2]).toMatchObject({ method: 'HEAD', path: '/blog/world/', userAgent: '', cache: CACHE_NONE })
    expect(ok[4]).toMatchObject({ method: '', status: 400 }) // a TLS handshake on the HTTP port
    expect(ok[6]).toMatchObject({ path: '/blog/caf%C3%A9.rsc', cache: CACHE_STALE })
    expect(ok[7]).toMatchObject({ cache: CACHE_REVALIDATED })
    // $msec "-": the log time ($time_local, to the second) less the request time.
    expect(ok[9]).toMatchObject({ path: '/blog/missing', status: 404, durationMs: 30, atMs: Date.UTC(2024, 4, 1, 10, 0, 7) - 30 })
  })

  it('parses plain combined (no extras) at 1 s resolution, CRLF-free lines', () => {
    const l = '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
    const spec = detectFormat([l])
    expect(spec).toEqual({ format: 'nginx', layout: { kind: 'nginx', extras: [] } })
    const p = makeParser(spec!)
    const rec = newRecord()
    expect(p.parse(l, 0, l.length, rec)).toBe(PARSE_OK)
    expect(rec).toMatchObject({ atMs: Date.UTC(2000, 9, 10, 20, 55, 36), path: '/apache_pb.gif', userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)', status: 200 })
    expect(rec.durationMs).toBeNaN()
    expect(p.resolutionMs).toBe(1000)
    // Parsing inside a longer text (as the reader hands lines over) reads only [start, end).
    const text = `xx\n${l}\nyy`
    expect(p.parse(text, 3, 3 + l.length, rec)).toBe(PARSE_OK)
    expect(rec.userAgent).toBe('Mozilla/4.08 [en] (Win98; I ;Nav)')
    // A truncated line is not a record.
    expect(p.parse(l.slice(0, 60), 0, 60, rec)).toBe(PARSE_BAD)
  })
})

describe('Vercel log drains', () => {
  it('reads proxy entries, skips non-requests and duplicates, flags background regenerations, unrolls arrays', () => {
    const recs = parseAll('vercel.ndjson')
    expect(recs.map((x) => x.r)).toEqual([PARSE_SKIP, PARSE_OK, PARSE_OK, PARSE_SKIP, PARSE_OK, PARSE_OK, PARSE_OK, PARSE_OK, PARSE_BAD])
    const ok = recs.filter((x) => x.r === PARSE_OK).map((x) => x.rec)
    expect(ok[0]).toMatchObject({ atMs: 1714557600000, path: '/blog/hello', method: 'GET', status: 200, cache: CACHE_HIT, background: false })
    expect(ok[1]).toMatchObject({ path: '/blog/world', cache: CACHE_MISS })
    expect(ok[2]).toMatchObject({ path: '/blog/hello', background: true, cache: CACHE_STALE })
    expect(ok[3]).toMatchObject({ path: '/', cache: CACHE_HIT, userAgent: expect.stringContaining('bingbot') }) // PRERENDER
    expect(ok[4]).toMatchObject({ path: '/_next/static/chunks/app.js' })
    expect(ok[5]).toMatchObject({ path: '/blog/crash', status: 500 }) // top-level -1: the function crashed
  })
})

describe('CloudFront standard logs', () => {
  it('reads fields by the #Fields header, decodes user agents, arrival = time − time-taken, maps result types', () => {
    const recs = parseAll('cloudfront.log')
    expect(recs.map((x) => x.r)).toEqual([PARSE_SKIP, PARSE_SKIP, PARSE_OK, PARSE_OK, PARSE_OK, PARSE_OK, PARSE_BAD])
    const ok = recs.filter((x) => x.r === PARSE_OK).map((x) => x.rec)
    expect(ok[0]).toMatchObject({ path: '/blog/hello', cache: CACHE_HIT, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15', durationMs: 2 })
    expect(ok[0]!.atMs).toBe(Date.UTC(2024, 4, 1, 10, 0, 1) - 2)
    expect(ok[1]!.cache).toBe(CACHE_HIT) // RefreshHit: revalidated with the origin, served from cache
    expect(ok[2]).toMatchObject({ cache: CACHE_MISS, durationMs: 750 })
    expect(ok[3]).toMatchObject({ status: 404, cache: CACHE_NONE })
  })
})

describe('Cloudflare Logpush', () => {
  it('reads ns, ms and RFC 3339 timestamps, prefers ClientRequestPath, maps CacheCacheStatus', () => {
    const recs = parseAll('cloudflare.json')
    expect(recs.map((x) => x.r)).toEqual([PARSE_OK, PARSE_OK, PARSE_OK, PARSE_OK, PARSE_BAD])
    const ok = recs.map((x) => x.rec)
    expect(ok[0]).toMatchObject({ atMs: 1714557600000, durationMs: 4, path: '/blog/hello', cache: CACHE_HIT })
    expect(ok[1]).toMatchObject({ atMs: 1714557601000, durationMs: 20, path: '/blog/world', cache: CACHE_STALE })
    expect(ok[2]).toMatchObject({ atMs: 1714557602000, durationMs: 300, method: 'HEAD', path: '/', cache: CACHE_MISS, userAgent: '' })
    expect(ok[3]).toMatchObject({ atMs: 1714557603000, cache: CACHE_NONE })
    expect(ok[3]!.durationMs).toBeNaN()
  })
})

describe('detection', () => {
  it('detects each sample log and refuses what none of them is', () => {
    expect(detectFormat(lines('nginx-ugly.log'))?.format).toBe('nginx')
    expect(detectFormat(lines('vercel.ndjson'))?.format).toBe('vercel')
    expect(detectFormat(lines('cloudfront.log'))?.format).toBe('cloudfront')
    expect(detectFormat(lines('cloudflare.json'))?.format).toBe('cloudflare')
    // A CloudFront file without its header: the legacy field order.
    expect(detectFormat(lines('cloudfront.log').slice(2, 5))?.format).toBe('cloudfront')
    expect(detectFormat(['Dec  6 00:25:32 host sshd[123]: Accepted publickey for root'])).toBeNull()
    expect(detectFormat(['{"level":"info","msg":"hello"}'])).toBeNull()
  })
})

describe('page paths', () => {
  it('maps RSC requests to the page, drops trailing slashes, decodes segments as Next does', () => {
    expect(pagePath('/blog/a.rsc')).toBe('/blog/a')
    expect(pagePath('/blog/a.prefetch.rsc')).toBe('/blog/a')
    expect(pagePath('/index.rsc')).toBe('/')
    expect(pagePath('/blog/a/')).toBe('/blog/a')
    expect(pagePath('/')).toBe('/')
    expect(pagePath('/blog/caf%C3%A9')).toBe('/blog/café')
    expect(pagePath('/docs/a%2Fb')).toBe('/docs/a%2Fb') // an encoded slash stays inside its segment
    expect(pagePath('/blog/%E0%A4%A')).toBe('/blog/%E0%A4%A') // invalid encoding: kept as logged
    expect(pagePath('https://example.com/blog/a')).toBe('/blog/a')
    expect(pagePath('/docs/v1.2')).toBe('/docs/v1.2') // a dot that is not an asset extension
  })
  it('tells assets, route handlers and junk apart', () => {
    for (const a of ['/_next/static/chunks/x.js', '/favicon.ico', '/robots.txt', '/sitemap.xml', '/styles/a.CSS', '/img/x.png', '/blog/a/opengraph-image', '/icon-abc123']) expect(pagePath(a), a).toBe(NOT_PAGE_ASSET)
    expect(pagePath('/api/revalidate')).toBe(NOT_PAGE_API)
    for (const j of ['*', '-', 'example.com:443', '']) expect(pagePath(j), j).toBe(NOT_PAGE_INVALID)
  })
})

describe('matching requests to routes as Next does', () => {
  const patterns = ['/[...all]', '/blog/[slug]', '/blog/new', '/(shop)/products/[id]', '/docs/[[...slug]]', '/', '/[lang]/about', '/en/[page]', '/shop/[...rest]', '/shop/[cat]/[item]']
  const m = buildMatcher(patterns)
  const route = (p: string) => patterns[m.match(p)] ?? null
  it('static before dynamic before catch-all before optional catch-all', () => {
    expect(route('/blog/new')).toBe('/blog/new')
    expect(route('/blog/old')).toBe('/blog/[slug]')
    expect(route('/blog/a/b')).toBe('/[...all]')
    expect(route('/docs')).toBe('/docs/[[...slug]]')
    expect(route('/docs/a/b/c')).toBe('/docs/[[...slug]]')
    expect(route('/')).toBe('/')
    expect(route('/en/about')).toBe('/en/[page]') // the static "en" wins at the first segment
    expect(route('/fr/about')).toBe('/[lang]/about')
    expect(route('/shop/a/b')).toBe('/shop/[cat]/[item]') // dynamic before catch-all
    expect(route('/shop/a/b/c')).toBe('/shop/[...rest]') // backtracks when the dynamic branch ends
    expect(route('/anything/else/entirely')).toBe('/[...all]')
  })
  it('ignores route groups, and has no catch-all fallback when none exists', () => {
    expect(route('/products/7')).toBe('/(shop)/products/[id]')
    const strict = buildMatcher(['/blog/[slug]', '/'])
    expect(strict.match('/blog')).toBe(-1)
    expect(strict.match('/blog/a/b')).toBe(-1)
    expect(strict.match('/about')).toBe(-1)
  })
  it('warns of two patterns serving the same URLs', () => {
    expect(buildMatcher(['/blog/[slug]', '/(a)/blog/[id]']).conflicts).toEqual(['/(a)/blog/[id] serves the same URLs as /blog/[slug]; requests go to the first'])
  })
})

describe('crawlers', () => {
  it('names crawlers from their user agents', () => {
    expect(crawlerName('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe('Googlebot')
    expect(crawlerName('Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/120.0 Safari/537.36')).toBe('Googlebot')
    expect(crawlerName('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)')).toBe('bingbot')
    expect(crawlerName('Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot')).toBe('ChatGPT-User')
    expect(crawlerName('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)')).toBe('Applebot')
    expect(crawlerName('facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)')).toBe('facebookexternalhit')
    expect(crawlerName('curl/8.5.0')).toBe('curl')
    expect(crawlerName('')).toBe('no-user-agent')
  })
  it('flags bots with isbot, keeps browsers human, and lets a pattern declare humans', () => {
    const bots = botClassifier()
    expect(bots('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36')).toBeNull()
    expect(bots('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe('Googlebot')
    expect(bots('k6/0.50.0 (https://k6.io/)')).toBe('k6')
    expect(botClassifier(/^k6\//)('k6/0.50.0 (https://k6.io/)')).toBeNull()
  })
})

describe('the sample logs through the whole scan', () => {
  it('counts skips, unmatched and unparseable lines with their file:line', async () => {
    const file = join(FIXTURES, 'nginx-ugly.log')
    const scan = await scanLogs(['/blog/[slug]', '/docs/[...slug]', '/'], [file], { format: 'auto', replay: false, allowUnmatched: true })
    const t = scan.tally
    expect(t.unparseable).toBe(1)
    expect(t.unparseableExamples[0]).toEqual({ file, line: 11, text: 'this line is not an access log line' })
    expect(t.skipped).toMatchObject({ asset: 2, api: 0, method: 1, noRequest: 1, redirect: 1 })
    expect(t.unmatched).toBe(1)
    expect(t.unmatchedExamples[0]).toEqual({ file, line: 9, text: '/wp-admin/setup-config' })
    const [blog, docs, root] = t.routes
    // The "quoted agent" is flagged by isbot (it says "agent"); the HEAD request has no user agent.
    expect(blog!.entries.map((e) => [e.path, e.human, e.crawler])).toEqual([['/blog/hello', 1, 1], ['/blog/world', 0, 1], ['/blog/café', 1, 0]])
    expect(blog!.unknown).toBe(1)
    expect(docs!.crawler).toBe(1)
    expect(t.crawlerNames).toEqual(['Mozilla', 'no-user-agent', 'Googlebot'])
    expect(root!.human).toBe(1)
    expect(scan.hasCache).toBe(true)
    // By CACHE_NAMES: none (the HEAD and the 404), HIT, STALE, MISS, REVALIDATED.
    expect(CACHE_NAMES).toEqual(['none', 'HIT', 'STALE', 'MISS', 'REVALIDATED'])
    expect(Array.from(blog!.cache)).toEqual([2, 1, 1, 1, 0])
    expect(Array.from(docs!.cache)).toEqual([0, 0, 0, 0, 1])
  })

  it('counts Vercel background regenerations per route, not as requests', async () => {
    const scan = await scanLogs(['/blog/[slug]', '/'], [join(FIXTURES, 'vercel.ndjson')], { format: 'auto', replay: false })
    const [blog, root] = scan.tally.routes
    expect(blog!.background).toBe(1)
    expect(blog!.human).toBe(3) // hello, world (once, not per log entry), crash
    expect(root!.crawler).toBe(1)
    expect(scan.tally.skipped.background).toBe(1)
    expect(scan.tally.skipped.notRequest).toBe(2) // the build log and the duplicate entry of r2
  })
})
