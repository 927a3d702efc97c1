// A product catalogue: thousands of products with Zipf popularity, categories, a dynamic search page.
import { defineScenario } from '../sim/index.ts'

export default defineScenario({
  name: 'catalogue',
  description: '5,000 products (Zipf 1.1, top 1,000 prebuilt), 200 categories, a dynamic search page; one hour at 400 req/s.',
  seed: '7',
  durationS: 3600,
  warmupS: 300,
  next: { version: '16.4' },
  routes: [
    {
      id: 'home',
      pattern: '/',
      revalidateS: 30,
      renderS: { lognormal: { medianS: 0.15, p95S: 0.5 } },
      traffic: { rps: 40 },
    },
    {
      id: 'product',
      pattern: '/p/[sku]',
      revalidateS: 600,
      params: { count: 5000, prebuilt: 1000 },
      renderS: { lognormal: { medianS: 0.25, p95S: 0.9 } },
      failureRate: 0.002,
      traffic: { rps: 300, popularity: { zipf: 1.1 } },
    },
    {
      id: 'category',
      pattern: '/c/[category]',
      revalidateS: 120,
      params: { count: 200 },
      renderS: { lognormal: { medianS: 0.3, p95S: 1.2 } },
      traffic: { rps: 50, popularity: { zipf: 0.9 } },
    },
    {
      id: 'search',
      pattern: '/search',
      dynamic: true,
      renderS: { lognormal: { medianS: 0.2, p95S: 0.7 } },
      traffic: { rps: 10 },
    },
  ],
})
