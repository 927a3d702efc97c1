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
