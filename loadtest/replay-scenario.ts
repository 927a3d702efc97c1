/**
 * The scenarios `isrsim replay` runs: the user's scenario with every route's traffic replaced by
 * the log's exact requests (scenarios/from-logs' fitTraffic with replay), and the same with the
 * deployment's cache in the other states it may have been in when the log started.
 */
import { existsSync, readFileSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import type { fitTraffic } from '../scenarios/from-logs/index.ts'
import { LiveError } from './live.ts'

export type ScenarioInput = Parameters<typeof fitTraffic>[0]
type RouteInput = ScenarioInput['routes'][number]

const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x)

/**
 * A scenario file as its author wrote it (.json, or .ts/.js with `export default
 * defineScenario(...)`), before defaults are filled in: the replay scenario keeps the author's
 * fields. Only the shape fitTraffic reads is checked here; `isrsim run` validates the rest.
 */
export async function readScenarioInput(file: string): Promise<ScenarioInput> {
  const path = resolve(file)
  if (!existsSync(path)) throw new LiveError(`cannot read scenario file ${file}: ENOENT (no such file)`)
  const ext = extname(path)
  let input: unknown
  if (ext === '.json') {
    try {
      input = JSON.parse(readFileSync(path, 'utf8'))
    } catch (e) {
      throw new LiveError(`${file}: not valid JSON (${(e as Error).message})`)
    }
  } else if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    try {
      const mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown }
      let d = mod.default
      // A .ts file outside an ES module package loads as CommonJS (module.exports.default).
      if (isObj(d) && 'default' in d && ('__esModule' in d || Object.keys(d).length === 1)) d = d.default
      input = d
    } catch (e) {
      // defineScenario validates where the scenario is written: its ScenarioError names the fields.
      throw new LiveError(`${file}: ${(e as Error).name === 'ScenarioError' ? '' : 'failed to load: '}${(e as Error).message}`)
    }
  } else throw new LiveError(`${file}: scenario files must end in .json, .ts, .mts, .js or .mjs; received "${ext || 'no extension'}"`)
  if (!isObj(input)) throw new LiveError(`${file}: not a scenario object (a .ts scenario needs export default defineScenario({ ... }))`)
  const routes = input['routes']
  if (!Array.isArray(routes) || routes.length === 0) throw new LiveError(`${file}: routes is ${JSON.stringify(routes) ?? 'missing'}; a scenario has an array of routes`)
  routes.forEach((r: unknown, i) => {
    if (!isObj(r) || typeof r['id'] !== 'string' || typeof r['pattern'] !== 'string' || !isObj(r['traffic'])) {
      throw new LiveError(`${file}: routes[${i}] needs an id, a pattern and a traffic object; received ${JSON.stringify(r)?.slice(0, 80)}`)
    }
  })
  return input as ScenarioInput
}

/** z for the 99.9th and 95th percentiles of a normal: a lognormal's 99.9th is median · (p95/median)^(Z999/Z95). */
const Z999 = 3.090232306167813
const Z95 = 1.6448536269514722

/** A generous bound on one render of the route: the 99.9th percentile of its render time plus its slowest fetch. */
export function longestRenderS(r: RouteInput): number {
  const rs = r.renderS
  const render = typeof rs === 'number' ? rs : rs.lognormal.medianS * (rs.lognormal.p95S / rs.lognormal.medianS) ** (Z999 / Z95)
  return Math.min(3600, render) + Math.max(0, ...(r.fetches ?? []).map((f) => f.latencyS ?? 0))
}

/**
 * The replay scenario: the user's routes with the fitted schedules (traffic, params) and nothing
 * else of the fit (render times stay the scenario's: they are the model under test). It runs the
 * log's span plus the longest render, so that the last requests' renders finish.
 */
export function replayScenario(user: ScenarioInput, fitted: ScenarioInput, warmupS: number): ScenarioInput {
  const routes = user.routes.map((r, i): RouteInput => {
    const f = fitted.routes[i]!
    const out: RouteInput = { ...r, traffic: f.traffic }
    if (f.params) out.params = f.params
    return out
  })
  const tailS = Math.max(...routes.map(longestRenderS))
  const { diurnal: _diurnal, ...rest } = user
  const out: ScenarioInput = { ...rest, routes, warmupS, durationS: Math.ceil((fitted.durationS + tailS) * 1000) / 1000 }
  if (fitted.imported) out.imported = fitted.imported
  return out
}

/** One guess at the deployment's cache when the log starts. */
export interface StartState {
  readonly id: 'as-given' | 'cached-fresh' | 'cached-stale'
  /** For notes: what the state is. */
  readonly label: string
  readonly scenario: ScenarioInput
}

/** Every number of seconds a route, its layouts or its fetches revalidate after. */
function revalidatesOf(r: RouteInput): number[] {
  const xs = [r.revalidateS, ...(r.layouts ?? []).map((l) => l.revalidateS), ...(r.fetches ?? []).map((f) => f.revalidateS)]
  return xs.filter((x): x is number => typeof x === 'number' && x > 0)
}

/**
 * The log starts in the middle of the deployment's life: which pages were cached then, and
 * how old they were, is unknown. Three extremes bracket it:
 * - as given: the scenario's own prebuilt paths, `buildAgeS` old, the rest uncached;
 * - every path seen in the log cached and fresh (prebuilt = params.paths, buildAgeS 0);
 * - every path seen cached and stale (buildAgeS just past the longest revalidate anywhere in
 *   the scenario, and short of expireTimeS for the whole run, so none expires).
 * Identical scenarios are left out (e.g. a scenario already in one of the cached states).
 */
export function startStates(replay: ScenarioInput): StartState[] {
  const allCached = (buildAgeS: number): ScenarioInput => ({
    ...replay,
    buildAgeS,
    routes: replay.routes.map((r) => {
      const known = r.params?.paths?.length ?? 0
      // dynamicParams: false serves only the prebuilt paths; raising prebuilt would change which paths 404.
      if (!r.params || r.params.dynamicParams === false || known === 0) return r
      return { ...r, params: { ...r.params, prebuilt: Math.max(r.params.prebuilt ?? r.params.count, known) } }
    }),
  })
  const states: StartState[] = [
    { id: 'as-given', label: `as the scenario has it (buildAgeS ${replay.buildAgeS ?? 0} s, its prebuilt paths)`, scenario: replay },
    { id: 'cached-fresh', label: 'every path of the log cached and fresh', scenario: allCached(0) },
  ]
  const longest = Math.max(0, ...replay.routes.flatMap(revalidatesOf))
  const expireS = replay.next?.expireTimeS ?? 31_536_000
  const staleAgeS = Math.ceil(longest) + 1
  if (longest > 0 && staleAgeS + replay.durationS < expireS) {
    states.push({ id: 'cached-stale', label: `every path of the log cached and stale (buildAgeS ${staleAgeS} s)`, scenario: allCached(staleAgeS) })
  }
  const seen = new Set<string>()
  return states.filter((s) => {
    const key = JSON.stringify({ ...s.scenario, buildAgeS: s.scenario.buildAgeS ?? 0 })
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
