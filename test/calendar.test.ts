/**
 * The event calendar and the domain-free engine: total order (atUs, rank, seq), the
 * exclusive `untilUs`, the runaway guard and scheduling during dispatch.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Calendar, MAX_RANK } from '../sim/kernel/calendar.ts'
import { createEngine } from '../sim/kernel/engine.ts'
import { InvariantError } from '../sim/kernel/errors.ts'

interface Ev { readonly at: number; readonly rank: number; readonly seq: number; readonly kind: number; readonly arg: number }

/** (at, rank, seq) order: what the calendar promises. */
const before = (a: Ev, b: Ev) => a.at !== b.at ? a.at < b.at : a.rank !== b.rank ? a.rank < b.rank : a.seq < b.seq

/** Index of the minimum of a reference list (linear scan: obviously right). */
function minIndex(list: readonly Ev[]): number {
  let m = 0
  for (let i = 1; i < list.length; i++) if (before(list[i]!, list[m]!)) m = i
  return m
}

const top = (c: Calendar) => ({ at: c.topAt(), rank: c.topRank(), kind: c.topKind(), arg: c.topArg() })
const strip = (e: Ev) => ({ at: e.at, rank: e.rank, kind: e.kind, arg: e.arg })

/** Times with many ties (small range) mixed with large exact integers. */
const arbAt = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 31 }) },
  { weight: 1, arbitrary: fc.maxSafeNat() },
)
const arbRank = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: MAX_RANK }))

type Op =
  | { readonly op: 'push'; readonly at: number; readonly rank: number; readonly kind: number }
  | { readonly op: 'replace'; readonly at: number; readonly rank: number; readonly kind: number }
  | { readonly op: 'pop' }

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), at: arbAt, rank: arbRank, kind: fc.integer({ min: -1000, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replace' as const), at: arbAt, rank: arbRank, kind: fc.integer({ min: -1000, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'pop' as const }) },
)

describe('Calendar', () => {
  it('pops pushed events sorted by (atUs, rank), ties in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbAt, arbRank), { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (items, cap) => {
        const cal = new Calendar(cap)
        items.forEach(([at, rank], i) => cal.push(at, rank, i % 7, i))
        expect(cal.size).toBe(items.length)
        expect(cal.scheduled).toBe(items.length)
        const out: { at: number; rank: number; kind: number; arg: number }[] = []
        while (cal.size > 0) { out.push(top(cal)); cal.pop() }
        // Array.prototype.sort is stable: equal (at, rank) keep insertion order.
        const expected = items.map(([at, rank], i) => ({ at, rank, kind: i % 7, arg: i })).sort((a, b) => a.at - b.at || a.rank - b.rank)
        expect(out).toEqual(expected)
      }),
    )
  })

  it('matches a reference priority queue under interleaved push / pop / replaceTop', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 400 }), (ops) => {
        const cal = new Calendar(2)
        const ref: Ev[] = []
        let seq = 0
        for (const o of ops) {
          if (o.op === 'push') {
            ref.push({ at: o.at, rank: o.rank, seq, kind: o.kind, arg: seq })
            cal.push(o.at, o.rank, o.kind, seq)
            seq++
          } else if (ref.length > 0) {
            const m = minIndex(ref)
            expect(top(cal)).toEqual(strip(ref[m]!))
            ref.splice(m, 1)
            if (o.op === 'pop') {
              cal.pop()
            } else {
              ref.push({ at: o.at, rank: o.rank, seq, kind: o.kind, arg: seq })
              cal.replaceTop(o.at, o.rank, o.kind, seq)
              seq++
            }
          }
          expect(cal.size).toBe(ref.length)
          expect(cal.scheduled).toBe(seq)
        }
        while (ref.length > 0) {
          const m = minIndex(ref)
          expect(top(cal)).toEqual(strip(ref[m]!))
          ref.splice(m, 1)
          cal.pop()
        }
        expect(cal.size).toBe(0)
      }),
    )
  })

  it('orders a hand-written tie table exactly', () => {
    const cal = new Calendar(1)
    cal.push(10, 2, 0, 100) // seq 0
    cal.push(10, 1, 0, 101) // seq 1: same time, lower rank -> before seq 0
    cal.push(5, 31, 0, 102) // seq 2: earliest time wins whatever the rank
    cal.push(10, 1, 0, 103) // seq 3: ties with seq 1 -> after it
    cal.push(10, 2, 0, 104) // seq 4: ties with seq 0 -> after it
    cal.push(2 ** 52 + 1, 0, 0, 105)
    const args: number[] = []
    while (cal.size > 0) { args.push(cal.topArg()); cal.pop() }
    expect(args).toEqual([102, 101, 103, 100, 104, 105])
  })

  it('rejects ranks outside 0..31 and fractional ranks', () => {
    expect(() => new Calendar().push(0, -1, 0, 0)).toThrow(RangeError)
    expect(() => new Calendar().push(0, MAX_RANK + 1, 0, 0)).toThrow(RangeError)
    expect(() => new Calendar().push(0, 1.5, 0, 0)).toThrow(RangeError)
    expect(() => new Calendar().replaceTop(0, 32, 0, 0)).toThrow(RangeError)
    const cal = new Calendar()
    cal.push(7, MAX_RANK, 3, 4)
    expect(top(cal)).toEqual({ at: 7, rank: MAX_RANK, kind: 3, arg: 4 })
  })

  it('a rejected push leaves the calendar unchanged (no phantom event)', () => {
    // push() must validate the rank before it grows the heap: otherwise the thrown
    // RangeError leaves size + 1 and an unsifted all-zero slot (at 0, rank 0, kind 0, arg 0).
    const cal = new Calendar()
    cal.push(100, 3, 7, 7)
    expect(() => cal.push(50, MAX_RANK + 1, 9, 9)).toThrow(RangeError)
    expect(cal.size).toBe(1)
    cal.push(60, 0, 8, 8)
    const out: ReturnType<typeof top>[] = []
    while (cal.size > 0) { out.push(top(cal)); cal.pop() }
    expect(out).toEqual([{ at: 60, rank: 0, kind: 8, arg: 8 }, { at: 100, rank: 3, kind: 7, arg: 7 }])
  })
})

describe('Engine', () => {
  it('run() processes events strictly before untilUs and resumes from there', () => {
    const eng = createEngine()
    for (const t of [15, 0, 10, 5, 9_999_999]) eng.at(t, 0, 1, t)
    const seen: number[] = []
    const dispatch = (_kind: number, arg: number) => { expect(eng.nowUs).toBe(arg); seen.push(arg) }
    const a = eng.run({ untilUs: 10, dispatch, maxEvents: 100 })
    expect(seen).toEqual([0, 5])
    expect(a).toEqual({ processed: 2, pending: 3, lastAtUs: 5 })
    const b = eng.run({ untilUs: 16, dispatch, maxEvents: 100 })
    expect(seen).toEqual([0, 5, 10, 15])
    expect(b).toEqual({ processed: 2, pending: 1, lastAtUs: 15 })
  })

  it('an event scheduled during dispatch at an earlier time throws InvariantError', () => {
    const eng = createEngine()
    eng.at(10, 0, 0, 0)
    let caught: unknown = null
    eng.run({
      untilUs: 100,
      dispatch: () => { try { eng.at(9, 0, 0, 0) } catch (e) { caught = e } },
      maxEvents: 10,
    })
    expect(caught).toBeInstanceOf(InvariantError)
    expect((caught as InvariantError).atUs).toBe(10)
    expect(() => eng.at(9, 0, 0, 0)).toThrow(InvariantError) // still "now" = 10 after the run
    expect(() => eng.at(10.5, 0, 0, 0)).toThrow(InvariantError)
    expect(() => eng.at(Number.NaN, 0, 0, 0)).toThrow(InvariantError)
    expect(() => eng.at(Infinity, 0, 0, 0)).toThrow(InvariantError)
    expect(() => createEngine().at(-1, 0, 0, 0)).toThrow(InvariantError)
    expect(() => eng.at(10, 0, 0, 0)).not.toThrow() // same time is fine
  })

  it('the maxEvents guard throws on a runaway model, and not at exactly maxEvents', () => {
    const runaway = createEngine()
    runaway.at(0, 0, 0, 0)
    expect(() => runaway.run({ untilUs: 1e12, dispatch: () => runaway.at(runaway.nowUs + 1, 0, 0, 0), maxEvents: 1000 }))
      .toThrow(/runaway model: more than 1000 events/)
    try {
      const e2 = createEngine(); e2.at(0, 0, 0, 0)
      e2.run({ untilUs: 1e12, dispatch: () => e2.at(e2.nowUs, 0, 0, 0), maxEvents: 50 })
      expect.unreachable('should have thrown')
    } catch (e) {
      expect(e).toBeInstanceOf(InvariantError)
    }
    const exact = createEngine()
    for (let i = 0; i < 100; i++) exact.at(i, 0, 0, i)
    expect(exact.run({ untilUs: 1e12, dispatch: () => {}, maxEvents: 100 })).toEqual({ processed: 100, pending: 0, lastAtUs: 99 })
  })

  it('an event scheduled during dispatch at the same time with a lower rank runs next', () => {
    const eng = createEngine()
    eng.at(10, 5, 0, 1) // A
    eng.at(10, 5, 0, 2) // B: same (at, rank) as A, later seq
    eng.at(11, 0, 0, 3)
    const order: number[] = []
    eng.run({
      untilUs: 100,
      dispatch: (_k, arg) => {
        const now = eng.nowUs
        order.push(arg)
        if (arg === 1) {
          eng.at(now, 0, 0, 10) // replaces A at the root: lower rank, runs before B
          eng.at(now, 5, 0, 11) // pushed: same (at, rank) as B, later seq -> after B
          eng.at(now, 4, 0, 12) // before B, after 10
        }
      },
      maxEvents: 100,
    })
    expect(order).toEqual([1, 10, 12, 2, 11, 3])
  })

  /** A random tree of events: the k-th dispatched event schedules children[k]. */
  it('dispatches exactly as a reference queue for random self-scheduling models', () => {
    const arbChild = fc.record({ delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 })), rank: fc.integer({ min: 0, max: 3 }) })
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 20 }), rank: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.array(arbChild, { maxLength: 3 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (initial, children, untilUs) => {
          // Reference: linear-scan queue with its own seq counter.
          const ref: Ev[] = []
          let seq = 0
          initial.forEach((e) => { ref.push({ at: e.at, rank: e.rank, seq, kind: 0, arg: seq }); seq++ })
          const expected: [number, number, number][] = []
          let k = 0
          for (;;) {
            if (ref.length === 0) break
            const m = minIndex(ref)
            const e = ref[m]!
            if (e.at >= untilUs) break
            ref.splice(m, 1)
            expected.push([e.at, e.rank, e.arg])
            for (const c of children[k++] ?? []) { ref.push({ at: e.at + c.delay, rank: c.rank, seq, kind: 0, arg: seq }); seq++ }
          }

          const eng = createEngine()
          let eseq = 0
          initial.forEach((e) => eng.at(e.at, e.rank, e.rank, eseq++))
          const got: [number, number, number][] = []
          let j = 0
          const stats = eng.run({
            untilUs,
            maxEvents: 10_000,
            dispatch: (kind, arg) => {
              const now = eng.nowUs
              got.push([now, kind, arg])
              for (const c of children[j++] ?? []) eng.at(now + c.delay, c.rank, c.rank, eseq++)
            },
          })
          expect(got).toEqual(expected)
          expect(stats.processed).toBe(expected.length)
          expect(stats.pending).toBe(ref.length)
        },
      ),
    )
  })

  /** Sources (each a list of gaps between its events), other events, and the end of the run. */
  const sourcesAndOthers = [
    fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.record({ at: fc.integer({ min: 0, max: 40 }), rank: fc.integer({ min: 0, max: 2 }), delay: fc.integer({ min: 0, max: 5 }) }), { maxLength: 20 }),
    fc.integer({ min: 1, max: 80 }),
  ] as const
  type Other = { readonly at: number; readonly rank: number; readonly delay: number }
  /** The other events (kind 0), each scheduling one follow-up (kind 2) at a small delay: true if it was one of them. */
  const handleOther = (eng: ReturnType<typeof createEngine>, got: string[], others: readonly Other[], kind: number, arg: number): boolean => {
    if (kind === 0) {
      got.push(`o${arg}@${eng.nowUs}`)
      const o = others[arg]!
      eng.at(eng.nowUs + o.delay, o.rank, 2, arg)
      return true
    }
    if (kind === 2) { got.push(`f${arg}@${eng.nowUs}`); return true }
    return false
  }

  /**
   * Engine.continueAt: a source that handles its next event in place must see exactly
   * the event order of one that schedules it (sources have rank 2, other events 0..2).
   */
  it('continueAt gives the same event order as scheduling, for random sources and ties', () => {
    fc.assert(
      fc.property(
        ...sourcesAndOthers,
        (gaps, others, untilUs) => {
          const order = (inPlace: boolean): string[] => {
            const eng = createEngine()
            const got: string[] = []
            const nextIdx = gaps.map(() => 0)
            const at = gaps.map((g) => g[0]!)
            gaps.forEach((_, s) => eng.at(at[s]!, 2, 1, s))
            others.forEach((o, i) => eng.at(o.at, o.rank, 0, i))
            eng.run({
              untilUs,
              maxEvents: 10_000,
              dispatch: (kind, arg) => {
                if (handleOther(eng, got, others, kind, arg)) return
                for (;;) {
                  got.push(`s${arg}@${eng.nowUs}`)
                  const k = ++nextIdx[arg]!
                  if (k >= gaps[arg]!.length) return
                  at[arg] = at[arg]! + gaps[arg]![k]!
                  eng.when[0] = at[arg]!
                  if (!inPlace || !eng.continueAt()) { eng.schedule(2, 1, arg); return }
                }
              },
            })
            return got
          }
          expect(order(true)).toEqual(order(false))
        },
      ),
    )
  })
  /**
   * Engine lanes: sources merged in a lane (handled in place where they can, else left for
   * the engine to compare with its calendar) see exactly the event order of sources
   * scheduled in the calendar with a rank above every other event's.
   */
  it('a lane gives the same event order as scheduling its events at the highest rank', () => {
    fc.assert(
      fc.property(
        ...sourcesAndOthers,
        (gaps, others, untilUs) => {
          const order = (useLane: boolean): { got: string[]; processed: number } => {
            const eng = createEngine()
            const got: string[] = []
            const nextIdx = gaps.map(() => 0)
            const at = gaps.map((g) => g[0]!)
            // The lane's sources, earliest first; ties by source index (a stable order).
            const earliest = (): number => {
              let best = -1
              at.forEach((t, s) => { if (nextIdx[s]! < gaps[s]!.length && (best < 0 || t < at[best]!)) best = s })
              return best
            }
            const nextAt = Float64Array.of(Infinity)
            const setNext = () => { const s = earliest(); nextAt[0] = s < 0 ? Infinity : at[s]! }
            const handle = (s: number) => {
              got.push(`s${s}@${eng.nowUs}`)
              const k = ++nextIdx[s]!
              if (k < gaps[s]!.length) at[s] = at[s]! + gaps[s]![k]!
            }
            if (useLane) setNext()
            else {
              // One calendar event for the earliest source, at rank 3 (above all others).
              const s = earliest()
              eng.at(at[s]!, 3, 1, 0)
            }
            others.forEach((o, i) => eng.at(o.at, o.rank, 0, i))
            const stats = eng.run({
              untilUs,
              maxEvents: 10_000,
              ...(useLane && {
                lane: {
                  nextAt,
                  dispatch: () => {
                    for (;;) {
                      handle(earliest())
                      setNext()
                      if (nextAt[0] === Infinity) return
                      eng.when[0] = nextAt[0]!
                      if (!eng.continueAt()) return
                    }
                  },
                },
              }),
              dispatch: (kind, arg) => {
                if (handleOther(eng, got, others, kind, arg)) return
                handle(earliest())
                const s = earliest()
                if (s >= 0) eng.at(at[s]!, 3, 1, 0)
              },
            })
            return { got, processed: stats.processed }
          }
          const lane = order(true), scheduled = order(false)
          expect(lane.got).toEqual(scheduled.got)
          expect(lane.processed).toBe(scheduled.processed)
        },
      ),
    )
  })
})
