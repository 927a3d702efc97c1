/**
 * The version × switch matrix (sim/isr/profiles.ts, sim/versions.ts): every profile's value of
 * every switch, against a table written here and against docs/semantics.md's, and for every
 * profile and switch one behaviour the switch decides, run through the simulator. A switch the
 * model stopped reading, or read with a rule of its own, fails here for the profiles where it
 * matters. Reproduce one: npx vitest run test/profiles.test.ts -t "<switch>".
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { NEXT_PINS } from '../loadtest/app.ts'
import { createEngine } from '../sim/kernel/engine.ts'
import { createStreams } from '../sim/kernel/rng.ts'
import { secToUs } from '../sim/kernel/time.ts'
import { Metrics } from '../sim/isr/metrics.ts'
import { createIsrModel } from '../sim/isr/model.ts'
import { profileFor, type VersionProfile } from '../sim/isr/profiles.ts'
import { NEXT_VERSIONS, parseScenario, PROFILE_RELEASES, profileOfRelease, ScenarioError, type NextVersion, type ScenarioInput } from '../sim/index.ts'
import { seriesBinS } from '../sim/run.ts'
import { traced } from './helpers.ts'

type Switch = Exclude<keyof VersionProfile, 'version'>

/** The table, written out: switch -> [14, 15, 16.0, 16.3, 16.4]. */
const MATRIX: Record<Switch, readonly [unknown, unknown, unknown, unknown, unknown]> = {
  routeHandlerStaticByDefault: [true, false, false, false, false],
  routeHandlerTagged: [false, true, true, true, true],
  buildRefetchesStaleData: [false, false, true, true, true],
  enforcesExpire: [false, false, false, true, true],
  backoffSetsExpire: [false, true, true, true, true],
  tagModel: ['revalidated-at', 'revalidated-at', 'stale-expired', 'stale-expired', 'stale-expired'],
  normalisesPathTags: [false, true, true, true, true],
  hasUpdateTag: [false, false, true, true, true],
  cachesPlainFetch: [true, false, false, false, false],
  tagsSurviveRestart: [true, false, false, false, false],
  persistsCacheControl: [false, false, false, false, true],
  hasUseCache: [false, true, true, true, true],
  hasCacheComponents: [false, false, true, true, true],
  maxPresetExpire: ['never', 'never', '1 year', '1 year', '1 year'],
  holeOnShortStale: [false, false, false, true, true],
  unstableCacheLag: [true, false, false, false, false],
  revalidatesUnrenderedFallback: [true, false, false, false, false],
  bareStaleWhileRevalidate: [true, false, false, false, false],
}
const SWITCHES = Object.keys(MATRIX) as Switch[]
const expected = (sw: Switch, v: NextVersion) => MATRIX[sw][NEXT_VERSIONS.indexOf(v)]

const route = (extra: Partial<ScenarioInput['routes'][number]> = {}): ScenarioInput['routes'][number] => ({ id: 'page', pattern: '/a', revalidateS: 3600, renderS: 0.1, fetches: [{ id: 'p', tags: ['posts'] }], traffic: { rps: 0, schedule: { atS: [] } }, ...extra })
/** One route, requested at atS (its path 0, or `path`). */
const scenario = (v: NextVersion, atS: number[], extra: Partial<ScenarioInput> = {}, r: Partial<ScenarioInput['routes'][number]> = {}, path?: number[]): ScenarioInput =>
  ({ name: 'switch', durationS: 100, next: { version: v }, routes: [route({ ...r, traffic: { rps: 0, schedule: { atS, ...(path ? { path } : {}) } } })], ...extra })

/** The record of path 0 on instance 0 after a run (the model's end state). */
function recordAfter(input: ScenarioInput): { revalidateS: number; expireS: number } {
  const s = parseScenario(input)
  const durationUs = secToUs(s.durationS)
  const metrics = new Metrics(s.routes.length, 0, secToUs(seriesBinS(s.durationS)), durationUs)
  const engine = createEngine()
  const model = createIsrModel(s, profileFor(s.next.version), createStreams('1'), metrics, engine, null)
  model.start()
  engine.run({ untilUs: durationUs, dispatch: model.dispatch, lane: model.lane, maxEvents: 1e6 })
  const st = model.endState(durationUs)
  return { revalidateS: st.slots[st.layout.revalidateUs]! / 1e6, expireS: st.slots[st.layout.expireUs]! / 1e6 }
}

/** One behaviour per switch: what the simulator does on profile v, given the switch's value there. */
const BEHAVIOUR: Record<Switch, { readonly rule: string; readonly observe: (v: NextVersion) => unknown; readonly want: (value: unknown) => unknown }> = {
  routeHandlerStaticByDefault: {
    rule: '§15.1: a route handler GET with no revalidate or dynamic export is prerendered on 14 (HIT), dynamic from 15',
    observe: (v) => traced(scenario(v, [1, 2], {}, { kind: 'route-handler', revalidateS: false })).outcomes,
    want: (on) => (on ? ['hit', 'hit'] : ['dynamic', 'dynamic']),
  },
  routeHandlerTagged: {
    rule: '§15.1: revalidateTag("posts") at 10 s reaches a cached route handler (revalidate 3600) from 15 (MISS at 11 s); on 14 it stays a HIT',
    observe: (v) => traced(scenario(v, [11], { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 10 }] }, { kind: 'route-handler' })).outcomes,
    want: (on) => [on ? 'miss' : 'hit'],
  },
  buildRefetchesStaleData: {
    rule: '§15.5: a deploy at 30 s keeping the fetch cache, whose fetch (revalidate 10, changed at 20 s) is stale: 16 refetches it (page up to date at 31 s), 14 and 15 put the old data in the page (outdated)',
    observe: (v) => traced(scenario(v, [31], { deploys: [{ atS: 30, reuseFetchCache: true }], dataChanges: [{ fetch: 'p', atS: 20 }] }, { fetches: [{ id: 'p', revalidateS: 10 }] })).result.routes.page!.outdatedServedFraction,
    want: (on) => (on ? 0 : 1),
  },
  enforcesExpire: {
    rule: '§2: a request past expire (revalidate 10 s, expireTime 20 s, at 25 s) blocks on a render, else it is served stale',
    observe: (v) => traced(scenario(v, [25], { next: { version: v, expireTimeS: 20 } }, { revalidateS: 10 })).outcomes,
    want: (on) => [on ? 'miss' : 'stale'],
  },
  backoffSetsExpire: {
    rule: '§3: a failed regeneration re-sets revalidate 3 s, and from 15 expire max(3 + 3, 2) = 6 s',
    observe: (v) => recordAfter(scenario(v, [1.5], { next: { version: v, expireTimeS: 2 } }, { revalidateS: 1, failureRate: 1 })),
    want: (on) => ({ revalidateS: 3, expireS: on ? 6 : 2 }),
  },
  tagModel: {
    rule: '§4.3: revalidateTag(tag, "max") serves the page stale on 16, but blocks (the profile ignored) on 14 and 15',
    observe: (v) => traced(scenario(v, [11], { onDemand: [{ kind: 'revalidateTag', tag: 'posts', profile: 'max', atS: 10 }] })).outcomes,
    want: (model) => [model === 'stale-expired' ? 'stale' : 'miss'],
  },
  normalisesPathTags: {
    rule: '§4.2: revalidatePath("/a/") reaches /a from 15; on 14 it names no page (rejected)',
    observe: (v) => {
      try { return traced(scenario(v, [11], { onDemand: [{ kind: 'revalidatePath', path: '/a/', atS: 10 }] })).outcomes } catch (e) { return e instanceof ScenarioError ? 'rejected' : e }
    },
    want: (on) => (on ? ['miss'] : 'rejected'),
  },
  hasUpdateTag: {
    rule: '§4.3: updateTag exists on 16 (it expires the tag: MISS); on 14 and 15 the scenario is rejected',
    observe: (v) => {
      try { return traced(scenario(v, [11], { onDemand: [{ kind: 'updateTag', tag: 'posts', atS: 10 }] })).outcomes } catch (e) { return e instanceof ScenarioError ? 'rejected' : e }
    },
    want: (on) => (on ? ['miss'] : 'rejected'),
  },
  cachesPlainFetch: {
    rule: '§5.2: a fetch with no cache option, shared by two routes regenerating 1 s apart, is fetched once on 14 (Data-Cached), twice from 15',
    observe: (v) => {
      const page = (id: string, pattern: string, atS: number) => route({ id, pattern, revalidateS: 60, fetches: [{ id: 'plain' }], traffic: { rps: 0, schedule: { atS: [atS] } } })
      const r = traced({ name: 'plain', durationS: 100, next: { version: v }, routes: [page('a', '/a', 61), page('b', '/b', 62)] }).result
      return { cached: r.fetches.plain!.cached, originFetches: r.totals.originFetches }
    },
    want: (on) => ({ cached: on, originFetches: on ? 1 : 2 }),
  },
  tagsSurviveRestart: {
    rule: '§4.3 §11.2: an invalidation not yet read survives a restart on 14 (a file), not from 15 (memory)',
    observe: (v) => traced(scenario(v, [12], { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 10 }], restarts: [{ atS: 11 }] })).outcomes,
    want: (on) => [on ? 'miss' : 'hit'],
  },
  persistsCacheControl: {
    rule: 'F2 §11.2: a path rendered on demand keeps its revalidate across a restart on 16.4; before, the 1 s default',
    observe: (v) => traced(scenario(v, [1, 7], { restarts: [{ atS: 5 }] }, { pattern: '/p/[id]', revalidateS: 60, params: { count: 2, prebuilt: 1 } }, [1, 1])).outcomes,
    want: (on) => ['miss', on ? 'hit' : 'stale'],
  },
  hasUseCache: {
    rule: '§12: a \'use cache\' function is accepted from 15 (experimental.useCache); on 14 the scenario is rejected',
    observe: (v) => {
      try { return traced(scenario(v, [1], {}, { fetches: [{ id: 'uc', kind: 'use cache', cacheLife: 'hours' }] })).outcomes.length } catch (e) { return e instanceof ScenarioError ? 'rejected' : e }
    },
    want: (on) => (on ? 1 : 'rejected'),
  },
  hasCacheComponents: {
    rule: '§12: next.cacheComponents is accepted on 16; on 14 and 15 (stable refuses it) the scenario is rejected',
    observe: (v) => {
      // No segment revalidate: next build refuses one with cacheComponents (§12).
      try { return traced(scenario(v, [1], { next: { version: v, cacheComponents: true } }, { revalidateS: false })).outcomes.length } catch (e) { return e instanceof ScenarioError ? 'rejected' : e }
    },
    want: (on) => (on ? 1 : 'rejected'),
  },
  maxPresetExpire: {
    rule: '§12.1: a cacheLife("max") function gives the route an expire of one year on 16.x; on 15.5 none (never, so next.config expireTime)',
    observe: (v) => {
      try { return traced(scenario(v, [1], {}, { fetches: [{ id: 'uc', kind: 'use cache', cacheLife: 'max' }] })).result.routes.page!.effectiveExpireS ?? 'none' } catch (e) { return e instanceof ScenarioError ? 'none' : e }
    },
    want: (max) => (max === '1 year' ? 31_536_000 : 'none'),
  },
  holeOnShortStale: {
    rule: '§12.3: under cacheComponents a \'use cache\' function with stale 10 s (revalidate 60, expire 3600) is a hole on 16.3+, in the shell on 16.0 (14 and 15 have no cacheComponents: no hole)',
    observe: (v) => {
      const next = profileFor(v).hasCacheComponents ? { version: v, cacheComponents: true } : { version: v }
      const fetches = profileFor(v).hasUseCache ? [{ id: 'uc', kind: 'use cache' as const, cacheLife: { staleS: 10, revalidateS: 60, expireS: 3600 } }] : []
      return traced(scenario(v, [1, 2], { next }, { fetches, revalidateS: false })).result.routes.page!.dynamicRenders
    },
    want: (on) => (on ? 2 : 0),
  },
  unstableCacheLag: {
    rule: '§13.2: a regeneration at 6 s finds the unstable_cache entry (revalidate 5, latency 0.5) stale: from 15.5.5/16.0 it waits for the origin (render 0.6 s), on 14 it bakes the stale value in and refreshes in the background (render 0.1 s)',
    observe: (v) => {
      const t = traced(scenario(v, [6], {}, { revalidateS: 5, fetches: [{ id: 'data', kind: 'unstable_cache', revalidateS: 5, latencyS: 0.5 }] }))
      return [t.events.flatMap((e) => (e.kind === 'fetch' ? [e.mode] : [])), t.renders.map((r) => Math.round((r.endUs - r.atUs) / 1e5) / 10)]
    },
    want: (lag) => (lag ? [['background'], [0.1]] : [['foreground'], [0.6]]),
  },
  revalidatesUnrenderedFallback: {
    rule: '§14.5: res.revalidate("/p/1") at 10 s of a fallback: true Pages path never rendered: 14 renders and caches it (HIT at 20 s); 15+ get the shell and cache nothing (the shell again at 20 s)',
    observe: (v) => traced(scenario(v, [20], { onDemand: [{ kind: 'res.revalidate', path: '/p/1', atS: 10 }] }, { router: 'pages', pattern: '/p/[id]', fetches: [], params: { count: 2, prebuilt: 1, fallback: true } }, [1])).outcomes,
    want: (on) => [on ? 'hit' : 'fallback'],
  },
  bareStaleWhileRevalidate: {
    rule: '§7 §16: a CDN in front stores the page at 1 s (s-maxage 10); at 12 s it serves it stale and revalidates in the background, but on 14 the bare stale-while-revalidate gives no stale window: a miss',
    observe: (v) => traced(scenario(v, [1, 12], { deployment: { cdn: { pops: 1 } } }, { revalidateS: 10 })).events.flatMap((e) => (e.kind === 'cdn' ? [e.outcome] : [])),
    want: (bare) => ['miss', bare ? 'miss' : 'stale'],
  },
}

describe('version profiles: every switch on every profile', () => {
  test('the table lists every switch of VersionProfile', () => {
    expect(Object.keys(profileFor('16.4')).filter((k) => k !== 'version').sort()).toEqual([...SWITCHES].sort())
  })

  test.each(SWITCHES.flatMap((sw) => NEXT_VERSIONS.map((v) => [sw, v] as const)))('%s on %s: the table, and the behaviour it decides', (sw, v) => {
    const value = profileFor(v)[sw]
    expect(value, `profileFor('${v}').${sw}`).toBe(expected(sw, v))
    const b = BEHAVIOUR[sw]
    expect(b.observe(v), `${b.rule} (profile ${v}, ${sw} = ${String(value)})`).toEqual(b.want(value))
  })

  test('docs/semantics.md "Version profiles" states the same table', () => {
    const doc = readFileSync(new URL('../docs/semantics.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('### Version profiles'))
    const header = section.split('\n').find((l) => l.startsWith('| Switch'))!
    expect(header.split('|').slice(2, -1).map((c) => c.trim())).toEqual([...NEXT_VERSIONS])
    for (const sw of SWITCHES) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${sw}\``))
      expect(row, `a row for ${sw}`).toBeDefined()
      const cells = row!.split('|').slice(2, -1).map((c) => c.trim())
      expect(cells, sw).toEqual(MATRIX[sw].map((x) => (x === true ? 'yes' : x === false ? 'no' : x)))
    }
  })
})

describe('the version table (sim/versions.ts): releases to profiles', () => {
  test('one entry per profile, oldest first', () => {
    expect(PROFILE_RELEASES.map((r) => r.profile)).toEqual([...NEXT_VERSIONS])
  })

  test.each([
    ['14.2.3', '14'], ['15.5.29', '15'], ['16.0.1', '16.0'], ['16.2.9', '16.0'], ['16.3.5', '16.3'], ['16.4.6', '16.4'], ['16.5.0-canary.2', '16.4'],
  ] as const)('%s is profile %s', (release, profile) => {
    expect(profileOfRelease(release)).toEqual({ profile })
  })

  test('outside the table: the nearest profile, with a warning', () => {
    expect(profileOfRelease('13.5.0')).toEqual({ profile: '14', warning: 'next 13.5.0 is older than 14: the 14 profile is used, check the results' })
    expect(profileOfRelease('17.0.0')).toEqual({ profile: '16.4', warning: 'next 17.0.0 is newer than the profiles isrsim knows (14-16.4): the 16.4 profile is used' })
    expect(profileOfRelease('canary').warning).toMatch(/not major\.minor\.patch/)
  })

  test('the load test predicts with the profile of the Next.js it installs (loadtest/app.ts pins)', () => {
    expect(Object.fromEntries(Object.entries(NEXT_PINS).map(([major, pin]) => [major, profileOfRelease(pin.next).profile]))).toEqual({ 16: '16.4', 15: '15' })
  })
})
