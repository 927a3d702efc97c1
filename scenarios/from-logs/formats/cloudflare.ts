/**
 * Cloudflare Logpush, dataset http_requests, JSON lines. Fields read:
 * `EdgeStartTimestamp` (ns, µs, ms or s since the epoch, or RFC 3339: the job's timestamp
 * format), `EdgeEndTimestamp` (for the duration), `ClientRequestMethod`, `ClientRequestPath`
 * (else `ClientRequestURI`, query cut), `EdgeResponseStatus`, `ClientRequestUserAgent`,
 * `CacheCacheStatus`. The cache status is Cloudflare's (the CDN's view, not Next's):
 * hit, stream_hit -> HIT; stale, updating -> STALE; miss, expired -> MISS; revalidated ->
 * REVALIDATED; anything else (dynamic, bypass, ignored, unknown, deferred) -> none.
 */
import { CACHE_HIT, CACHE_MISS, CACHE_NONE, CACHE_REVALIDATED, CACHE_STALE, PARSE_BAD, PARSE_OK, type CacheCode, type LineParser, type LogRecord, type ParseResult } from '../record.ts'
import { epochMs } from './time.ts'

export function cloudflareCache(v: unknown): CacheCode {
  switch (v) {
    case 'hit':
    case 'stream_hit':
      return CACHE_HIT
    case 'stale':
    case 'updating':
      return CACHE_STALE
    case 'miss':
    case 'expired':
      return CACHE_MISS
    case 'revalidated':
      return CACHE_REVALIDATED
    default:
      return CACHE_NONE
  }
}

const FIELDS = ['EdgeStartTimestamp', 'ClientRequestURI', 'ClientRequestPath', 'ClientRequestMethod', 'EdgeResponseStatus', 'CacheCacheStatus', 'ClientRequestUserAgent']

/** Whether a parsed JSON value is a Logpush http_requests record (two of its fields or more). */
export function isCloudflareRecord(v: unknown): boolean {
  return typeof v === 'object' && v !== null && FIELDS.filter((f) => f in v).length >= 2
}

export function cloudflareParser(): LineParser {
  return {
    description: 'Cloudflare Logpush http_requests (JSON)',
    resolutionMs: 1,
    hasCache: true,
    parse(text: string, s: number, e: number, rec: LogRecord): ParseResult {
      let v: Record<string, unknown>
      try {
        v = JSON.parse(text.substring(s, e)) as Record<string, unknown>
      } catch {
        return PARSE_BAD
      }
      if (typeof v !== 'object' || v === null) return PARSE_BAD
      const start = epochMs(v['EdgeStartTimestamp'])
      if (Number.isNaN(start)) return PARSE_BAD
      const raw = typeof v['ClientRequestPath'] === 'string' ? v['ClientRequestPath'] : v['ClientRequestURI']
      if (typeof raw !== 'string') return PARSE_BAD
      const q = raw.search(/[?#]/)
      rec.path = q < 0 ? raw : raw.slice(0, q)
      rec.method = typeof v['ClientRequestMethod'] === 'string' ? v['ClientRequestMethod'] : ''
      rec.status = typeof v['EdgeResponseStatus'] === 'number' ? v['EdgeResponseStatus'] : 0
      rec.userAgent = typeof v['ClientRequestUserAgent'] === 'string' ? v['ClientRequestUserAgent'] : ''
      rec.cache = cloudflareCache(v['CacheCacheStatus'])
      const end = epochMs(v['EdgeEndTimestamp'])
      rec.atMs = start
      rec.durationMs = end >= start ? end - start : Number.NaN
      rec.background = false
      return PARSE_OK
    },
  }
}
