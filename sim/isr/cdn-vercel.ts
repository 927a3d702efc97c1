/**
 * deployment.platform "vercel" (§17): the ISR cache is Vercel's CDN and its durable store, one
 * cache for the whole deployment that every function reads and writes. What differs from
 * `next start` instances is state, so the model runs the scenario as one logical instance:
 * one set of entries, cache controls stored with the entry, one regeneration per path at a time
 * (request collapsing), an invalidation that reaches the one cache, no per-process memory for a
 * restart to lose, and functions that scale out instead of queueing renders.
 */
import type { Scenario } from '../scenario/schema.ts'

/** The scenario as the model runs it on its platform: unchanged when self-hosted. */
export function withPlatform(s: Scenario): Scenario {
  if (s.deployment?.platform !== 'vercel') return s
  const { renderConcurrency: _, ...deployment } = s.deployment
  return {
    ...s,
    deployment: { ...deployment, instances: 1, cache: 'local', tagPropagationS: 0 },
    // A function's restart loses nothing: entries, cache controls and tags live in the platform's cache.
    restarts: [],
    // Every call reaches the one cache, whichever instance the scenario names.
    onDemand: s.onDemand.map((e) => ({ ...e, instance: 0 })),
    dataChanges: s.dataChanges.map((c) => (c.webhook === undefined ? c : { ...c, webhook: { ...c.webhook, instance: 0 } })),
  }
}
