/**
 * Fast mode against exact mode where paths meet instances, deploys and restarts (issue 19):
 * the catalogue on several instances, with deploys, and with restarts on 16.3, each with 30
 * replications per mode compared as test/fast-mode.test.ts says; and a fast mode that ignores
 * deploys is rejected by the same procedure.
 *
 * Reproduce a failure: the message names the scenario, metric, both modes' means and 99%
 * intervals and the seed; runScenario(s, { mode, seed, replications: 30 }) runs the same
 * replications (replication i has the seed replicationSeed(seed, i)).
 */
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadScenario, parseScenario, runScenario } from '../sim/index.ts'
import { crossValidate, runReplications } from './fast-stats.ts'

const DIR = join(import.meta.dirname, '..', 'scenarios')

describe('several instances behind a random balancer (30 replications each)', () => {
  test('the catalogue on 3 instances with local caches, a crawler on the categories: every route fast, and fast agrees with exact', async () => {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    // The crawler walks the 200 categories every 5 minutes: each visit goes to the instance the balancer draws for it.
    const routes = c.routes.map((r) => (r.id === 'category' ? { ...r, traffic: { ...r.traffic, crawlers: [{ name: 'bot', revisitS: 300 }] } } : r))
    const s = parseScenario({ ...c, routes, durationS: c.durationS / 2, warmupS: c.warmupS / 2, deployment: { instances: 3, balancer: 'random' } } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, 'random-balancer')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // Three caches fill apart: three times the fill writes of one instance, give or take the paths no instance saw.
    const fills = cv.exact.results[0]!.totals.fillWrites
    expect(fills).toBeGreaterThan(2 * runScenario(parseScenario({ ...s, deployment: undefined } as Parameters<typeof parseScenario>[0]), { mode: 'exact' }).totals.fillWrites)
  }, 300_000)
})

describe('deploys and restarts (30 replications each)', () => {
  // 30 min: a deploy at 10 min rewrites the 1000 prebuilt products and the rest go cold; one at 20 min prerenders nothing.
  async function withDeploys() {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    const routes = c.routes.map((r) => (r.id === 'category' ? { ...r, traffic: { ...r.traffic, crawlers: [{ name: 'bot', revisitS: 300 }] } } : r))
    return parseScenario({ ...c, routes, durationS: 1800, warmupS: 150, deploys: [{ atS: 600 }, { atS: 1200, prerender: false }], restarts: [{ atS: 900 }] } as Parameters<typeof parseScenario>[0])
  }

  test('the catalogue (16.4) with a deploy that prerenders and one that does not, a restart, a crawler on the categories: every route fast, and fast agrees with exact', async () => {
    const s = await withDeploys()
    expect(s.next.version).toBe('16.4')
    const cv = crossValidate(s, 'deploys')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The deploys did reach the run: the first wrote the prebuilt pages, and cold paths filled again after each.
    const e = cv.exact.results[0]!, f = cv.fast.results[0]!
    expect(e.routes.product!.deployWrites).toBe(1000)
    expect(f.routes.product!.deployWrites).toBe(1000)
    const noDeploys = runScenario(parseScenario({ ...s, deploys: [] } as Parameters<typeof parseScenario>[0]), { mode: 'fast' })
    expect(f.totals.fillWrites).toBeGreaterThan(2 * noDeploys.totals.fillWrites)
  }, 300_000)

  /**
   * Restarts before 16.4 (§11.2): each drops the process's cache controls, so a product page
   * generated on demand falls back to the 1 s default until regenerated once, a prebuilt one to
   * the manifest's. The catalogue on 16.3 with failing renders (their back-off lowers revalidate,
   * which a restart resets), a Pages route (whose cache control a restart drops on every
   * version, §14.7) and 'use cache' data per category (emptied with the process's memory, §12.5),
   * on 2 instances restarted apart and together.
   */
  test('the catalogue on 16.3, 2 instances, 3 restarts, with a Pages route and per-path \'use cache\' data: every route fast, and fast agrees with exact', async () => {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    const routes = [
      ...c.routes.map((r) => (r.id === 'category' ? { ...r, failureRate: 0.1, fetches: [{ id: 'cat', kind: 'use cache', perPath: true, cacheLife: 'hours', latencyS: 0.1 }] } : r)),
      { id: 'docs', pattern: '/docs/[slug]', router: 'pages', revalidateS: 300, params: { count: 50, prebuilt: 10 }, renderS: 0.2, failureRate: 0.05, traffic: { rps: 20, popularity: { zipf: 1 } } },
    ]
    const input: Record<string, unknown> = { ...c, routes, next: { version: '16.3' }, durationS: 1800, warmupS: 150, deployment: { instances: 2, balancer: 'random' } }
    const s = parseScenario({ ...input, restarts: [{ atS: 500, instance: 0 }, { atS: 900 }, { atS: 1300, instance: 1 }] } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, 'restarts')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The restarts did reach the run: without them fewer regenerations, and fewer 'use cache' runs.
    const without = runScenario(parseScenario(input), { mode: 'fast' })
    const f = cv.fast.results[0]!
    expect(f.totals.backgroundRenders).toBeGreaterThan(without.totals.backgroundRenders)
    expect(f.fetches.cat!.originFetches).toBeGreaterThan(without.fetches.cat!.originFetches)
  }, 300_000)

  test('a fast mode that ignores deploys is rejected', async () => {
    const s = await withDeploys()
    const without = parseScenario({ ...s, deploys: [] } as Parameters<typeof parseScenario>[0])
    // The real test's seed: its exact runs are reused (fast-stats.ts).
    const cv = crossValidate(s, 'deploys', (_sc, seed, n) => runReplications(without, 'fast', seed, n))
    expect(cv.confirmed.length, cv.report).toBeGreaterThan(5)
    expect(cv.confirmed.map((x) => x.key), cv.report).toEqual(expect.arrayContaining(['mean totals.fillWrites']))
  }, 300_000)
})
