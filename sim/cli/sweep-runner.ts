/**
 * Runs a sweep on worker threads (one per core by default) and keeps its JSON-lines file:
 * a header line, then one line per finished point, appended with a single write and
 * fsynced. An interrupted sweep leaves whole lines (and at worst one torn last line,
 * which --resume drops); when every point is done the file is rewritten in index order
 * (temporary file, then rename), the form `isrsim merge` also produces from shards.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { SingleBar } from 'cli-progress'
import { UsageError } from '../kernel/errors.ts'
import { writeAtomic } from './files.ts'
import type { Pricing } from '../planning/pricing.ts'
import type { Scenario } from '../scenario/schema.ts'
import { applyPoint, canonicalSweep, grid, inShard, pointLabel, sweepHeader, type SweepConstraint, type SweepHeader, type SweepPoint, type Vary } from '../planning/sweep.ts'
import type { Job, Reply } from './sweep-worker.ts'
import type { SimMode } from '../contract.ts'

export interface SweepOptions {
  readonly source: string
  readonly scenario: Scenario
  readonly vary: readonly Vary[]
  readonly seed: string
  readonly replications: number
  readonly pricing: Pricing
  /** docs/fast-mode.md. @default 'exact' */
  readonly mode?: SimMode
  readonly out: string
  readonly workers: number
  readonly resume: boolean
  readonly force: boolean
  readonly shard: { index: number; count: number } | null
  /** Bounds stored in the header: a report highlights the cheapest point that meets them. */
  readonly constraints?: readonly SweepConstraint[]
  /** Fields of `vary` answered per level (--given, traffic.scale). */
  readonly given?: readonly string[]
  /** Where progress goes (a TTY gets a bar with an ETA, anything else plain lines). */
  readonly progress: NodeJS.WriteStream
  /** Wall-clock milliseconds, for the ETA and the speed-up only (injected: sim/ reads no clock). */
  readonly nowMs: () => number
}

export interface SweepSummary {
  readonly header: SweepHeader
  readonly ran: number
  readonly skipped: number
  readonly wallMs: number
  /** Sum of the points' run times: what one worker would have taken. */
  readonly workMs: number
  readonly workers: number
  readonly pointsPerWorker: readonly number[]
  readonly lines: ReadonlyMap<number, string>
  /** The file as written (canonicalSweep of header and lines). */
  readonly text: string
}

export class SweepPointError extends Error {
  readonly invariant: boolean
  constructor(message: string, invariant: boolean) {
    super(message)
    this.invariant = invariant
  }
}

/** Lines of an existing sweep file: its header and finished points. A torn last line is dropped. */
export function readSweepFile(file: string): { header: SweepHeader; lines: Map<number, string>; torn: boolean } {
  const text = readFileSync(file, 'utf8')
  const raw = text.split('\n')
  const lastComplete = text.endsWith('\n')
  const rows = raw.slice(0, lastComplete ? -1 : raw.length)
  let torn = false
  let header: SweepHeader | null = null
  const lines = new Map<number, string>()
  rows.forEach((row, i) => {
    let obj: unknown
    try {
      obj = JSON.parse(row)
    } catch {
      if (i === rows.length - 1 && !lastComplete) { torn = true; return }
      throw new UsageError(`${file}: line ${i + 1} is not JSON; the file is corrupt (not a torn last line), so it cannot be resumed`)
    }
    if (i === rows.length - 1 && !lastComplete) { torn = true; return } // parsed, but its newline never landed
    if (i === 0) {
      if ((obj as SweepHeader).kind !== 'sweep') throw new UsageError(`${file}: not an isrsim sweep file (the first line is not a sweep header)`)
      header = obj as SweepHeader
      return
    }
    const p = obj as SweepPoint
    if (p.kind !== 'point' || !Number.isInteger(p.index)) throw new UsageError(`${file}: line ${i + 1} is not a sweep point`)
    lines.set(p.index, `${row}\n`)
  })
  if (header === null) throw new UsageError(`${file}: empty or torn header; start over with --force`)
  return { header, lines, torn }
}

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const header = sweepHeader(o.scenario, o.seed, o.replications, o.pricing, o.vary, o.shard, o.constraints, o.given)
  const points = grid(o.vary)
  // Validate every point before running any (exit 2 names the point and the field).
  const scenarios = points.map((p) => applyPoint(o.scenario, p, o.source))
  const mine = points.map((_, i) => i).filter((i) => inShard(i, o.shard))

  let done = new Map<number, string>()
  if (existsSync(o.out)) {
    if (o.resume) {
      const prev = readSweepFile(o.out)
      if (JSON.stringify(prev.header) !== JSON.stringify(header)) throw new UsageError(`${o.out}: was written by a different sweep (scenario, seed, replications, pricing, --vary or --shard differ); use another --out, or --force to start over`)
      done = prev.lines
      // Rewrite without the torn line, so that appends start on a line boundary.
      if (prev.torn) writeAtomic(o.out, canonicalSweep(header, done))
    } else if (!o.force) {
      throw new UsageError(`${o.out} exists: pass --resume to continue that sweep or --force to start over`)
    }
  }
  if (!o.resume || !existsSync(o.out)) writeAtomic(o.out, `${JSON.stringify(header)}\n`)

  const todo = mine.filter((i) => !done.has(i))
  const workers = Math.max(1, Math.min(o.workers, todo.length))
  const tty = o.progress.isTTY === true
  const bar = tty ? new SingleBar({ format: 'sweep [{bar}] {value}/{total} points | {duration_formatted} elapsed | ETA {eta_formatted} | {last}', stream: o.progress, etaBuffer: 20, hideCursor: true }) : null
  const total = mine.length
  bar?.start(total, mine.length - todo.length, { last: '' })
  if (!tty) o.progress.write(`sweep: ${todo.length} of ${total} points to run${o.shard ? ` (shard ${o.shard.index}/${o.shard.count})` : ''}${done.size ? `, ${done.size} already done` : ''}, ${workers} worker${workers === 1 ? '' : 's'}\n`)

  const fd = openSync(o.out, 'a')
  const t0 = o.nowMs()
  let workMs = 0
  let ran = 0
  /** When each running point was sent to its worker. */
  const sentMs = new Map<number, number>()
  const perWorker = new Array<number>(workers).fill(0)
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0
      let running = 0
      let failed = false
      const pool: Worker[] = []
      const stopAll = () => { for (const w of pool) void w.terminate() }
      const feed = (w: Worker) => {
        if (failed) return
        if (next >= todo.length) {
          void w.terminate()
          if (running === 0) resolve()
          return
        }
        const index = todo[next++]!
        running++
        sentMs.set(index, o.nowMs())
        const job: Job = { index, vary: points[index]!, scenario: scenarios[index]!, seed: o.seed, replications: o.replications, pricing: o.pricing, source: o.source, ...(o.mode === undefined ? {} : { mode: o.mode }) }
        w.postMessage(job)
      }
      for (let k = 0; k < workers; k++) {
        const w = spawnWorker()
        pool.push(w)
        w.on('message', (m: Reply) => {
          if (m.kind === 'ready') { feed(w); return }
          running--
          if (m.kind === 'failed') {
            failed = true
            stopAll()
            reject(new SweepPointError(`point ${m.index} (${pointLabel(points[m.index]!)}): ${m.message}`, m.invariant))
            return
          }
          // One write per line, then fsync: a crash leaves whole lines and at most one torn tail.
          writeSync(fd, m.line)
          fsyncSync(fd)
          done.set(m.index, m.line)
          const ms = o.nowMs() - sentMs.get(m.index)!
          workMs += ms
          ran++
          perWorker[k]!++
          const label = `${pointLabel(points[m.index]!)} (${(ms / 1000).toFixed(1)} s)`
          if (bar) bar.increment(1, { last: label })
          else {
            const finished = mine.length - todo.length + ran
            const etaS = ((o.nowMs() - t0) / 1000 / ran) * (total - finished)
            o.progress.write(`point ${finished}/${total} done: ${label}; eta ${etaS.toFixed(0)} s\n`)
          }
          feed(w)
        })
        w.on('error', (e) => { failed = true; stopAll(); reject(e) })
      }
      if (todo.length === 0) resolve()
    })
  } finally {
    closeSync(fd)
    bar?.stop()
  }
  const wallMs = o.nowMs() - t0
  const lines = new Map([...done].filter(([i]) => inShard(i, o.shard)))
  const text = canonicalSweep(header, lines)
  writeAtomic(o.out, text)
  return { header, ran: todo.length, skipped: mine.length - todo.length, wallMs, workMs, workers, pointsPerWorker: perWorker, lines, text }
}

/** A worker thread that loads TypeScript through tsx (the main thread's loader is not inherited). */
export function spawnWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./sweep-worker.ts', import.meta.url).href
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`, { eval: true })
}

/** Merge shard files into the file one machine would have written. */
export function mergeSweeps(files: readonly string[]): { header: SweepHeader; text: string } {
  if (files.length === 0) throw new UsageError('merge: give the shard files to merge')
  const parts = files.map((f) => ({ f, ...readSweepFile(f) }))
  const strip = (h: SweepHeader) => { const { shard: _s, ...rest } = h; return rest as SweepHeader }
  const base = strip(parts[0]!.header)
  const counts = new Set<number>()
  const seen = new Map<number, string>()
  for (const p of parts) {
    if (p.torn) throw new UsageError(`merge: ${p.f} ends in a torn line: finish it with isrsim sweep --resume first`)
    if (JSON.stringify(strip(p.header)) !== JSON.stringify(base)) throw new UsageError(`merge: ${p.f} is from a different sweep than ${parts[0]!.f} (scenario, seed, replications, pricing or --vary differ)`)
    const sh = p.header.shard ?? '1/1'
    const [i, n] = sh.split('/').map(Number) as [number, number]
    counts.add(n)
    if (seen.has(i)) throw new UsageError(`merge: shard ${sh} appears twice (${seen.get(i)} and ${p.f})`)
    seen.set(i, p.f)
  }
  if (counts.size !== 1) throw new UsageError(`merge: the files come from different shard counts (${[...counts].join(', ')})`)
  const n = [...counts][0]!
  const missingShards = Array.from({ length: n }, (_, k) => k + 1).filter((k) => !seen.has(k))
  if (missingShards.length) throw new UsageError(`merge: missing shard${missingShards.length === 1 ? '' : 's'} ${missingShards.map((k) => `${k}/${n}`).join(', ')}`)
  const lines = new Map<number, string>()
  for (const p of parts) for (const [i, l] of p.lines) lines.set(i, l)
  const missing = Array.from({ length: base.points }, (_, i) => i).filter((i) => !lines.has(i))
  if (missing.length) throw new UsageError(`merge: ${missing.length} point(s) not finished (first: #${missing[0]}); resume those shards first`)
  return { header: base, text: canonicalSweep(base, lines) }
}
