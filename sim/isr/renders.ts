/**
 * The render being prepared: how long it takes (its route's render time, plus the longest
 * foreground origin call its data needs), whether it fails (the route's failure rate and its
 * outages, §3.5), and when it starts. With render concurrency each instance runs at most c
 * renders; the rest wait, first in, first out, and since a render's duration is known when it
 * is queued, the earliest free worker gives its exact start ("Render concurrency" in
 * docs/semantics.md).
 */
import { lognormalInto, lognormalParams } from '../kernel/dist.ts'
import { assertNever } from '../kernel/errors.ts'
import { UINT32_SCALE, type Rng, type Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { DataCache } from './data-cache.ts'
import type { ResolvedRoute } from './entries.ts'

interface RouteRuntime {
  /** A lognormal's params are [mu, sigma] (µs scale) in a Float64Array: read on the hot path without boxing. */
  readonly render: { readonly kind: 'constant'; readonly us: number } | { readonly kind: 'lognormal'; readonly params: Float64Array }
  readonly renderRng: Rng
  readonly failureRng: Rng
  readonly failureRate: number
  readonly outages: ReadonlyArray<{ readonly fromUs: number; readonly toUs: number; readonly failureRate: number }>
}

/** A route's render times, µs: a constant, or a lognormal's [mu, sigma]. */
function renderTimes(renderS: Scenario['routes'][number]['renderS']): RouteRuntime['render'] {
  if (typeof renderS === 'number') return { kind: 'constant', us: secToUs(renderS) }
  const { mu, sigma } = lognormalParams(secToUs(renderS.lognormal.medianS), secToUs(renderS.lognormal.p95S))
  return { kind: 'lognormal', params: Float64Array.of(mu, sigma) }
}

/**
 * The render being prepared, as fields that prepare() fills: other components read them
 * there (doubles cross no call as arguments, which V8 would box when it does not inline).
 */
export interface Renderer {
  /** Its duration, µs: the render, plus the longest foreground origin call. */
  durUs: number
  /** When it starts, µs: now, or when a worker is free. */
  startUs: number
  /** Whether it succeeds (drawn now, when it is queued). */
  ok: boolean
  /**
   * Prepares a render of path p (global; -1 for a one-off path) of a route on instance inst:
   * samples its time and outcome (one draw each from the route's render and failure streams,
   * always, so stream alignment does not depend on the rates), reads its data (DataCache.read
   * with isr and bypass) and takes a worker.
   */
  prepare(route: ResolvedRoute, p: number, inst: number, isr: boolean, bypass: boolean): void
  /** A deploy: new processes, whose workers are all free (the old build's renders are not theirs). */
  reset(): void
}

/** `workers`: deployment.renderConcurrency, 0 for no limit. */
export function createRenderer(s: Scenario, routes: readonly ResolvedRoute[], streams: Streams, instances: number, workers: number, clock: Float64Array, data: DataCache): Renderer {
  const rt: RouteRuntime[] = routes.map((r) => {
    const cfg = s.routes[r.index]!
    return {
      render: renderTimes(cfg.renderS),
      renderRng: streams.claim('render', r.id),
      failureRng: streams.claim('failures', r.id),
      failureRate: cfg.failureRate,
      outages: s.outages
        .filter((o) => o.routes === undefined || o.routes.includes(r.id))
        .map((o) => ({ fromUs: secToUs(o.fromS), toUs: secToUs(o.toS), failureRate: o.failureRate })),
    }
  })
  const workerFreeAt = new Float64Array(instances * Math.max(workers, 1))
  /** The lognormal draw's slot (lognormalInto writes into a typed array). */
  const draw = new Float64Array(1)

  /** Samples a render's duration and outcome (the route's render and failure streams). */
  function sample(r: RouteRuntime): void {
    const d = r.render
    switch (d.kind) {
      case 'constant': self.durUs = d.us; break
      case 'lognormal':
        lognormalInto(draw, 0, r.renderRng, d.params, 0)
        self.durUs = roundHalfUp(draw[0]!)
        break
      default: assertNever(d)
    }
    const u = (r.failureRng.nextInt32() >>> 0) * UINT32_SCALE // = next(), without boxing a returned double
    const nowUs = clock[0]!
    let pOk = 1 - r.failureRate
    for (let i = 0; i < r.outages.length; i++) {
      const o = r.outages[i]!
      if (nowUs >= o.fromUs && nowUs < o.toUs) pOk *= 1 - o.failureRate
    }
    self.ok = u < pOk
  }

  /** The render takes a worker on `inst`: startUs = when it can start. */
  function claimWorker(inst: number): void {
    const now = clock[0]!
    if (workers === 0) {
      self.startUs = now
      return
    }
    let best = inst * workers
    for (let w = best + 1; w < (inst + 1) * workers; w++) if (workerFreeAt[w]! < workerFreeAt[best]!) best = w
    const start = Math.max(now, workerFreeAt[best]!)
    self.startUs = start
    workerFreeAt[best] = start + self.durUs
    // Data the render reads from the origin is read when it starts.
    data.delayReads(self)
  }

  // NaN: the fields hold doubles from the start (V8 then updates them in place).
  const self: Renderer = {
    durUs: NaN,
    startUs: NaN,
    ok: false,
    prepare(route, p, inst, isr, bypass) {
      sample(rt[route.index]!)
      data.read(route, p, inst, isr, bypass)
      self.durUs += data.waitUs
      claimWorker(inst)
    },
    reset() {
      workerFreeAt.fill(0)
    },
  }
  return self
}
