/**
 * The trace: one event per response, render, origin call, invalidation and data change of
 * replication 0, for hand-traced tests, `isrsim plan` and `runScenario`'s `trace` option.
 * Built only when tracing. Outcomes and render modes are names here; the integer codes
 * (metrics.ts) stay inside the hot path.
 */
import type { OUTCOME_NAMES, RENDER_MODE_NAMES } from './metrics.ts'

/** hit, stale, miss, dynamic, notFound or error. */
export type OutcomeName = (typeof OUTCOME_NAMES)[number]
/** background, blocking or dynamic. */
export type RenderModeName = (typeof RENDER_MODE_NAMES)[number]

export type TraceEvent =
  | { readonly kind: 'request'; readonly atUs: number; readonly route: string; readonly path: number; readonly outcome: OutcomeName; readonly ageUs: number; readonly latencyUs: number; readonly instance: number; /** The route's crawler (index in traffic.crawlers) that sent it; absent for human traffic. */ readonly crawler?: number }
  | { readonly kind: 'render'; readonly atUs: number; readonly route: string; readonly path: number; readonly mode: RenderModeName; readonly endUs: number; readonly ok: boolean; readonly instance: number; /** The build it renders for: deploys before the request that started it (absent before the first deploy). */ readonly build?: number }
  | { readonly kind: 'render-done'; readonly atUs: number; readonly route: string; readonly path: number; readonly ok: boolean }
  | { readonly kind: 'on-demand'; readonly atUs: number; readonly event: number; readonly entriesTouched: number }
  | { readonly kind: 'fetch'; readonly atUs: number; readonly fetch: string; readonly key: number; readonly mode: 'foreground' | 'background'; readonly ok: boolean; readonly instance: number }
  | { readonly kind: 'data-change'; readonly atUs: number; readonly change: number; readonly keys: readonly { readonly fetch: string; readonly key: number }[] }
  | { readonly kind: 'webhook'; readonly atUs: number; readonly change: number; readonly path: number }
  | { readonly kind: 'deploy'; readonly atUs: number; readonly deploy: number; readonly prerender: boolean; readonly rendersDiscarded: number }
  | { readonly kind: 'purge'; readonly atUs: number; readonly purge: number; readonly entriesDropped: number }
  /** A user's request at the CDN (§16): what the PoP served and what it sent to Next (whose own response is the 'request' event at the same time). */
  | { readonly kind: 'cdn'; readonly atUs: number; readonly route: string; readonly path: number; readonly pop: number; readonly outcome: 'hit' | 'stale' | 'miss'; readonly ageUs: number; readonly latencyUs: number; readonly forwarded: 'none' | 'foreground' | 'background'; /** The route's crawler that sent it, as on 'request'; absent for human traffic. */ readonly crawler?: number }

export type TraceSink = (e: TraceEvent) => void
