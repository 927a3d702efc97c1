/**
 * The only module that imports seedrandom. Every consumer claims its own named
 * stream; a stream's seed is derived from (scenario seed, name, key), never from
 * draw order, so adding a route or changing one route's render time cannot move
 * any other stream (common random numbers across configurations).
 */
import seedrandom from 'seedrandom'

/** Closed set: a new concern is a deliberate, reviewed change. */
export type StreamName = 'arrivals' | 'paths' | 'render' | 'failures' | 'unknown' | 'on-demand' | 'test'

export interface Rng {
  /** Stable id, e.g. "arrivals/post". Appears in error messages. */
  readonly id: string
  /** Uniform in [0, 1) (Alea, 32-bit resolution). One draw per call. */
  readonly next: () => number
}

export interface Streams {
  /** The stream for (name, key). Throws on a second claim: each stream has exactly one owner. */
  claim(name: StreamName, key?: string): Rng
}

export function createStreams(seed: string): Streams {
  const claimed = new Set<string>()
  return {
    claim(name, key) {
      const id = key === undefined ? name : `${name}/${key}`
      if (claimed.has(id)) throw new Error(`rng stream "${id}" claimed twice; every stream has one owner`)
      claimed.add(id)
      const prng = seedrandom.alea(JSON.stringify([seed, name, key ?? null]))
      return { id, next: () => prng() }
    },
  }
}
