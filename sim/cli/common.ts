/**
 * What the command modules share: the host interface, the "already reported, exit 1" error,
 * option parsers, the price table and --report. Kept apart so that main.ts and
 * plan-commands.ts do not import each other.
 */
import { totalmem } from 'node:os'
import { getHeapStatistics } from 'node:v8'
import { InvalidArgumentError } from 'commander'
import type { SimMode } from '../contract.ts'
import { resolveRoutes } from '../isr/entries.ts'
import { changeTrackingHeap, exactMemory } from '../isr/exact-memory.ts'
import { UsageError } from '../kernel/errors.ts'
import type { Scenario } from '../scenario/schema.ts'
import { DEFAULT_PRICING, parsePricing, type Pricing } from '../planning/pricing.ts'
import { readJsonFile } from './files.ts'

/** `check` or `recommend` found a failure and already printed it: exit 1. */
export class CheckFailed extends Error {}

/** What the command line gets from its host: the wall clock (only sweep progress and speed-up use it). */
export interface Host {
  readonly nowMs: () => number
  /**
   * Writes an HTML report of a JSON text (a result, sweep file or verdict) to `out`, for
   * --report. Injected by bin/isrsim.js from reports/: sim/ never imports reports/.
   */
  readonly report?: (text: string, source: string, out: string, gateText?: string) => Promise<void>
  /**
   * The scenario of a built Next.js app (`isrsim import`), with a committed traffic profile
   * applied, for `check --app`. Injected by bin/isrsim.js from scenarios/: sim/ never imports it.
   */
  readonly appScenario?: (dir: string, traffic: string | undefined) => Promise<{ scenario: unknown; warnings: readonly string[] }>
}

/** --pricing: a whole price table (see `isrsim pricing`), else the bundled one. */
export function loadPricing(file: string | undefined): Pricing {
  return file === undefined ? DEFAULT_PRICING : parsePricing(readJsonFile(file, 'pricing file'), file)
}

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1, received "${v}"`)
    return n
  }
}

/** --mode: exact, fast or auto (docs/fast-mode.md). */
export const MODE_HELP = 'exact (every request), fast (fast-forward between state changes where exact in distribution; says per route where not) or auto (fast where exact in distribution)'
export function parseMode(v: string): SimMode {
  if (v === 'exact' || v === 'fast' || v === 'auto') return v
  throw new InvalidArgumentError(`--mode must be exact, fast or auto, received "${v}"`)
}

/** --report, or a usage error when the host cannot write reports. */
export async function writeReportVia(env: Host, out: string | undefined, text: string, source: string, gateText?: string): Promise<void> {
  if (out === undefined) return
  if (!env.report) throw new UsageError('--report: this host cannot write reports (run the isrsim command)')
  await env.report(text, source, out, gateText)
  process.stdout.write(`report written to ${out}\n`)
}

/** Refuses a run whose tracking of dataChanges would pass three quarters of V8's heap limit (exact-memory.ts changeTrackingHeap): it would die of it. */
function refuseChangeTracking(command: string, s: Scenario): void {
  const heap = changeTrackingHeap(s)
  const limit = getHeapStatistics().heap_size_limit
  if (heap.bytes <= 0.75 * limit || heap.worst === null) return
  const c = s.dataChanges[heap.worst.index]!
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`
  throw new UsageError(
    `${command}: tracking dataChanges would hold about ${gb(heap.bytes)} in the JS heap, more than 75% of its ${gb(limit)} limit; `
    + `dataChanges[${heap.worst.index}] (${c.fetch !== undefined ? `fetch "${c.fetch}"` : `tag "${c.tag}"`}) reaches ${heap.worst.keys.toLocaleString('en-US')} Data Cache keys, each tracked on its own. `
    + 'For a change to one product of a per-path fetch, name a templated tag (for example "product-{id}", on the fetch and in the change): each firing then reaches one key. Or lower params.count',
  )
}

/**
 * Refuses, before any allocation, a run whose exact-mode per-path state would take more than
 * three quarters of this machine's memory (isr/exact-memory.ts): the process would otherwise
 * die allocating it, or be killed. Names the fields that size it.
 */
export function refuseTooBig(command: string, s: Scenario, mode: SimMode, sameTraffic = false, workers = 1): void {
  refuseChangeTracking(command, s)
  const mem = exactMemory(s, resolveRoutes(s), mode, sameTraffic)
  const limit = 0.75 * totalmem()
  if (mem.bytes * workers <= limit || mem.largest === null) return
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`
  const top = mem.largest
  throw new UsageError(
    `${command}: exact mode would hold about ${gb(mem.bytes)} of per-path state (${mem.lazy ? `up to ${Math.round(mem.records).toLocaleString('en-US')} records, one per (instance, path) the traffic can visit, of ` : ''}${mem.instances} instance${mem.instances === 1 ? '' : 's'} × ${mem.paths.toLocaleString('en-US')} paths${mem.lazy ? '' : ', visited or not'})${mem.dataBytes >= 0.25 * mem.bytes ? `, ${gb(mem.dataBytes)} of it for fetch keys${s.dataChanges.length > 0 ? ' and tracking dataChanges' : ''}` : ''}${workers > 1 ? ` in each of ${workers} workers` : ''}, more than 75% of this machine's ${gb(totalmem())}; `
    + `route "${top.id}" has params.count ${top.count.toLocaleString('en-US')} and runs exact because ${mode === 'exact' ? '--mode exact' : top.why}. `
    + `Lower params.count or deployment.instances${workers > 1 ? ' (or --workers)' : ''}${mode === 'exact' ? ', or use --mode auto (fast mode keeps no per-path state where it applies)' : ', or drop what keeps the route exact (fast mode keeps no per-path state)'}`,
  )
}
