/**
 * Structural gate checks: a cached route that became dynamic, an effective revalidate that
 * dropped, popular paths that are no longer prebuilt. These fail the gate whatever the
 * thresholds and tolerances say: they are changes of code, not noise.
 *
 * With a baseline, each route is compared with its baseline (structureChecks). Without one
 * (and for routes the baseline does not have), the scenario is held against what its own
 * route asks for (intentChecks, see README "check"):
 * - a route that asks to be cached (its page or a layout sets revalidate >= 1 s, or it
 *   prebuilds paths through generateStaticParams) but is dynamic because of a layout, a
 *   segment or a no-store fetch (not its own page's request APIs or revalidate = 0) fails,
 *   unless the route says `intent: "dynamic"`;
 * - a page that declares revalidate N s but regenerates more often because a layout or a
 *   fetch sets less fails (the lowest value wins): raise that value, or declare it on the page.
 * Where the scenario carries the route's `source` (scenarios written by `isrsim import`), the
 * failure names the file, the line and the cause.
 */
import type { RouteResult, SimResult, StructureCheck } from '../contract.ts'
import type { RouteConfig, Scenario } from '../scenario/schema.ts'

const revalidateLabel = (v: number | false) => (v === false ? 'false (never by time)' : v === 0 ? '0 (dynamic)' : `${v} s`)
/** Seconds until stale: false (never) is infinitely long. */
const span = (v: number | false) => (v === false ? Infinity : v)
/** The model's words ("layouts[0] calls request APIs") with the root layout named as such. */
const rootNamed = (text: string) => text.replace(/\blayouts\[0\]/g, 'the root layout (layouts[0])')

/** Why this route is dynamic, in the words of its source when there is one. */
function dynamicCause(r: RouteResult, base: RouteResult): string {
  const lost = base.source?.generateStaticParams !== undefined && r.source !== undefined && r.source.generateStaticParams === undefined && r.pattern.includes('[')
  const causes = [...(r.source?.dynamic ?? [])]
  if (lost) causes.unshift(`${r.source!.page} no longer exports generateStaticParams (it was at ${base.source!.generateStaticParams})`)
  return causes.length > 0 ? causes.join('; ') : rootNamed(r.revalidateSource)
}

const INTENT_NOTE = 'mark the route intent: "dynamic" if it is dynamic on purpose'

/** A route the scenario marks as dynamic on purpose: passes, whatever made it dynamic. */
function onPurpose(id: string, r: RouteResult, baseline?: string): StructureCheck {
  return { kind: 'structure', route: id, pattern: r.pattern, change: 'none', baseline: baseline ?? 'intent: "dynamic"', value: revalidateLabel(r.effectiveRevalidateS), pass: true, why: `${r.pattern} is dynamic on purpose (intent: "dynamic"): ${rootNamed(r.revalidateSource)}` }
}

export function structureChecks(result: SimResult, baseline: SimResult, scenario?: Scenario): StructureCheck[] {
  const out: StructureCheck[] = []
  for (const [id, r] of Object.entries(result.routes)) {
    const b = baseline.routes[id]
    if (!b) continue
    const name = r.pattern
    const wasCached = b.effectiveRevalidateS !== 0
    const isCached = r.effectiveRevalidateS !== 0
    if (wasCached && !isCached) {
      if (scenario?.routes.find((x) => x.id === id)?.intent === 'dynamic') {
        out.push(onPurpose(id, r, revalidateLabel(b.effectiveRevalidateS)))
        continue
      }
      out.push({ kind: 'structure', route: id, pattern: name, change: 'became-dynamic', baseline: revalidateLabel(b.effectiveRevalidateS), value: revalidateLabel(r.effectiveRevalidateS), pass: false, why: `${name} became dynamic: ${dynamicCause(r, b)}` })
      continue
    }
    if (!isCached) continue
    if (span(r.effectiveRevalidateS) < span(b.effectiveRevalidateS)) {
      const by = r.source?.revalidate ?? r.revalidateSource
      out.push({ kind: 'structure', route: id, pattern: name, change: 'revalidate-lowered', baseline: revalidateLabel(b.effectiveRevalidateS), value: revalidateLabel(r.effectiveRevalidateS), pass: false, why: `${name} revalidate dropped from ${revalidateLabel(b.effectiveRevalidateS)} to ${revalidateLabel(r.effectiveRevalidateS)}: ${rootNamed(by)}` })
      continue
    }
    if (r.prebuilt < b.prebuilt) {
      const lost = b.source?.generateStaticParams !== undefined && r.source !== undefined && r.source.generateStaticParams === undefined
      const why = lost
        ? `${name} is no longer prebuilt: ${r.source!.page} no longer exports generateStaticParams (it was at ${b.source!.generateStaticParams}); each of its ${b.prebuilt} popular paths now costs a blocking render on its first visit`
        : `${name} prebuilds ${r.prebuilt} paths instead of ${b.prebuilt}: the ${b.prebuilt - r.prebuilt} most popular of the others now cost a blocking render on their first visit`
      out.push({ kind: 'structure', route: id, pattern: name, change: 'fewer-prebuilt', baseline: String(b.prebuilt), value: String(r.prebuilt), pass: false, why })
      continue
    }
    out.push({ kind: 'structure', route: id, pattern: name, change: 'none', baseline: revalidateLabel(b.effectiveRevalidateS), value: revalidateLabel(r.effectiveRevalidateS), pass: true, why: `${name}: cached, revalidate ${revalidateLabel(r.effectiveRevalidateS)}, ${r.prebuilt} prebuilt (baseline: ${revalidateLabel(b.effectiveRevalidateS)}, ${b.prebuilt})` })
  }
  return out
}

/** What in the route asks for its pages to be cached, or null: the page's or a layout's revalidate, generateStaticParams. */
export function cacheAsk(route: RouteConfig): string | null {
  if (typeof route.revalidateS === 'number' && route.revalidateS >= 1) return `its page sets revalidate ${route.revalidateS} s`
  const layout = route.layouts.findIndex((l) => typeof l.revalidateS === 'number' && l.revalidateS >= 1)
  if (layout >= 0) return `${rootNamed(`layouts[${layout}]`)} sets revalidate ${String(route.layouts[layout]!.revalidateS)} s`
  if (route.source?.generateStaticParams !== undefined) return `${route.source.page} exports generateStaticParams (${route.source.generateStaticParams})`
  const prebuilt = route.params?.prebuilt
  if (route.pattern.includes('[') && prebuilt !== undefined && prebuilt > 0) return `it prebuilds ${prebuilt} paths (generateStaticParams)`
  return null
}

/** What makes the route dynamic apart from its own page (layouts, segments, no-store fetches), in its source's words when it has one. */
function causesElsewhere(route: RouteConfig): string[] {
  const causes: string[] = []
  route.layouts.forEach((l, i) => {
    if (l.dynamic) causes.push(`layouts[${i}] calls request APIs`)
    if (l.revalidateS === 0) causes.push(`layouts[${i}] revalidate = 0`)
  })
  for (const f of route.fetches) if (f.revalidateS === 0) causes.push(`fetch "${f.id}" is no-store (revalidate 0)`)
  if (causes.length === 0) return []
  const files = route.source?.dynamic ?? []
  return files.length > 0 ? [...files] : causes.map(rootNamed)
}

/** The scenario's routes held against what they ask for: no baseline needed. Routes absent from `only` (when given) are skipped. */
export function intentChecks(result: SimResult, scenario: Scenario, only?: ReadonlySet<string>): StructureCheck[] {
  const out: StructureCheck[] = []
  for (const route of scenario.routes) {
    const r = result.routes[route.id]
    if (r === undefined || (only !== undefined && !only.has(route.id))) continue
    const id = route.id, name = r.pattern
    const eff = r.effectiveRevalidateS
    if (eff === 0) {
      if (route.intent === 'dynamic') { out.push(onPurpose(id, r)); continue }
      const ask = cacheAsk(route)
      const pageOwn = route.dynamic || route.revalidateS === 0
      const causes = causesElsewhere(route)
      if (ask !== null && !pageOwn && causes.length > 0) {
        out.push({ kind: 'structure', route: id, pattern: name, change: 'dynamic-unintended', baseline: 'cached', value: revalidateLabel(0), pass: false, why: `${name} is dynamic although ${ask}: ${causes.join('; ')} (${INTENT_NOTE})` })
      } else {
        out.push({ kind: 'structure', route: id, pattern: name, change: 'none', baseline: ask === null ? 'no cache settings' : 'dynamic by its page', value: revalidateLabel(0), pass: true, why: `${name}: dynamic by ${pageOwn ? 'its own page' : 'design (it sets no revalidate and no generateStaticParams)'}: ${rootNamed(r.revalidateSource)}` })
      }
      continue
    }
    const declared = route.revalidateS
    if (typeof declared === 'number' && typeof eff === 'number' && eff < declared) {
      const by = rootNamed(route.source?.revalidate ?? r.revalidateSource)
      out.push({ kind: 'structure', route: id, pattern: name, change: 'revalidate-lowered', baseline: `page: ${revalidateLabel(declared)}`, value: revalidateLabel(eff), pass: false, why: `${name} revalidates every ${eff} s, not the ${declared} s its page declares: ${by} sets ${eff} s (the lowest value wins; raise it, or declare revalidate = ${eff} on the page if that is meant)` })
      continue
    }
    out.push({ kind: 'structure', route: id, pattern: name, change: 'none', baseline: typeof declared === 'number' ? `page: ${revalidateLabel(declared)}` : 'page: none', value: revalidateLabel(eff), pass: true, why: `${name}: cached, revalidate ${revalidateLabel(eff)} (${rootNamed(r.revalidateSource)}), ${r.prebuilt} prebuilt` })
  }
  return out
}
