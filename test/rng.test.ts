/**
 * Named RNG streams: reproducible per (seed, name, key), independent of claim order
 * and of draws on other streams, distinct across names, keys and seeds, one owner each.
 */
import fc from 'fast-check'
import seedrandom from 'seedrandom'
import { describe, expect, it } from 'vitest'
import { AleaRng, createStreams, type StreamName } from '../sim/kernel/rng.ts'

const NAMES: readonly StreamName[] = ['arrivals', 'paths', 'render', 'failures', 'unknown', 'on-demand', 'test']

function draws(seed: string, name: StreamName, key: string | undefined, n: number): number[] {
  const rng = createStreams(seed).claim(name, key)
  return Array.from({ length: n }, () => rng.next())
}

const arbSeed = fc.string({ minLength: 1, maxLength: 12 })
const arbName = fc.constantFrom(...NAMES)
const arbKey = fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,8}$/), { nil: undefined })

describe('createStreams', () => {
  it('the same (seed, name, key) gives the same sequence', () => {
    fc.assert(
      fc.property(arbSeed, arbName, arbKey, (seed, name, key) => {
        expect(draws(seed, name, key, 64)).toEqual(draws(seed, name, key, 64))
      }),
    )
  })

  it('pins the first draws of two streams (Alea over JSON [seed, name, key])', () => {
    // Changing the derivation silently would move every golden number; this says so loudly.
    const u32 = (xs: number[]) => xs.map((x) => x * 2 ** 32)
    expect(u32(draws('1', 'arrivals', 'post', 3))).toEqual([2059766228, 1635200487, 3675863002])
    expect(u32(draws('1', 'test', undefined, 2))).toEqual([976020220, 3035802257])
  })

  it('a stream does not depend on claim order or on draws from other streams', () => {
    const s1 = createStreams('42')
    const a1 = s1.claim('arrivals', 'home')
    const p1 = s1.claim('paths', 'home')
    const a1v = Array.from({ length: 100 }, () => a1.next())
    const p1v = Array.from({ length: 100 }, () => p1.next())

    const s2 = createStreams('42')
    const p2 = s2.claim('paths', 'home')
    const extra = s2.claim('render', 'home')
    for (let i = 0; i < 1000; i++) extra.next()
    const p2v: number[] = []
    const a2v: number[] = []
    const a2 = s2.claim('arrivals', 'home')
    for (let i = 0; i < 100; i++) { p2v.push(p2.next()); a2v.push(a2.next()) } // interleaved
    expect(a2v).toEqual(a1v)
    expect(p2v).toEqual(p1v)
  })

  it('different names, keys or seeds give different sequences', () => {
    fc.assert(
      fc.property(arbSeed, arbSeed, fc.uniqueArray(fc.tuple(arbName, arbKey), { minLength: 2, maxLength: 6, selector: ([n, k]) => `${n}|${k ?? '\u0000'}` }), (seedA, seedB, ids) => {
        const seqs = ids.map(([n, k]) => JSON.stringify(draws(seedA, n, k, 8)))
        expect(new Set(seqs).size, `streams ${JSON.stringify(ids)} of seed ${JSON.stringify(seedA)} collide`).toBe(ids.length)
        if (seedA !== seedB) {
          const [n, k] = ids[0]!
          expect(draws(seedA, n, k, 8)).not.toEqual(draws(seedB, n, k, 8))
        }
      }),
    )
    // Hand-picked near-collisions: no key vs the key "null", and "a/b" split differently.
    expect(draws('1', 'arrivals', undefined, 8)).not.toEqual(draws('1', 'arrivals', 'null', 8))
    expect(draws('1', 'arrivals', undefined, 8)).not.toEqual(draws('1', 'arrivals', '', 8))
    expect(draws('1', 'arrivals', 'a', 8)).not.toEqual(draws('1', 'paths', 'a', 8))
    expect(draws('1', 'arrivals', 'a', 8)).not.toEqual(draws('2', 'arrivals', 'a', 8))
    expect(draws('1', 'arrivals', 'a', 8)).not.toEqual(draws('1', 'arrivals', 'b', 8))
  })

  it('claiming the same stream twice throws; other keys and other Streams are fine', () => {
    const s = createStreams('7')
    const r = s.claim('render', 'post')
    expect(r.id).toBe('render/post')
    expect(s.claim('test').id).toBe('test')
    expect(() => s.claim('render', 'post')).toThrow(/claimed twice/)
    expect(() => s.claim('test')).toThrow(/"test" claimed twice/)
    expect(() => s.claim('render', 'home')).not.toThrow()
    expect(() => s.claim('failures', 'post')).not.toThrow()
    expect(() => createStreams('7').claim('render', 'post')).not.toThrow()
  })

  it('values are in [0, 1)', () => {
    fc.assert(
      fc.property(arbSeed, arbName, arbKey, (seed, name, key) => {
        const bad = draws(seed, name, key, 2000).filter((x) => !(x >= 0 && x < 1))
        expect(bad, `stream ${name}/${key} of seed ${JSON.stringify(seed)}`).toEqual([])
      }),
    )
  })

  it('is uniform: mean, variance and decile counts over 200k draws', () => {
    const n = 200_000
    const rng = createStreams('uniformity').claim('test')
    const bins = new Array<number>(10).fill(0)
    let sum = 0, sq = 0
    for (let i = 0; i < n; i++) {
      const x = rng.next()
      sum += x; sq += x * x
      bins[Math.floor(x * 10)]!++
    }
    const mean = sum / n
    // sd of the mean = sqrt(1/12 / n) ≈ 0.00065; 5 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n))
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.002)
    const sigma = Math.sqrt(n * 0.1 * 0.9)
    for (const c of bins) expect(Math.abs(c - n / 10)).toBeLessThan(5 * sigma)
  })

  it('reproduces seedrandom\'s Alea exactly for the same seed string', () => {
    for (const seedString of ['x', '["42","arrivals","post"]', '']) {
      const ours = new AleaRng('t', seedString)
      const theirs = seedrandom.alea(seedString)
      for (let i = 0; i < 1000; i++) expect(ours.next()).toBe(theirs())
    }
  })

  it('nextInt32 is the same draw as next(), as a signed 32-bit integer', () => {
    const a = new AleaRng('a', 'same')
    const b = new AleaRng('b', 'same')
    for (let i = 0; i < 10000; i++) {
      const u = a.next()
      const i32 = b.nextInt32()
      expect(Number.isInteger(i32) && i32 >= -(2 ** 31) && i32 < 2 ** 31).toBe(true)
      expect((i32 >>> 0) / 4294967296).toBe(u)
    }
  })
})
