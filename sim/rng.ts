/**
 * The only module that imports seedrandom. Every consumer claims its own named
 * stream; a stream's seed is derived from (scenario seed, name, key), never from
 * draw order, so adding a route or changing one route's render time cannot move
 * any other stream (common random numbers across configurations).
 */
import seedrandom from 'seedrandom'

/** Closed set: a new concern is a deliberate, reviewed change. */
export type StreamName = 'arrivals' | 'paths' | 'render' | 'failures' | 'unknown' | 'on-demand' | 'test'

/**
 * One Alea stream. seedrandom seeds it (its Mash hash of the seed string) and this
 * class steps it with seedrandom's exact arithmetic, so the sequence is identical
 * (test/rng.test.ts checks it). Every stream is an instance of this one class, so
 * the hot path's calls stay monomorphic and inline; seedrandom's per-stream closures
 * made them polymorphic and cost ~40% of a simulated request.
 */
export interface Rng {
  /** Stable id, e.g. "arrivals/post". Appears in error messages. */
  readonly id: string
  /** Uniform in [0, 1). One draw per call. */
  next(): number
}

export class AleaRng implements Rng {
  readonly id: string
  // Alea state. Plain fields: V8 ran `#private` ones 3x slower on this hot path.
  private c: number
  private s0: number
  private s1: number
  private s2: number

  constructor(id: string, seedString: string) {
    this.id = id
    const st = seedrandom.alea(seedString, { state: true }).state() as { c: number; s0: number; s1: number; s2: number }
    this.c = st.c
    this.s0 = st.s0
    this.s1 = st.s1
    this.s2 = st.s2
  }

  /** Uniform in [0, 1) (Alea, 32-bit resolution). One draw per call. */
  next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10
    this.s0 = this.s1
    this.s1 = this.s2
    this.c = t | 0
    return (this.s2 = t - this.c)
  }
}

export interface Streams {
  /** The stream for (name, key). Throws on a second claim: each stream has exactly one owner. */
  claim(name: StreamName, key?: string): Rng
}

/** The seed string of a stream: a function of the names only, never of draw order. */
export function streamSeed(seed: string, name: StreamName, key?: string): string {
  return JSON.stringify([seed, name, key ?? null])
}

export function createStreams(seed: string): Streams {
  const claimed = new Set<string>()
  return {
    claim(name, key) {
      const id = key === undefined ? name : `${name}/${key}`
      if (claimed.has(id)) throw new Error(`rng stream "${id}" claimed twice; every stream has one owner`)
      claimed.add(id)
      return new AleaRng(id, streamSeed(seed, name, key))
    },
  }
}
