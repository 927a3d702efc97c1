/**
 * The discrete-event engine. It knows no domain (SimPy's layering): events are
 * (atUs, rank, kind, arg) and a model's `dispatch` gives them meaning. No clock, no
 * randomness, no async.
 */
import { Calendar } from './calendar.ts'
import { InvariantError } from './errors.ts'

export interface Scheduler {
  /** The current simulated time, integer µs. */
  readonly nowUs: number
  /** Schedule an event at an absolute time >= now. Lower rank runs first among equal times. */
  at(atUs: number, rank: number, kind: number, arg: number): void
}

export interface RunOptions {
  /** Exclusive end: events at `untilUs` or later are not processed (SimPy's `until`). */
  readonly untilUs: number
  readonly dispatch: (kind: number, arg: number, nowUs: number) => void
  /** Guard against runaway models. */
  readonly maxEvents: number
}

export interface RunStats {
  readonly processed: number
  readonly pending: number
  readonly lastAtUs: number
}

export interface Engine extends Scheduler {
  run(options: RunOptions): RunStats
}

export function createEngine(): Engine {
  const cal = new Calendar()
  let nowUs = 0
  // While an event is being dispatched it stays at the heap's root; the first event
  // it schedules replaces it in one sift instead of a pop plus a push.
  let topLive = false

  const at = (atUs: number, rank: number, kind: number, arg: number): void => {
    if (!(atUs >= nowUs) || !Number.isSafeInteger(atUs)) {
      throw new InvariantError(`event kind ${kind} scheduled at ${atUs} µs, which is not an integer time >= now (${nowUs} µs)`, nowUs)
    }
    if (topLive) {
      topLive = false
      cal.replaceTop(atUs, rank, kind, arg)
    } else {
      cal.push(atUs, rank, kind, arg)
    }
  }

  return {
    get nowUs() { return nowUs },
    at,
    run({ untilUs, dispatch, maxEvents }) {
      let processed = 0
      while (cal.size > 0) {
        const t = cal.topAt()
        if (t >= untilUs) break
        if (++processed > maxEvents) {
          throw new InvariantError(`runaway model: more than ${maxEvents} events before ${untilUs} µs`, t)
        }
        nowUs = t
        topLive = true
        dispatch(cal.topKind(), cal.topArg(), t)
        if (topLive) {
          topLive = false
          cal.pop()
        }
      }
      return { processed, pending: cal.size, lastAtUs: nowUs }
    },
  }
}
