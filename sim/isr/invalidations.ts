/**
 * The scenario's invalidating events (§4, and "Origin data changes and freshness" in
 * docs/semantics.md): on-demand calls (onDemand[]), origin data changes (dataChanges[]) and
 * the CMS webhooks they call. Each is resolved once (its timing, tags and write), scheduled
 * (events.ts) and, when it fires, written to the tags manifest, counted (stats.ts) and traced.
 */
import type { Engine } from '../kernel/engine.ts'
import { UINT32_SCALE, type AleaRng, type Streams } from '../kernel/rng.ts'
import { secToUs } from '../kernel/time.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import type { DataCache } from './data-cache.ts'
import type { ResolvedRoute } from './entries.ts'
import { createEventTimer, EV_DATA_CHANGE, EV_ON_DEMAND, EV_WEBHOOK, expectedFirings, RANK_ON_DEMAND, timingOf, type Timing } from './events.ts'
import type { DataFreshness, FreshnessStats } from './freshness.ts'
import type { ResRevalidate } from './pages.ts'
import { createReceiver, type Target } from './receiver.ts'
import type { InvalidationStats } from './stats.ts'
import { changeSpanOf, profileWrite, type TagsManifest } from './tags-manifest.ts'
import type { TraceEvent } from './trace.ts'

export interface Invalidations {
  /** Schedules every on-demand call's first firing. */
  startCalls(): void
  /** Schedules every data change's first firing. */
  startChanges(): void
  /** The EV_ON_DEMAND event: on-demand call ei fires (§4.3 write side; pages are checked when next read). */
  onDemand(ei: number): void
  /** The EV_DATA_CHANGE event: data change ci happens, and calls its webhook after its delay. */
  dataChange(ci: number): void
  /** The EV_WEBHOOK event: queued webhook call qi arrives. */
  webhook(qi: number): void
  /** Per data change: its firings, webhook calls and their fan-out. */
  changeStats(): FreshnessStats['changes']
  /** Expected events, for the runaway guard. */
  readonly expectedEvents: number
}

export function createInvalidations(
  s: Scenario, routes: readonly ResolvedRoute[], streams: Streams, engine: Engine, durationUs: number, sharedCache: boolean,
  manifest: TagsManifest, stats: InvalidationStats, fresh: DataFreshness, data: DataCache, trace: ((e: TraceEvent) => void) | null,
  /** res.revalidate call ei reaches instance inst (§14.5): the model renders the path, or not. */
  revalidatePage: (ei: number, inst: number) => ResRevalidate,
): Invalidations {
  const clock = engine.clock, when = engine.when
  const timer = createEventTimer(engine, durationUs)
  const calls = s.onDemand.map((e, i) => ({
    ids: manifest.onDemandIds[i]!, ...(e.kind === 'res.revalidate' ? { swr: false, expireUs: 0 } : profileWrite(e.kind, e.profile)),
    pages: e.kind === 'res.revalidate', instance: e.instance, target: e.target ?? 'instance',
    timing: timingOf(e, e.ratePerS !== undefined ? streams.claim('on-demand', String(i)) : null),
  }))
  const changes: { readonly timing: Timing; readonly rng: AleaRng; readonly span: number; readonly webhook: Scenario['dataChanges'][number]['webhook']; webhookCalls: number }[] = s.dataChanges.map((c, ci) => {
    // The change's own stream: its Poisson times, and the path a templated tag picks.
    const rng = streams.claim('data', String(ci))
    return { timing: timingOf(c, rng), rng, span: changeSpanOf(c, s), webhook: c.webhook, webhookCalls: 0 }
  })
  /** Webhook calls on their way: the change, and the path index its "{slug}" takes. */
  const webhookQueue: { readonly ci: number; readonly k: number }[] = []

  const { instances } = deploymentOf(s)
  const receiver = createReceiver(s, streams)

  /**
   * Record an invalidation of tag ids where `target` sends it (the instance named, the one
   * the balancer picks, or every instance), propagated to the others with a shared cache,
   * and count the cached entries it reaches against stats row `row`: with local caches, only
   * the receiving instances' entries are reached.
   */
  function invalidate(ids: readonly number[], swr: boolean, expireUs: number, target: Target, instance: number, row: number): number {
    if (target !== 'all') {
      const inst = receiver(target, instance)
      manifest.write(ids, swr, expireUs, inst, true)
      return stats.fanOut(row, ids, manifest.targets, routes, sharedCache ? 0 : inst)
    }
    let touched = 0
    for (let i = 0; i < instances; i++) {
      manifest.write(ids, swr, expireUs, i, false) // each instance receives it: nothing to propagate
      if (!sharedCache) touched += stats.fanOut(row, ids, manifest.targets, routes, i)
    }
    return sharedCache ? stats.fanOut(row, ids, manifest.targets, routes, 0) : touched
  }

  /**
   * A res.revalidate call (§14.5): a render of its one Pages path on each receiving instance,
   * counted as reaching that entry and causing that render at once (or joining one in flight).
   */
  function resRevalidate(ei: number, target: Target, instance: number): number {
    const row = stats.rows[ei]!
    let touched = 0
    const one = (inst: number) => {
      const a = revalidatePage(ei, inst)
      if (a === 'joins' || a === 'renders') touched++
      if (a === 'renders') { row.rendersWithin1m++; row.rendersWithin1h++; row.rendersWithin1d++ }
    }
    if (target === 'all') for (let i = 0; i < instances; i++) one(i)
    else one(receiver(target, instance))
    row.entriesTouched += touched
    return touched
  }

  let expectedEvents = 0
  for (const c of s.dataChanges) expectedEvents += 2 * expectedFirings(c, s.durationS) // and a webhook each
  for (const e of s.onDemand) expectedEvents += expectedFirings(e, s.durationS)

  return {
    expectedEvents,
    startCalls() {
      calls.forEach((e, i) => timer.first(e.timing, EV_ON_DEMAND, i))
    },
    startChanges() {
      changes.forEach((c, i) => timer.first(c.timing, EV_DATA_CHANGE, i))
    },
    onDemand(ei) {
      const e = calls[ei]!
      timer.next(e.timing, EV_ON_DEMAND, ei)
      stats.fired(ei)
      const touched = e.pages ? resRevalidate(ei, e.target, e.instance) : invalidate(e.ids, e.swr, e.expireUs, e.target, e.instance, ei)
      if (trace !== null) trace({ kind: 'on-demand', atUs: clock[0]!, event: ei, entriesTouched: touched })
    },
    dataChange(ci) {
      const c = changes[ci]!
      const now = clock[0]!
      timer.next(c.timing, EV_DATA_CHANGE, ci)
      const ck = fresh.changeKeys[ci]!
      const k = ck.templatedFetches.length > 0 ? ((c.rng.nextInt32() >>> 0) * c.span * UINT32_SCALE) | 0 : 0
      fresh.change(ci, k)
      if (trace !== null) {
        const fetches = data.fetches
        const keys = [...ck.literal.map(data.nameOfKey), ...ck.templatedFetches.filter((fi) => k < fetches[fi]!.keys).map((fi) => ({ fetch: fetches[fi]!.id, key: k }))]
        trace({ kind: 'data-change', atUs: now, change: ci, keys })
      }
      stats.fired(calls.length + ci)
      if (c.webhook) {
        webhookQueue.push({ ci, k })
        when[0] = now + secToUs(c.webhook.delayS)
        if (when[0]! < durationUs) engine.schedule(RANK_ON_DEMAND, EV_WEBHOOK, webhookQueue.length - 1)
      }
    },
    webhook(qi) {
      const { ci, k } = webhookQueue[qi]!
      const w = changes[ci]!.webhook!
      changes[ci]!.webhookCalls++
      if (trace !== null) trace({ kind: 'webhook', atUs: clock[0]!, change: ci, path: k })
      const ids = manifest.webhookIds[ci]![Math.min(k, manifest.webhookIds[ci]!.length - 1)] ?? []
      const { swr, expireUs } = profileWrite(w.kind, w.profile)
      invalidate(ids, swr, expireUs, w.target ?? 'instance', w.instance, calls.length + ci)
    },
    changeStats() {
      return changes.map((c, ci) => {
        const v = stats.rows[calls.length + ci]!
        return { occurrences: v.occurrences, webhookCalls: c.webhookCalls, entriesTouched: v.entriesTouched, rendersWithin1m: v.rendersWithin1m, rendersWithin1h: v.rendersWithin1h, rendersWithin1d: v.rendersWithin1d }
      })
    },
  }
}
