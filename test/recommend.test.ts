/**
 * Issue 16, items 1 to 3: recommend answers with one verdict line, explains why an option
 * cannot meet the constraint (causes checked by re-runs), searches deployment options, and
 * gives one answer per traffic level. The monotone search is held against the exhaustive grid
 * on the shop fixture (three pods with local caches, a long tail of products, p95 age <= 10 min).
 *
 * Reproduce: node bin/isrsim.js recommend test/fixtures/shop.json --constraint "ageP95S<=600"
 *   --routes category,product --candidates 60,300,900,3600 --vary deployment.cache=local,shared [--exhaustive]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { verdictLine } from '../sim/cli/format.ts'
import { runRecommend, type RecommendJob } from '../sim/cli/recommend-runner.ts'
import { createPool } from '../sim/cli/worker-pool.ts'
import { parseScenario } from '../sim/index.ts'
import { currentStanding, type Answer } from '../sim/planning/answers.ts'
import { tailEstimate } from '../sim/planning/causes.ts'
import { DEFAULT_PRICING } from '../sim/planning/pricing.ts'
import { parseConstraint, searchBatches, type Candidate, type Evaluated, type Idx } from '../sim/planning/recommend.ts'
import { parseVary } from '../sim/planning/sweep.ts'
import { cli, ROOT } from './cli-run.ts'

const SHOP = 'test/fixtures/shop.json'
const TMP = mkdtempSync(join(tmpdir(), 'isrsim-recommend-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))


const shop = parseScenario(JSON.parse(readFileSync(join(ROOT, SHOP), 'utf8')), SHOP)
const CANDIDATES: Candidate[] = [60, 300, 900, 3600]
const ARGS = [SHOP, '--constraint', 'ageP95S<=600', '--routes', 'category,product', '--candidates', CANDIDATES.join(','), '--vary', 'deployment.cache=local,shared']

async function plan(exhaustive: boolean, given: string[] = [], routes: string[] = ['category', 'product']): Promise<readonly Answer[]> {
  const pool = createPool(1, { seed: String(shop.seed), replications: 1, pricing: DEFAULT_PRICING, source: SHOP })
  const job: RecommendJob = {
    scenario: shop, source: SHOP, seed: String(shop.seed), replications: 1, pricing: DEFAULT_PRICING, objective: 'cost',
    constraints: [parseConstraint('ageP95S<=600', shop.routes.map((r) => r.id), [])], routes, candidates: CANDIDATES,
    exhaustive, vary: [parseVary('deployment.cache=local,shared', shop)], given: given.map((g) => parseVary(g, shop)), pool,
  }
  return (await runRecommend(job)).answers
}

/** Brute force: the points no other point beats (no staler, no dearer, better in one). */
function nonDominated(points: readonly Evaluated[], m: string): Evaluated[] {
  return points.filter((a) => !points.some((b) => b !== a && b.objective <= a.objective && b.values[m]! <= a.values[m]! && (b.objective < a.objective || b.values[m]! < a.values[m]!)))
}
const label = (e: Evaluated | null) => (e === null ? null : JSON.stringify([e.setting, e.assignment]))

describe('recommend on the shop (3 pods, local caches, long tail, p95 age <= 10 min)', () => {
  it('monotone search = exhaustive grid: the same recommendation, verdict line and correct frontier statements', async () => {
    const [smart] = await plan(false)
    const [grid] = await plan(true)
    const s = smart!.recommendation, g = grid!.recommendation
    expect(g.evaluated.length).toBe(32)
    expect(s.evaluated.length).toBeLessThan(g.evaluated.length)
    expect(label(s.best)).toBe(label(g.best))
    expect(s.best!.setting).toEqual({ 'deployment.cache': 'shared' })
    expect(verdictLine(smart!)).toBe(verdictLine(grid!))
    // Nothing feasible in the grid is cheaper than the recommendation.
    expect(g.evaluated.filter((e) => e.feasible && e.objective < g.best!.objective - 1e-9)).toEqual([])
    // The exhaustive frontier is exactly the non-dominated points of the grid.
    expect(g.frontier.map(label).sort()).toEqual(nonDominated(g.evaluated, g.stalenessMetric).map(label).sort())
    // The current values (local caches, 300 / 3600) are beaten on both axes in the grid, so neither search may call them on the frontier.
    const beaten = g.evaluated.some((e) => e.objective < g.current.objective && e.values[g.stalenessMetric]! <= g.current.values[g.stalenessMetric]!)
    expect(beaten).toBe(true)
    expect(g.frontier).not.toContain(g.current)
    for (const [a, complete] of [[s, smart!.complete], [g, grid!.complete]] as const) {
      const st = currentStanding(a, complete)
      expect(st.kind).toBe('beaten')
      if (st.kind === 'beaten') {
        expect(st.by.objective).toBeLessThan(a.current.objective)
        expect(st.by.values[a.stalenessMetric]!).toBeLessThanOrEqual(a.current.values[a.stalenessMetric]!)
      }
    }
    // Every monotone frontier point is a real grid point with the same figures, and none is beaten by a point the exhaustive grid has.
    for (const e of s.frontier) {
      const same = g.evaluated.find((x) => label(x) === label(e))!
      expect(same.objective).toBe(e.objective)
    }
  })

  it('one route: the search runs the whole line, so its frontier is the exhaustive one and the current values\' standing is claimed for the grid', async () => {
    const [smart] = await plan(false, [], ['product'])
    const [grid] = await plan(true, [], ['product'])
    const s = smart!.recommendation, g = grid!.recommendation
    expect(smart!.complete).toBe(true)
    expect(label(s.best)).toBe(label(g.best))
    expect(s.frontier.map(label)).toEqual(g.frontier.map(label))
    expect(g.frontier.map(label).sort()).toEqual(nonDominated(g.evaluated, g.stalenessMetric).map(label).sort())
    expect(verdictLine(smart!)).toBe(verdictLine(grid!))
    expect(currentStanding(s, smart!.complete)).toEqual(currentStanding(g, grid!.complete))
  })

  it('why local caches cannot reach the target: the long tail, split over three caches; the shared cache is checked by a re-run', async () => {
    const [a] = await plan(false)
    const local = a!.causes.find((c) => c.setting['deployment.cache'] === 'local')!
    expect(local).toBeDefined()
    const c = local.causes
    expect(c.value).toBeGreaterThan(600)
    expect(c.routes[0]!.id).toBe('product')
    expect(c.tail?.route).toBe('product')
    expect(c.tail!.caches).toBe(3)
    expect(c.tail!.floorS).toBeGreaterThan(600)
    // Much smaller revalidate values do not help (so none are advised); the shared cache does.
    const smaller = c.checks.find((x) => x.kind === 'smaller-revalidate')!
    expect(smaller.meets).toBe(false)
    expect(c.fix?.kind).toBe('shared-cache')
    expect(c.fix!.value).toBeLessThanOrEqual(600)
    // Most of the aged responses come from paths requested less than once per 10 min on a cache.
    expect(c.tail!.rareAgedShare).toBeGreaterThan(0.5)
    expect(c.summary).toMatch(/long tail: [\d,]+ of 2,000 product paths \(\d+% of its requests\) are requested less than once every 10 min on each of 3 local caches and serve \d+% of responses older than 10 min/)
    expect(c.summary).toMatch(/\d+% go to product paths below the popularity median/)
    expect(c.summary).toMatch(/checked: deployment\.cache=shared reaches staleness\.ageP95S \d+ (s|min) <= 10 min/)
    expect(c.summary).not.toMatch(/smaller --candidates/)
  })

  it('the command line: one verdict line, why not local, workers, --out JSON that isrsim report reads, one answer per traffic level', async () => {
    const out = join(TMP, 'rec.json')
    const r = await cli('recommend', ...ARGS, '--workers', '2', '--out', out, '--given', 'traffic.scale=1,2', '--report', join(TMP, 'rec.html'))
    expect(r.code, r.stderr).toBe(0)
    const verdicts = r.stdout.split('\n').filter((l) => /verdict: /.test(l))
    expect(verdicts).toHaveLength(2)
    expect(verdicts[0]).toMatch(/^\[traffic\.scale=1\] verdict: deployment\.cache=shared category=\d+ product=\d+: cost\.monthlyUsd \$\d+/)
    expect(verdicts[1]).toMatch(/^\[traffic\.scale=2\] verdict: /)
    expect(r.stdout).toMatch(/\[traffic\.scale=1\] why not deployment\.cache=local: .*long tail/)
    expect(r.stderr).toMatch(/runs on 2 workers/)
    const json = JSON.parse(readFileSync(out, 'utf8')) as { kind: string; answers: { given: Record<string, number>; verdict: string; best: Evaluated | null }[]; sweep: string }
    expect(json.kind).toBe('recommendation')
    expect(json.answers.map((x) => x.given)).toEqual([{ 'traffic.scale': 1 }, { 'traffic.scale': 2 }])
    expect(json.answers.map((x) => x.verdict)).toEqual(verdicts)
    // The per-level answers equal the in-process planning functions' (workers change nothing).
    const inProcess = await plan(false, ['traffic.scale=1,2'])
    expect(json.answers.map((x) => label(x.best))).toEqual(inProcess.map((x) => label(x.recommendation.best)))
    expect(readFileSync(join(TMP, 'rec.html'), 'utf8')).toContain('<html')
    const rep = await cli('report', out, '--out', join(TMP, 'rec2.html'))
    expect(rep.code, rep.stderr).toBe(0)
  })

  it('exits 1 with the binding cause when no option can meet the constraint', async () => {
    const r = await cli('recommend', SHOP, '--constraint', 'ageP95S<=60', '--routes', 'product', '--candidates', '60,300', '--workers', '1')
    expect(r.code, r.stderr).toBe(1)
    const verdict = r.stdout.split('\n')[0]!
    expect(verdict).toMatch(/^verdict: no point meets ageP95S<=60: at the point closest to it \(product=60\) staleness\.ageP95S is /)
    expect(verdict).toMatch(/driven by product/)
  })

  it('names a route left out of --routes when it drives the metric, and checks tuning it (blog: tag at 3600 s)', async () => {
    const r = await cli('recommend', 'scenarios/blog.ts', '--constraint', 'ageP95S<=600', '--routes', 'post', '--candidates', '300,900', '--workers', '1')
    expect(r.code, r.stderr).toBe(1)
    const verdict = r.stdout.split('\n')[0]!
    expect(verdict).toMatch(/^verdict: no point meets ageP95S<=600: .*driven by tag \([\d.]+ min, not tuned: add it to --routes\)/)
    expect(verdict).toMatch(/smaller revalidate values do not help \(revalidateS=30 on post gives/)
    expect(verdict).toMatch(/checked: revalidateS=300 on tag reaches staleness\.ageP95S [\d.]+ (s|min) <= 10 min \(add them to --routes\)$/)
  })
})

describe('the long-tail estimate (planning/causes.ts), by hand', () => {
  // One path, Poisson at 1 req/s, instant renders, revalidate -> 0: a cache serves each request at
  // the age of the previous one on that cache, Exp(λ) with λ = 1 / caches; p95 = caches · ln 20.
  const one = (instances: number, cache: 'local' | 'shared') => parseScenario({
    name: 'tail', durationS: 3600, deployment: { instances, cache },
    routes: [{ id: 'p', pattern: '/', revalidateS: 60, renderS: 0, traffic: { rps: 1 } }],
  })
  it.each([[1, 'local', 1], [3, 'local', 3], [3, 'shared', 1]] as const)('%i instance(s), %s caches: floor = %i × ln 20 s', (instances, cache, caches) => {
    const t = tailEstimate(one(instances, cache), 'staleness.ageP95S', 600, () => 0)!
    expect(t.caches).toBe(caches)
    expect(t.floorS).toBeCloseTo(caches * Math.log(20), 1)
    expect(t.medianGapS).toBeCloseTo(caches, 9)
    expect(t.rarePaths).toBe(0) // once a second is far more often than once per 600 s
  })
})

describe('the monotone search in batches (what lets recommend use every core)', () => {
  // A down-set on an n^k grid: feasible while the indices' weighted sum stays under a bound.
  const drive = (n: number, k: number, feasible: (idx: Idx) => boolean) => {
    const gen = searchBatches(n, k, false)
    const seen = new Map<string, boolean>()
    let rounds = 0
    let step = gen.next(undefined as unknown as boolean[])
    while (!step.done) {
      rounds++
      step = gen.next(step.value.map((idx) => { const f = feasible(idx); seen.set(idx.join(','), f); return f }))
    }
    return { seen, rounds }
  }
  const grid = (n: number, k: number): number[][] => (k === 0 ? [[]] : grid(n, k - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i])))

  // Two routes stay one staircase (at most 2n points one after another): fewer rounds than the n² grid on a few cores.
  it.each([[6, 3, 7], [6, 3, 9], [5, 4, 8], [8, 3, 4]])('n=%i k=%i bound %i: every maximal feasible point is evaluated, in far fewer rounds than points', (n, k, bound) => {
    const w = Array.from({ length: k }, (_, i) => i + 1)
    const ok = (idx: Idx) => idx.reduce((s, v, i) => s + v * w[i]!, 0) <= bound
    const { seen, rounds } = drive(n, k, ok)
    // The upper boundary of the down-set: feasible points with no feasible point one step up in any route.
    const maximal = grid(n, k).filter((p) => ok(p) && p.every((v, i) => v === n - 1 || !ok(p.map((x, j) => (j === i ? x + 1 : x)))))
    for (const p of maximal) expect(seen.get(p.join(',')), `maximal point ${p.join(',')} (reproduce: searchBatches(${n}, ${k}, false))`).toBe(true)
    expect(rounds).toBeLessThan(seen.size / 2)
  })
})
