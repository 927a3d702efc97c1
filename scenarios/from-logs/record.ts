/**
 * One record type for every log format. Parsers fill a reused record (no allocation per line
 * beyond the strings they cut out), and the tally reads it before the next line.
 */

/** A logged cache status, mapped from each format's own words (see README, "Traffic from access logs"). */
export const CACHE_NONE = 0
export const CACHE_HIT = 1
export const CACHE_STALE = 2
export const CACHE_MISS = 3
export const CACHE_REVALIDATED = 4
export type CacheCode = typeof CACHE_NONE | typeof CACHE_HIT | typeof CACHE_STALE | typeof CACHE_MISS | typeof CACHE_REVALIDATED
export const CACHE_NAMES = ['none', 'HIT', 'STALE', 'MISS', 'REVALIDATED'] as const
export type CacheStatus = (typeof CACHE_NAMES)[number]

export interface LogRecord {
  /** Request start, epoch ms (log time less the request's duration where the log has it). */
  atMs: number
  /** "GET", "HEAD", ... ("" when the line has no request line, e.g. a TLS probe). */
  method: string
  /** The request path without query string or fragment, as logged (percent-encoded). */
  path: string
  /** HTTP status (0 when the client went away before one was sent). */
  status: number
  /** "" when the log has none. */
  userAgent: string
  cache: CacheCode
  /** How long the request took, ms; NaN when the log does not say. */
  durationMs: number
  /** A background regeneration, not a request (Vercel's proxy.statusCode -1). */
  background: boolean
  file: string
  /** 1-based line number in `file`. */
  line: number
}

export function newRecord(): LogRecord {
  return { atMs: 0, method: '', path: '', status: 0, userAgent: '', cache: CACHE_NONE, durationMs: Number.NaN, background: false, file: '', line: 0 }
}

/** What a parser made of one line. */
export const PARSE_OK = 0
/** Not a request (a header, a comment, a build log entry): counted, never an error. */
export const PARSE_SKIP = 1
/** Not in the format. */
export const PARSE_BAD = 2
export type ParseResult = typeof PARSE_OK | typeof PARSE_SKIP | typeof PARSE_BAD

export interface LineParser {
  /** The format as detected, for the report (e.g. "nginx combined + cache, msec, request_time"). */
  readonly description: string
  /** Resolution of the timestamps, ms (1000 for nginx's $time_local alone). */
  readonly resolutionMs: number
  /** Whether the log records a cache status per request. */
  readonly hasCache: boolean
  /** Parse text[start, end) (one line, without its line break) into `rec`. */
  parse(text: string, start: number, end: number, rec: LogRecord): ParseResult
  /** A line that holds several records (a JSON array): fills `rec` with the next one, false when none is left. */
  next?(rec: LogRecord): boolean
}

/**
 * A copy of `s` that does not share memory with it. V8 cuts substrings as views of their
 * parent, so a key kept in a Map would keep a whole 1 MB chunk of the log alive.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8')
}

/** Parse an unsigned decimal ("0.123", "1700000000.123") in text[a, b); NaN if it is not one. */
export function parseDecimal(text: string, a: number, b: number): number {
  if (a >= b) return Number.NaN
  let int = 0
  let i = a
  for (; i < b; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) break
    int = int * 10 + c
  }
  if (i === a) return Number.NaN
  if (i === b) return int
  if (text.charCodeAt(i) !== 46) return Number.NaN
  let frac = 0
  let scale = 1
  for (i++; i < b; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return Number.NaN
    frac = frac * 10 + c
    scale *= 10
  }
  return int + frac / scale
}
