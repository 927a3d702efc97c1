/**
 * The discrete-event engine. It knows no domain (SimPy's layering): events are
 * (atUs, rank, kind, arg) and a model's `dispatch` gives them meaning. No clock, no
 * randomness, no async.
 *
 * Allocation-free by construction: the current time lives in a Float64Array slot (a
 * closure variable or an object field may be boxed by V8 on every write), and `dispatch`
 * receives only small integers.
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
  /** Handles one event; the time is `engine.nowUs`. */
  readonly dispatch: (kind: number, arg: number) => void
  /** Guard against runaway models. */
  readonly maxEvents: number
  /** A model-owned stream of events beside the calendar (see Lane). */
  readonly lane?: Lane
}

/**
 * A lane: a stream of events the model keeps in order itself (a source of arrivals),
 * beside the calendar. Its next event is at nextAt[0] (Infinity when there is none); it runs
 * after every calendar event at the same time and before any later one, as if scheduled
 * with a rank above all others. The engine calls dispatch() with clock[0] at that time;
 * the handler sets nextAt[0] before it returns, and may handle the lane's next events in
 * place with continueAt(). A lane event that another event interrupts costs no calendar
 * push and pop, which is most of what a scheduled source costs when events are dense.
 */
export interface Lane {
  readonly nextAt: Float64Array
  readonly dispatch: () => void
}

const NO_LANE: Lane = { nextAt: Float64Array.of(Infinity), dispatch: () => {} }

export interface RunStats {
  readonly processed: number
  readonly pending: number
  readonly lastAtUs: number
}

export class Engine implements Scheduler {
  /**
   * clock[0] is the current time, µs. Hot code reads it directly: a call to the nowUs
   * getter that V8 does not inline returns a boxed double (an allocation).
   */
  readonly clock = new Float64Array(1)
  private readonly cal = new Calendar()
  // While an event is being dispatched it stays at the heap's root; the first event
  // it schedules replaces it in one sift instead of a pop plus a push.
  private topLive = false

  /** The current simulated time, integer µs. */
  get nowUs(): number {
    return this.clock[0]!
  }

  /**
   * when[0] is the time of the event that schedule() adds. Hot code writes it and calls
   * schedule(), so that no double crosses a call (see `clock`).
   */
  readonly when: Float64Array

  constructor() {
    this.when = this.cal.incoming
  }

  at(atUs: number, rank: number, kind: number, arg: number): void {
    this.when[0] = atUs
    this.schedule(rank, kind, arg)
  }

  /** Schedule an event at when[0] (an integer µs >= now). */
  schedule(rank: number, kind: number, arg: number): void {
    const atUs = this.when[0]!
    if (!(atUs >= this.clock[0]!) || Math.floor(atUs) !== atUs || atUs > Number.MAX_SAFE_INTEGER) this.badTime(kind)
    if (this.topLive) {
      this.topLive = false
      this.cal.replaceTopIncoming(rank, kind, arg)
    } else {
      this.cal.pushIncoming(rank, kind, arg)
    }
    if (atUs < this.horizon[0]!) this.horizon[0] = atUs
  }

  /**
   * horizon[0]: while an event is handled, the earliest time of every other pending event,
   * the lane's included (or the end of the run, if sooner). An event strictly before it is
   * the next to run. Set at each dispatch, lowered by every schedule(): continueAt() is
   * then one comparison instead of a look into the heap.
   */
  private readonly horizon = new Float64Array(2) // [horizon, end of the run]

  /**
   * For a source whose next event is at when[0]: true if that event would be the next one
   * processed, strictly before every other pending event and before the end of the run.
   * The handler may then advance clock[0] to it and handle it in place (no heap work;
   * the order of events is exactly as if it had been scheduled). Counts it as processed.
   */
  continueAt(): boolean {
    const t = this.when[0]!
    if (!(t < this.horizon[0]!) || !(t >= this.clock[0]!) || Math.floor(t) !== t) return false
    if (++this.inPlace > this.maxInPlace) return false
    this.clock[0] = t
    return true
  }
  /** Events handled in place by continueAt() during this run. */
  private inPlace = 0
  private maxInPlace = 0

  private badTime(kind: number): never {
    throw new InvariantError(`event kind ${kind} scheduled at ${this.when[0]} µs, which is not an integer time >= now (${this.clock[0]} µs)`, this.clock[0])
  }

  run({ untilUs, dispatch, maxEvents, lane = NO_LANE }: RunOptions): RunStats {
    const cal = this.cal
    const laneAt = lane.nextAt
    let processed = 0
    this.inPlace = 0
    this.maxInPlace = maxEvents
    this.horizon[1] = untilUs
    for (;;) {
      const t = cal.size > 0 ? cal.topAt() : Infinity
      const lt = laneAt[0]!
      // The lane goes first only strictly before the calendar's next event (ties: calendar first).
      const fromLane = lt < t
      const next = fromLane ? lt : t
      if (!(next < untilUs)) break
      if (++processed + this.inPlace > maxEvents) {
        throw new InvariantError(`runaway model: more than ${maxEvents} events before ${untilUs} µs`, next)
      }
      this.clock[0] = next
      if (fromLane) {
        this.horizon[0] = t < untilUs ? t : untilUs
        lane.dispatch()
        continue
      }
      this.topLive = true
      cal.writeAfterTop(this.horizon)
      if (lt < this.horizon[0]!) this.horizon[0] = lt
      dispatch(cal.topKind(), cal.topArg())
      if (this.topLive) {
        this.topLive = false
        cal.pop()
      }
    }
    return { processed: processed + this.inPlace, pending: cal.size, lastAtUs: this.nowUs }
  }
}

export function createEngine(): Engine {
  return new Engine()
}
