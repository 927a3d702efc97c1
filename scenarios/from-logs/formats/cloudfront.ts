/**
 * CloudFront standard logs (legacy and v2 in W3C form): `#Version:` and `#Fields:` header
 * lines, then tab-separated fields in the header's order (without a header, the 33 legacy
 * fields in their documented order). Fields read: `date` and `time` (UTC, when the response
 * ended, 1 s resolution) or v2's `timestamp(ms)` / `timestamp`, `time-taken` (s; the request
 * arrived at log time − time-taken), `cs-method`, `cs-uri-stem`, `sc-status`, `cs(User-Agent)`
 * (URL-encoded), `x-edge-detailed-result-type`, else `x-edge-result-type`.
 *
 * The cache status is CloudFront's, the CDN's view, not Next's: Hit, RefreshHit (revalidated
 * with the origin, served from cache) and OriginShieldHit -> HIT; Miss (and Miss…) -> MISS;
 * Error, Redirect, LimitExceeded, CapacityExceeded and the detailed error types -> none.
 * A CloudFront MISS is a request that reached Next, which may itself have answered HIT.
 */
import { CACHE_HIT, CACHE_MISS, CACHE_NONE, PARSE_BAD, PARSE_OK, PARSE_SKIP, parseDecimal, type CacheCode, type LineParser, type LogRecord, type ParseResult } from '../record.ts'
import { parseDateTime } from './time.ts'

export const CLOUDFRONT_LEGACY_FIELDS = [
  'date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)', 'cs-uri-stem', 'sc-status', 'cs(Referer)', 'cs(User-Agent)',
  'cs-uri-query', 'cs(Cookie)', 'x-edge-result-type', 'x-edge-request-id', 'x-host-header', 'cs-protocol', 'cs-bytes', 'time-taken',
  'x-forwarded-for', 'ssl-protocol', 'ssl-cipher', 'x-edge-response-result-type', 'cs-protocol-version', 'fle-status', 'fle-encrypted-fields',
  'c-port', 'time-to-first-byte', 'x-edge-detailed-result-type', 'sc-content-type', 'sc-content-len', 'sc-range-start', 'sc-range-end',
] as const

export function cloudfrontCache(t: string): CacheCode {
  if (t === 'Hit' || t === 'RefreshHit' || t === 'OriginShieldHit') return CACHE_HIT
  if (t.startsWith('Miss')) return CACHE_MISS
  return CACHE_NONE
}

/** Whether `line` is a CloudFront data line in the legacy order (a date, a time, then 31 more tab-separated fields). */
export function looksCloudfront(line: string): boolean {
  return /^\d{4}-\d{2}-\d{2}\t\d{2}:\d{2}:\d{2}\t/.test(line) && line.split('\t').length >= 19
}

const COLS = ['date', 'time', 'cs-method', 'cs-uri-stem', 'sc-status', 'cs(User-Agent)', 'x-edge-result-type', 'x-edge-detailed-result-type', 'time-taken', 'timestamp(ms)', 'timestamp'] as const
const DATE = 0
const TIME = 1
const METHOD = 2
const STEM = 3
const STATUS = 4
const UA = 5
const RESULT = 6
const DETAILED = 7
const TAKEN = 8
const TS_MS = 9
const TS = 10

export function cloudfrontParser(): LineParser {
  // Column index of each field we read, -1 when the log does not have it.
  const at = new Int32Array(COLS.length)
  const a = new Int32Array(COLS.length)
  const b = new Int32Array(COLS.length)
  let maxCol = 0
  let dateText = ''
  let timeText = ''
  let secMs = Number.NaN

  function setFields(names: readonly string[]): void {
    COLS.forEach((c, k) => { at[k] = names.indexOf(c) })
    maxCol = Math.max(...at)
  }
  setFields(CLOUDFRONT_LEGACY_FIELDS)

  const cut = (t: string, k: number) => (at[k]! < 0 ? '' : t.substring(a[k]!, b[k]!))

  return {
    description: 'CloudFront standard log (W3C)',
    resolutionMs: 1000,
    hasCache: true,
    parse(t: string, s: number, e: number, rec: LogRecord): ParseResult {
      if (t.charCodeAt(s) === 35) { // '#'
        if (t.startsWith('#Fields:', s)) setFields(t.substring(s + 8, e).trim().split(/\s+/))
        return PARSE_SKIP
      }
      // Walk the tabs once, noting where each wanted column starts and ends.
      let col = 0
      let p = s
      while (col <= maxCol && p <= e) {
        let q = t.indexOf('\t', p)
        if (q < 0 || q > e) q = e
        for (let k = 0; k < COLS.length; k++) if (at[k] === col) { a[k] = p; b[k] = q }
        col++
        p = q + 1
      }
      if (col <= maxCol) return PARSE_BAD
      let endMs: number
      if (at[TS_MS]! >= 0) endMs = parseDecimal(t, a[TS_MS]!, b[TS_MS]!)
      else if (at[TS]! >= 0) endMs = parseDecimal(t, a[TS]!, b[TS]!) * 1000
      else {
        const da = a[DATE]!
        const ta = a[TIME]!
        if (at[DATE]! < 0 || at[TIME]! < 0) return PARSE_BAD
        if (dateText === '' || !t.startsWith(dateText, da) || !t.startsWith(timeText, ta)) {
          dateText = t.substr(da, 10)
          timeText = t.substr(ta, 8)
          secMs = parseDateTime(t, da, ta)
        }
        endMs = secMs
      }
      if (Number.isNaN(endMs)) { dateText = ''; return PARSE_BAD }
      const taken = at[TAKEN]! >= 0 ? parseDecimal(t, a[TAKEN]!, b[TAKEN]!) : Number.NaN
      rec.durationMs = taken === taken ? taken * 1000 : Number.NaN
      rec.atMs = taken === taken ? endMs - rec.durationMs : endMs
      rec.method = cut(t, METHOD)
      rec.path = cut(t, STEM)
      const st = parseDecimal(t, a[STATUS]!, b[STATUS]!)
      rec.status = st === st ? st : 0
      const ua = cut(t, UA)
      if (ua === '-') rec.userAgent = ''
      else if (ua.includes('%')) {
        try { rec.userAgent = decodeURIComponent(ua) } catch { rec.userAgent = ua }
      } else rec.userAgent = ua
      const detailed = cut(t, DETAILED)
      rec.cache = cloudfrontCache(detailed !== '' && detailed !== '-' ? detailed : cut(t, RESULT))
      rec.background = false
      return PARSE_OK
    },
  }
}
