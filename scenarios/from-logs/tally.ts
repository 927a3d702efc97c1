/**
 * The one pass over the logs' records: per path and per route counts, kept in memory in
 * proportion to the distinct paths (never the lines). Raw logged paths are looked up in a
 * cache first, so the path rules and the matcher run once per distinct path; asset and
 * unmatched paths are cached up to a limit and recomputed past it. With `replay`, each
 * request of a route is also kept (time, path, logged cache status, status).
 */
import { botClassifier } from './bots.ts'
import { buildMatcher } from './match.ts'
import { NOT_PAGE_API, NOT_PAGE_ASSET, pagePath } from './path.ts'
import { CACHE_MISS, ownString, type LogRecord } from './record.ts'

export interface PathEntry {
  readonly route: number
  /** The page path (normalized, see path.ts). */
  readonly path: string
  /** Order of first sight within the route. */
  readonly id: number
  human: number
  crawler: number
  /** Requests answered 404 or 410. */
  unknown: number
  /** Crawler ids that visited it (not counting 404s). */
  readonly crawlers: number[]
}

export interface CrawlerVisits { visits: number; paths: number }

/** Growable columns of a route's requests (replay). */
export interface RequestColumns {
  n: number
  atMs: Float64Array
  id: Int32Array
  cache: Uint8Array
  status: Uint16Array
}

export interface RouteTally {
  human: number
  crawler: number
  unknown: number
  /** Background regenerations (Vercel proxy.statusCode -1). */
  background: number
  /** Page requests by logged cache status (CacheCode), 404s included. */
  readonly cache: Float64Array
  readonly crawlerVisits: Map<number, CrawlerVisits>
  /** Durations (ms) of MISS requests, a reservoir sample of at most RENDER_SAMPLES. */
  readonly renders: number[]
  renderSeen: number
  readonly entries: PathEntry[]
  readonly requests: RequestColumns | null
}

export interface Example { readonly file: string; readonly line: number; readonly text: string }

export interface SkipCounts {
  /** Methods other than GET and HEAD. */
  method: number
  /** No request line (TLS probes, "-"). */
  noRequest: number
  asset: number
  api: number
  invalid: number
  /** 301/302/303/307/308: the page is requested again at the target. */
  redirect: number
  /** Entries that are not requests (a CloudFront header, a Vercel build log). */
  notRequest: number
  /** Background regenerations (not requests). */
  background: number
}

export interface Tally {
  lines: number
  records: number
  minMs: number
  maxMs: number
  /** GET/HEAD page requests (after skips), matched or not. */
  pageRequests: number
  unmatched: number
  readonly unmatchedExamples: Example[]
  unparseable: number
  readonly unparseableExamples: Example[]
  readonly skipped: SkipCounts
  /** Human requests to known paths by UTC hour of day. */
  readonly humanByHour: Float64Array
  readonly routes: RouteTally[]
  readonly crawlerNames: string[]
  readonly conflicts: readonly string[]
  /** Whether any record had a cache status, and any a duration. */
  sawCache: boolean
  sawDuration: boolean
  add(rec: LogRecord): void
  bad(file: string, line: number, text: string): void
}

export const RENDER_SAMPLES = 4096
const EXAMPLES = 5
const RAW_CACHE_LIMIT = 200_000
const SKIP_ASSET = 1
const SKIP_API = 2
const SKIP_INVALID = 3
const UNMATCHED = 4
const MAX_CRAWLER_IDS = 10_000

function columns(): RequestColumns {
  const n = 1024
  return { n: 0, atMs: new Float64Array(n), id: new Int32Array(n), cache: new Uint8Array(n), status: new Uint16Array(n) }
}

function push(c: RequestColumns, atMs: number, id: number, cache: number, status: number): void {
  if (c.n === c.atMs.length) {
    const grow = <T extends Float64Array | Int32Array | Uint8Array | Uint16Array>(a: T, make: (n: number) => T): T => { const b = make(a.length * 2); b.set(a); return b }
    c.atMs = grow(c.atMs, (n) => new Float64Array(n))
    c.id = grow(c.id, (n) => new Int32Array(n))
    c.cache = grow(c.cache, (n) => new Uint8Array(n))
    c.status = grow(c.status, (n) => new Uint16Array(n))
  }
  c.atMs[c.n] = atMs
  c.id[c.n] = id
  c.cache[c.n] = cache
  c.status[c.n] = status > 65535 ? 65535 : status < 0 ? 0 : status
  c.n++
}

export interface TallyOptions {
  readonly patterns: readonly string[]
  /** Keep every request (replay); 404-only paths then get entries too. */
  readonly replay: boolean
  /** User agents that are human whatever isbot says. */
  readonly humans?: RegExp
}

export function newTally(o: TallyOptions): Tally {
  const matcher = buildMatcher(o.patterns)
  const bots = botClassifier(o.humans)
  const raw = new Map<string, PathEntry | number>()
  const byPath = new Map<string, PathEntry>()
  const crawlerIds = new Map<string, number>()
  const crawlerNames: string[] = []
  let rng = 0x9e3779b9 // reservoir sampling: a fixed LCG, so the same log gives the same fit
  const routes: RouteTally[] = o.patterns.map(() => ({
    human: 0, crawler: 0, unknown: 0, background: 0, cache: new Float64Array(5), crawlerVisits: new Map(), renders: [], renderSeen: 0, entries: [], requests: o.replay ? columns() : null,
  }))
  const t: Tally = {
    lines: 0, records: 0, minMs: Number.POSITIVE_INFINITY, maxMs: Number.NEGATIVE_INFINITY, pageRequests: 0, unmatched: 0, unmatchedExamples: [], unparseable: 0, unparseableExamples: [],
    skipped: { method: 0, noRequest: 0, asset: 0, api: 0, invalid: 0, redirect: 0, notRequest: 0, background: 0 },
    humanByHour: new Float64Array(24), routes, crawlerNames, conflicts: matcher.conflicts, sawCache: false, sawDuration: false, add, bad,
  }

  function bad(file: string, line: number, text: string): void {
    t.unparseable++
    if (t.unparseableExamples.length < EXAMPLES) t.unparseableExamples.push({ file, line, text: text.length > 200 ? `${text.slice(0, 200)}…` : text })
  }

  function crawlerId(name: string): number {
    let id = crawlerIds.get(name)
    if (id === undefined) {
      // A log full of distinct bot names (forged agents) shares one id past the limit.
      if (crawlerNames.length >= MAX_CRAWLER_IDS) return crawlerId('other crawlers')
      id = crawlerNames.length
      crawlerIds.set(name, id)
      crawlerNames.push(name)
    }
    return id
  }

  /** The entry of a page path's known requests, or a skip code. */
  function resolve(rec: LogRecord): PathEntry | number {
    const p = pagePath(rec.path)
    const code = p === NOT_PAGE_ASSET ? SKIP_ASSET : p === NOT_PAGE_API ? SKIP_API : p.charCodeAt(0) === 0 ? SKIP_INVALID : 0
    if (code !== 0) return code
    let entry = byPath.get(p)
    if (entry === undefined) {
      const r = matcher.match(p)
      if (r < 0) {
        t.unmatched++
        if (t.unmatchedExamples.length < EXAMPLES) t.unmatchedExamples.push({ file: rec.file, line: rec.line, text: p })
        return UNMATCHED
      }
      const route = routes[r]!
      entry = { route: r, path: ownString(p), id: route.entries.length, human: 0, crawler: 0, unknown: 0, crawlers: [] }
      route.entries.push(entry)
      byPath.set(entry.path, entry)
    }
    return entry
  }

  function add(rec: LogRecord): void {
    t.records++
    const at = rec.atMs
    if (at < t.minMs) t.minMs = at
    if (at > t.maxMs) t.maxMs = at
    if (rec.cache !== 0) t.sawCache = true
    if (rec.background) {
      t.skipped.background++
      const p = pagePath(rec.path)
      const r = p.charCodeAt(0) === 0 ? -1 : matcher.match(p)
      if (r >= 0) routes[r]!.background++
      return
    }
    const m = rec.method
    if (m !== 'GET' && m !== 'HEAD') {
      if (m === '') t.skipped.noRequest++
      else t.skipped.method++
      return
    }
    const st = rec.status
    if (st >= 300 && st < 400 && st !== 304) { t.skipped.redirect++; return }
    const is404 = st === 404 || st === 410
    let e = raw.get(rec.path)
    if (e === undefined) {
      // 404-only paths are not kept (unless replaying): bots probing for /wp-admin would fill memory.
      if (is404 && !o.replay) {
        const p = pagePath(rec.path)
        const known = byPath.get(p)
        if (known === undefined) {
          if (p.charCodeAt(0) === 0) { countSkip(p === NOT_PAGE_ASSET ? SKIP_ASSET : p === NOT_PAGE_API ? SKIP_API : SKIP_INVALID); return }
          t.pageRequests++
          const r = matcher.match(p)
          if (r < 0) {
            t.unmatched++
            if (t.unmatchedExamples.length < EXAMPLES) t.unmatchedExamples.push({ file: rec.file, line: rec.line, text: p })
            return
          }
          const route = routes[r]!
          route.unknown++
          route.cache[rec.cache] = route.cache[rec.cache]! + 1
          return
        }
        e = known
      } else {
        e = resolve(rec)
        if (typeof e !== 'number' || raw.size < RAW_CACHE_LIMIT) raw.set(ownString(rec.path), e)
        if (e === UNMATCHED) { t.pageRequests++; return }
      }
    }
    if (typeof e === 'number') {
      if (e === UNMATCHED) {
        t.pageRequests++
        t.unmatched++
      } else countSkip(e)
      return
    }
    t.pageRequests++
    const route = routes[e.route]!
    route.cache[rec.cache] = route.cache[rec.cache]! + 1
    if (route.requests) push(route.requests, at, e.id, rec.cache, st)
    if (is404) {
      e.unknown++
      route.unknown++
      return
    }
    const name = bots(rec.userAgent)
    if (name === null) {
      e.human++
      route.human++
      const hour = Math.floor(at / 3_600_000) % 24
      t.humanByHour[hour] = t.humanByHour[hour]! + 1
    } else {
      const cid = crawlerId(name)
      e.crawler++
      route.crawler++
      let v = route.crawlerVisits.get(cid)
      if (v === undefined) { v = { visits: 0, paths: 0 }; route.crawlerVisits.set(cid, v) }
      v.visits++
      if (!e.crawlers.includes(cid)) { e.crawlers.push(cid); v.paths++ }
    }
    const d = rec.durationMs
    if (d === d) {
      t.sawDuration = true
      if (rec.cache === CACHE_MISS && st < 400) {
        // Reservoir sampling (Vitter's algorithm R) with a fixed-seed LCG.
        const seen = route.renderSeen++
        if (seen < RENDER_SAMPLES) route.renders.push(d)
        else {
          rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0
          const j = Math.floor((rng / 4294967296) * (seen + 1))
          if (j < RENDER_SAMPLES) route.renders[j] = d
        }
      }
    }
  }

  function countSkip(code: number): void {
    if (code === SKIP_ASSET) t.skipped.asset++
    else if (code === SKIP_API) t.skipped.api++
    else t.skipped.invalid++
  }

  return t
}
