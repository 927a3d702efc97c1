/**
 * Which format a log is in, from its first non-empty lines (`--log-format auto`), and the
 * parser for it. A named format is checked the same way, so a wrong --log-format is a clear
 * error instead of a log of unparseable lines.
 */
import { UsageError } from '../../sim/index.ts'
import { cloudflareParser, isCloudflareRecord } from './formats/cloudflare.ts'
import { cloudfrontParser, looksCloudfront } from './formats/cloudfront.ts'
import { combinedParser, detectCombined, type CombinedLayout } from './formats/combined.ts'
import { isVercelEntry, vercelParser } from './formats/vercel.ts'
import { newRecord, PARSE_OK, type LineParser } from './record.ts'
import { readLines } from './read.ts'

export type ConcreteFormat = 'nginx' | 'vercel' | 'cloudfront' | 'cloudflare'

export type FormatSpec =
  | { readonly format: 'nginx'; readonly layout: CombinedLayout }
  | { readonly format: 'vercel' }
  | { readonly format: 'cloudfront' }
  | { readonly format: 'cloudflare' }

export const FORMAT_HELP = [
  'nginx (nginx or Apache "combined", optionally with extra fields such as the Next.js cache status, $msec and $request_time)',
  'vercel (Vercel log drain, NDJSON)',
  'cloudfront (CloudFront standard logs, W3C with #Fields)',
  'cloudflare (Cloudflare Logpush http_requests, JSON lines)',
]

export function makeParser(spec: FormatSpec): LineParser {
  switch (spec.format) {
    case 'nginx':
      return combinedParser(spec.layout)
    case 'vercel':
      return vercelParser()
    case 'cloudfront':
      return cloudfrontParser()
    case 'cloudflare':
      return cloudflareParser()
  }
}

const PROBE_LINES = 200

function parseJson(line: string): unknown {
  const t = line.trimStart()
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined
  try {
    return JSON.parse(t)
  } catch {
    return undefined
  }
}

/** The format of these lines, or null. */
export function detectFormat(lines: readonly string[]): FormatSpec | null {
  if (lines.some((l) => l.startsWith('#Version:') || l.startsWith('#Fields:'))) return { format: 'cloudfront' }
  const json = lines.map(parseJson).filter((v) => v !== undefined).flatMap((v) => (Array.isArray(v) ? v : [v]))
  if (json.some(isVercelEntry)) return { format: 'vercel' }
  if (json.some(isCloudflareRecord)) return { format: 'cloudflare' }
  const layout = detectCombined(lines)
  if (layout) return { format: 'nginx', layout }
  if (lines.filter(looksCloudfront).length * 2 > lines.length) return { format: 'cloudfront' }
  return null
}

const show = (line: string) => JSON.stringify(line.length > 300 ? `${line.slice(0, 300)}…` : line)

export interface Probe {
  readonly file: string
  readonly spec: FormatSpec
  /** The time of the first line that parses, epoch ms (files are read in this order). */
  readonly firstAtMs: number
}

/** Read the first lines of `file`: its format (detected, or checked when named) and first time. */
export async function probeLog(file: string, format: ConcreteFormat | 'auto'): Promise<Probe> {
  const lines: string[] = []
  await readLines(file, (t, s, e) => { if (e > s && t.slice(s, e).trim() !== '') lines.push(t.slice(s, e)) }, { maxLines: PROBE_LINES })
  if (lines.length === 0) throw new UsageError(`${file}: the log is empty (no line in its first ${PROBE_LINES})`)
  const detected = detectFormat(lines)
  let spec: FormatSpec | null = detected
  if (format === 'auto') {
    if (!detected) throw new UsageError(`${file}: unknown log format. isrsim reads:\n  ${FORMAT_HELP.join('\n  ')}\nThe first line is:\n  ${show(lines[0]!)}\nConvert the log to one of these (for nginx, the log_format line in the README's "Traffic from access logs" section), or name the format with --log-format if it is one of them.`)
  } else if (format === 'nginx') {
    const layout = detectCombined(lines)
    spec = layout ? { format: 'nginx', layout } : null
  } else spec = { format }
  const parser = spec ? makeParser(spec) : null
  const rec = newRecord()
  let firstAtMs = Number.NaN
  if (parser) {
    for (const l of lines) {
      if (parser.parse(l, 0, l.length, rec) === PARSE_OK && Number.isFinite(rec.atMs)) { firstAtMs = rec.atMs; break }
    }
  }
  if (!spec || Number.isNaN(firstAtMs)) {
    const named = format === 'auto' ? detected!.format : format
    throw new UsageError(`${file}: no line of the first ${lines.length} reads as ${named}${format !== 'auto' && detected ? ` (it looks like ${detected.format}: try --log-format ${detected.format} or auto)` : ''}. isrsim reads:\n  ${FORMAT_HELP.join('\n  ')}\nThe first line is:\n  ${show(lines[0]!)}`)
  }
  return { file, spec, firstAtMs }
}
