// Benchmark fixture (issue 19, the steady loop between restarts and calls): the bundled
// catalogue as a shop runs it, its product pages reading their own product (a per-path fetch
// tagged `products` and `product:{sku}`, revalidate 300 s), a CMS webhook revalidating every
// product once a day, and a nightly restart. Run it for a week: `node --import
// ./test/perf/tsx-register.mjs test/perf/fast-once.ts test/perf/catalogue-shop.ts fast 604800`.
import catalogue from '../../scenarios/catalogue.ts'
import { defineScenario } from '../../sim/index.ts'

const DAY_S = 86_400

export default defineScenario({
  ...catalogue,
  name: 'catalogue-shop',
  routes: catalogue.routes.map((r) => (r.id === 'product' ? { ...r, fetches: [{ id: 'p', perPath: true, revalidateS: 300, tags: ['products', 'product:{sku}'], latencyS: 0.05 }] } : r)),
  onDemand: [{ kind: 'revalidateTag', tag: 'products', atS: 1800, everyS: DAY_S }],
  restarts: Array.from({ length: 31 }, (_, d) => ({ atS: d * DAY_S + 3 * 3600 })),
})
