/**
 * nginx / Apache `combined`, optionally with extra fields after the user agent:
 *
 *   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" [extra ...]
 *
 * Extra fields may be quoted strings, bare tokens or key=value pairs. Which extra field is what
 * is told from the values of the first lines (detectCombined): the Next.js cache status
 * (HIT/STALE/MISS/REVALIDATED/-, nginx `$upstream_http_x_nextjs_cache`), a `$msec`-style epoch
 * time with milliseconds (then times have ms precision) and `$request_time` (seconds with
 * millisecond decimals; the request arrived at log time − request time). The recommended line:
 *
 *   log_format isrsim '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$upstream_http_x_nextjs_cache" $msec $request_time';
 *
 * nginx writes a line when a request ends, so `$time_local` alone (1 s resolution, end time)
 * places each request up to a second late, plus its duration: rates and daily curves do not
 * care, a replay shifts every request by up to a second, and render times cannot be measured.
 *
 * Speed: no regular expression per line; the time is parsed once per distinct second; the
 * user agent is cut from the end of the line (so quotes inside it do no harm).
 */
import { CACHE_HIT, CACHE_MISS, CACHE_NONE, CACHE_REVALIDATED, CACHE_STALE, PARSE_BAD, PARSE_OK, parseDecimal, type CacheCode, type LineParser, type LogRecord, type ParseResult } from '../record.ts'
import { parseClfTime } from './time.ts'

export type ExtraRole = 'cache' | 'msec' | 'requestTime' | 'other'

export interface CombinedLayout {
  readonly kind: 'nginx'
  /** What each extra field after the user agent is, in order. */
  readonly extras: readonly ExtraRole[]
}

// Detection only (never per line while reading): combined, then whatever follows.
const COMBINED = /^\S+ \S+ .*?\[(\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"(.*)$/
const EXTRA = /\s*(?:([\w.-]+)=)?(?:"((?:[^"\\]|\\.)*)"|(\S+))/g
const CACHE_WORDS = new Set(['HIT', 'STALE', 'MISS', 'REVALIDATED', '-', ''])

interface ExtraField { readonly key: string | undefined; readonly value: string }

function extrasOf(rest: string): ExtraField[] {
  const out: ExtraField[] = []
  for (const m of rest.matchAll(EXTRA)) if (m[0].trim() !== '') out.push({ key: m[1], value: m[2] ?? m[3] ?? '' })
  return out
}

/** Whether `line` is combined (with any extra fields); used by detection. */
export function looksCombined(line: string): boolean {
  return COMBINED.test(line)
}

/** The layout of combined lines, told from their extra fields' values; null when fewer than half the lines are combined. */
export function detectCombined(lines: readonly string[]): CombinedLayout | null {
  const rows: { timeMs: number; extras: ExtraField[] }[] = []
  for (const l of lines) {
    const m = COMBINED.exec(l)
    if (m) rows.push({ timeMs: parseClfTime(m[1]!, 0), extras: extrasOf(m[7]!) })
  }
  if (rows.length === 0 || rows.length * 2 < lines.length) return null
  // The most common number of extra fields is the layout's.
  const byCount = new Map<number, number>()
  for (const r of rows) byCount.set(r.extras.length, (byCount.get(r.extras.length) ?? 0) + 1)
  const k = [...byCount].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0]
  const cols = Array.from({ length: k }, (_, i) => rows.filter((r) => r.extras.length === k).map((r) => ({ ...r.extras[i]!, timeMs: r.timeMs })))
  const roles: ExtraRole[] = cols.map(() => 'other')
  const isMs = (v: string) => /^\d+\.\d{3}$/.test(v)
  let cacheAt = -1
  let msecAt = -1
  cols.forEach((c, i) => {
    const known = c.filter((x) => x.value !== '-' && x.value !== '')
    if (known.length === 0) return
    if (cacheAt < 0 && c.every((x) => CACHE_WORDS.has(x.value))) { roles[i] = 'cache'; cacheAt = i; return }
    // $msec: an epoch time within a day of $time_local (which is the same instant, to the second).
    if (msecAt < 0 && known.every((x) => isMs(x.value) && Math.abs(Number(x.value) * 1000 - x.timeMs) < 86_400_000)) { roles[i] = 'msec'; msecAt = i }
  })
  // $request_time: seconds with millisecond decimals, far below an epoch. $upstream_response_time
  // looks the same but is never longer, so among several candidates the longest one wins.
  let best = -1
  let bestMean = -1
  cols.forEach((c, i) => {
    if (roles[i] !== 'other') return
    const known = c.filter((x) => x.value !== '-')
    if (known.length === 0 || !known.every((x) => isMs(x.value) && Number(x.value) < 1e7)) return
    const named = c.some((x) => x.key === 'rt' || x.key === 'request_time')
    const mean = known.reduce((a, x) => a + Number(x.value), 0) / known.length + (named ? 1e9 : 0)
    if (mean > bestMean) { best = i; bestMean = mean }
  })
  if (best >= 0) roles[best] = 'requestTime'
  return { kind: 'nginx', extras: roles }
}

/** The first `code` in t[a, b), or -1 (indexOf would search the rest of the chunk when absent). */
function findChar(t: string, code: number, a: number, b: number): number {
  for (let i = a; i < b; i++) if (t.charCodeAt(i) === code) return i
  return -1
}

function cacheCode(t: string, a: number, b: number): CacheCode {
  const n = b - a
  const c = t.charCodeAt(a)
  if (n === 3 && c === 72) return CACHE_HIT // HIT
  if (n === 4 && c === 77) return CACHE_MISS // MISS
  if (n === 5 && c === 83) return CACHE_STALE // STALE
  if (n === 11 && c === 82) return CACHE_REVALIDATED // REVALIDATED
  return CACHE_NONE
}

export function describeCombined(l: CombinedLayout): string {
  const named = l.extras.filter((r) => r !== 'other').map((r) => (r === 'requestTime' ? 'request_time' : r))
  return `nginx combined${l.extras.length === 0 ? '' : ` + ${l.extras.length} extra field${l.extras.length === 1 ? '' : 's'}${named.length ? ` (${named.join(', ')})` : ''}`}`
}

export function combinedParser(layout: CombinedLayout): LineParser {
  const k = layout.extras.length
  const roles = layout.extras
  const fa = new Int32Array(k)
  const fb = new Int32Array(k)
  let timeText = ''
  let timeMs = Number.NaN

  /** Cut the k extra fields from the end of the line; returns where the user agent's closing quote is, or -1. */
  function extrasFromEnd(t: string, s: number, e: number): number {
    let q = e
    for (let i = k - 1; i >= 0; i--) {
      while (q > s && t.charCodeAt(q - 1) === 32) q--
      if (t.charCodeAt(q - 1) === 34) {
        const open = t.lastIndexOf('"', q - 2)
        if (open < s) return -1
        fa[i] = open + 1
        fb[i] = q - 1
        q = open
        if (t.charCodeAt(q - 1) === 61) { // key="value"
          const sp = t.lastIndexOf(' ', q - 1)
          if (sp < s) return -1
          q = sp
        }
      } else {
        const sp = t.lastIndexOf(' ', q - 1)
        if (sp < s) return -1
        const eq = findChar(t, 61, sp + 1, q) // key=value
        fa[i] = eq >= 0 ? eq + 1 : sp + 1
        fb[i] = q
        q = sp
      }
    }
    while (q > s && t.charCodeAt(q - 1) === 32) q--
    return t.charCodeAt(q - 1) === 34 ? q - 1 : -1
  }

  function parse(t: string, s: number, e: number, rec: LogRecord): ParseResult {
    let p = t.indexOf(' [', s)
    if (p < 0 || p + 30 > e) return PARSE_BAD
    p += 2
    if (t.charCodeAt(p + 26) !== 93) return PARSE_BAD
    if (!t.startsWith(timeText, p) || timeText === '') {
      timeText = t.substr(p, 26)
      timeMs = parseClfTime(t, p)
    }
    if (Number.isNaN(timeMs)) { timeText = ''; return PARSE_BAD }
    p += 27
    if (t.charCodeAt(p) !== 32 || t.charCodeAt(p + 1) !== 34) return PARSE_BAD
    p += 2
    // The request line ends at a quote followed by a space (escaped quotes inside are \" or \x22).
    let reqEnd = t.indexOf('" ', p)
    while (reqEnd > 0 && t.charCodeAt(reqEnd - 1) === 92 && reqEnd < e) reqEnd = t.indexOf('" ', reqEnd + 1)
    if (reqEnd < 0 || reqEnd + 6 > e) return PARSE_BAD
    const sp1 = t.indexOf(' ', p)
    if (sp1 < 0 || sp1 >= reqEnd) {
      rec.method = ''
      rec.path = ''
    } else {
      const ml = sp1 - p
      rec.method = ml === 3 && t.charCodeAt(p) === 71 && t.charCodeAt(p + 1) === 69 && t.charCodeAt(p + 2) === 84 ? 'GET' : ml === 4 && t.startsWith('HEAD', p) ? 'HEAD' : t.substring(p, sp1)
      // The target ends at a space (then the protocol), its path at "?" or "#".
      let qe = sp1 + 1
      for (; qe < reqEnd; qe++) {
        const c = t.charCodeAt(qe)
        if (c === 32 || c === 63 || c === 35) break
      }
      rec.path = t.substring(sp1 + 1, qe)
    }
    p = reqEnd + 2
    const d0 = t.charCodeAt(p) - 48
    const d1 = t.charCodeAt(p + 1) - 48
    const d2 = t.charCodeAt(p + 2) - 48
    if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || t.charCodeAt(p + 3) !== 32) return PARSE_BAD
    rec.status = d0 * 100 + d1 * 10 + d2
    // Bytes, then the quoted referer, which ends where the user agent's quote starts.
    p = t.indexOf(' ', p + 4)
    if (p < 0 || p >= e || t.charCodeAt(p + 1) !== 34) return PARSE_BAD
    const refEnd = t.indexOf('" "', p + 2)
    if (refEnd < 0 || refEnd >= e) return PARSE_BAD
    const uaStart = refEnd + 3
    let uaEnd: number
    if (k === 0) {
      uaEnd = t.charCodeAt(e - 1) === 34 ? e - 1 : t.indexOf('"', uaStart)
      if (uaEnd < uaStart || uaEnd >= e) return PARSE_BAD
    } else {
      uaEnd = extrasFromEnd(t, uaStart, e)
      if (uaEnd < uaStart) return PARSE_BAD
    }
    rec.userAgent = uaEnd - uaStart === 1 && t.charCodeAt(uaStart) === 45 ? '' : t.substring(uaStart, uaEnd)
    let endMs = timeMs
    let rtS = Number.NaN
    rec.cache = CACHE_NONE
    for (let i = 0; i < k; i++) {
      const r = roles[i]
      if (r === 'cache') rec.cache = cacheCode(t, fa[i]!, fb[i]!)
      else if (r === 'msec') {
        const v = parseDecimal(t, fa[i]!, fb[i]!)
        if (v === v) endMs = v * 1000
      } else if (r === 'requestTime') rtS = parseDecimal(t, fa[i]!, fb[i]!)
    }
    if (rtS === rtS) {
      rec.durationMs = rtS * 1000
      rec.atMs = endMs - rec.durationMs
    } else {
      rec.durationMs = Number.NaN
      rec.atMs = endMs
    }
    rec.background = false
    return PARSE_OK
  }

  return { description: describeCombined(layout), resolutionMs: roles.includes('msec') ? 1 : 1000, hasCache: roles.includes('cache'), parse }
}
