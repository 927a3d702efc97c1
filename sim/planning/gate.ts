/**
 * `isrsim check`: thresholds and a baseline comparison over one result, and how they are
 * written for people (text, Markdown for $GITHUB_STEP_SUMMARY) and for CI (JUnit XML).
 */
import { SCHEMA_VERSION, type GateReport, type SimResult, type StructureCheck } from '../contract.ts'
import { structureChecks } from './structure.ts'
import { canonicalMetric } from '../scenario/metric-paths.ts'
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

export function gate(result: SimResult, thresholds: Readonly<Record<string, readonly string[]>>, baseline: SimResult | null, tolerance: number): GateReport {
  const checks: (ThresholdCheck | BaselineCheck | StructureCheck)[] = evaluateThresholds(result, thresholds)
  if (baseline !== null) {
    // Structure first: a route that became dynamic explains the numbers that follow.
    checks.unshift(...structureChecks(result, baseline))
    const metrics = [...new Set([...defaultBaselineMetrics(result), ...Object.keys(thresholds)].map(canonicalMetric))].filter((m) => {
      // A route or metric the baseline does not have (a new route) has nothing to regress from.
      try { metricOf(baseline, m); return true } catch { return false }
    })
    checks.push(...compareWithBaseline(result, baseline, metrics, tolerance))
  }
  return {
    scenario: { name: result.scenario.name, hash: result.scenario.hash },
    seed: result.seed,
    replications: result.replications,
    ...(baseline ? { baseline: { hash: baseline.scenario.hash, seed: baseline.seed, replications: baseline.replications } } : {}),
    tolerance,
    checks,
    pass: checks.every((c) => c.pass),
  }
}

const num = (x: number) => (!Number.isFinite(x) ? String(x) : Math.abs(x) >= 1000 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(3).replace(/\.?0+$/, '') : x.toPrecision(4))
const ci = (c: ThresholdCheck | BaselineCheck) => (c.interval ? ` [${num(c.interval.low)}, ${num(c.interval.high)}]` : '')

function describe(c: ThresholdCheck | BaselineCheck | StructureCheck): { name: string; detail: string } {
  if (c.kind === 'structure') return { name: `routes.${c.route} caching structure`, detail: c.why }
  if (c.kind === 'threshold') return { name: `${c.metric} ${c.condition}`, detail: `${num(c.value)}${ci(c)}` }
  const bi = c.baselineInterval ? ` [${num(c.baselineInterval.low)}, ${num(c.baselineInterval.high)}]` : ''
  return { name: `${c.metric} vs baseline`, detail: `${num(c.value)}${ci(c)} vs ${num(c.baseline)}${bi}: ${c.why}` }
}

export function gateText(r: GateReport): string {
  const lines = r.checks.map((c) => {
    const d = describe(c)
    return `${c.pass ? 'PASS' : 'FAIL'}  ${d.name}: ${d.detail}`
  })
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
  return `${head}\n| | check | value |\n|---|---|---|\n${rows.join('\n')}\n`
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
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
