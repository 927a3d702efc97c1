/**
 * What the schema cannot say field by field: unique route and fetch ids, templated tags that
 * name a param of their route, real paths that match the pattern, on-demand calls and data
 * changes that reach some page, instances in range, thresholds that name real metrics. Every
 * problem is reported at its field path, with the value and what is allowed.
 */
import type * as z from 'zod'
import { profileFor } from '../isr/profiles.ts'
import { pathsUnder } from '../isr/deploys.ts'
import { changeRouteOf, eventTags, exampleTags, fillTemplate, tagMatchesTemplate, targetsOfTag, templateIndexesIn, urlMatchesPattern } from '../isr/tags.ts'
import { conditionProblem, metricProblem } from './metric-paths.ts'
import type { Scenario } from './schema.ts'

export function checkScenario(s: Scenario, ctx: z.RefinementCtx<Scenario>): void {
  const ids = new Map<string, number>()
  const fetchIds = new Map<string, { key: string; at: string; kind: string }>()
  s.routes.forEach((r, i) => {
    const first = ids.get(r.id)
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['routes', i, 'id'], input: r.id, message: `is already used by routes[${first}]; route ids must be unique` })
    else ids.set(r.id, i)
    const count = r.params?.count ?? 1
    const dynamicSegment = /\[/.test(r.pattern)
    if (!dynamicSegment && count !== 1) ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'count'], input: count, message: `must be 1 for a pattern without a [param] segment ("${r.pattern}")` })
    if (r.params?.prebuilt !== undefined && r.params.prebuilt > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'prebuilt'], input: r.params.prebuilt, message: `must be at most params.count (${count})` })
    if (typeof r.renderS === 'object' && r.renderS.lognormal.p95S < r.renderS.lognormal.medianS) ctx.addIssue({ code: 'custom', path: ['routes', i, 'renderS', 'lognormal', 'p95S'], input: r.renderS.lognormal.p95S, message: `must be >= medianS (${r.renderS.lognormal.medianS})` })
    const params = [...r.pattern.matchAll(/\[{1,2}(?:\.\.\.)?([^\]]+)\]{1,2}/g)].map((m) => m[1]!)
    r.fetches.forEach((f, j) => {
      f.tags.forEach((t, k) => {
        for (const m of t.matchAll(/\{([^}]*)\}/g)) {
          if (!params.includes(m[1]!)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'fetches', j, 'tags', k], input: t, message: `uses {${m[1]}}, which is not a param of "${r.pattern}" (params: ${params.length ? params.map((p) => `{${p}}`).join(', ') : 'none'})` })
        }
      })
      const seen = fetchIds.get(f.id)
      const key = JSON.stringify({ revalidateS: f.revalidateS ?? null, tags: f.tags, latencyS: f.latencyS, failureRate: f.failureRate, perPath: f.perPath ?? null })
      // One id is one cache key: a fetch and an unstable_cache or 'use cache' function cannot share it (§13).
      const kind = f.kind ?? 'fetch'
      if (seen && seen.kind !== kind) ctx.addIssue({ code: 'custom', path: ['routes', i, 'fetches', j, 'kind'], input: kind, message: `is "${kind}" but ${seen.at} uses the id "${f.id}" as "${seen.kind}"; one fetch id is one cache key, so its kind must match` })
      else if (seen && seen.key !== key) ctx.addIssue({ code: 'custom', path: ['routes', i, 'fetches', j, 'id'], input: f.id, message: `is also used by ${seen.at} with different settings; one fetch id is one URL, so its revalidateS, tags, latencyS, failureRate and perPath must match` })
      else if (!seen) fetchIds.set(f.id, { key, at: `routes[${i}].fetches[${j}]`, kind })
    })
    const sch = r.traffic.schedule
    if (sch) {
      const bad = sch.atS.findIndex((t, j) => j > 0 && t < (sch.atS[j - 1] as number))
      if (bad > 0) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'schedule', 'atS', bad], input: sch.atS[bad], message: `must not be earlier than the time before it (${sch.atS[bad - 1]}); times are ascending` })
      if (sch.path && sch.path.length !== sch.atS.length) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'schedule', 'path'], input: sch.path.length, message: `must have one entry per time (${sch.atS.length})` })
      const over = sch.path?.findIndex((p) => p >= count) ?? -1
      if (over >= 0) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'schedule', 'path', over], input: sch.path![over], message: `must be a path index below params.count (${count})` })
    }
    const real = r.params?.paths
    if (real) {
      if (real.length > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'paths'], input: real.length, message: `has ${real.length} paths, more than params.count (${count})` })
      const seenPath = new Map<string, number>()
      for (let j = 0; j < real.length; j++) {
        const u = real[j]!
        const prev = seenPath.get(u)
        if (prev !== undefined) { ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'paths', j], input: u, message: `repeats params.paths[${prev}]; each path is listed once` }); break }
        seenPath.set(u, j)
        if (u.startsWith('/') && !urlMatchesPattern(r.pattern, u)) { ctx.addIssue({ code: 'custom', path: ['routes', i, 'params', 'paths', j], input: u, message: `is not a URL of the pattern "${r.pattern}"` }); break }
      }
    }
    const pop = r.traffic.popularity
    if (typeof pop === 'object' && 'weights' in pop) {
      if (pop.weights.length > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'popularity', 'weights'], input: pop.weights.length, message: `has ${pop.weights.length} weights, more than params.count (${count})` })
      if (r.traffic.rps > 0 && !pop.weights.some((w) => w > 0)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'popularity', 'weights'], input: pop.weights.slice(0, 10), message: 'must have at least one positive weight when rps > 0' })
    }
    r.traffic.crawlers?.forEach((c, j) => {
      if (c.paths !== undefined && c.paths > count) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'crawlers', j, 'paths'], input: c.paths, message: `must be at most params.count (${count})` })
      // The same ceiling as traffic.rps: a crawler sends paths / revisitS requests a second.
      const walked = Math.min(c.paths ?? count, count)
      if (c.revisitS > 0 && walked / c.revisitS > 1e7) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'crawlers', j, 'revisitS'], input: c.revisitS, message: `makes ${walked} paths every ${c.revisitS} s = ${(walked / c.revisitS).toPrecision(3)} requests/s, above the limit of 1e7 requests/s: must be >= ${walked / 1e7}` })
    })
    if (r.traffic.diurnal && r.traffic.rps > 0 && !r.traffic.diurnal.hourly.some((m) => m > 0)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'traffic', 'diurnal', 'hourly'], input: r.traffic.diurnal.hourly, message: 'must have at least one positive multiplier when rps > 0' })
  })
  s.onDemand.forEach((e, i) => {
    const at = (field: string) => ['onDemand', i, field]
    const when = [e.atS !== undefined && e.everyS === undefined, e.everyS !== undefined, e.ratePerS !== undefined].filter(Boolean).length
    if (when !== 1 || (e.ratePerS !== undefined && e.atS !== undefined)) ctx.addIssue({ code: 'custom', path: ['onDemand', i], input: { atS: e.atS, everyS: e.everyS, ratePerS: e.ratePerS }, message: 'needs exactly one schedule: atS (one-off), everyS (periodic, optionally starting at atS) or ratePerS (Poisson)' })
    if (e.kind === 'revalidatePath' || e.kind === 'res.revalidate') {
      if (e.path === undefined) ctx.addIssue({ code: 'custom', path: at('path'), message: `is required for ${e.kind}` })
      if (e.tag !== undefined) ctx.addIssue({ code: 'custom', path: at('tag'), input: e.tag, message: `is not used by ${e.kind} (use path)` })
      if (e.profile !== undefined) ctx.addIssue({ code: 'custom', path: at('profile'), input: e.profile, message: 'is only for revalidateTag' })
    } else {
      if (e.tag === undefined) ctx.addIssue({ code: 'custom', path: at('tag'), message: `is required for ${e.kind}` })
      if (e.path !== undefined) ctx.addIssue({ code: 'custom', path: at('path'), input: e.path, message: `is not used by ${e.kind} (use tag)` })
      if (e.type !== undefined) ctx.addIssue({ code: 'custom', path: at('type'), input: e.type, message: 'is only for revalidatePath' })
      if (e.kind === 'updateTag' && e.profile !== undefined) ctx.addIssue({ code: 'custom', path: at('profile'), input: e.profile, message: 'is only for revalidateTag (updateTag always expires at once)' })
    }
    const tags = eventTags(e, s.next.version)
    if (tags !== null && tags.length > 0 && tags.every((t) => targetsOfTag(t, s.routes, true).length === 0)) {
      if (e.kind === 'revalidatePath') {
        ctx.addIssue({ code: 'custom', path: at('path'), input: e.path, message: `matches no path of any route (path k of "/blog/[slug]" is "/blog/k", k < params.count; a route file path such as "/blog/[slug]" needs type "page" or "layout")` })
      } else {
        ctx.addIssue({ code: 'custom', path: at('tag'), input: e.tag, message: `is not a tag of any route (examples of tags here: ${exampleTags(s).map((t) => JSON.stringify(t)).join(', ')})` })
      }
    }
    const instances = s.deployment?.instances ?? 1
    if (e.instance >= instances) ctx.addIssue({ code: 'custom', path: at('instance'), input: e.instance, message: `must be below deployment.instances (${instances})` })
    targetProblem(e, ['onDemand', i], ctx)
    if (e.kind === 'updateTag' && !profileFor(s.next.version).hasUpdateTag) {
      ctx.addIssue({ code: 'custom', path: at('kind'), input: e.kind, message: `updateTag exists only from Next 16 (Server Actions); next.version is "${s.next.version}": use revalidateTag` })
    }
  })
  s.dataChanges.forEach((c, i) => {
    const at = (field: string) => ['dataChanges', i, field]
    if ((c.tag === undefined) === (c.fetch === undefined)) ctx.addIssue({ code: 'custom', path: ['dataChanges', i], input: { tag: c.tag, fetch: c.fetch }, message: 'needs exactly one of tag or fetch' })
    const when = [c.atS !== undefined && c.everyS === undefined, c.everyS !== undefined, c.ratePerS !== undefined].filter(Boolean).length
    if (when !== 1 || (c.ratePerS !== undefined && c.atS !== undefined)) ctx.addIssue({ code: 'custom', path: ['dataChanges', i], input: { atS: c.atS, everyS: c.everyS, ratePerS: c.ratePerS }, message: 'needs exactly one schedule: atS (one-off), everyS (periodic, optionally starting at atS) or ratePerS (Poisson)' })
    if (c.fetch !== undefined && !s.routes.some((r) => r.fetches.some((f) => f.id === c.fetch))) ctx.addIssue({ code: 'custom', path: at('fetch'), input: c.fetch, message: `is not a fetch id of any route (known: ${[...new Set(s.routes.flatMap((r) => r.fetches.map((f) => f.id)))].map((x) => JSON.stringify(x)).join(', ') || 'none'})` })
    if (c.tag !== undefined && !s.routes.some((r) => r.fetches.some((f) => f.tags.some((t) => t === c.tag || tagMatchesTemplate(t, c.tag!) || (t.includes('{') && templateIndexesIn(t, c.tag!, r).length > 0))))) ctx.addIssue({ code: 'custom', path: at('tag'), input: c.tag, message: `is not a tag of any fetch (fetch tags here: ${[...new Set(s.routes.flatMap((r) => r.fetches.flatMap((f) => f.tags)))].map((x) => JSON.stringify(x)).join(', ') || 'none'})` })
    const w = c.webhook
    if (w) {
      if (w.kind === 'revalidatePath' ? w.path === undefined : w.tag === undefined) ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook'], input: w, message: w.kind === 'revalidatePath' ? 'needs path for revalidatePath' : `needs tag for ${w.kind}` })
      // A webhook is a route handler, where updateTag throws ("can only be called from within a Server Action").
      if (w.kind === 'updateTag') ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook', 'kind'], input: w.kind, message: 'updateTag works only inside a Server Action; a webhook is a route handler, where it throws: use revalidateTag or revalidatePath' })
      const instances = s.deployment?.instances ?? 1
      if (w.instance >= instances) ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook', 'instance'], input: w.instance, message: `must be below deployment.instances (${instances})` })
      targetProblem(w, ['dataChanges', i, 'webhook'], ctx)
      const route = changeRouteOf(c, s.routes)
      const sample = { kind: w.kind, tag: w.tag === undefined ? undefined : fillTemplate(w.tag, 0, route), path: w.path === undefined ? undefined : fillTemplate(w.path, 0, route), type: w.type }
      const tags = eventTags(sample, s.next.version)
      if (tags !== null && tags.length > 0 && tags.every((t) => targetsOfTag(t, s.routes, true).length === 0)) ctx.addIssue({ code: 'custom', path: ['dataChanges', i, 'webhook', w.kind === 'revalidatePath' ? 'path' : 'tag'], input: w.kind === 'revalidatePath' ? w.path : w.tag, message: 'matches no page (checked with {…} = 0)' })
    }
  })
  s.restarts.forEach((r, i) => {
    const instances = s.deployment?.instances ?? 1
    if (r.instance !== undefined && r.instance >= instances) ctx.addIssue({ code: 'custom', path: ['restarts', i, 'instance'], input: r.instance, message: `must be below deployment.instances (${instances})` })
  })
  // On Vercel the ISR cache is the CDN (§16): there is no separate layer to put in front.
  if (s.deployment?.platform === 'vercel' && s.deployment.cdn !== undefined) ctx.addIssue({ code: 'custom', path: ['deployment', 'cdn'], input: s.deployment.cdn, message: 'is not allowed with deployment.platform "vercel": Vercel\'s CDN is its ISR cache, so there is no separate CDN layer in front of Next; remove deployment.cdn (or use platform "self-hosted")' })
  // §8.2: the Redis handler (ignored with local caches) deletes at once, so nothing propagates late; not Vercel's cache.
  const d = s.deployment
  if (d?.cacheHandler !== undefined && d.platform === 'vercel') ctx.addIssue({ code: 'custom', path: ['deployment', 'cacheHandler'], input: d.cacheHandler, message: 'is not allowed with deployment.platform "vercel": Vercel\'s CDN is the ISR cache there; use platform "self-hosted"' })
  if (d?.cacheHandler === 'fortedigital-redis' && d.tagPropagationS > 0) ctx.addIssue({ code: 'custom', path: ['deployment', 'tagPropagationS'], input: d.tagPropagationS, message: 'must be 0 with cacheHandler "fortedigital-redis": its revalidateTag deletes the entries in Redis, which every instance reads at once' })
  const eventWhen = (list: 'deploys' | 'purges', e: { readonly atS?: number | undefined; readonly everyS?: number | undefined }, i: number) => {
    if (e.atS === undefined && e.everyS === undefined) ctx.addIssue({ code: 'custom', path: [list, i], input: e, message: 'needs atS (one-off) or everyS (periodic, from atS or from everyS)' })
    const first = e.atS ?? e.everyS
    if (first !== undefined && first >= s.durationS) ctx.addIssue({ code: 'custom', path: [list, i, e.atS !== undefined ? 'atS' : 'everyS'], input: first, message: `must be less than durationS (${s.durationS}): a ${list === 'deploys' ? 'deploy' : 'purge'} at or after the end of the run never happens` })
  }
  s.deploys.forEach((d, i) => eventWhen('deploys', d, i))
  s.purges.forEach((x, i) => {
    eventWhen('purges', x, i)
    if (x.prefix !== undefined && x.prefix.startsWith('/') && !s.routes.some((r) => { const p = pathsUnder(r, x.prefix!); return p === 'all' || p.length > 0 })) {
      ctx.addIssue({ code: 'custom', path: ['purges', i, 'prefix'], input: x.prefix, message: `reaches no path of any route (path k of "/blog/[slug]" is "/blog/k"; "/blog" reaches "/blog" and everything under it); omit prefix to purge everything` })
    }
  })
  if (s.thresholds) {
    for (const [metric, conds] of Object.entries(s.thresholds)) {
      const bad = metricProblem(metric, s.routes.map((r) => r.id), s.routes.flatMap((r) => r.fetches.map((f) => f.id)))
      if (bad !== null) ctx.addIssue({ code: 'custom', path: ['thresholds', metric], input: metric, message: bad })
      conds.forEach((c, j) => {
        const e = conditionProblem(c)
        if (e !== null) ctx.addIssue({ code: 'custom', path: ['thresholds', metric, j], input: c, message: e })
      })
    }
  }
  if (s.diurnal && !s.diurnal.hourly.some((m) => m > 0)) ctx.addIssue({ code: 'custom', path: ['diurnal', 'hourly'], input: s.diurnal.hourly, message: 'must have at least one positive multiplier' })
  if (s.warmupS >= s.durationS) ctx.addIssue({ code: 'custom', path: ['warmupS'], input: s.warmupS, message: `must be less than durationS (${s.durationS})` })
  s.outages.forEach((o, i) => {
    if (o.toS <= o.fromS) ctx.addIssue({ code: 'custom', path: ['outages', i, 'toS'], input: o.toS, message: `must be greater than fromS (${o.fromS})` })
    o.routes?.forEach((id, j) => {
      if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['outages', i, 'routes', j], input: id, message: `is not a route id (known: ${[...ids.keys()].map((k) => `"${k}"`).join(', ')})` })
    })
  })
}

/** `target` "all" or "balancer" chooses the receiving instance itself: `instance` must then be left out (it defaults to 0). */
function targetProblem(e: { readonly target?: 'instance' | 'all' | 'balancer' | undefined; readonly instance: number }, at: (string | number)[], ctx: z.RefinementCtx<Scenario>): void {
  if (e.target !== undefined && e.target !== 'instance' && e.instance !== 0) ctx.addIssue({ code: 'custom', path: [...at, 'instance'], input: e.instance, message: `is only for target "instance"; with target "${e.target}" the ${e.target === 'all' ? 'call reaches every instance' : 'load balancer picks the instance'}: leave instance out` })
}
