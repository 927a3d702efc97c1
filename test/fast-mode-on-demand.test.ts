/**
 * Fast mode against exact mode with on-demand calls and purges (issue 19; docs/fast-mode.md
 * "On-demand calls and purges"): the catalogue with a per-path fetch tagged `products` and `product:{sku}`, under
 * revalidateTag with and without a profile, revalidatePath of a URL and of a route file,
 * updateTag, one-off, periodic and Poisson, on 16.4, on 14 (revalidatedAt) and on two
 * instances with a restart (which empties the manifest on 15+), deploys and purges. Each runs 30
 * replications per mode, compared as test/fast-mode.test.ts says, each call's entries touched
 * and renders caused included; a fast mode whose calls reach nothing is rejected.
 *
 * Reproduce a failure: the message names the scenario, metric, both modes' means and 99%
 * intervals and the seed; runScenario(s, { mode, seed, replications: 30 }) runs the same
 * replications (replication i has the seed replicationSeed(seed, i)).
 */
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadScenario, parseScenario, runScenario, type Scenario } from '../sim/index.ts'
import { crossValidate, runReplications } from './fast-stats.ts'

const DIR = join(import.meta.dirname, '..', 'scenarios')

/** The catalogue for 15 minutes, its products reading a per-path fetch tagged `products` and `product:{sku}`, with `over` on top. */
async function catalogue(over: Record<string, unknown>): Promise<Scenario> {
  const c = await loadScenario(join(DIR, 'catalogue.ts'))
  const routes = c.routes.map((r) => (r.id === 'product' ? { ...r, fetches: [{ id: 'p', perPath: true, tags: ['products', 'product:{sku}'], latencyS: 0.05 }] } : r))
  return parseScenario({ ...c, routes, durationS: 900, warmupS: 60, ...over } as Parameters<typeof parseScenario>[0])
}

const cases: [string, string, Record<string, unknown>][] = [
  ['16.4', '16.4: revalidateTag every 5 min (expires at once), revalidatePath of a category by Poisson, revalidateTag of one product with profile "max" by Poisson and with a 60 s expire every 170 s, a deploy between', {
    onDemand: [{ kind: 'revalidateTag', tag: 'products', everyS: 300 }, { kind: 'revalidatePath', path: '/c/3', ratePerS: 0.01 }, { kind: 'revalidateTag', tag: 'product:0', profile: 'max', ratePerS: 0.02 }, { kind: 'revalidateTag', tag: 'product:0', profile: { expireS: 60 }, everyS: 170 }],
    deploys: [{ atS: 450 }],
  }],
  ['14', '14 (revalidatedAt, kept across a restart): revalidateTag every 5 min, revalidatePath of the product route file once, a restart and a deploy', {
    next: { version: '14' }, onDemand: [{ kind: 'revalidateTag', tag: 'products', everyS: 300 }, { kind: 'revalidatePath', path: '/p/[sku]', type: 'page', atS: 500 }], restarts: [{ atS: 450 }], deploys: [{ atS: 700 }],
  }],
  ['2 instances', '16.4 on 2 instances: revalidateTag with a 30 s expire through the balancer, updateTag of one product to all, a restart of one instance, a deploy that prerenders nothing, a purge of everything and one of /p/1 every 4 min', {
    deployment: { instances: 2, balancer: 'random' },
    onDemand: [{ kind: 'revalidateTag', tag: 'products', profile: { expireS: 30 }, everyS: 200, target: 'balancer' }, { kind: 'updateTag', tag: 'product:1', ratePerS: 0.05, target: 'all' }],
    restarts: [{ atS: 300, instance: 1 }], deploys: [{ atS: 650, prerender: false }], purges: [{ atS: 450 }, { prefix: '/p/1', everyS: 240 }],
  }],
]

describe('on-demand calls (30 replications each)', () => {
  test.each(cases)('the catalogue (%s), %s: every route fast, and fast agrees with exact', async (seed, _name, over) => {
    const s = await catalogue(over)
    const cv = crossValidate(s, `on-demand/${seed}`)
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The calls did reach the run: the products' fetch tag touches hundreds of cached products a firing, and they render again.
    const f = cv.fast.results[0]!
    expect(f.onDemand[0]!.occurrences).toBeGreaterThanOrEqual(2)
    expect(f.onDemand[0]!.entriesTouched / f.onDemand[0]!.occurrences).toBeGreaterThan(500)
    expect(f.onDemand[0]!.rendersWithin1h).toBeGreaterThan(1000)
    const without = runScenario(parseScenario({ ...s, onDemand: [] } as Parameters<typeof parseScenario>[0]), { mode: 'fast' })
    expect(f.totals.renders).toBeGreaterThan(without.totals.renders + 1000)
  }, 300_000)
})

describe('what fast mode replays, figure for figure', () => {
  test('the firings (a Poisson call draws its times from its own stream in both modes), and every cached entry a call reaches: paths × instances per firing when every path is prebuilt and never fails', async () => {
    const s = parseScenario({
      name: 'touch', durationS: 600, warmupS: 0, next: { version: '16.4' }, deployment: { instances: 3, balancer: 'random' },
      routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.2, params: { count: 40, prebuilt: 40 }, traffic: { rps: 30, popularity: { zipf: 1 } } }],
      onDemand: [{ kind: 'revalidatePath', path: '/p/[id]', type: 'page', ratePerS: 0.02, target: 'all' }, { kind: 'revalidatePath', path: '/p/7', everyS: 100 }],
    })
    for (const seed of ['1', '2']) {
      const fast = runScenario(s, { mode: 'fast', seed }), exact = runScenario(s, { mode: 'exact', seed })
      expect(fast.routes.p!.mode).toBe('fast')
      expect(fast.onDemand.map((o) => [o.occurrences, o.atS]), `reproduce: isrsim run <touch> --seed ${seed}`).toEqual(exact.onDemand.map((o) => [o.occurrences, o.atS]))
      // Every path keeps an entry (a tag-expired one too), so each firing reaches 40 paths on 3 instances, or path 7 on instance 0.
      const firings = fast.onDemand.map((o) => o.occurrences)
      expect(firings[0]).toBeGreaterThan(3)
      expect(fast.onDemand.map((o) => o.entriesTouched)).toEqual([120 * firings[0]!, firings[1]!])
      expect(exact.onDemand.map((o) => o.entriesTouched)).toEqual([120 * firings[0]!, firings[1]!])
    }
  })
})

describe('a profile\'s expire across a deploy, figure for figure', () => {
  test('16.4, one page (revalidate false): revalidateTag(t, "max") at 100 s, a deploy at 500 s, revalidateTag(t, { expire: 60 }) at 600 s: a background render after each call, one blocking render once the expire comes due at 660 s, in both modes', () => {
    // The deploy's build starts with an empty manifest: the first call's year-long expire is not the second's.
    const s = parseScenario({
      name: 'expire-across-deploy', durationS: 800, warmupS: 0, next: { version: '16.4' },
      routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.2, params: { count: 1, prebuilt: 1 }, fetches: [{ id: 'x', perPath: true, tags: ['t'], latencyS: 0.01 }], traffic: { rps: 5 } }],
      onDemand: [{ kind: 'revalidateTag', tag: 't', profile: 'max', atS: 100 }, { kind: 'revalidateTag', tag: 't', profile: { expireS: 60 }, atS: 600 }],
      deploys: [{ atS: 500 }],
    })
    for (const seed of ['1', '2', '3']) {
      for (const mode of ['fast', 'exact'] as const) {
        const r = runScenario(s, { mode, seed })
        const what = `reproduce: isrsim run <expire-across-deploy> --seed ${seed} --mode ${mode}`
        expect(r.routes.p!.mode, what).toBe(mode)
        expect([r.totals.backgroundRenders, r.totals.blockingRenders, r.onDemand.map((o) => [o.entriesTouched, o.rendersWithin1m])], what).toEqual([2, 1, [[1, 1], [1, 1]]])
      }
    }
  })
})

describe('the test has teeth', () => {
  test('a fast mode whose calls reach no cached page (the dynamic search page\'s tag instead) is rejected', async () => {
    const s = await catalogue(cases[0]![2])
    const nowhere = parseScenario({ ...s, onDemand: s.onDemand.map(({ path: _p, type: _t, profile: _f, ...e }) => ({ ...e, kind: 'revalidateTag', tag: '_N_T_/search' })) } as Parameters<typeof parseScenario>[0])
    // The same scenario and seed as its sibling above: crossValidate reuses its exact runs.
    const cv = crossValidate(s, `on-demand/${cases[0]![0]}`, (_s, seed, n) => runReplications(nowhere, 'fast', seed, n))
    const keys = cv.confirmed.map((f) => f.key)
    expect(keys).toContain('mean onDemand.0.entriesTouched')
    expect(keys).toContain('mean totals.renders')
  }, 300_000)
})
