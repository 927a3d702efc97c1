/**
 * Fast mode's steady loop (sim/isr/fast-steady.ts) is fast-timeline.ts's general code written
 * out by hand for speed: it must give the same bytes. Each case runs in fast mode twice, with
 * the loop and with every path through the general code (useSteadyLoop(false)), and the
 * results must be identical: on the bundled scenarios, on variants that reach every branch
 * the loop takes over (crawlers walking all or some paths, a request drawn ahead of a
 * crawler's visit, expire on 16.3+ with crawler-made past-expire requests, failures and
 * outages with the back-off, version 15, a daily curve with silent hours, the route's own
 * fetches, restarts, on-demand calls and purges), and on generated fast-eligible scenarios,
 * with and without fetches, and with calls, purges and restarts.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { parseScenario, runScenario } from '../sim/index.ts'
import { useSteadyLoop } from '../sim/isr/fast-steady.ts'
import blog from '../scenarios/blog.ts'
import catalogueInput from '../scenarios/catalogue.ts'
import { arbFastCase, arbFastFetchCase, arbFastOnDemandCase } from './fast-cases.ts'

const RUNS = (n: number) => (process.env.FC_NUM_RUNS !== undefined ? Number(process.env.FC_NUM_RUNS) : n)

/** The result of a fast run with and without the steady loop, and how many renders it had (so that a case that renders nothing cannot pass for free). */
function both(input: unknown, seed?: string, replications = 2): { withLoop: string; general: string; renders: number; crawlerRenders: number } {
  const s = parseScenario(input)
  const run = () => runScenario(s, { mode: 'fast', replications, ...(seed === undefined ? {} : { seed }) })
  try {
    useSteadyLoop(true)
    const a = run()
    useSteadyLoop(false)
    const b = run()
    const routes = Object.values(a.routes)
    return { withLoop: JSON.stringify(a), general: JSON.stringify(b), renders: routes.reduce((n, r) => n + r.renders, 0), crawlerRenders: routes.reduce((n, r) => n + (r.crawlerRenders ?? 0), 0) }
  } finally {
    useSteadyLoop(true)
  }
}

afterEach(() => useSteadyLoop(true))

describe('fast mode: the steady loop gives the general code\'s bytes', () => {
  const catalogue = catalogueInput as unknown as { routes: { dynamic?: boolean; traffic: object }[] }
  // Crawlers on every cached route, a second one on the product route walking the first 700 paths.
  const crawled = (revisitS: number, extra: object = {}) => ({
    ...catalogue, ...extra,
    routes: catalogue.routes.map((r, i) => (r.dynamic === true ? r : { ...r, traffic: { ...r.traffic, crawlers: [{ name: 'G', revisitS: revisitS * (i + 1) }, ...(i === 1 ? [{ name: 'B', revisitS: revisitS / 3, paths: 700 }] : [])] } })),
  })
  const cases: [string, unknown][] = [
    ['catalogue', catalogue],
    ['blog', blog],
    ['catalogue, crawlers every 10 min', crawled(600)],
    ['catalogue, crawlers every minute', crawled(60)],
    ['catalogue, crawlers, version 15', crawled(300, { next: { version: '15' } })],
    ['catalogue, crawlers, expireTime 700 s (16.4)', crawled(900, { next: { version: '16.4', expireTimeS: 700 } })],
    ['catalogue, crawlers, an outage failing 70% of renders', crawled(400, { outages: [{ fromS: 1000, toS: 1600, failureRate: 0.7 }] })],
    ['catalogue, expireTime 650 s (16.4)', { ...catalogue, next: { version: '16.4', expireTimeS: 650 } }],
    ['catalogue, crawlers, deploys (periodic, one without prerender, two at one second)', crawled(600, { deploys: [{ atS: 1200 }, { atS: 2400, prerender: false }, { everyS: 1000 }, { atS: 3000 }] })],
    // A daily curve (hourly segments) with silent hours: windows and waits for the next request cross segment ends and skip hours with no traffic.
    ['catalogue over 8 hours on a daily curve with two silent hours, crawlers', (() => {
      const c = crawled(900, { durationS: 8 * 3600 }) as { routes: { traffic: object }[] }
      const hourly = [0.4, 2, 0, 0, 1.5, 0.7, 1, 2.5, ...Array.from({ length: 16 }, () => 1)]
      return { ...c, routes: c.routes.map((r) => ({ ...r, traffic: { ...r.traffic, diurnal: { hourly, startHour: 0 } } })) }
    })()],
    // The route's own fetches ride along (fast-fetches.ts): a stale or missing entry makes the background render wait for the origin.
    ['catalogue, products with a per-path fetch (revalidate 300 s, 5% failing), an unstable_cache function and a layout fetch; categories an unstable_cache function (60 s, 0.4 s)', {
      ...catalogue, durationS: 7200,
      routes: catalogue.routes.map((r, i) => i === 1
        ? { ...r, fetches: [{ id: 'p', perPath: true, revalidateS: 300, latencyS: 0.05, failureRate: 0.05 }, { id: 'u', kind: 'unstable_cache', perPath: true, revalidateS: 900, latencyS: 0.2 }, { id: 'nav', latencyS: 0.03, failureRate: 0.1 }] }
        : i === 2 ? { ...r, fetches: [{ id: 'c', kind: 'unstable_cache', perPath: true, revalidateS: 60, latencyS: 0.4 }, { id: 'nav', latencyS: 0.03, failureRate: 0.1 }] } : r),
    }],
    ['products with a per-path fetch and an unstable_cache function on version 14, with crawlers and deploys keeping the fetch cache', (() => {
      const c = crawled(600, { next: { version: '14' }, durationS: 7200, deploys: [{ atS: 2000, reuseFetchCache: true }, { atS: 5000 }] }) as typeof catalogue
      return { ...c, routes: c.routes.map((r, i) => i === 1 ? { ...r, fetches: [{ id: 'p', perPath: true, revalidateS: 300, latencyS: 0.05, failureRate: 0.05 }, { id: 'u', kind: 'unstable_cache', perPath: true, revalidateS: 900, latencyS: 0.2 }] } : r) }
    })()],
    // Restarts, on-demand calls and purges stop the loop where they could change a cycle (fast-timeline.ts runStretch); the general code takes that step.
    ['catalogue on 2 instances over 8 hours: restarts, calls (a tag on the products\' fetch every 40 min, a profile call by Poisson, a path), purges and a deploy', (() => {
      const c = crawled(900, { durationS: 8 * 3600, deployment: { instances: 2, balancer: 'random' }, next: { version: '16.4', expireTimeS: 5000 } }) as typeof catalogue
      return {
        ...c,
        // The fetch outlives the page's cycle and often fails: an entry a call marked can stay marked after the page's next write.
        routes: c.routes.map((r, i) => i === 1 ? { ...r, fetches: [{ id: 'p', perPath: true, tags: ['products', 'product:{sku}'], revalidateS: 3600, latencyS: 0.05, failureRate: 0.3 }] } : r),
        restarts: [{ atS: 3000 }, { atS: 9000, instance: 1 }, { atS: 20000 }],
        onDemand: [{ kind: 'revalidateTag', tag: 'products', everyS: 2400 }, { kind: 'revalidateTag', tag: 'product:3', profile: 'max', ratePerS: 0.002 }, { kind: 'revalidatePath', path: '/c/2', atS: 5000 }],
        purges: [{ atS: 12000, prefix: '/p' }, { atS: 26000 }],
        deploys: [{ atS: 16000 }],
      }
    })()],
    ['the same on version 14 (revalidatedAt tags, a restart clears the calls\' view)', (() => {
      const c = crawled(900, { durationS: 8 * 3600, next: { version: '14' } }) as typeof catalogue
      return {
        ...c,
        routes: c.routes.map((r, i) => i === 1 ? { ...r, fetches: [{ id: 'p', perPath: true, tags: ['products', 'product:{sku}'], revalidateS: 300, latencyS: 0.05 }] } : r),
        restarts: [{ atS: 3000 }, { atS: 20000 }],
        onDemand: [{ kind: 'revalidateTag', tag: 'products', everyS: 2400 }, { kind: 'revalidatePath', path: '/c/2', atS: 5000 }],
      }
    })()],
    // Sparse traffic (fast-sparse.ts): each visited page's first arrival is drawn ahead and given to the loop.
    ['a sparse route: 20,000 pages, 2,000 prebuilt, a request every 2 s for two hours', { name: 'sparse', seed: '5', durationS: 7200, warmupS: 0, next: { version: '16.4', expireTimeS: 900 },
      routes: [{ id: 'v', pattern: '/v/[id]', revalidateS: 120, params: { count: 20_000, prebuilt: 2_000 }, renderS: 0.3, failureRate: 0.05, traffic: { rps: 0.5, popularity: { zipf: 1.2 } } }] }],
  ]
  test.each(cases)('%s', (_name, input) => {
    const r = both(input)
    expect(r.renders).toBeGreaterThan(1000)
    expect(r.withLoop === r.general, 'the steady loop and the general code differ').toBe(true)
  })
  test('the crawled variants render for crawlers', () => {
    expect(both(crawled(600), undefined, 1).crawlerRenders).toBeGreaterThan(1000)
  })

  const generated: [string, typeof arbFastCase][] = [
    ['(crawlers, daily curves, expire, failures, outages, every version)', arbFastCase],
    ['with on-demand calls, purges and restarts', arbFastOnDemandCase],
    ['with fetches (each route\'s own, a layout\'s shared uncached one, deploys keeping the fetch cache)', arbFastFetchCase],
  ]
  test.each(generated)('generated fast-eligible scenarios %s', (_name, arb) => {
    fc.assert(
      fc.property(arb, (c) => {
        const r = both(c.input, c.seed)
        expect(r.withLoop === r.general, `the steady loop and the general code differ on scenario ${JSON.stringify(c.input)} seed ${JSON.stringify(c.seed)}`).toBe(true)
      }),
      { numRuns: RUNS(40) },
    )
  }, 300_000)
})
