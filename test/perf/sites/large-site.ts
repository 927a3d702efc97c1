// Issue 19's large site: 1.1 million product pages, a crawler that walks all of them once a day,
// and light human traffic, for 30 days.
import { defineScenario } from '../../../sim/index.ts'

export default defineScenario({
  name: 'large-site',
  description: '1.1M product pages (Zipf 1.0, 100k prebuilt, revalidate 1 day), Googlebot walking every page daily, 20 human req/s; 30 days.',
  seed: '19',
  durationS: 30 * 86400,
  warmupS: 86400,
  next: { version: '16.4' },
  routes: [
    { id: 'home', pattern: '/', revalidateS: 300, renderS: { lognormal: { medianS: 0.2, p95S: 0.6 } }, traffic: { rps: 5 } },
    {
      id: 'product',
      pattern: '/p/[sku]',
      revalidateS: 86400,
      params: { count: 1_100_000, prebuilt: 100_000 },
      renderS: { lognormal: { medianS: 0.3, p95S: 1 } },
      failureRate: 0.001,
      traffic: { rps: 15, popularity: { zipf: 1 }, crawlers: [{ name: 'Googlebot', revisitS: 86400 }] },
    },
  ],
})
