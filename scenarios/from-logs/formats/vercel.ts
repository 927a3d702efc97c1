/**
 * Vercel log drains, NDJSON (one entry per line; a line holding a JSON array, the `json`
 * drain's batch, is read too). Request entries carry a `proxy` object:
 * `{ timestamp (ms, request start), method, host, path (with query), userAgent: [string],
 * referer, statusCode, clientIp, region, scheme, vercelCache, ... }`, next to top-level
 * `source` (edge, lambda, static, ...), `statusCode` and `requestId`.
 *
 * - `proxy.statusCode` -1: a background regeneration (ISR revalidating a STALE page), not a
 *   request; counted per route as such.
 * - top-level `statusCode` -1 (and no proxy status): the function crashed; read as a 500.
 * - Several entries of one request (a function's log lines) share its `requestId`: counted once
 *   (ids are remembered for the last 2 × 50,000 entries, so memory stays flat).
 * - Entries without `proxy` (build logs, stdout without a request) are skipped.
 */
import { CACHE_HIT, CACHE_MISS, CACHE_NONE, CACHE_REVALIDATED, CACHE_STALE, PARSE_BAD, PARSE_OK, PARSE_SKIP, type CacheCode, type LineParser, type LogRecord, type ParseResult } from '../record.ts'

/** x-vercel-cache as logged in proxy.vercelCache. PRERENDER is served from the build's static output: a hit. */
export function vercelCache(v: unknown): CacheCode {
  switch (v) {
    case 'HIT':
    case 'PRERENDER':
      return CACHE_HIT
    case 'STALE':
      return CACHE_STALE
    case 'MISS':
      return CACHE_MISS
    case 'REVALIDATED':
      return CACHE_REVALIDATED
    default:
      return CACHE_NONE // BYPASS, absent
  }
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Whether a parsed JSON value is a Vercel log drain entry. */
export function isVercelEntry(v: unknown): boolean {
  return isObject(v) && (isObject(v['proxy']) || (typeof v['deploymentId'] === 'string' && typeof v['source'] === 'string'))
}

const ID_WINDOW = 50_000

export function vercelParser(): LineParser {
  let recent = new Set<string>()
  let older = new Set<string>()
  let batch: unknown[] = []
  let at = 0

  function fill(v: unknown, rec: LogRecord): ParseResult {
    if (!isObject(v)) return PARSE_BAD
    const proxy = v['proxy']
    if (!isObject(proxy)) return isVercelEntry(v) ? PARSE_SKIP : PARSE_BAD
    const ps = proxy['statusCode']
    const background = ps === -1
    const id = v['requestId']
    if (!background && typeof id === 'string' && id !== '') {
      if (recent.has(id) || older.has(id)) return PARSE_SKIP
      recent.add(id)
      if (recent.size >= ID_WINDOW) { older = recent; recent = new Set() }
    }
    const t = typeof proxy['timestamp'] === 'number' ? proxy['timestamp'] : v['timestamp']
    if (typeof t !== 'number' || !Number.isFinite(t)) return PARSE_BAD
    const path = proxy['path']
    if (typeof path !== 'string') return PARSE_BAD
    const q = path.search(/[?#]/)
    rec.path = q < 0 ? path : path.slice(0, q)
    rec.method = typeof proxy['method'] === 'string' ? proxy['method'] : ''
    const top = v['statusCode']
    rec.status = typeof ps === 'number' && ps >= 0 ? ps : top === -1 ? 500 : typeof top === 'number' ? top : 0
    const ua = proxy['userAgent']
    rec.userAgent = Array.isArray(ua) ? (typeof ua[0] === 'string' ? ua[0] : '') : typeof ua === 'string' ? ua : ''
    rec.cache = vercelCache(proxy['vercelCache'])
    rec.atMs = t
    rec.durationMs = Number.NaN
    rec.background = background
    return PARSE_OK
  }

  return {
    description: 'Vercel log drain (NDJSON)',
    resolutionMs: 1,
    hasCache: true,
    parse(text: string, s: number, e: number, rec: LogRecord): ParseResult {
      let v: unknown
      batch = []
      at = 0
      try {
        v = JSON.parse(text.substring(s, e))
      } catch {
        return PARSE_BAD
      }
      if (!Array.isArray(v)) return fill(v, rec)
      batch = v
      return this.next!(rec) ? PARSE_OK : PARSE_SKIP
    },
    next(rec: LogRecord): boolean {
      // Entries of a batch that are not requests are passed over.
      while (at < batch.length) if (fill(batch[at++], rec) === PARSE_OK) return true
      return false
    },
  }
}
