/**
 * The rich golden scenario: every feature of the model at once, on one version profile and
 * one kind of cache. Layouts (a lowering one, a dynamic one), fetches (literal and templated
 * tags, per-path and shared, latency, origin failures, a plain uncached one), on-demand calls
 * of every kind and schedule, data changes behind tags and fetch ids with CMS webhooks, three
 * instances (local or shared caches), restarts, render concurrency, outages, the site's and a
 * route's daily curve, a replayed schedule, crawlers, weighted and Zipf popularity, real
 * paths, an imported route whose file sits in a route group, unknown paths, dynamicParams
 * false, a build older than revalidate, expireTime and a cost block.
 */
import { pathToFileURL } from 'node:url'
import { NEXT_VERSIONS, type NextVersion, type ScenarioInput } from '../../sim/index.ts'

const DAILY = [0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.5, 1.6, 1.5, 1.4, 1.3, 1.3, 1.4, 1.6, 1.8, 1.7, 1.4, 0.9, 0.5]
const nav = { id: 'nav', revalidateS: 300, tags: ['nav'], latencyS: 0.05 }

export function richScenario(version: NextVersion, cache: 'local' | 'shared'): ScenarioInput {
  const v16 = version.startsWith('16')
  return {
    name: `rich-${version}-${cache}`,
    description: 'Golden: every feature of the model at once (test/goldens/rich.ts).',
    seed: `rich-${version}`,
    durationS: 7200,
    warmupS: 120,
    buildAgeS: 400,
    next: { version, expireTimeS: 900 },
    diurnal: { hourly: DAILY, startHour: 22 },
    routes: [
      {
        id: 'home', pattern: '/', revalidateS: 60,
        layouts: [{ revalidateS: 300 }],
        fetches: [nav],
        renderS: { lognormal: { medianS: 0.12, p95S: 0.4 } },
        traffic: { rps: 3, crawlers: [{ name: 'Googlebot', revisitS: 600 }], schedule: { atS: [10, 10, 11.5, 3000, 3000.25] } },
      },
      {
        id: 'post', pattern: '/blog/[slug]', revalidateS: 300,
        params: { count: 60, prebuilt: 20, paths: ['/blog/hello', '/blog/world', '/blog/isr'] },
        fetches: [{ id: 'post', tags: ['post:{slug}', 'posts'], latencyS: 0.08, failureRate: 0.02 }, nav],
        renderS: { lognormal: { medianS: 0.18, p95S: 0.6 } },
        failureRate: 0.01,
        pageSizeKb: 96,
        traffic: { rps: 5, popularity: { zipf: 1.1 }, unknownRate: 0.05, crawlers: [{ name: 'bingbot', revisitS: 900, paths: 30 }], diurnal: { hourly: DAILY.map((x) => x * 1.5), startHour: 21 } },
      },
      {
        // Imported from a route group: its implicit tags follow the file, its URLs do not.
        id: 'shop', pattern: '/p/[id]', revalidateS: false,
        source: { page: 'app/(shop)/p/[id]/page.tsx', layouts: ['app/layout.tsx', 'app/(shop)/layout.tsx'] },
        params: { count: 40, prebuilt: 10, dynamicParams: false },
        fetches: [{ id: 'product', revalidateS: 120, tags: ['product:{id}'], latencyS: 0.1, perPath: true }],
        renderS: 0.2,
        traffic: { rps: 2, arrivals: 'uniform', popularity: { weights: [8, 4, 4, 2, 0, 1, 1, 1, 0.5, 0.5, 0.5, 0.5] }, unknownRate: 0.02 },
      },
      {
        // An ISR page made dynamic by its layout: its cached fetch is served stale and refreshed.
        id: 'account', pattern: '/account', revalidateS: 600,
        layouts: [{}, { dynamic: true }],
        fetches: [nav],
        renderS: 0.05,
        traffic: { rps: 1 },
      },
      {
        // A dynamic page whose per-path fetch is tagged with a template (issue 15, bug 1).
        id: 'feed', pattern: '/feed/[id]', dynamic: true,
        params: { count: 20 },
        fetches: [{ id: 'feed', revalidateS: 600, tags: ['d-{id}'], latencyS: 0.02 }],
        renderS: 0.03,
        traffic: { rps: 1.5, popularity: { zipf: 0.8 } },
      },
      {
        // No data of its own in dataChanges (issue 15, bug 2), and a plain fetch (cached on 14 only).
        id: 'legacy', pattern: '/legacy', revalidateS: 30,
        fetches: [{ id: 'plain', latencyS: 0.01 }],
        renderS: { lognormal: { medianS: 0.05, p95S: 0.2 } },
        traffic: { rps: 1 },
      },
      {
        id: 'search', pattern: '/search', revalidateS: 0,
        renderS: { lognormal: { medianS: 0.1, p95S: 0.3 } },
        pageSizeKb: 12,
        traffic: { rps: 0.5, arrivals: 'uniform' },
      },
    ],
    onDemand: [
      { kind: 'revalidateTag', tag: 'posts', profile: 'max', everyS: 900 },
      { kind: 'revalidateTag', tag: 'nav', atS: 1800, instance: 1 },
      { kind: 'revalidateTag', tag: 'product:3', profile: { expireS: 120 }, ratePerS: 0.002 },
      { kind: 'revalidatePath', path: '/blog/hello', atS: 2400, instance: 2 },
      { kind: 'revalidatePath', path: '/(shop)/p/[id]', type: 'page', atS: 600, everyS: 2000 },
      { kind: 'revalidatePath', path: '/', type: 'layout', atS: 5000 },
      ...(v16 ? [{ kind: 'updateTag' as const, tag: 'post:world', atS: 3000 }] : []),
    ],
    dataChanges: [
      { tag: 'post:{slug}', ratePerS: 0.01, webhook: { kind: 'revalidateTag', tag: 'post:{slug}', profile: 'max', delayS: 2, instance: 1 } },
      { fetch: 'nav', atS: 300, everyS: 1200 },
      { tag: 'd-{id}', everyS: 60 },
      { tag: 'product:5', atS: 1000, webhook: { kind: 'revalidatePath', path: '/p/5', delayS: 5 } },
      { tag: 'posts', ratePerS: 0.001 },
    ],
    deployment: cache === 'local'
      ? { instances: 3, balancer: 'round-robin', cache: 'local', renderConcurrency: 2 }
      : { instances: 3, balancer: 'random', cache: 'shared', tagPropagationS: 5, renderConcurrency: 1 },
    restarts: [{ atS: 2500, instance: 2 }, { atS: 4000 }],
    outages: [{ fromS: 1500, toS: 1800, failureRate: 0.5, routes: ['post'] }, { fromS: 5000, toS: 5100, failureRate: 1 }],
    cost: { primary: cache === 'local' ? 'vercel' : 'self-hosted', pageSizeKb: 48, cdnHitFraction: 0.3, originRateLimitPerS: 0.5, vcpusPerInstance: 1 },
  }
}

// `npx tsx test/goldens/rich.ts 16.4 shared > rich.json` writes one of them (to run it with isrsim).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [version = '16.4', cache = 'local'] = process.argv.slice(2)
  if (!(NEXT_VERSIONS as readonly string[]).includes(version) || (cache !== 'local' && cache !== 'shared')) {
    console.error(`usage: npx tsx test/goldens/rich.ts <${NEXT_VERSIONS.join('|')}> <local|shared>`)
    process.exit(2)
  }
  console.log(JSON.stringify(richScenario(version as NextVersion, cache), null, 2))
}
