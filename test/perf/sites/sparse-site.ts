// Issue 19's sparse catalogue: 40 million variant × locale pages, of which about 100,000 are
// visited in the day simulated (uniform popularity, 1.16 req/s).
import { defineScenario } from '../../../sim/index.ts'

export default defineScenario({
  name: 'sparse-site',
  description: '40M variant pages (1M prebuilt), ~100k requests in a day, uniform over the pages: most pages are never visited.',
  seed: '40',
  durationS: 86400,
  next: { version: '16.4' },
  routes: [
    { id: 'variant', pattern: '/[locale]/p/[variant]', revalidateS: 3600, params: { count: 40_000_000, prebuilt: 1_000_000 }, renderS: 0.2, traffic: { rps: 1.16 } },
  ],
})
