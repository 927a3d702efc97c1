/**
 * `isrsim verify` on its own (no servers): prediction intervals, merging of several k6
 * runners' files, the verdict's exit code. The prediction is a real simulator run.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario } from '../sim/index.ts'
import type { SimResult } from '../sim/contract.ts'
import { mergeObserved, verify, type Observed, type ObservedRoute } from '../loadtest/verify.ts'

const ROOT = join(import.meta.dirname, '..')
const scenario = parseScenario(JSON.parse(readFileSync(join(ROOT, 'scenarios/live/swr-failure.json'), 'utf8')))
const prediction: SimResult = runScenario(scenario, { replications: 10 })
const pr = prediction.routes.post!

/** An observation that matches the prediction's means, split over `parts` runners. */
function observedParts(parts: number, tweak: Partial<ObservedRoute> = {}): Observed[] {
  return Array.from({ length: parts }, () => ({
    observedVersion: 1 as const,
    scenario: prediction.scenario,
    seed: prediction.seed, target: 'http://127.0.0.1:1', cacheHeader: 'x-nextjs-cache', startMs: 0, testRunDurationMs: 60_000,
    droppedIterations: 0, unknownCacheHeader: 0, onDemand: { planned: 0, sent: 0, failed: 0 },
    routes: { post: { requests: pr.requests / parts, hit: pr.hit / parts, stale: pr.stale / parts, miss: pr.miss / parts, dynamic: 0, notFound: 0, error: 0, ageSamples: pr.requests / parts, ageP50S: pr.ageP50S, ageP95S: pr.ageP95S, latencyP95Ms: 5, ...tweak } },
    // The origin's counters describe the whole target: every runner's file carries the same ones.
    origin: { t0Ms: 1, renders: { post: pr.renders }, failedRenders: {}, fetches: {}, beforeStart: { renders: 0, fetches: 0 } },
  }))
}

describe('verify', () => {
  it('merges runners (counts add up) and passes an observation at the predicted means', () => {
    const merged = mergeObserved(observedParts(2))
    expect(merged.routes.post!.requests).toBe(pr.requests)
    const v = verify(prediction, observedParts(2))
    expect(v.checks.filter((c) => c.verdict === 'FAIL')).toEqual([])
    expect(v.checks.map((c) => c.metric)).toEqual(['HIT fraction', 'STALE fraction', 'MISS fraction', 'renders', 'age p50 (s)', 'age p95 (s)'])
  })

  it('accepted ranges: the wider of the 95% prediction interval and the tolerance (±2 points for fractions)', () => {
    const v = verify(prediction, observedParts(1))
    const stale = v.checks.find((c) => c.metric === 'STALE fraction')!
    const sd = prediction.intervals!.routes.post!.stale!.sd / pr.requests
    const half = Math.max(0.02, 2.2621571627409915 * sd * Math.sqrt(1 + 1 / 10)) // t(0.975, 9)
    expect(stale.high - stale.predicted).toBeCloseTo(half, 9)
  })

  it('fails a STALE fraction 5 points off, and the CLI exits 1 with the verdict written', () => {
    const off = observedParts(1, { stale: pr.stale + 0.05 * pr.requests, hit: pr.hit - 0.05 * pr.requests })
    const v = verify(prediction, off)
    expect(v.pass).toBe(false)
    expect(v.checks.filter((c) => c.verdict === 'FAIL').map((c) => c.metric).sort()).toEqual(['HIT fraction', 'STALE fraction'])
    const dir = mkdtempSync(join(tmpdir(), 'isrsim-verify-'))
    writeFileSync(join(dir, 'p.json'), JSON.stringify(prediction))
    writeFileSync(join(dir, 'o.json'), JSON.stringify(off[0]))
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'verify', join(dir, 'p.json'), join(dir, 'o.json'), '--out', join(dir, 'v.json')], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('FAIL: ')
    expect((JSON.parse(readFileSync(join(dir, 'v.json'), 'utf8')) as { pass: boolean }).pass).toBe(false)
  })

  it('refuses a prediction without replications', () => {
    const one = runScenario(scenario)
    expect(() => verify(one, observedParts(1))).toThrow(/verify needs intervals: isrsim run <scenario> --replications 10/)
  })
})

describe('replications with the same traffic (what a replayed load test can still vary)', () => {
  it('keeps every replication\'s requests and redraws render times', () => {
    const s = parseScenario({ name: 'st', durationS: 600, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 30, params: { count: 50 }, renderS: { lognormal: { medianS: 0.2, p95S: 1 } }, traffic: { rps: 5, popularity: { zipf: 1 } } }] })
    const same = runScenario(s, { replications: 5, sameTraffic: true }).intervals!.routes.p!
    const free = runScenario(s, { replications: 5 }).intervals!.routes.p!
    expect(same.requests!.sd).toBe(0)
    expect(free.requests!.sd).toBeGreaterThan(0)
    expect(same.renderCpuS!.sd).toBeGreaterThan(0)
  })
})

describe('verify behind a CDN (§16) and data lag (issue 18)', () => {
  const cdnScenario = parseScenario(JSON.parse(readFileSync(join(ROOT, 'scenarios/live/cdn.json'), 'utf8')))
  const cdnPrediction: SimResult = runScenario(cdnScenario, { replications: 5, sameTraffic: true })
  const c = cdnPrediction.cdn!
  /** The observation at the prediction's means: k6's CDN counts, Next's layer from the log. */
  function cdnObserved(tweak: { hit?: number; originRequests?: number } = {}): Observed {
    const n = c.requests
    const hit = tweak.hit ?? Math.round(c.hit * n)
    const stale = Math.round(c.stale * n)
    const routes: Record<string, ObservedRoute> = {}
    const next: Record<string, { requests: number; hit: number; stale: number; miss: number; dynamic: number; notFound: number; error: number }> = {}
    for (const [id, r] of Object.entries(cdnPrediction.routes)) {
      const cr = c.routes[id]!
      routes[id] = { requests: cr.requests, hit: 0, stale: 0, miss: 0, dynamic: 0, notFound: 0, error: 0, ageSamples: 0, ageP50S: 0, ageP95S: 0, latencyP95Ms: 5 }
      next[id] = { requests: r.requests, hit: r.hit, stale: r.stale, miss: r.miss, dynamic: r.dynamic, notFound: 0, error: 0 }
    }
    return {
      observedVersion: 1, scenario: cdnPrediction.scenario, seed: cdnPrediction.seed, target: 'http://127.0.0.1:1', cacheHeader: 'x-nextjs-cache', startMs: 0, testRunDurationMs: 60_000,
      droppedIterations: 0, unknownCacheHeader: 0, onDemand: { planned: 0, sent: 0, failed: 0 }, routes,
      cdn: { header: 'X-Cache-Status', hit, stale, miss: n - hit - stale, unknownStatus: 0 },
      next: { originRequests: tweak.originRequests ?? c.originRequests, backgroundUpdates: 0, routes: next, unmatched: 0 },
    }
  }

  it('checks the CDN layer on k6\'s counts and the routes on what reached Next; passes at the means', () => {
    const v = verify(cdnPrediction, [cdnObserved()])
    expect(v.checks.filter((x) => x.verdict === 'FAIL'), 'reproduce: npx vitest run test/verify.test.ts').toEqual([])
    const metrics = v.checks.map((x) => `${x.scope} ${x.metric}`)
    expect(metrics).toEqual(expect.arrayContaining(['cdn CDN HIT fraction', 'cdn CDN STALE fraction', 'cdn CDN MISS fraction', 'cdn origin requests', 'home requests reaching Next', 'home STALE fraction', 'account dynamic fraction']))
    // Next's layer: home's STALE fraction is of the requests that reached Next, not of users'.
    const stale = v.checks.find((x) => x.scope === 'home' && x.metric === 'STALE fraction')!
    expect(stale.observed).toBeCloseTo(cdnPrediction.routes.home!.stale / cdnPrediction.routes.home!.requests, 9)
  })

  it('fails a CDN HIT fraction 3 points off and origin requests 20% off', () => {
    const n = c.requests
    const v = verify(cdnPrediction, [cdnObserved({ hit: Math.round(c.hit * n) + Math.ceil(0.03 * n), originRequests: Math.round(c.originRequests * 1.2) })])
    expect(v.checks.filter((x) => x.verdict === 'FAIL').map((x) => x.metric).sort()).toEqual(['CDN HIT fraction', 'CDN MISS fraction', 'origin requests'])
  })

  it('refuses an observation without the CDN layer, naming what is missing', () => {
    const { cdn: _, ...noCdn } = cdnObserved()
    expect(() => verify(cdnPrediction, [noCdn as Observed])).toThrow(/no CDN layer \(k6 -e CDN_HEADER=X-Cache-Status\)/)
  })

  const tags = parseScenario(JSON.parse(readFileSync(join(ROOT, 'scenarios/live/tags.json'), 'utf8')))
  const tp = runScenario(tags, { replications: 5, sameTraffic: true })
  function tagsObserved(lagScale: number): Observed {
    const routes: Record<string, ObservedRoute> = {}
    for (const [id, r] of Object.entries(tp.routes)) {
      const lag = r.dataLagReflected === undefined ? {} : { dataLagReflected: r.dataLagReflected, dataLagP50S: r.dataLagP50S! * lagScale, dataLagP95S: r.dataLagP95S! * lagScale }
      routes[id] = { requests: r.requests, hit: r.hit, stale: r.stale, miss: r.miss, dynamic: 0, notFound: 0, error: 0, ageSamples: 0, ageP50S: 0, ageP95S: 0, latencyP95Ms: 5, outdated: Math.round(r.outdatedServedFraction * r.requests), ...lag }
    }
    const f = tp.freshness
    return {
      observedVersion: 1, scenario: tp.scenario, seed: tp.seed, target: 'http://127.0.0.1:1', cacheHeader: 'x-nextjs-cache', startMs: 0, testRunDurationMs: 60_000,
      droppedIterations: 0, unknownCacheHeader: 0, onDemand: { planned: 0, sent: 0, failed: 0 }, routes,
      freshness: { dataChanges: f.dataChanges, reflected: f.reflected, dataLagMeanS: f.dataLagMeanS * lagScale, dataLagP50S: f.dataLagP50S * lagScale, dataLagP95S: f.dataLagP95S * lagScale, dataLagMaxS: f.dataLagMaxS * lagScale },
    }
  }

  it('checks data lag p50/p95 within 10% and the outdated fraction per route', () => {
    expect(tp.freshness.reflected, 'the tags scenario has data changes that pages show').toBeGreaterThan(0)
    const ok = verify(tp, [tagsObserved(1.05)])
    expect(ok.checks.filter((x) => x.verdict === 'FAIL')).toEqual([])
    expect(ok.checks.map((x) => `${x.scope} ${x.metric}`)).toEqual(expect.arrayContaining(['freshness data lag p50 (s)', 'freshness data lag p95 (s)', 'freshness data changes shown', 'home outdated fraction', 'post outdated fraction', 'post data lag p50 (s)', 'post data lag p95 (s)']))
    // home reads no changed key: no lag of its own to check.
    expect(ok.checks.some((x) => x.scope === 'home' && x.metric.startsWith('data lag'))).toBe(false)
    const late = verify(tp, [tagsObserved(1.3)])
    expect(late.checks.filter((x) => x.verdict === 'FAIL').map((x) => `${x.scope} ${x.metric}`).sort()).toEqual(['freshness data lag p50 (s)', 'freshness data lag p95 (s)', 'post data lag p50 (s)', 'post data lag p95 (s)'])
  })

  it('merging runners drops the data lag (each change\'s first response is over all runners) and adds outdated and CDN counts', () => {
    const a = tagsObserved(1)
    const m = mergeObserved([a, a])
    expect(m.freshness).toBeUndefined()
    expect(m.routes.post!.outdated).toBe(2 * a.routes.post!.outdated!)
    const x = cdnObserved()
    expect(mergeObserved([x, x]).cdn!.hit).toBe(2 * x.cdn!.hit)
  })
})
