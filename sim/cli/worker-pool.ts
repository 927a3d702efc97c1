/**
 * A pool of simulation worker threads (the sweep's worker, sim/cli/sweep-worker.ts) for
 * searches whose next runs depend on the last ones (recommend, the causes' re-runs): run()
 * returns a promise, and as many runs go at once as there are workers. With one worker the
 * runs happen on this thread (no start-up cost; the same results: runs are deterministic).
 */
import type { Worker } from 'node:worker_threads'
import type { PointResult } from '../contract.ts'
import type { Pricing } from '../planning/pricing.ts'
import { runScenario } from '../run.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { SimMode } from '../contract.ts'
import { spawnWorker, SweepPointError } from './sweep-runner.ts'
import type { Job, Reply } from './sweep-worker.ts'

export interface RunSpec {
  readonly seed: string
  readonly replications: number
  readonly pricing: Pricing
  readonly source: string
  /** docs/fast-mode.md; sweeps and recommend default to auto. */
  readonly mode?: SimMode
}

export interface Pool {
  readonly workers: number
  /** The scenario's result (without its time series and age CDFs); rejects with SweepPointError naming `label`. */
  run(scenario: Scenario, label: string): Promise<PointResult>
  /** Runs started so far. */
  readonly started: () => number
  close(): Promise<void>
}

export function createPool(workers: number, spec: RunSpec): Pool {
  let started = 0
  if (workers <= 1) {
    return {
      workers: 1,
      run: (scenario, label) => {
        started++
        try {
          const { series: _s, ageCdf: _a, ...r } = runScenario(scenario, spec)
          return Promise.resolve(r)
        } catch (e) {
          return Promise.reject(new SweepPointError(`${label}: ${(e as Error).message}`, (e as Error).name === 'InvariantError'))
        }
      },
      started: () => started,
      close: () => Promise.resolve(),
    }
  }
  interface Pending { readonly job: Job; readonly label: string; readonly done: (r: PointResult) => void; readonly fail: (e: Error) => void }
  const queue: Pending[] = []
  const idle: Worker[] = []
  const busy = new Map<number, Pending>()
  const pool: Worker[] = []
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!
      const p = queue.shift()!
      busy.set(p.job.index, p)
      w.postMessage(p.job)
    }
  }
  for (let k = 0; k < workers; k++) {
    const w = spawnWorker()
    pool.push(w)
    w.on('message', (m: Reply) => {
      if (m.kind !== 'ready') {
        const p = busy.get(m.index)!
        busy.delete(m.index)
        if (m.kind === 'failed') p.fail(new SweepPointError(`${p.label}: ${m.message}`, m.invariant))
        else p.done((JSON.parse(m.line) as { result: PointResult }).result)
      }
      idle.push(w)
      dispatch()
    })
    w.on('error', (e) => {
      for (const p of [...busy.values(), ...queue.splice(0)]) p.fail(e)
      busy.clear()
    })
  }
  return {
    workers,
    run: (scenario, label) => new Promise<PointResult>((done, fail) => {
      const index = started++
      queue.push({ job: { index, vary: {}, scenario, ...spec }, label, done, fail })
      dispatch()
    }),
    started: () => started,
    close: async () => { await Promise.all(pool.map((w) => w.terminate())) },
  }
}
