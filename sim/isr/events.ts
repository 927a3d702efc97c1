/**
 * The model's calendar events: their kinds and ranks, and the timing of the scenario's
 * recurring events (on-demand calls, origin data changes, deploys and purges): one-off at `atS`, periodic every
 * `everyS` (from `atS`, or from `everyS`), or Poisson at `ratePerS` from the event's own
 * stream (§4, "Origin data changes and freshness" in docs/semantics.md). The engine knows
 * events only as integers; these give them names.
 */
import { addExponential } from '../kernel/dist.ts'
import type { Engine } from '../kernel/engine.ts'
import type { AleaRng } from '../kernel/rng.ts'
import { roundHalfUp, secToUs, US_PER_S } from '../kernel/time.ts'

// Event kinds (the engine's integer `kind`).
export const EV_RENDER_DONE = 2
export const EV_ON_DEMAND = 4
export const EV_TAG_PROPAGATE = 5
export const EV_DATA_CHANGE = 7
export const EV_WEBHOOK = 8
export const EV_RESTART = 9
export const EV_BIN_TICK = 10
export const EV_WARMUP = 11
export const EV_DEPLOY = 12
export const EV_PURGE = 13

/** An event kind's name, for messages. */
export function eventKindName(kind: number): string {
  switch (kind) {
    case EV_RENDER_DONE: return 'render done'
    case EV_ON_DEMAND: return 'on-demand call'
    case EV_TAG_PROPAGATE: return 'tag propagation'
    case EV_DATA_CHANGE: return 'data change'
    case EV_WEBHOOK: return 'webhook'
    case EV_RESTART: return 'restart'
    case EV_BIN_TICK: return 'series bin'
    case EV_WARMUP: return 'end of warmup'
    case EV_DEPLOY: return 'deploy'
    case EV_PURGE: return 'purge'
    default: return `unknown event kind ${kind}`
  }
}

// Ranks order events at the same µs: invalidations, data changes, restarts and the metrics'
// ticks first, then finished renders are written; requests run after both (the engine's lane).
export const RANK_ON_DEMAND = 0
export const RANK_RENDER_DONE = 1

/** When a recurring event fires: once at firstUs, every everyUs, or a Poisson process (µs per event on average, drawn from rng). */
export interface Timing {
  /** The first firing, µs; -1 for a Poisson process (its first firing is drawn). */
  readonly firstUs: number
  /** > 0: periodic. */
  readonly everyUs: number
  /** > 0: Poisson, with this mean gap. */
  readonly usPerEvent: number
  readonly rng: AleaRng | null
}

/** An event's timing from its scenario fields; rng is its own stream, used only for a Poisson process. */
export function timingOf(e: { readonly atS?: number | undefined; readonly everyS?: number | undefined; readonly ratePerS?: number | undefined }, rng: AleaRng | null): Timing {
  return {
    firstUs: e.atS !== undefined ? secToUs(e.atS) : e.everyS !== undefined ? secToUs(e.everyS) : -1,
    everyUs: e.everyS !== undefined ? secToUs(e.everyS) : 0,
    usPerEvent: e.ratePerS !== undefined ? US_PER_S / e.ratePerS : 0,
    rng: e.ratePerS !== undefined ? rng : null,
  }
}

/** How many times an event is expected to fire in durationS (the engine's runaway guard). */
export function expectedFirings(e: { readonly everyS?: number | undefined; readonly ratePerS?: number | undefined }, durationS: number): number {
  return e.ratePerS !== undefined ? e.ratePerS * durationS : e.everyS !== undefined ? durationS / e.everyS : 1
}

/** Schedules recurring events on one engine, up to the end of the run. */
export interface EventTimer {
  /** The first firing of event (kind, arg), at its firstUs or drawn from t = 0. */
  first(x: Timing, kind: number, arg: number): void
  /** The firing after the one at now: every everyUs, or the next Poisson gap. */
  next(x: Timing, kind: number, arg: number): void
}

export function createEventTimer(engine: Engine, durationUs: number): EventTimer {
  const clock = engine.clock
  const when = engine.when
  /** The Poisson gap being drawn (a slot: no double crosses a call). */
  const gap = new Float64Array(1)

  function schedule(x: Timing, kind: number, arg: number, fromUs: number, first: boolean): void {
    let t = Infinity
    if (x.everyUs > 0 && !first) t = fromUs + x.everyUs
    else if (x.usPerEvent > 0) {
      gap[0] = 0
      addExponential(gap, 0, x.rng!)
      t = fromUs + roundHalfUp(gap[0]! * x.usPerEvent)
    }
    if (t < durationUs) {
      when[0] = t
      engine.schedule(RANK_ON_DEMAND, kind, arg)
    }
  }

  return {
    first(x, kind, arg) {
      if (x.firstUs >= 0) {
        if (x.firstUs < durationUs) engine.at(x.firstUs, RANK_ON_DEMAND, kind, arg)
      } else schedule(x, kind, arg, 0, true)
    },
    next(x, kind, arg) {
      schedule(x, kind, arg, clock[0]!, false)
    },
  }
}
