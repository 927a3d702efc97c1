// Benchmark fixture (issue 3's performance goal): the bundled catalogue extended with tags,
// fetches and 4 instances. The tags are live: on-demand revalidateTag calls name them (the
// simulator tracks only tags that some event names, so without calls there would be nothing
// to check), and every page carries at least one.
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
  onDemand: [
    { kind: 'revalidateTag', tag: 'nav', profile: 'max', everyS: 600 },
    { kind: 'revalidateTag', tag: 'products', profile: 'max', everyS: 3600 },
  ],
})
