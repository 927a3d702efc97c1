// Issue 19's sparse catalogue as real catalogues are built: every variant page fetches its own
// product data (a per-path fetch key), so exact mode's Data Cache has 40M keys, of which only
// those of the ~100k visited pages are ever read (fetch-cache-rows.ts keeps rows only for them).
import { defineScenario } from '../../../sim/index.ts'
import sparse from './sparse-site.ts'

export default defineScenario({
  ...sparse,
  name: 'sparse-fetch-site',
  description: '40M variant pages (1M prebuilt), each fetching its own product data (revalidate 1 h), ~100k requests in a day: most pages and keys are never read.',
  routes: sparse.routes.map((r) => ({ ...r, fetches: [{ id: 'product', revalidateS: 3600, perPath: true, latencyS: 0.05 }] })),
})
