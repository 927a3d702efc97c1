// The bundled default scenario: a content site over one day with a daily traffic curve.
import { defineScenario } from '../sim/index.ts'

/** Share of the daily mean per hour (UTC): quiet nights, a lunch and an evening peak. */
const DAILY = [0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.5, 1.6, 1.5, 1.4, 1.3, 1.3, 1.4, 1.6, 1.8, 1.7, 1.4, 0.9, 0.5]

export default defineScenario({
  name: 'blog',
  description: 'A blog: home page, 500 posts (Zipf popularity, 100 prebuilt), tag pages, over one day.',
  seed: '42',
  durationS: 86_400,
  warmupS: 600,
  next: { version: '16.4' },
  routes: [
    {
      id: 'home',
      pattern: '/',
      revalidateS: 60,
      renderS: { lognormal: { medianS: 0.12, p95S: 0.4 } },
      traffic: { rps: 5, diurnal: { hourly: DAILY } },
    },
    {
      id: 'post',
      pattern: '/blog/[slug]',
      revalidateS: 300,
      params: { count: 500, prebuilt: 100 },
      renderS: { lognormal: { medianS: 0.18, p95S: 0.6 } },
      failureRate: 0.001,
      traffic: { rps: 20, popularity: { zipf: 1.0 }, diurnal: { hourly: DAILY }, unknownRate: 0.05 },
    },
    {
      id: 'tag',
      pattern: '/tags/[tag]',
      revalidateS: 3600,
      params: { count: 40 },
      renderS: 0.25,
      traffic: { rps: 2, popularity: { zipf: 0.8 }, diurnal: { hourly: DAILY } },
    },
  ],
})
