/**
 * Structural regressions between a baseline result and this one, route by route: a cached
 * route that became dynamic, an effective revalidate that dropped, popular paths that are no
 * longer prebuilt. These fail the gate whatever the thresholds and tolerances say: they are
 * changes of code, not noise. Where the result carries the route's `source` (scenarios written
 * by `isrsim import`), the failure names the file, the line and the cause.
 */
import type { RouteResult, SimResult, StructureCheck } from '../contract.ts'

const revalidateLabel = (v: number | false) => (v === false ? 'false (never by time)' : v === 0 ? '0 (dynamic)' : `${v} s`)
/** Seconds until stale: false (never) is infinitely long. */
const span = (v: number | false) => (v === false ? Infinity : v)

/** Why this route is dynamic, in the words of its source when there is one. */
function dynamicCause(r: RouteResult, base: RouteResult): string {
  const lost = base.source?.generateStaticParams !== undefined && r.source !== undefined && r.source.generateStaticParams === undefined && r.pattern.includes('[')
  const causes = [...(r.source?.dynamic ?? [])]
  if (lost) causes.unshift(`${r.source!.page} no longer exports generateStaticParams (it was at ${base.source!.generateStaticParams})`)
  return causes.length > 0 ? causes.join('; ') : r.revalidateSource
}

export function structureChecks(result: SimResult, baseline: SimResult): StructureCheck[] {
  const out: StructureCheck[] = []
  for (const [id, r] of Object.entries(result.routes)) {
    const b = baseline.routes[id]
    if (!b) continue
    const name = r.pattern
    const wasCached = b.effectiveRevalidateS !== 0
    const isCached = r.effectiveRevalidateS !== 0
    if (wasCached && !isCached) {
      out.push({ kind: 'structure', route: id, pattern: name, change: 'became-dynamic', baseline: revalidateLabel(b.effectiveRevalidateS), value: revalidateLabel(r.effectiveRevalidateS), pass: false, why: `${name} became dynamic: ${dynamicCause(r, b)}` })
      continue
    }
    if (!isCached) continue
    if (span(r.effectiveRevalidateS) < span(b.effectiveRevalidateS)) {
      const by = r.source?.revalidate ?? r.revalidateSource
      out.push({ kind: 'structure', route: id, pattern: name, change: 'revalidate-lowered', baseline: revalidateLabel(b.effectiveRevalidateS), value: revalidateLabel(r.effectiveRevalidateS), pass: false, why: `${name} revalidate dropped from ${revalidateLabel(b.effectiveRevalidateS)} to ${revalidateLabel(r.effectiveRevalidateS)}: ${by}` })
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
