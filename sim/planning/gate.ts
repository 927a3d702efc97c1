/**
 * `isrsim check`: thresholds and a baseline comparison over one result, and how they are
 * written for people (text, Markdown for $GITHUB_STEP_SUMMARY) and for CI (JUnit XML).
 */
import { SCHEMA_VERSION, type GateReport, type Interval, type SimMode, type SimResult, type StructureCheck, type Warning } from '../contract.ts'
import { intentChecks, structureChecks } from './structure.ts'
import { canonicalMetric, HIGHER_IS_BETTER, splitMetric } from '../scenario/metric-paths.ts'
import type { Scenario } from '../scenario/schema.ts'
import { withUnit } from './units.ts'
import { compareWithBaseline, defaultBaselineMetrics, evaluateThresholds, metricOf, type BaselineCheck, type ThresholdCheck } from './thresholds.ts'

export type { GateReport } from '../contract.ts'

/** Why a baseline result cannot be compared with this one, or null. */
export function baselineProblem(scenarioName: string, base: unknown): string | null {
  if (base === null || typeof base !== 'object') return 'is not a result JSON object'
  const b = base as Partial<SimResult>
  if (b.schemaVersion !== SCHEMA_VERSION) return `has schemaVersion ${JSON.stringify(b.schemaVersion)}; this isrsim reads ${SCHEMA_VERSION} (re-run the baseline with this version)`
  if (b.scenario?.name !== scenarioName) return `is a result of scenario ${JSON.stringify(b.scenario?.name)}, not ${JSON.stringify(scenarioName)}`
  if (typeof b.totals !== 'object' || typeof b.staleness !== 'object' || typeof b.routes !== 'object') return 'lacks totals, staleness or routes: not an isrsim result'
  return null
}

/** The route whose figure drives a metric and what sets its caching, for a failure line. */
/** Origin-call figures: the fetch that makes most of them is their cause. */
const ORIGIN_KEYS = new Set(['originFetches', 'originMonthlyUsd', 'monthlyOriginCalls', 'originCallsPerS'])

/** A fetch, the routes that make it and what its Data Cache does, for a failure line. */
function fetchOf(fid: string, result: SimResult, scenario: Scenario | undefined): string {
  const f = result.fetches[fid]
  const users = scenario?.routes.filter((r) => r.fetches.some((x) => x.id === fid)) ?? []
  const rev = users.flatMap((r) => r.fetches.filter((x) => x.id === fid && x.revalidateS !== undefined).map((x) => x.revalidateS))[0]
  const cache = f === undefined ? '' : f.cached ? `Data-Cached${rev === undefined ? '' : `, revalidate ${rev === false ? 'false' : `${rev} s`}`}` : 'not Data-Cached: every render calls the origin'
  return `fetch "${fid}"${users.length > 0 ? ` of ${users.map((r) => `routes.${r.id}`).join(', ')}` : ''}${cache ? ` (${cache})` : ''}`
}

function causeOf(metric: string, result: SimResult, baseline: SimResult | null, structural: ReadonlyMap<string, string>, scenario: Scenario | undefined): string | undefined {
  const { group, id, key } = splitMetric(metric)
  if (group === 'fetches') return id === undefined ? undefined : fetchOf(id, result, scenario)
  if (ORIGIN_KEYS.has(key) && group !== 'routes') {
    // The fetch with the most origin calls (or, against a baseline, the most added).
    const calls = (r: SimResult, fid: string) => r.fetches[fid]?.originFetches ?? 0
    const top = Object.keys(result.fetches).map((fid) => ({ fid, n: calls(result, fid) - (baseline === null ? 0 : calls(baseline, fid)) })).sort((a, b) => b.n - a.n)[0]
    return top === undefined || top.n <= 0 ? undefined : `most from ${fetchOf(top.fid, result, scenario)}: ${withUnit('totals.originFetches', calls(result, top.fid))} origin calls${baseline === null ? '' : `, baseline ${withUnit('totals.originFetches', calls(baseline, top.fid))}`}`
  }
  const routeOf = (rid: string) => {
    const r = result.routes[rid]
    if (r === undefined) return undefined
    const broke = structural.get(rid)
    if (broke !== undefined) return `routes.${rid}: ${broke}`
    const rev = r.effectiveRevalidateS
    return `routes.${rid} (${r.pattern}): ${rev === 0 ? `dynamic: ${r.revalidateSource}` : `revalidate ${rev === false ? 'false' : `${rev} s`}, set by ${r.source?.revalidate ?? r.revalidateSource}`}`
  }
  if (group === 'routes') return id === undefined ? undefined : routeOf(id)
  // A whole-run figure: the route whose own figure is worst (or, against a baseline, worsened most).
  const better = HIGHER_IS_BETTER.has(key) ? -1 : 1
  const routeValue = (r: SimResult, rid: string): number | null => {
    if (group === 'cost') {
      const c = r.cost.routes?.[rid]
      if (c === undefined || !key.endsWith('MonthlyUsd') && key !== 'monthlyUsd') return null
      return key === 'selfHostedMonthlyUsd' || (key === 'monthlyUsd' && r.cost.primary === 'self-hosted') ? c.selfHostedMonthlyUsd : c.vercelMonthlyUsd
    }
    try { return metricOf(r, `routes.${rid}.${key}`).value } catch { return null }
  }
  let best: { rid: string; score: number } | null = null
  for (const [rid, r] of Object.entries(result.routes)) {
    if (r.requests === 0) continue
    const v = routeValue(result, rid)
    if (v === null) continue
    const was = baseline?.routes[rid] === undefined ? null : routeValue(baseline, rid)
    const score = better * (v - (was ?? (baseline === null ? 0 : v)))
    if (best === null || score > best.score) best = { rid, score }
  }
  if (best === null || (baseline !== null && best.score <= 0)) return undefined
  const v = routeValue(result, best.rid)!
  return `most from ${routeOf(best.rid)} (${withUnit(metric, v)}${baseline !== null && baseline.routes[best.rid] ? `, baseline ${withUnit(metric, routeValue(baseline, best.rid) ?? 0)}` : ''})`
}

/** Warnings whose code and route the baseline did not have. */
export function newWarnings(result: SimResult, baseline: SimResult): Warning[] {
  const key = (w: Warning) => `${w.code}\u0000${w.route ?? ''}`
  const had = new Set((baseline.warnings ?? []).map(key))
  return result.warnings.filter((w) => !had.has(key(w)))
}

/**
 * The gate over one result. With the scenario, routes are also held against what they ask for
 * (structure.ts intentChecks): without a baseline, and for routes the baseline does not have.
 */
export function gate(result: SimResult, thresholds: Readonly<Record<string, readonly string[]>>, baseline: SimResult | null, tolerance: number, scenario?: Scenario): GateReport {
  // Structure first: a route that became dynamic explains the numbers that follow.
  const structure: StructureCheck[] = []
  if (baseline !== null) structure.push(...structureChecks(result, baseline, scenario))
  if (scenario !== undefined) {
    const fresh = baseline === null ? undefined : new Set(Object.keys(result.routes).filter((id) => baseline.routes[id] === undefined))
    if (fresh === undefined || fresh.size > 0) structure.push(...intentChecks(result, scenario, fresh))
  }
  const structural = new Map(structure.filter((c) => !c.pass).map((c) => [c.route, c.why]))
  const numbers: (ThresholdCheck | BaselineCheck)[] = evaluateThresholds(result, thresholds)
  if (baseline !== null) {
    const metrics = [...new Set([...defaultBaselineMetrics(result), ...Object.keys(thresholds)].map(canonicalMetric))].filter((m) => {
      // A route or metric the baseline does not have (a new route) has nothing to regress from.
      try { metricOf(baseline, m); return true } catch { return false }
    })
    numbers.push(...compareWithBaseline(result, baseline, metrics, tolerance))
  }
  const checks = [...structure, ...numbers.map((c) => {
    if (c.pass) return c
    const cause = causeOf(c.metric, result, c.kind === 'baseline' ? baseline : null, structural, scenario)
    return cause === undefined ? c : { ...c, cause }
  })]
  const added = baseline === null ? [] : newWarnings(result, baseline)
  return {
    scenario: { name: result.scenario.name, hash: result.scenario.hash },
    seed: result.seed,
    replications: result.replications,
    ...(baseline ? { baseline: { hash: baseline.scenario.hash, seed: baseline.seed, replications: baseline.replications, modelVersion: baseline.modelVersion } } : {}),
    ...(baseline !== null && baseline.modelVersion !== result.modelVersion ? { modelNote: modelNote(baseline.modelVersion, result.modelVersion) } : {}),
    ...(baseline !== null && baselineMode(baseline) !== result.mode ? { modeNote: modeNote(baselineMode(baseline), result.mode) } : {}),
    tolerance,
    checks,
    pass: checks.every((c) => c.pass),
    ...(added.length > 0 ? { newWarnings: added } : {}),
  }
}

/** The mode a baseline ran in: results from before fast mode carry none, and were exact. */
export function baselineMode(baseline: { readonly mode?: unknown }): SimMode {
  const m = baseline.mode
  return m === 'fast' || m === 'auto' ? m : 'exact'
}

const modeNote = (base: SimMode, now: SimMode): string =>
  `the baseline ran with --mode ${base}, this run with --mode ${now}: the two draw the requests differently, so they differ by noise even where nothing changed (run check with --mode ${base}, or re-make the baseline)`

/** A baseline from another model version compares two models as well as two builds: say so, once, in every output. */
const modelNote = (base: string | undefined, now: string) =>
  `the baseline was made by model version ${base ?? '(unknown)'}, this run by ${now}: some differences may come from the model, not the code (re-run the baseline with this isrsim)`

const ci = (c: ThresholdCheck | BaselineCheck, iv: Interval | undefined) => (iv ? ` [${withUnit(c.metric, iv.low)}, ${withUnit(c.metric, iv.high)}]` : '')

function describe(c: ThresholdCheck | BaselineCheck | StructureCheck): { name: string; detail: string } {
  if (c.kind === 'structure') return { name: `routes.${c.route} caching structure`, detail: c.why }
  const because = c.cause === undefined ? '' : `; ${c.cause}`
  if (c.kind === 'threshold') return { name: `${c.metric} ${c.condition}`, detail: `${withUnit(c.metric, c.value)}${ci(c, c.interval)}${because}` }
  return { name: `${c.metric} vs baseline`, detail: `${withUnit(c.metric, c.value)}${ci(c, c.interval)} vs ${withUnit(c.metric, c.baseline)}${ci(c, c.baselineInterval)}: ${c.why}${because}` }
}

const warningLine = (w: Warning) => `[${w.code}]${w.route ? ` ${w.route}` : ''}: ${w.message}`

/** The report's notes on its baseline: another model version, another mode. */
function notesOf(r: GateReport): string[] {
  return [r.modelNote, r.modeNote].filter((n): n is string => n !== undefined)
}

export function gateText(r: GateReport): string {
  const lines = r.checks.map((c) => {
    const d = describe(c)
    return `${c.pass ? 'PASS' : 'FAIL'}  ${d.name}: ${d.detail}`
  })
  for (const w of r.newWarnings ?? []) lines.push(`NEW   warning since the baseline ${warningLine(w)}`)
  for (const n of notesOf(r)) lines.push(`NOTE  ${n}`)
  const fails = r.checks.filter((c) => !c.pass).length
  lines.push(`${r.pass ? 'PASS' : 'FAIL'}: ${r.checks.length - fails} of ${r.checks.length} checks passed (scenario "${r.scenario.name}" ${r.scenario.hash}, seed ${JSON.stringify(r.seed)}, ${r.replications} replication${r.replications === 1 ? '' : 's'})`)
  return lines.join('\n')
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function gateMarkdown(r: GateReport): string {
  const fails = r.checks.filter((c) => !c.pass).length
  const head = `### isrsim check: ${r.pass ? '✅ PASS' : '❌ FAIL'} (${r.checks.length - fails}/${r.checks.length})\n\nScenario \`${mdCell(r.scenario.name)}\` (\`${r.scenario.hash}\`), seed \`${mdCell(r.seed)}\`, ${r.replications} replication${r.replications === 1 ? '' : 's'}${r.baseline ? `; baseline \`${r.baseline.hash}\`, tolerance ${(r.tolerance * 100).toFixed(1)}%` : ''}.\n`
  const rows = r.checks
    .slice()
    .sort((a, b) => Number(a.pass) - Number(b.pass)) // failures first
    .map((c) => {
      const d = describe(c)
      return `| ${c.pass ? 'PASS' : '**FAIL**'} | \`${mdCell(d.name)}\` | ${mdCell(d.detail)} |`
    })
  const added = r.newWarnings ?? []
  const news = added.length === 0 ? '' : `\n**New warnings since the baseline** (listed, not failed):\n\n${added.map((w) => `- ${mdCell(warningLine(w))}`).join('\n')}\n`
  const note = notesOf(r).map((n) => `\n> Note: ${mdCell(n)}\n`).join('')
  return `${head}\n| | check | value |\n|---|---|---|\n${rows.join('\n')}\n${news}${note}`
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')

export function gateJunit(r: GateReport): string {
  const fails = r.checks.filter((c) => !c.pass).length
  const cases = r.checks.map((c) => {
    const d = describe(c)
    const cls = c.kind === 'threshold' ? 'isrsim.thresholds' : c.kind === 'structure' ? 'isrsim.structure' : 'isrsim.baseline'
    const body = c.pass ? '' : `\n      <failure message="${xml(d.detail)}" type="${c.kind}">${xml(`${d.name}: ${d.detail}`)}</failure>\n    `
    return `    <testcase classname="${cls}" name="${xml(d.name)}" time="0">${body}</testcase>`
  })
  const suite = `isrsim check: ${r.scenario.name}`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="isrsim" tests="${r.checks.length}" failures="${fails}" errors="0">`,
    `  <testsuite name="${xml(suite)}" tests="${r.checks.length}" failures="${fails}" errors="0" skipped="0">`,
    `    <properties><property name="scenarioHash" value="${xml(r.scenario.hash)}"/><property name="seed" value="${xml(r.seed)}"/><property name="replications" value="${r.replications}"/></properties>`,
    ...cases,
    // New warnings are listed, not failed: the suite's output, which CI shows with the results.
    ...(r.newWarnings?.length || notesOf(r).length > 0 ? [`    <system-out>${xml([...(r.newWarnings ?? []).map((w) => `new warning since the baseline ${warningLine(w)}`), ...notesOf(r).map((n) => `note: ${n}`)].join('\n'))}</system-out>`] : []),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
