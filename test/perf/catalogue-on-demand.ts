// Benchmark fixture (issue 19, on-demand calls in fast mode): the bundled catalogue, its product
// pages reading their own product (a per-path fetch tagged `products` and `product:{sku}`),
// under a CMS-like revalidateTag of every product every 10 minutes, a revalidatePath of one
// category and a revalidateTag with a profile of one product, both by Poisson. Run it for a
// day: `node --import ./test/perf/tsx-register.mjs test/perf/fast-once.ts
// test/perf/catalogue-on-demand.ts fast 86400` (and `exact`).
import catalogue from '../../scenarios/catalogue.ts'
import { defineScenario } from '../../sim/index.ts'

export default defineScenario({
  ...catalogue,
  name: 'catalogue-on-demand',
  routes: catalogue.routes.map((r) => (r.id === 'product' ? { ...r, fetches: [{ id: 'p', perPath: true, tags: ['products', 'product:{sku}'], latencyS: 0.05 }] } : r)),
  onDemand: [
    { kind: 'revalidateTag', tag: 'products', everyS: 600 },
    { kind: 'revalidatePath', path: '/c/3', ratePerS: 0.01 },
    { kind: 'revalidateTag', tag: 'product:0', profile: 'max', ratePerS: 0.02 },
  ],
})
