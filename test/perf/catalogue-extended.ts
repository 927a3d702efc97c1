// Benchmark fixture (issue 3): the bundled catalogue with tags, fetches, 4 instances,
// on-demand invalidations and origin data changes.
import catalogue from '../../scenarios/catalogue.ts'
import { defineScenario } from '../../sim/index.ts'

const [home, product, category, search] = catalogue.routes

export default defineScenario({
  ...catalogue,
  name: 'catalogue-extended',
  deployment: { instances: 4, cache: 'local' },
  routes: [
    { ...home!, fetches: [{ id: 'nav', revalidateS: 300, tags: ['nav'], latencyS: 0.05 }] },
    { ...product!, fetches: [{ id: 'product', tags: ['product:{sku}', 'products'], latencyS: 0.08 }, { id: 'nav', revalidateS: 300, tags: ['nav'], latencyS: 0.05 }] },
    { ...category!, fetches: [{ id: 'category', revalidateS: 120, tags: ['category:{category}'], latencyS: 0.1 }, { id: 'nav', revalidateS: 300, tags: ['nav'], latencyS: 0.05 }] },
    { ...search!, fetches: [{ id: 'nav', revalidateS: 300, tags: ['nav'], latencyS: 0.05 }] },
  ],
  onDemand: [{ kind: 'revalidateTag', tag: 'nav', profile: 'max', everyS: 600 }],
  dataChanges: [{ tag: 'product:{sku}', ratePerS: 0.2, webhook: { kind: 'revalidateTag', tag: 'product:{sku}', profile: 'max', delayS: 2 } }],
})
