/**
 * A sweep worker thread: receives a point's scenario (already validated by the main
 * thread), runs it, and posts back the point's JSON line (the main thread times it).
 */
import { parentPort } from 'node:worker_threads'
import type { Pricing } from '../planning/pricing.ts'
import { runScenario } from '../run.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { SimMode } from '../contract.ts'
import { pointLine } from '../planning/sweep.ts'

export interface Job {
  readonly index: number
  readonly vary: Readonly<Record<string, string | number | boolean>>
  readonly scenario: Scenario
  readonly seed: string
  readonly replications: number
  readonly pricing: Pricing
  readonly source: string
  readonly mode?: SimMode
}
export type Reply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly index: number; readonly line: string }
  | { readonly kind: 'failed'; readonly index: number; readonly message: string; readonly invariant: boolean }

parentPort!.on('message', (job: Job) => {
  try {
    const r = runScenario(job.scenario, { seed: job.seed, replications: job.replications, pricing: job.pricing, source: job.source, ...(job.mode === undefined ? {} : { mode: job.mode }) })
    parentPort!.postMessage({ kind: 'done', index: job.index, line: pointLine(job.index, job.vary, r) } satisfies Reply)
  } catch (e) {
    parentPort!.postMessage({ kind: 'failed', index: job.index, message: (e as Error).message, invariant: (e as Error).name === 'InvariantError' } satisfies Reply)
  }
})
// Loaded: jobs may come (the main thread times points from here, not from the worker's start).
parentPort!.postMessage({ kind: 'ready' } satisfies Reply)
