/**
 * Exact mode's lazy records (sim/isr/entries.ts): above LAZY_ABOVE_SLOTS slots a record is made
 * on its slot's first use, and what reaches every path (deploys, restarts, purges, the fan-out
 * of invalidations) walks the records that exist plus the build's implicit entries. It must give
 * the eager records' bytes: every golden run (bundled, live, benchmark and rich scenarios on every
 * version profile) and generated scenarios with every feature, run with lazy records forced on.
 * And it must keep memory to the paths that are visited.
 */
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { parseScenario, runScenario } from '../sim/index.ts'
import { Entries, LAZY_ABOVE_SLOTS, observeEntries, resolveRoutes, useLazyEntries } from '../sim/isr/entries.ts'
import { wantsLazyRecords } from '../sim/isr/record-bound.ts'
import { arbCase } from './arbitraries.ts'
import { GOLDEN_DIR, goldenCases, runGolden } from './goldens/cases.ts'

const RUNS = process.env.FC_NUM_RUNS !== undefined ? Number(process.env.FC_NUM_RUNS) : 60

afterEach(() => { useLazyEntries(null); observeEntries(null) })

describe('exact mode: lazy records give the eager records\' bytes', async () => {
  const cases = await goldenCases()
  test.each(cases.map((c) => [c.name, c] as const))('golden %s with lazy records', (_name, c) => {
    useLazyEntries(true)
    const now = runGolden(c)
    const golden = readFileSync(join(GOLDEN_DIR, `${c.name}.json`), 'utf8')
    expect(now === golden, `golden ${c.name} differs with lazy records; reproduce: useLazyEntries(true) then runGolden of ${c.source}`).toBe(true)
  })

  test('generated scenarios (every feature the generators make), lazy against eager', () => {
    let deploys = 0, purges = 0, onDemand = 0, restarts = 0
    fc.assert(
      fc.property(arbCase(), (c) => {
        const s = parseScenario(c.input)
        deploys += s.deploys.length; purges += s.purges.length; onDemand += s.onDemand.length; restarts += s.restarts.length
        useLazyEntries(false)
        const eager = JSON.stringify(runScenario(s, { seed: c.seed }))
        useLazyEntries(true)
        const lazy = JSON.stringify(runScenario(s, { seed: c.seed }))
        expect(lazy === eager, `lazy and eager records differ on scenario ${JSON.stringify(c.input)} seed ${JSON.stringify(c.seed)}`).toBe(true)
      }),
      { numRuns: RUNS },
    )
    // The generators reach what walks every path.
    expect(deploys + purges).toBeGreaterThan(0)
    expect(onDemand).toBeGreaterThan(0)
    expect(restarts).toBeGreaterThan(0)
  }, 300_000)
})

describe('exact mode: lazy records grow with the visited paths', () => {
  const big = (count: number, extra: object = {}) => parseScenario({
    name: 'lazy', durationS: 3600, seed: 'lazy',
    routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 300, params: { count, prebuilt: 100 }, renderS: 0.05, traffic: { rps: 20, popularity: 'uniform' } }],
    ...extra,
  })

  test('a site above the threshold keeps records only for the slots used', () => {
    const s = big(4_000_000)
    const routes = resolveRoutes(s)
    expect(4_000_000).toBeGreaterThan(LAZY_ABOVE_SLOTS)
    expect(wantsLazyRecords(s, routes, 1, false)).toBe(true)
    const e = new Entries(routes, 1, false, 0, undefined, true)
    expect(e.lazy).toBe(true)
    expect(e.records()).toBe(0)
    expect(e.bytes()).toBeLessThan(100_000)
    // A prebuilt path's record holds the build's entry; one generated on demand holds none.
    const o = e.off(5)
    expect(e.rec[o + 6]).toBe(1)
    const o2 = e.off(3_999_999)
    expect(e.rec[o2 + 6]).toBe(0)
    expect(e.records()).toBe(2)
  })

  test('lazy only past 2^20 slots and when the traffic can reach fewer than half of them (a crawler walking every path keeps them eager)', () => {
    const routesOf = (s: ReturnType<typeof big>) => resolveRoutes(s)
    const small = big(LAZY_ABOVE_SLOTS / 2)
    expect(wantsLazyRecords(small, routesOf(small), 2, false)).toBe(false)
    expect(wantsLazyRecords(small, routesOf(small), 3, false)).toBe(true)
    const crawled = parseScenario({ ...big(4_000_000), routes: [{ ...big(4_000_000).routes[0]!, traffic: { rps: 20, popularity: 'uniform', crawlers: [{ name: 'bot', revisitS: 86_400 }] } }] })
    expect(wantsLazyRecords(crawled, routesOf(crawled), 1, false)).toBe(true) // an hour: 4M/24 visits
    const day = parseScenario({ ...crawled, durationS: 86_400 })
    expect(wantsLazyRecords(day, routesOf(day), 1, false)).toBe(false) // a day: every path
  })

  test('4M paths for an hour at 20 req/s, exact mode, with a deploy and a purge of every path: about 72k records', () => {
    const s = big(4_000_000, { deploys: [{ atS: 1200 }], purges: [{ atS: 2400 }] })
    const made: Entries[] = []
    observeEntries((e) => made.push(e))
    const r = runScenario(s, { mode: 'exact' })
    // 72k requests over 4M uniform paths: almost every request is a new path (a MISS).
    expect(r.routes.p!.requests).toBeGreaterThan(70_000)
    expect(r.routes.p!.miss / r.routes.p!.requests).toBeGreaterThan(0.97)
    expect(made.length).toBe(1)
    const e = made[0]!
    expect(e.lazy).toBe(true)
    // One record per path requested: the purge reaches the 100 prebuilt entries as a set.
    expect(e.records()).toBeGreaterThan(70_000)
    expect(e.records()).toBeLessThan(r.routes.p!.requests + 200)
    // Eager records would hold 4M × 66 B = 264 MB.
    expect(e.bytes()).toBeLessThan(16 * 2 ** 20)
  })
})
