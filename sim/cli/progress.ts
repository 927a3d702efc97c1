/**
 * Progress of a long simulation on a terminal: its estimated size before it starts, and a bar
 * with an ETA while it runs (cli-progress, which the sweep uses too). The simulation reports
 * how much simulated time it has done (runScenario's onProgress); the wall clock, and so the
 * ETA, stay here in the host. Nothing is drawn unless stderr is a terminal.
 */
import { SingleBar } from 'cli-progress'
import type { Scenario } from '../scenario/schema.ts'

/** From this many requests (all replications) a run says how big it is before it starts. */
export const LONG_RUN_REQUESTS = 5_000_000

/** The daily curve's multiplier integrated over [0, durationS): seconds at rate 1. */
function curveSeconds(hourly: readonly number[], startHour: number, durationS: number): number {
  let sum = 0
  for (let h = 0; h * 3600 < durationS; h++) sum += hourly[(startHour + h) % 24]! * Math.min(3600, durationS - h * 3600)
  return sum
}

/** Requests one replication simulates, about: rates × the daily curve over the run, plus schedules and crawlers. */
export function estimatedRequests(s: Scenario): number {
  let n = 0
  for (const r of s.routes) {
    const t = r.traffic
    const curve = t.diurnal ?? s.diurnal
    n += (t.rps + t.unknownRate) * (curve === undefined ? s.durationS : curveSeconds(curve.hourly, curve.startHour, s.durationS)) + (t.schedule?.atS.length ?? 0)
    for (const c of t.crawlers ?? []) n += ((c.paths ?? r.params?.count ?? 1) / c.revisitS) * s.durationS
  }
  return n
}

const human = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} billion` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} million` : Math.round(n).toLocaleString('en-US'))
const simulated = (s: number) => (s >= 86_400 ? `${(s / 86_400).toFixed(1)} d` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`)

/** "about 12.4 million requests (3 replications × 4.1 million, 1.0 d simulated each)", or null for a short run. */
export function sizeLine(s: Scenario, replications: number): string | null {
  const one = estimatedRequests(s)
  if (one * replications < LONG_RUN_REQUESTS) return null
  const each = replications === 1 ? '' : ` (${replications} replications × ${human(one)})`
  return `about ${human(one * replications)} requests to simulate${each}, ${simulated(s.durationS)} of simulated time each`
}

export interface Progress {
  /** Hand to runScenario as onProgress. */
  readonly onProgress: (doneS: number, totalS: number) => void
  /** Clear the bar (before the output is printed). */
  readonly stop: () => void
}

/** A bar on `stream` when it is a terminal, else null (CI logs and pipes get no bar and no control codes). */
export function progressBar(stream: NodeJS.WriteStream, what: string): Progress | null {
  if (stream.isTTY !== true) return null
  const bar = new SingleBar({ format: `${what} [{bar}] {percentage}% | {done} of {total_s} simulated | {duration_formatted} elapsed | ETA {eta_formatted}`, stream, hideCursor: true, clearOnComplete: true, etaBuffer: 40 })
  let started = false
  return {
    onProgress: (doneS, totalS) => {
      if (!started) {
        bar.start(totalS, 0, { done: simulated(0), total_s: simulated(totalS) })
        started = true
      }
      bar.update(doneS, { done: simulated(doneS) })
    },
    stop: () => { if (started) bar.stop() },
  }
}
