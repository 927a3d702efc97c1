/**
 * Read every log once into a Tally: probe each file (format, first time), read them in the
 * order of their first timestamps, check the order of lines as they come, and refuse logs
 * that cannot be this site's or this format's.
 */
import { UsageError } from '../../sim/index.ts'
import { makeParser, probeLog, type ConcreteFormat } from './detect.ts'
import { newRecord, PARSE_OK, PARSE_SKIP, type LogRecord } from './record.ts'
import { readLines } from './read.ts'
import { newTally, type Example, type Tally } from './tally.ts'

export interface ScanOptions {
  readonly format: ConcreteFormat | 'auto'
  readonly replay: boolean
  /** User agents that are human whatever isbot says (e.g. a load tester's). */
  readonly humans?: RegExp
  /** Accept logs where most requests match no route (a scenario that models part of a site). */
  readonly allowUnmatched?: boolean
  readonly progress?: NodeJS.WritableStream
}

export interface ScannedFile {
  readonly file: string
  readonly description: string
  readonly lines: number
  readonly gzip: boolean
  readonly resolutionMs: number
}

export interface Scan {
  readonly tally: Tally
  readonly files: readonly ScannedFile[]
  /** The logs' first and last request times, epoch ms. */
  readonly startMs: number
  readonly endMs: number
  /** The observation window, ms: (last − first) × (n + 1) / (n − 1), unbiased for n uniform arrivals. */
  readonly spanMs: number
  readonly hasCache: boolean
  readonly warnings: readonly string[]
}

/**
 * How far back a line's time may go before the log counts as out of order. nginx writes a line
 * when a request ends (a slow request is logged after later ones); CDNs deliver in batches.
 */
const BACK_TOLERANCE_MS: Record<ConcreteFormat, number> = { nginx: 600_000, vercel: 3_600_000, cloudfront: 3_600_000, cloudflare: 3_600_000 }

export function formatDuration(ms: number): string {
  const s = Math.abs(ms) / 1000
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`
  if (s < 7200) return `${(s / 60).toFixed(0)} min`
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86_400).toFixed(1)} days`
}

export const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms))
export const showExamples = (xs: readonly Example[]) => xs.map((x) => `${x.file}:${x.line} ${JSON.stringify(x.text)}`).join('; ')

export async function scanLogs(patterns: readonly string[], logs: readonly string[], o: ScanOptions): Promise<Scan> {
  if (logs.length === 0) throw new UsageError('no log given: pass at least one --log FILE')
  const probes = []
  for (const f of logs) probes.push(await probeLog(f, o.format))
  probes.sort((a, b) => a.firstAtMs - b.firstAtMs)
  const tally = newTally({ patterns, replay: o.replay, ...(o.humans ? { humans: o.humans } : {}) })
  const files: ScannedFile[] = []
  const rec = newRecord()
  const tty = (o.progress as { isTTY?: boolean } | undefined)?.isTTY === true
  let hasCache = false
  for (const probe of probes) {
    const parser = makeParser(probe.spec)
    hasCache ||= parser.hasCache
    const tolerance = BACK_TOLERANCE_MS[probe.spec.format]
    let latestMs = Number.NEGATIVE_INFINITY
    let latestLine = 0
    rec.file = probe.file
    const emit = (r: LogRecord) => {
      const endMs = r.durationMs === r.durationMs ? r.atMs + r.durationMs : r.atMs
      if (endMs < latestMs - tolerance) {
        throw new UsageError(`${r.file}:${r.line}: the time goes back ${formatDuration(latestMs - endMs)} (to ${iso(endMs)}, after ${iso(latestMs)} at line ${latestLine}): the lines are out of order. ` +
          'If several logs were concatenated (cat access.log access.log.1 > all.log), pass each file with its own --log instead: isrsim reads files in the order of their first timestamps. Otherwise sort the lines by time first.')
      }
      if (endMs > latestMs) { latestMs = endMs; latestLine = r.line }
      tally.add(r)
    }
    const summary = await readLines(probe.file, (text, s, e, line) => {
      if (e === s) return
      tally.lines++
      rec.line = line
      const r = parser.parse(text, s, e, rec)
      if (r === PARSE_OK) {
        emit(rec)
        if (parser.next) while (parser.next(rec)) emit(rec)
      } else if (r === PARSE_SKIP) tally.skipped.notRequest++
      else if (text.slice(s, e).trim() !== '') tally.bad(probe.file, line, text.slice(s, Math.min(e, s + 300)))
      else tally.lines--
    }, tty ? { onProgress: (b, total) => o.progress!.write(`\r  reading ${probe.file}: ${total > 0 ? Math.min(100, Math.round((100 * b) / total)) : 0}%`) } : {})
    if (tty) o.progress!.write('\r\x1b[K')
    files.push({ file: probe.file, description: parser.description, lines: summary.lines, gzip: summary.gzip, resolutionMs: parser.resolutionMs })
  }
  const t = tally
  const warnings: string[] = [...t.conflicts]
  const where = files.map((f) => f.file).join(', ')
  if (t.unparseable * 2 > t.lines) {
    throw new UsageError(`${where}: ${t.unparseable} of ${t.lines} lines do not parse as ${files.map((f) => f.description).join(' / ')} (e.g. ${showExamples(t.unparseableExamples)}): is the format right? Name it with --log-format, or fix the lines`)
  }
  if (t.pageRequests === 0) {
    throw new UsageError(`${where}: no page requests in ${t.lines} lines (skipped: ${t.skipped.asset} assets, ${t.skipped.method} other methods, ${t.skipped.redirect} redirects, ${t.skipped.notRequest} non-request entries, ${t.skipped.api} /api/ requests): nothing to fit`)
  }
  const matched = t.pageRequests - t.unmatched
  if (matched * 2 < t.pageRequests && !o.allowUnmatched) {
    throw new UsageError(`${where}: ${t.unmatched} of ${t.pageRequests} page requests (${((100 * t.unmatched) / t.pageRequests).toFixed(0)}%) match no route of the scenario (${patterns.join(', ')}), e.g. ${showExamples(t.unmatchedExamples)}. ` +
      'Is this the log of another site? Check the log and the scenario; if the scenario models only part of the site, pass --allow-unmatched')
  }
  if (t.unparseable > 0) warnings.push(`${t.unparseable} line${t.unparseable === 1 ? '' : 's'} did not parse and were left out, e.g. ${showExamples(t.unparseableExamples)}`)
  const n = t.records
  const spanMs = n >= 2 ? ((t.maxMs - t.minMs) * (n + 1)) / (n - 1) : 0
  if (!(spanMs > 0)) throw new UsageError(`${where}: the log spans no time (${n} request${n === 1 ? '' : 's'}, all at ${iso(t.minMs)}): a rate needs a log over a period`)
  return { tally, files, startMs: t.minMs, endMs: t.maxMs, spanMs, hasCache, warnings }
}
