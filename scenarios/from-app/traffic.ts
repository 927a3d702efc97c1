/**
 * A committed traffic profile applied to a freshly imported app: what `isrsim check --app`
 * and `isrsim import --traffic` do. The profile is a scenario (usually one `isrsim import
 * --log` wrote and the team committed); its routes are matched to the app's by pattern, then
 * by id. The app decides the caching structure (revalidate, layouts, fetches, prebuilt paths);
 * the profile gives what a build cannot know: traffic, real paths seen in logs, render times,
 * the deployment, the cost inputs, budgets and the scenario's name (so baselines match).
 */
import type { Scenario, ScenarioInput } from '../../sim/index.ts'

type RouteInput = ScenarioInput['routes'][number]

export interface AppliedTraffic {
  readonly scenario: ScenarioInput
  readonly warnings: readonly string[]
}

/** Real paths: the app's prerendered ones first, then the profile's others, in its order. */
function mergePaths(app: readonly string[] | undefined, profile: readonly string[] | undefined): string[] | undefined {
  if (!profile || profile.length === 0) return app === undefined ? undefined : [...app]
  const out = [...(app ?? [])]
  const seen = new Set(out)
  for (const p of profile) if (!seen.has(p)) { seen.add(p); out.push(p) }
  return out
}

export function applyTraffic(app: ScenarioInput, profile: Scenario, profileFile: string): AppliedTraffic {
  const warnings: string[] = []
  const byPattern = new Map(profile.routes.map((r) => [r.pattern, r]))
  const byId = new Map(profile.routes.map((r) => [r.id, r]))
  const used = new Set<string>()
  const routes: RouteInput[] = app.routes.map((r) => {
    const t = byPattern.get(r.pattern) ?? byId.get(r.id)
    if (!t) {
      warnings.push(`${r.pattern} (route ${r.id}) has no traffic in ${profileFile}: it keeps the placeholder (${r.traffic.rps} req/s); add it to the profile (isrsim traffic) to measure it`)
      return r
    }
    used.add(t.id)
    const paths = mergePaths(r.params?.paths, t.params?.paths)
    const prebuilt = r.params?.prebuilt ?? r.params?.count ?? 1
    const count = Math.max(r.params?.count ?? 1, t.params?.count ?? 1, paths?.length ?? 0)
    const params = r.params === undefined && count === 1 ? undefined : { ...r.params, count, prebuilt: Math.min(prebuilt, count), ...(paths ? { paths } : {}) }
    const { placeholder: _p, ...traffic } = t.traffic
    return {
      ...r,
      // The profile's id, so that its thresholds, events and the baseline's routes still name this route.
      id: t.id,
      renderS: t.renderS,
      failureRate: t.failureRate,
      ...(t.pageSizeKb !== undefined ? { pageSizeKb: t.pageSizeKb } : {}),
      ...(params ? { params } : {}),
      traffic: t.traffic.placeholder ? t.traffic : traffic,
    }
  })
  for (const t of profile.routes) if (!used.has(t.id)) warnings.push(`route ${t.id} (${t.pattern}) of ${profileFile} is not a page of the app any more: its traffic is dropped`)
  const { imported, routes: _r, ...top } = app
  const scenario: ScenarioInput = {
    ...top,
    name: profile.name,
    ...(profile.description !== undefined ? { description: profile.description } : {}),
    seed: profile.seed,
    durationS: profile.durationS,
    warmupS: profile.warmupS,
    buildAgeS: profile.buildAgeS,
    routes,
    ...(profile.diurnal ? { diurnal: profile.diurnal } : {}),
    ...(profile.deployment ? { deployment: profile.deployment } : {}),
    ...(profile.cost ? { cost: profile.cost } : {}),
    ...(profile.thresholds ? { thresholds: profile.thresholds } : {}),
    ...(profile.outages.length > 0 ? { outages: profile.outages } : {}),
    ...(profile.onDemand.length > 0 ? { onDemand: profile.onDemand } : {}),
    ...(profile.dataChanges.length > 0 ? { dataChanges: profile.dataChanges } : {}),
    ...(profile.restarts.length > 0 ? { restarts: profile.restarts } : {}),
    ...(imported ? { imported: { ...imported, warnings: [...(imported.warnings ?? []), ...warnings] } } : {}),
  }
  return { scenario, warnings }
}
