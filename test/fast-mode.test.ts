/**
 * Fast mode against exact mode on the bundled scenarios (issue 19, "What must be true"): 30
 * replications per mode, every headline metric's mean within the two modes' combined 99%
 * interval, its spread alike, and the served ages per route not rejected by a two-sample KS
 * test at 1% whose critical value comes from permuting replications (test/fast-stats.ts says
 * why). Then the test's teeth: a fast mode that returns expected values, one whose ages sit at
 * their mean, and one with a biased rule (revalidate × 1.1) are each rejected by the same
 * procedure. And determinism: the same scenario, seed and mode give the same bytes.
 *
 * Reproduce a failure: the message names the scenario, metric, both modes' means and 99%
 * intervals and the seed; runScenario(s, { mode, seed, replications: 30 }) runs the same
 * replications (replication i has the seed replicationSeed(seed, i)).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadScenario, parseScenario, runScenario, type Scenario, type SimResult } from '../sim/index.ts'
import { bucketOf, HISTOGRAM_BUCKETS } from '../sim/kernel/histogram.ts'
import { AleaRng } from '../sim/kernel/rng.ts'
import { compareRuns, crossValidate, headline, ksStatistic, SERIES, permutationKs, runReplications, scaledRevalidate, spread, summary, welch, Z_995, type CrossValidation, type FastRunner, type ModeRuns } from './fast-stats.ts'

describe('statistics helpers (test/fast-stats.ts)', () => {
  test('Welch: agree within z(0.995)·√(s₁²/n₁ + s₂²/n₂); equal values when neither varies', () => {
    const m = welch([0, 2], [1, 1])
    expect(m.half).toBeCloseTo(Z_995 * Math.sqrt(2 / 2), 12)
    expect(m.agree).toBe(true)
    expect(welch([0, 2, 4], [9, 9, 9]).agree).toBe(false) // |1 − 9| > 2.58·√(4/3)
    expect(welch([5, 5, 5], [5, 5, 5]).agree).toBe(true)
    expect(welch([5, 5, 5], [5.001, 5.001, 5.001]).agree).toBe(false)
    expect(welch([0.1 + 0.2, 0.3], [0.3, 0.3]).agree).toBe(true) // the same value summed in another order
    // Brown–Forsythe: the same centre, one spread out, one not.
    expect(spread([0, 10, 0, 10, 0, 10, 0, 10], [5, 5, 5, 5, 5, 5, 5, 5]).agree).toBe(false)
    expect(spread([0, 10, 0, 10], [10, 20, 10, 20]).agree).toBe(true)
  })

  test('KS statistic: the largest distance between the two histograms\' CDFs', () => {
    expect(ksStatistic([1, 1, 0, 0], [0, 0, 1, 1])).toBe(1)
    expect(ksStatistic([2, 2], [1, 1])).toBe(0)
    expect(ksStatistic([1, 3], [3, 1])).toBeCloseTo(0.5, 12)
    expect(ksStatistic([0, 0], [0, 0])).toBe(0)
    expect(ksStatistic([0, 0], [0, 1])).toBe(1)
  })

  /**
   * Replications like a simulator's: 20 renders, each serving 500 requests whose ages share the
   * render's start (offset) and spread 10 buckets past it. Both groups come from the same law.
   */
  function clusteredReps(rng: AleaRng, n: number): Float64Array[] {
    return Array.from({ length: n }, () => {
      const h = new Float64Array(120)
      for (let r = 0; r < 20; r++) {
        const offset = Math.floor(rng.next() * 100)
        for (let k = 0; k < 500; k++) h[offset + Math.floor(rng.next() * 10)]! += 1
      }
      return h
    })
  }

  test('served ages within a replication are not independent: the iid KS critical value rejects the same law, the permutation test does not', () => {
    let iid = 0, perm = 0
    const trials = 20
    for (let t = 0; t < trials; t++) {
      const rng = new AleaRng('test/clustered', `trial ${t}`)
      const a = clusteredReps(rng, 30), b = clusteredReps(rng, 30)
      const n = 30 * 20 * 500
      // c(0.01) = √(−ln(0.005)/2) = 1.628: the iid two-sample critical value at 1%.
      const d = ksStatistic(a.reduce((x, h) => x.map((v, i) => v + h[i]!)), b.reduce((x, h) => x.map((v, i) => v + h[i]!)))
      if (d > 1.628 * Math.sqrt(2 / n)) iid++
      if (permutationKs(a, b, `trial ${t}`, 200).reject) perm++
    }
    // Binomial(20, 0.01): 3 or more rejections has probability 0.001.
    expect(perm, `permutation test rejected ${perm} of ${trials} same-law pairs`).toBeLessThanOrEqual(2)
    expect(iid, `iid KS rejected ${iid} of ${trials} same-law pairs`).toBeGreaterThanOrEqual(18)
  })

  test('the permutation test rejects a shift of the ages by one bucket in ten', () => {
    const rng = new AleaRng('test/clustered', 'shift')
    const a = clusteredReps(rng, 30)
    const b = clusteredReps(rng, 30).map((h) => { const s = new Float64Array(h.length); h.forEach((v, i) => { s[Math.min(h.length - 1, Math.round(i * 1.1))]! += v }); return s })
    const k = permutationKs(a, b, 'shift')
    expect(k.reject).toBe(true)
    // Its D is the KS statistic of the two groups' pooled histograms.
    const pool = (hs: Float64Array[]) => hs.reduce((x, h) => x.map((v, i) => v + h[i]!))
    expect(k.d).toBeCloseTo(ksStatistic(pool(a), pool(b)), 12)
  })
})

const DIR = join(import.meta.dirname, '..', 'scenarios')
/** The bundled scenarios: scenarios/*.json and the .ts files that define one (not the CLI bridge, not the schema). */
const BUNDLED = readdirSync(DIR).filter((f) => (f.endsWith('.json') && !f.endsWith('.schema.json')) || (f.endsWith('.ts') && readFileSync(join(DIR, f), 'utf8').includes('defineScenario(')))
/**
 * Scenarios too long to run 60 times inside the file's budget, and the factor their duration
 * (and warmup, in proportion) is divided by: blog's day (2.4 M requests a replication) becomes
 * its first six hours, catalogue's hour (1.3 M) its first half hour.
 */
const SHORTER: Record<string, number> = { blog: 4, catalogue: 2 }
/** The routes that must run exact under --mode fast, and the field their reason names; every other route runs fast. */
const EXACT_ROUTES: Record<string, Record<string, RegExp>> = {
  'flaky-origin': { front: /traffic\.arrivals/ },
}

async function bundled(file: string): Promise<Scenario> {
  const s = await loadScenario(join(DIR, file))
  const k = SHORTER[s.name] ?? 1
  return k === 1 ? s : parseScenario({ ...s, durationS: s.durationS / k, warmupS: s.warmupS / k } as Parameters<typeof parseScenario>[0])
}

const scenarios = new Map<string, Scenario>()
const validations = new Map<string, CrossValidation>()

beforeAll(async () => {
  for (const f of BUNDLED) scenarios.set(f, await bundled(f))
})

/** The cross-validation of a bundled scenario, run once and shared by the tests below. */
function validated(file: string): CrossValidation {
  let cv = validations.get(file)
  if (cv === undefined) {
    const s = scenarios.get(file)!
    cv = crossValidate(s, String(s.seed))
    validations.set(file, cv)
    console.log(cv.report)
  }
  return cv
}

describe('bundled scenarios: fast mode agrees with exact mode (30 replications each)', () => {
  test('the bundled scenarios are found', () => {
    expect(BUNDLED).toEqual(expect.arrayContaining(['blog.ts', 'catalogue.ts', 'flaky-origin.json']))
  })

  test.each(BUNDLED)('%s: means, spreads and served-age distributions agree at α = 0.01', (file) => {
    const cv = validated(file)
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The comparisons did happen: every headline metric twice, one KS per route.
    const s = scenarios.get(file)!
    expect(cv.checks).toBe(2 * Object.keys(headline(cv.exact.results[0]!)).length + SERIES.length + s.routes.length)
  }, 300_000)

  test.each(BUNDLED)('%s: every eligible route ran fast, the others exact with their reason', (file) => {
    const s = scenarios.get(file)!
    const cv = validated(file)
    const exactOnes = EXACT_ROUTES[s.name] ?? {}
    for (const r of cv.fast.results) {
      expect(r.mode).toBe('fast')
      for (const [id, route] of Object.entries(r.routes)) {
        const why = exactOnes[id]
        if (why === undefined) expect([id, route.mode, route.exactBecause]).toEqual([id, 'fast', undefined])
        else {
          expect(route.mode, id).toBe('exact')
          expect(route.exactBecause, id).toMatch(why)
        }
      }
    }
    for (const r of cv.exact.results) for (const route of Object.values(r.routes)) expect(route.mode).toBe('exact')
  }, 300_000)

  test.each(BUNDLED)('%s: a route that runs exact under --mode fast gives what exact mode gives, replication by replication', (file) => {
    const s = scenarios.get(file)!
    const cv = validated(file)
    const ids = Object.keys(EXACT_ROUTES[s.name] ?? {})
    // The cross-validation draws fast mode from other seeds: three replications on exact mode's.
    if (ids.length > 0) cv.exact.results.slice(0, 3).forEach((e) => {
      const f = runScenario(s, { mode: 'fast', seed: e.seed })
      for (const id of ids) {
        const { mode: _m, exactBecause: _x, ...fast } = f.routes[id]!
        const { mode: _n, ...exact } = e.routes[id]!
        expect(fast, `${s.name} route ${id}, seed ${JSON.stringify(e.seed)}`).toEqual(exact)
      }
    })
  }, 300_000)
})

// ---------------------------------------------------------------------------
// The test's teeth: wrong fast modes are rejected by the same procedure.

/** Sets one headline metric (a path of headline()) in a copy of the result. */
function setMetric(r: SimResult, path: string, v: number): SimResult {
  const [top, ...rest] = path.split('.')
  if (top === 'routes') {
    const key = rest.pop()!
    const id = rest.join('.')
    return { ...r, routes: { ...r.routes, [id]: { ...r.routes[id]!, [key]: v } } }
  }
  const part = top as 'totals' | 'staleness' | 'latency' | 'cost'
  return { ...r, [part]: { ...r[part], [rest[0]!]: v } }
}

/**
 * "Multiply the expected values": every replication reports the replications' mean (counts
 * rounded to whole numbers), and every histogram is the mean histogram. Right means, no spread.
 */
function expectedValues(runs: ModeRuns): ModeRuns {
  const hs = runs.results.map(headline)
  let mean = runs.results[0]!
  for (const k of Object.keys(hs[0]!)) {
    const m = summary(hs.map((h) => h[k]!)).mean
    const whole = hs.every((h) => Number.isInteger(h[k]!))
    mean = setMetric(mean, k, whole ? Math.round(m) : m)
  }
  const hists = runs.hists.map((reps) => {
    const avg = new Float64Array(HISTOGRAM_BUCKETS)
    for (const h of reps) for (let b = 0; b < HISTOGRAM_BUCKETS; b++) avg[b] = avg[b]! + h[b]! / reps.length
    return reps.map(() => avg)
  })
  return { results: runs.results.map(() => mean), hists }
}

/** Every served age of a replication at the route's mean age: the right mean, the wrong distribution. */
function agesAtMean(runs: ModeRuns): ModeRuns {
  return {
    results: runs.results,
    hists: runs.hists.map((reps, k) => reps.map((h, i) => {
      const route = Object.values(runs.results[i]!.routes)[k]!
      const n = h.reduce((a, b) => a + b, 0)
      const out = new Float64Array(HISTOGRAM_BUCKETS)
      if (n > 0) out[bucketOf(Math.round(route.ageMeanS * 1e6))] = n
      return out
    })),
  }
}

describe('a wrong fast mode is rejected', () => {
  // flaky-origin is cheap (90 k requests a replication) and has one route of each mode.
  const FILE = 'flaky-origin.json'

  test('"multiply the expected values" (every replication at the mean): the spreads reject it', () => {
    const s = scenarios.get(FILE)!
    const wrong: FastRunner = (sc, seed, n) => expectedValues(runReplications(sc, 'fast', seed, n))
    const cv = crossValidate(s, String(s.seed), wrong)
    const keys = cv.confirmed.map((f) => f.key)
    for (const k of ['spread totals.requests', 'spread totals.hit', 'spread totals.stale', 'spread totals.renders', 'spread staleness.ageMeanS', 'spread routes.article.stale']) expect(keys, cv.report).toContain(k)
    // Its means are fast mode's and its histograms pool to fast mode's: the spreads are what
    // sees it (a mean or the KS test may reject too, by chance, their noise being exact mode's alone).
  }, 300_000)

  test('ages all at their mean: the permutation KS rejects it on every route that serves cached pages', () => {
    const s = scenarios.get(FILE)!
    const cv = crossValidate(s, String(s.seed), (sc, seed, n) => agesAtMean(runReplications(sc, 'fast', seed, n)))
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual(expect.arrayContaining(['ages article', 'ages front']))
  }, 300_000)

  test('a biased rule (exact mode with every revalidate × 1.1) is rejected by the means and the served ages', () => {
    const s = scenarios.get(FILE)!
    const cv = crossValidate(s, String(s.seed), (sc, seed, n) => runReplications(scaledRevalidate(sc, 1.1), 'exact', seed, n))
    const keys = cv.confirmed.map((f) => f.key)
    expect(keys, cv.report).toEqual(expect.arrayContaining(['mean totals.renders', 'mean routes.article.renders', 'ages article']))
  }, 300_000)

  test('the real fast mode passes where they fail, on the same seeds', () => {
    expect(validated(FILE).confirmed, validated(FILE).report).toEqual([])
  }, 300_000)

  test('the KS permutation test alone: a same-mode split does not reject, a 10% longer revalidate does', () => {
    const s = scenarios.get(FILE)!
    const cv = validated(FILE)
    const seed = 'split'
    const other = runReplications(s, 'exact', `${String(s.seed)}/other`)
    expect(compareRuns(s, cv.exact, other, seed).findings.filter((f) => f.key.startsWith('ages'))).toEqual([])
    const biased = runReplications(scaledRevalidate(s, 1.1), 'exact', `${String(s.seed)}/other`)
    expect(compareRuns(s, cv.exact, biased, seed).findings.map((f) => f.key)).toContain('ages article')
  }, 300_000)
})

describe('determinism in fast mode', () => {
  test.each(['catalogue.ts', 'flaky-origin.json'])('%s: the same scenario, seed and mode give the same bytes', (file) => {
    const s = scenarios.get(file)!
    const bytes: Record<string, string> = {}
    for (const mode of ['fast', 'auto'] as const) {
      const a = JSON.stringify(runScenario(s, { mode, seed: 'det', replications: 2 }))
      const b = JSON.stringify(runScenario(s, { mode, seed: 'det', replications: 2 }))
      expect(a === b, `${s.name} --mode ${mode} --seed det: two runs differ`).toBe(true)
      expect(JSON.parse(a).mode).toBe(mode)
      bytes[mode] = a
    }
    // auto is fast mode wherever fast mode is exact: the same run, under its own name.
    expect(bytes.auto!.replace('"mode":"auto"', '"mode":"fast"'), `${s.name}: --mode auto and --mode fast differ`).toBe(bytes.fast)
    // And another seed gives other figures: the bytes are not constant.
    expect(JSON.stringify(runScenario(s, { mode: 'fast', seed: 'det2' }).totals)).not.toBe(JSON.stringify(runScenario(s, { mode: 'fast', seed: 'det' }).totals))
  })
})
