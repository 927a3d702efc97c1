/**
 * Live validation of issue 17's cache families: three scenarios against a real `next start`
 * 16.4.6 built by `isrsim app`, a real origin and real k6, each predicted with 10 replications
 * and checked by `verify` (every headline metric inside its predicted range), as test/live.test.ts
 * does for (a)-(d).
 *
 * 17(e) scenarios/live/cache-components.json: next.cacheComponents, pages whose data is a
 *       'use cache' function with cacheLife and cacheTag: home's cacheLife('hours') refreshed only
 *       by scheduled revalidateTag('posts', 'max'), the posts' cacheLife('minutes') by time (60 s)
 *       and one post by revalidateTag('post:1', 'max'). Fully cached pages: every response
 *       carries x-nextjs-cache (none is postponed).
 * 17(f) scenarios/live/pages-fallback.json: a Pages Router route with getStaticProps revalidate
 *       and getStaticPaths fallback: true, half its paths not prebuilt, plus one-off unknown
 *       paths. A path without a page gets the fallback shell (outcome "fallback"); k6 then asks
 *       /_next/data/<buildId>/<path>.json, as the browser's router would, which renders it.
 * 17(g) scenarios/live/unstable-cache.json: unstable_cache data functions under a page
 *       revalidate: one slower than the page (two stacked stale layers: fewer origin fetches
 *       than renders), one faster (it lowers the page's revalidate to its own).
 *
 * §15 scenarios/live/route-handlers.json: a route handler GET with revalidate 5 (cached), one
 *       without exports (dynamic by default from 15) and a force-static page calling cookies().
 *
 * The three 17 scenarios run at once (describe.concurrent, each its own `isrsim loadtest`
 * process), route-handlers after them. Alone and together they gave the same verdicts; the
 * figures are in loadtest/README.md.
 *
 * Reproduce one: isrsim loadtest scenarios/live/<name>.json --out out/live/<name>
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RequestPlan, SimResult } from '../sim/contract.ts'
import { ensureK6, ensureNext } from '../loadtest/live.ts'
import { failed, liveRun, repro } from './live-helpers.ts'

const LOAD_TIMEOUT_MS = 800_000
const log = () => {}

describe('live: issue 17\'s cache families against next start 16.4.6 and k6', () => {
  beforeAll(() => {
    ensureK6(log)
    ensureNext('16', log)
  }, 600_000)

  describe.concurrent('17(e), 17(f) and 17(g), at once', () => {
    it('17(e) Cache Components: a \'use cache\' function with cacheLife("minutes") and cacheTag, revalidateTag(tag, "max")', async () => {
      const r = await liveRun('cache-components')
      const why = repro('cache-components')
      expect(failed(r.verdict), why).toEqual([])
      const o = r.observed
      // revalidateTag('posts', 'max') at 15, 45 and 75 s, revalidateTag('post:1', 'max') at 30 s.
      expect(o.onDemand, why).toEqual({ planned: 4, sent: 4, failed: 0 })
      expect(o.droppedIterations).toBe(0)
      for (const id of ['home', 'post']) {
        // Fully cached pages: the shell has no dynamic hole, so every response says HIT, STALE or MISS.
        expect(o.routes[id]!.dynamic, `${id}: ${JSON.stringify(o.routes[id])}. ${why}`).toBe(0)
        expect(o.routes[id]!.postponed ?? 0).toBe(0)
        expect(o.routes[id]!.stale, `${id}: a tag or its cacheLife made it stale`).toBeGreaterThan(0)
      }
      // cacheLife('hours') never expires within the run: every render of home came from the tag.
      expect(o.origin!.renders.home, why).toBeLessThanOrEqual(3)
      // The 'use cache' data is regenerated with the page, in the same regeneration (no lag).
      expect(o.origin!.fetches.post, why).toBe(o.origin!.renders.post)
      const pred = JSON.parse(readFileSync(r.files.verdict.replace(/verdict\.json$/, 'prediction.json'), 'utf8')) as SimResult
      expect(pred.routes.post!.effectiveRevalidateS, 'cacheLife("minutes") revalidates after 60 s').toBe(60)
      expect(pred.routes.home!.effectiveRevalidateS, 'cacheLife("hours") revalidates after 3600 s').toBe(3600)
    }, LOAD_TIMEOUT_MS)

    it('17(f) Pages Router: getStaticProps revalidate, getStaticPaths fallback: true, unknown paths', async () => {
      const r = await liveRun('pages-fallback')
      const why = repro('pages-fallback')
      expect(failed(r.verdict), why).toEqual([])
      const o = r.observed
      const post = o.routes.post!
      const plan = JSON.parse(readFileSync(r.files.plan, 'utf8')) as RequestPlan
      const planned = plan.routes.find((x) => x.id === 'post')!
      // Every path that was not prebuilt (4 of 8) and every one-off unknown path starts with a shell.
      const notPrebuilt = new Set(planned.paths.filter((p) => Number(p.split('/').pop()) >= 4))
      expect(post.fallback ?? 0, why).toBeGreaterThanOrEqual(notPrebuilt.size)
      // k6 followed each shell with the browser's data request, and each was answered.
      expect(post.fallbackData, why).toBe(post.fallback)
      expect(post.fallbackDataErrors, why).toBe(0)
      // Those data requests rendered each such path once; the prebuilt ones regenerate by time.
      expect(o.origin!.renders.post!, why).toBeGreaterThanOrEqual(notPrebuilt.size)
      expect(o.routes.about!.fallback ?? 0).toBe(0)
      expect(post.error + post.notFound).toBe(0)
      expect(o.droppedIterations).toBe(0)
    }, LOAD_TIMEOUT_MS)

    it('17(g) unstable_cache under a page revalidate: two stacked layers, and a shorter one lowering the page', async () => {
      const r = await liveRun('unstable-cache')
      const why = repro('unstable-cache')
      expect(failed(r.verdict), why).toEqual([])
      const o = r.observed
      // item: the page regenerates every 10 s, its unstable_cache (30 s) refetches about a third as often.
      expect(o.origin!.fetches.item!, why).toBeLessThan(o.origin!.renders.item! * 0.6)
      expect(o.origin!.fetches.item!, why).toBeGreaterThan(0)
      const pred = JSON.parse(readFileSync(r.files.verdict.replace(/verdict\.json$/, 'prediction.json'), 'utf8')) as SimResult
      // list: revalidate 60 lowered to the unstable_cache's 20 s, as the build's route table says.
      expect(pred.routes.list!.effectiveRevalidateS, why).toBe(20)
      expect(o.routes.list!.stale, why).toBeGreaterThan(0)
      expect(o.droppedIterations).toBe(0)
    }, LOAD_TIMEOUT_MS)
  })

  it('§15.1 §15.2 route handlers and force-static: a GET with revalidate is cached, one without is dynamic, a force-static page ignores cookies()', async () => {
    const r = await liveRun('route-handlers')
    const why = repro('route-handlers')
    expect(failed(r.verdict), why).toEqual([])
    const o = r.observed
    // stats: export const revalidate = 5, so HIT and STALE with a background regeneration each 5 s or so.
    expect(o.routes.stats!.hit, why).toBeGreaterThan(0)
    expect(o.routes.stats!.stale, why).toBeGreaterThan(0)
    expect(o.origin!.renders.stats!, why).toBeLessThan(o.routes.stats!.requests / 10)
    // live: no exports, dynamic by default on 16: one render per request, no cache header.
    expect(o.routes.live!.dynamic, why).toBe(o.routes.live!.requests)
    expect(o.origin!.renders.live, why).toBe(o.routes.live!.requests)
    // fs: cookies() under force-static is cached as a static page.
    expect(o.routes.fs!.dynamic, why).toBe(0)
    expect(o.routes.fs!.hit, why).toBeGreaterThan(0)
    expect(o.droppedIterations).toBe(0)
  }, LOAD_TIMEOUT_MS)
})
