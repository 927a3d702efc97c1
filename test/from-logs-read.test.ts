/**
 * Reading logs: gzip (by magic bytes, truncated, corrupt), CRLF, chunk boundaries inside
 * multi-byte characters, several files in any order, lines slightly out of order (tolerated)
 * and logs concatenated in the wrong order (refused with what to do), unknown formats, logs
 * of another site, empty logs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readLines } from '../scenarios/from-logs/read.ts'
import { scanLogs, type Scan } from '../scenarios/from-logs/scan.ts'
import { UsageError } from '../sim/index.ts'
import { formatLog, nginxLine, synthRequests, type SynthRequest } from './from-logs-helpers.ts'

const FIXTURES = join(import.meta.dirname, 'fixtures', 'logs')
const PATTERNS = ['/blog/[slug]', '/about', '/docs/[...slug]', '/']
let dir = ''
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'isrsim-logs-read-')) })
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })
const put = (name: string, data: string | Buffer) => { const f = join(dir, name); writeFileSync(f, data); return f }
const scan = (files: string[], extra: Partial<Parameters<typeof scanLogs>[2]> = {}) => scanLogs(PATTERNS, files, { format: 'auto', replay: false, ...extra })

/** What a scan counted, to compare two scans of the same requests. */
const counts = (s: Scan) => ({
  lines: s.tally.lines, pageRequests: s.tally.pageRequests, unparseable: s.tally.unparseable, skipped: { ...s.tally.skipped },
  routes: s.tally.routes.map((r) => ({ human: r.human, crawler: r.crawler, unknown: r.unknown, cache: Array.from(r.cache), paths: r.entries.map((e) => `${e.path}:${e.human}:${e.crawler}`).sort() })),
  startMs: s.startMs, endMs: s.endMs,
})

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return (e as Error).message
  }
  throw new Error('expected a UsageError')
}

const day = synthRequests({ seed: 11, startMs: Date.UTC(2024, 4, 1), durationS: 7200, routes: [{ prefix: '/blog/', paths: 50, rps: 2, zipf: 1, unknownRps: 0.05 }, { prefix: '/about', paths: 1, rps: 0.3, zipf: 1 }], assetRps: 0.5 })

describe('gzip', () => {
  it('reads gzip by its magic bytes, with or without .gz, as the plain log', async () => {
    const text = formatLog(day, 'nginx')
    const plain = put('a.log', text)
    const gz = put('a.log.gz', gzipSync(text))
    const noExt = put('a-compressed', gzipSync(text))
    const base = counts(await scan([plain]))
    expect(base.pageRequests).toBeGreaterThan(10_000)
    expect(counts(await scan([gz]))).toEqual(base)
    expect(counts(await scan([noExt]))).toEqual(base)
    expect((await scan([gz])).files[0]!.gzip).toBe(true)
  })

  it('refuses a truncated gzip, saying so and what to do', async () => {
    const z = gzipSync(formatLog(day, 'nginx'))
    const cut = put('cut.log.gz', z.subarray(0, Math.floor(z.length / 2)))
    const msg = await rejects(scan([cut]))
    expect(msg).toMatch(/cut\.log\.gz: the gzip file is truncated \(it ends in the middle of its compressed data, after \d+ lines\): the copy is incomplete/)
    expect(msg).toContain('zcat')
  })

  it('refuses corrupt gzip data', async () => {
    const z = Buffer.from(gzipSync(formatLog(day, 'nginx')))
    for (let i = 2000; i < 2100; i++) z[i] = z[i]! ^ 0xff
    expect(await rejects(scan([put('bad.log.gz', z)]))).toMatch(/bad\.log\.gz: the gzip data is corrupt .*gzip -t/)
  })
})

describe('line endings and chunks', () => {
  it('reads CRLF logs as LF logs (no \\r in user agents or extra fields)', async () => {
    const text = formatLog(day, 'nginx')
    const base = counts(await scan([put('lf.log', text)]))
    expect(counts(await scan([put('crlf.log', text.replaceAll('\n', '\r\n'))]))).toEqual(base)
    const ugly = readFileSync(join(FIXTURES, 'nginx-ugly.log'), 'utf8')
    const s = await scan([put('ugly-crlf.log', ugly.replaceAll('\n', '\r\n'))], { allowUnmatched: true })
    expect(s.tally.unparseable).toBe(1)
    expect(s.tally.routes[0]!.cache[1]).toBe(1) // "HIT" read without its \r
  })

  it('cuts lines across 1 MiB chunks, multi-byte characters included, and reads a last line without newline', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i} ${'é€'.repeat(i % 40)} ${'x'.repeat(i % 13)}`)
    const f = put('utf8.txt', lines.join('\n'))
    const got: string[] = []
    const r = await readLines(f, (t, s, e) => { got.push(t.slice(s, e)) })
    expect(r.lines).toBe(lines.length)
    expect(got).toEqual(lines)
  })
})

describe('order', () => {
  it('tolerates lines slightly out of order (nginx logs a request when it ends)', async () => {
    const reqs: SynthRequest[] = day.slice(0, 2000)
    const lines = reqs.map((r, i) => nginxLine(r, true, i))
    // Swap neighbours and move a slow request 90 s late.
    for (let i = 0; i + 1 < lines.length; i += 7) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!]
    lines.splice(1500, 0, nginxLine({ ...reqs[1000]!, durationMs: 0 }, true, 1))
    const s = await scan([put('jitter.log', `${lines.join('\n')}\n`)])
    expect(s.tally.records).toBe(2001)
  })

  it('refuses a big jump back within a file, naming the line and what to do', async () => {
    const first = day.filter((r) => r.atMs < Date.UTC(2024, 4, 1, 1))
    const second = day.filter((r) => r.atMs >= Date.UTC(2024, 4, 1, 1))
    const f = put('wrong-order.log', formatLog(second, 'nginx') + formatLog(first, 'nginx'))
    const msg = await rejects(scan([f]))
    expect(msg).toMatch(new RegExp(`wrong-order\\.log:${second.length + 1}: the time goes back (119|120) min \\(to 2024-05-01T00:00:00\\.\\d+Z, after 2024-05-01T01:59:\\d+\\.\\d+Z at line ${second.length}\\): the lines are out of order`))
    expect(msg).toContain('pass each file with its own --log')
  })

  it('reads several files in the order of their first timestamps, whatever order they are given in', async () => {
    const half = Math.floor(day.length / 2)
    const a = put('part-1.log', formatLog(day.slice(0, half), 'nginx'))
    const b = put('part-2.log', formatLog(day.slice(half), 'nginx'))
    const whole = counts(await scan([put('whole.log', formatLog(day, 'nginx'))]))
    const s = await scan([b, a])
    expect(s.files.map((f) => f.file)).toEqual([a, b])
    const parts = counts(s)
    expect({ ...parts, lines: 0 }).toEqual({ ...whole, lines: 0 })
  })
})

describe('bad input', () => {
  it('an unknown format: lists the formats and shows the first line', async () => {
    const f = put('syslog.log', 'Dec  6 00:25:32 host sshd[123]: Accepted publickey for root\nDec  6 00:25:33 host sshd[123]: session opened\n')
    const msg = await rejects(scan([f]))
    expect(msg).toContain('syslog.log: unknown log format')
    for (const name of ['nginx', 'vercel', 'cloudfront', 'cloudflare']) expect(msg).toContain(`${name} (`)
    expect(msg).toContain('"Dec  6 00:25:32 host sshd[123]: Accepted publickey for root"')
  })

  it('a named format that does not fit: says what it looks like', async () => {
    const f = put('n.log', formatLog(day.slice(0, 50), 'nginx'))
    expect(await rejects(scan([f], { format: 'vercel' }))).toMatch(/n\.log: no line of the first 50 reads as vercel \(it looks like nginx: try --log-format nginx or auto\)/)
  })

  it('a log of another site: most requests match no route', async () => {
    const other = day.map((r) => ({ ...r, path: r.path.replace('/blog/', '/shop/item-').replace('/about', '/cart/x') }))
    const msg = await rejects(scanLogs(['/blog/[slug]', '/about'], [put('other.log', formatLog(other, 'nginx'))], { format: 'auto', replay: false }))
    expect(msg).toMatch(/other\.log: \d+ of \d+ page requests \(100%\) match no route of the scenario \(\/blog\/\[slug\], \/about\), e\.g\. .*other\.log:1 "\/shop\/item-\d+"/)
    expect(msg).toContain('Is this the log of another site?')
    expect(msg).toContain('--allow-unmatched')
    const ok = await scanLogs(['/blog/[slug]', '/about'], [put('other2.log', formatLog(other, 'nginx'))], { format: 'auto', replay: false, allowUnmatched: true })
    expect(ok.tally.unmatched).toBe(ok.tally.pageRequests)
  })

  it('an empty log, a missing log, mostly garbage', async () => {
    expect(await rejects(scan([put('empty.log', '\n\n')]))).toMatch(/empty\.log: the log is empty/)
    expect(await rejects(scan([join(dir, 'nope.log')]))).toMatch(/cannot read log .*nope\.log: ENOENT/)
    const good = formatLog(day.slice(0, 300), 'nginx').split('\n').slice(0, 300)
    const garbage = [...good.slice(0, 150), ...Array.from({ length: 400 }, (_, i) => `garbage ${i}`)]
    expect(await rejects(scan([put('garbage.log', garbage.join('\n'))]))).toMatch(/garbage\.log: 400 of 550 lines do not parse as nginx combined .* \(e\.g\. .*garbage\.log:151 "garbage 0"/)
  })
})
