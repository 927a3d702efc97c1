/**
 * The reference for exact mode's speed (issue 19, point 3): the simplest loop that does a
 * simulated request's job for one page under stale-while-revalidate. Poisson arrivals from
 * the simulator's Alea generator (sim/kernel/rng.ts) with Exp(1) gaps by its ziggurat
 * (sim/kernel/dist.ts); revalidate 30 s and a lognormal render (median 0.15 s, p95 0.5 s),
 * like the catalogue's home; every request counted as HIT or STALE, its age recorded into a
 * histogram by the simulator's bucketOf, with the age's sum and maximum, as Metrics does.
 * No calendar, no routes, no instances, no tags: what is left is the work every request
 * must do. `minimalLoop(n)` runs n requests and returns its requests per wall second.
 */
import { addExponential, lognormalInto, lognormalParams } from '../../sim/kernel/dist.ts'
import { HISTOGRAM_BUCKETS, bucketOf } from '../../sim/kernel/histogram.ts'
import { AleaRng, streamSeed } from '../../sim/kernel/rng.ts'
import { roundHalfUp, US_PER_S } from '../../sim/kernel/time.ts'

export interface MinimalRun {
  readonly requests: number
  readonly hit: number
  readonly stale: number
  readonly renders: number
  readonly ageMeanS: number
  readonly wallS: number
  readonly requestsPerWallS: number
}

const RPS = 40
const REVALIDATE_US = 30 * US_PER_S

/** n requests of one page at 40 req/s; the wall time is the loop's alone (set-up excluded). */
export function minimalLoop(n: number, seed = '7'): MinimalRun {
  const arrivals = new AleaRng('arrivals/home', streamSeed(seed, 'arrivals', 'home'))
  const renders = new AleaRng('render/home', streamSeed(seed, 'render', 'home'))
  const { mu, sigma } = lognormalParams(0.15 * US_PER_S, 0.5 * US_PER_S)
  const params = Float64Array.of(mu, sigma)
  const lambda = new Float64Array(1) // Λ, the cumulative expected count (Exp(1) gaps)
  const draw = new Float64Array(1)
  const usPerArrival = US_PER_S / RPS
  const ageHist = new Float64Array(HISTOGRAM_BUCKETS)
  let hit = 0, stale = 0, ageSum = 0, ageMax = 0, rendered = 0
  // The entry (prebuilt at t = 0) and the render in flight.
  let lastModUs = 0, contentAtUs = 0, inFlight = false, flightStartUs = 0, flightEndUs = 0

  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    addExponential(lambda, 0, arrivals)
    const nowUs = roundHalfUp(lambda[0]! * usPerArrival)
    // A render that ended before now has written the entry (its clock starts at its end).
    if (inFlight && flightEndUs <= nowUs) {
      inFlight = false
      lastModUs = flightEndUs
      contentAtUs = flightStartUs
    }
    const ageUs = nowUs - contentAtUs
    if (nowUs - lastModUs <= REVALIDATE_US) hit++
    else {
      stale++
      if (!inFlight) {
        lognormalInto(draw, 0, renders, params, 0)
        inFlight = true
        flightStartUs = nowUs
        flightEndUs = nowUs + roundHalfUp(draw[0]!)
        rendered++
      }
    }
    const b = bucketOf(ageUs)
    ageHist[b] = ageHist[b]! + 1
    ageSum += ageUs
    if (ageUs > ageMax) ageMax = ageUs
  }
  const wallS = (performance.now() - t0) / 1000
  return { requests: n, hit, stale, renders: rendered, ageMeanS: ageSum / n / US_PER_S, wallS, requestsPerWallS: Math.round(n / wallS) }
}
