/**
 * The only module that imports seedrandom. Every consumer claims its own named
 * stream; a stream's seed is derived from (scenario seed, name, key), never from
 * draw order, so adding a route or changing one route's render time cannot move
 * any other stream (common random numbers across configurations).
 */
import seedrandom from 'seedrandom'

/** Closed set: a new concern is a deliberate, reviewed change. */
export type StreamName = 'arrivals' | 'paths' | 'render' | 'failures' | 'unknown' | 'on-demand' | 'balancer' | 'fetch' | 'data' | 'crawler' | 'test'

/**
 * One Alea stream. seedrandom seeds it (its Mash hash of the seed string) and this
 * class steps it with seedrandom's exact arithmetic, so the sequence is identical
 * (test/rng.test.ts checks it). Every stream is an instance of this one class, so
 * the hot path's calls stay monomorphic and inline; seedrandom's per-stream closures
 * made them polymorphic. The state is a Float64Array because V8 may box a double
 * object field on every write.
 */
export interface Rng {
  /** Stable id, e.g. "arrivals/post". Appears in error messages. */
  readonly id: string
  /** Uniform in [0, 1). One draw per call. */
  next(): number
  /**
   * The same draw as next(), as the signed 32-bit integer k - 2^31·[k >= 2^31] where
   * next() would be k / 2^32. One draw. Small integers cross non-inlined calls unboxed,
   * so the hot path uses this.
   */
  nextInt32(): number
}

/** Alea's multiplier (see AleaRng.s). */
export const ALEA_MUL = 2091639
/** 2⁻³²: a 32-bit draw k (unsigned) is the uniform k · 2⁻³² in [0, 1), Alea's resolution. */
export const UINT32_SCALE = 2 ** -32
/** 2³²: a uniform u in [0, 1) times this is its 32-bit draw. */
export const UINT32_RANGE = 2 ** 32

export class AleaRng implements Rng {
  readonly id: string
  /**
   * The state [c, s0, s1, s2], in a Float64Array: stores into it never allocate. Public for
   * one kind of reader: a block loop that steps the generator itself, with the state in
   * locals, and writes it back before any other use of the stream (drawArrivals). One step is t = ALEA_MUL·s0 + c·2^-32, then s0 = s1,
   * s1 = s2, c = t | 0, s2 = t - c, and the draw is s2. Stepping through this array instead
   * makes each draw wait for the store of the one before.
   */
  readonly s = new Float64Array(4)

  constructor(id: string, seedString: string) {
    this.id = id
    const st = seedrandom.alea(seedString, { state: true }).state() as { c: number; s0: number; s1: number; s2: number }
    this.s[0] = st.c
    this.s[1] = st.s0
    this.s[2] = st.s1
    this.s[3] = st.s2
  }

  /** One Alea step; the draw is left in s[3] (nothing is returned, so no double is boxed). */
  private step(): void {
    const s = this.s
    const t = ALEA_MUL * s[1]! + s[0]! * UINT32_SCALE
    s[1] = s[2]!
    s[2] = s[3]!
    s[0] = t | 0
    s[3] = t - s[0]
  }

  /** Uniform in [0, 1) (Alea, 32-bit resolution). One draw per call. */
  next(): number {
    this.step()
    return this.s[3]!
  }

  nextInt32(): number {
    this.step()
    return (this.s[3]! * UINT32_RANGE) | 0
  }
}

export interface Streams {
  /** The stream for (name, key). Throws on a second claim: each stream has exactly one owner. */
  claim(name: StreamName, key?: string): AleaRng
}

/** An index in [0, n), uniform, from one 32-bit draw. */
export function indexBelow(rng: Rng, n: number): number {
  return Math.floor((rng.nextInt32() >>> 0) * UINT32_SCALE * n)
}

/** The seed string of a stream: a function of the names only, never of draw order. */
export function streamSeed(seed: string, name: StreamName, key?: string): string {
  return JSON.stringify([seed, name, key ?? null])
}

/**
 * The streams that make up the traffic: what a load test replays exactly (`isrsim plan`:
 * requests, on-demand calls, and origin data changes with their webhooks).
 */
export const TRAFFIC_STREAMS: readonly StreamName[] = ['arrivals', 'paths', 'unknown', 'on-demand', 'crawler', 'data']
/** Keyed streams that are traffic too: the PoP of each user's request (the plan records it, §16); not the 'balancer' stream of instances. */
export const TRAFFIC_KEYED_STREAMS: readonly string[] = ['balancer/cdn']

/**
 * The streams of one run. `pinned` streams take their seed from `pinnedSeed` instead: a
 * replication that keeps replication 0's traffic and redraws everything else.
 */
export function createStreams(seed: string, pinned: { readonly names: readonly StreamName[]; readonly seed: string } | null = null): Streams {
  const claimed = new Set<string>()
  return {
    claim(name, key) {
      const id = key === undefined ? name : `${name}/${key}`
      if (claimed.has(id)) throw new Error(`rng stream "${id}" claimed twice; every stream has one owner`)
      claimed.add(id)
      const pin = pinned !== null && (pinned.names.includes(name) || TRAFFIC_KEYED_STREAMS.includes(id))
      return new AleaRng(id, streamSeed(pin ? pinned.seed : seed, name, key))
    },
  }
}
