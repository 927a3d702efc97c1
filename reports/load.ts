/**
 * What a report is drawn from: a run result, a sweep file or a verdict, read as text and
 * checked before anything is drawn. Reports read JSON only (types from sim/contract.ts),
 * never simulator code, so that a report can be made from a file written years ago.
 */
import type { GateReport, SimResult, SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'

/** The schema versions this reader understands. */
export const READS = { schemaVersion: 1, sweepVersion: 1, verdictVersion: 1 } as const

export type ReportInput =
  | { readonly kind: 'run'; readonly result: SimResult; readonly gate?: GateReport }
  | { readonly kind: 'sweep'; readonly header: SweepHeader; readonly points: readonly SweepPoint[]; readonly recommendation?: RecommendationNotes }
  | { readonly kind: 'verdict'; readonly verdict: VerdictJson }

/**
 * What a recommendation file (isrsim recommend --out) adds to the sweep of its evaluations: per
 * answer (one per level of --given), recommend's own verdict line and why the options that
 * could not meet the constraints could not (the causes' one-sentence summaries).
 */
export interface RecommendationNotes {
  readonly answers: readonly { readonly level: string; readonly verdict: string; readonly why: readonly string[] }[]
}

/** Bad input: the CLI prints the message and exits 2. */
export class ReportInputError extends Error {}

type Obj = Record<string, unknown>
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x)

/** The fields a section of the report reads, so that a foreign or damaged file fails here, by name. */
function need(o: Obj, fields: Readonly<Record<string, 'object' | 'array' | 'number' | 'string'>>, what: string, source: string): void {
  for (const [path, type] of Object.entries(fields)) {
    let v: unknown = o
    for (const k of path.split('.')) v = isObj(v) ? v[k] : undefined
    const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? isObj(v) : typeof v === type
    if (!ok) throw new ReportInputError(`${source}: field ${path} is ${v === undefined ? 'missing' : `${Array.isArray(v) ? 'an array' : typeof v} ${JSON.stringify(v)?.slice(0, 40)}`}; a ${what} has ${type === 'array' ? 'an array' : type === 'object' ? 'an object' : `a ${type}`} there`)
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    const why = (e as Error).message
    // A parse error at the very end of the text means the text stopped early.
    const at = /position (\d+)/.exec(why)
    const truncated = /Unexpected end|Unterminated/i.test(why) || (at !== null && Number(at[1]) >= text.trimEnd().length - 1)
    throw new ReportInputError(`${source}: not valid JSON (${why})${truncated ? ': the file looks truncated' : ''}`)
  }
}

function versionProblem(o: Obj, field: keyof typeof READS, what: string, source: string): void {
  if (o[field] !== READS[field]) throw new ReportInputError(`${source}: ${field} is ${JSON.stringify(o[field])}; this isrsim reads ${what} with ${field} ${READS[field]} (re-run the command that wrote it with this isrsim)`)
}

function asRun(o: Obj, source: string): SimResult {
  versionProblem(o, 'schemaVersion', 'results', source)
  need(o, {
    modelVersion: 'string', isrsimVersion: 'string', seed: 'string', 'scenario.name': 'string', 'scenario.hash': 'string', 'scenario.durationS': 'number',
    replications: 'number', totals: 'object', 'totals.requests': 'number', staleness: 'object', freshness: 'object', routes: 'object', 'series.bins': 'array',
    'series.binS': 'number', onDemand: 'array', dataChanges: 'array', warnings: 'array', cost: 'object', 'cost.meters': 'array', deployment: 'object',
  }, 'result', source)
  // Results written by isrsim before reports existed (same schemaVersion) lack the age CDFs,
  // outage windows, firing times and renders by kind: draw what they have.
  const r = o as unknown as SimResult
  return {
    ...r,
    ageCdf: r.ageCdf ?? {},
    outages: r.outages ?? [],
    onDemand: r.onDemand.map((e) => ({ ...e, atS: e.atS ?? [] })),
  }
}

function asVerdict(o: Obj, source: string): VerdictJson {
  versionProblem(o, 'verdictVersion', 'verdicts', source)
  need(o, { 'scenario.name': 'string', 'scenario.hash': 'string', replications: 'number', checks: 'array' }, 'verdict', source)
  if (typeof o.pass !== 'boolean') throw new ReportInputError(`${source}: field pass is ${JSON.stringify(o.pass)}; a verdict has true or false there`)
  if (o.kind !== undefined && o.kind !== 'live' && o.kind !== 'replay') throw new ReportInputError(`${source}: field kind is ${JSON.stringify(o.kind)}; a verdict has "live" or "replay" there (or none: live)`)
  ;(o.checks as unknown[]).forEach((c, i) => {
    if (!isObj(c)) throw new ReportInputError(`${source}: checks[${i}] is not an object`)
    need(c, { scope: 'string', metric: 'string', predicted: 'number', low: 'number', high: 'number', observed: 'number', verdict: 'string' }, 'verdict check', `${source} checks[${i}]`)
  })
  // Verdicts written before replays existed have no kind: they are all live runs.
  return { ...(o as unknown as VerdictJson), kind: o.kind === 'replay' ? 'replay' : 'live' }
}

function asSweep(text: string, source: string): Extract<ReportInput, { kind: 'sweep' }> {
  const rows = text.split('\n').filter((l) => l.trim() !== '')
  const header = parseJson(rows[0]!, `${source} line 1`)
  if (!isObj(header) || header.kind !== 'sweep') throw new ReportInputError(`${source}: line 1 is not a sweep header`)
  versionProblem(header, 'sweepVersion', 'sweep files', source)
  need(header, { 'scenario.name': 'string', 'scenario.hash': 'string', seed: 'string', vary: 'array', points: 'number', current: 'object', modelVersion: 'string', isrsimVersion: 'string' }, 'sweep header', source)
  const points: SweepPoint[] = []
  rows.slice(1).forEach((row, i) => {
    const p = parseJson(row, `${source} line ${i + 2}`)
    if (!isObj(p) || p.kind !== 'point') throw new ReportInputError(`${source}: line ${i + 2} is not a sweep point`)
    need(p, { index: 'number', vary: 'object', 'result.totals': 'object', 'result.staleness': 'object', 'result.cost.monthlyUsd': 'number' }, 'sweep point', `${source} line ${i + 2}`)
    points.push(p as unknown as SweepPoint)
  })
  if (points.length === 0) throw new ReportInputError(`${source}: the sweep has no finished points yet`)
  points.sort((a, b) => a.index - b.index)
  return { kind: 'sweep', header: header as unknown as SweepHeader, points }
}

const levelLabel = (given: unknown) => (isObj(given) ? Object.entries(given).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '')

function asRecommendation(o: Obj, source: string): RecommendationNotes {
  if (!Array.isArray(o.answers)) throw new ReportInputError(`${source}: field answers is ${o.answers === undefined ? 'missing' : typeof o.answers}; a recommendation has an array there`)
  return {
    answers: o.answers.map((a: unknown, i) => {
      if (!isObj(a) || typeof a.verdict !== 'string') throw new ReportInputError(`${source}: answers[${i}].verdict is not a string; a recommendation's answers each have their verdict line there`)
      const causes = Array.isArray(a.causes) ? a.causes : []
      const why = causes.flatMap((c: unknown) => (isObj(c) && isObj(c.causes) && typeof c.causes.summary === 'string' ? [`${levelLabel(c.setting) ? `with ${levelLabel(c.setting)}: ` : ''}${c.causes.summary}`] : []))
      // The terminal's "[traffic.scale=1] verdict: " prefix: the page says the level itself.
      return { level: levelLabel(a.given), verdict: a.verdict.replace(/^(\[[^\]]*\]\s*)?verdict:\s*/, ''), why }
    }),
  }
}

/**
 * Read a report's input. `gateText` (isrsim check) adds the gate's checks to a run report.
 * Throws ReportInputError naming the file, the field, what it holds and what is allowed.
 */
export function parseReportInput(text: string, source: string, gateText?: string): ReportInput {
  const first = text.trimStart().split('\n', 1)[0] ?? ''
  if (text.trim() === '') throw new ReportInputError(`${source}: the file is empty; give a result (isrsim run --out), a sweep file (isrsim sweep) or a verdict (isrsim verify --out)`)
  if (/^\{\s*"kind"\s*:\s*"sweep"/.test(first)) return asSweep(text, source)
  const o = parseJson(text, source)
  if (!isObj(o)) throw new ReportInputError(`${source}: holds ${Array.isArray(o) ? 'an array' : typeof o}; a report reads a result, a sweep file or a verdict (JSON objects)`)
  if ('schemaVersion' in o) {
    const result = asRun(o, source)
    if (gateText === undefined) return { kind: 'run', result }
    const g = parseJson(gateText, `${source} (gate)`)
    if (!isObj(g) || !Array.isArray(g.checks)) throw new ReportInputError(`${source} (gate): not a gate report`)
    return { kind: 'run', result, gate: g as unknown as GateReport }
  }
  if ('verdictVersion' in o) return { kind: 'verdict', verdict: asVerdict(o, source) }
  // isrsim recommend --out keeps every evaluation as a sweep file: its report is that sweep's, with recommend's verdicts and causes.
  if (o.kind === 'recommendation' && typeof o.sweep === 'string') return { ...asSweep(o.sweep, `${source} (its evaluations)`), recommendation: asRecommendation(o, source) }
  if (o.kind === 'sweep') throw new ReportInputError(`${source}: a sweep header without points; sweep files are JSON lines`)
  const keys = Object.keys(o).slice(0, 6).join(', ')
  throw new ReportInputError(`${source}: not an isrsim result, sweep or verdict (no schemaVersion, sweep header or verdictVersion; its fields are ${keys || 'none'})`)
}
