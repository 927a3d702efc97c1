/**
 * The one-line verdict at the top of every report: what a reader takes away in ten seconds.
 * Pure functions from the input JSON to a sentence; numbers carry units, costs name the
 * platform the scenario runs on (cost.primary), and no line ever shows a negative saving.
 */
import type { Cost, GateReport, PointResult, SimResult, SweepConstraint, SweepHeader, SweepPoint, VerdictCheck, VerdictJson } from '../sim/contract.ts'
import { fmtMetric, fmtPct, fmtS, fmtUsd } from './format.ts'
import { holds, metricValue, pointLabel, type SweepAnalysis } from './sweep-charts.ts'

export interface VerdictLine {
  /** pass / fail: a gate or a check decided; info: a run or a plan, nothing to pass. */
  readonly tone: 'pass' | 'fail' | 'info'
  /** The gate's or the check's word, which the page prints (coloured) before the sentence. */
  readonly word?: 'PASS' | 'FAIL'
  /** The sentence, without that word. */
  readonly text: string
  /** Further lines of the same verdict (a sweep's other traffic levels), each on its own line. */
  readonly more?: readonly string[]
}

export const platformName = (primary: Cost['primary']) => (primary === 'vercel' ? 'Vercel' : 'self-hosted')

/** "$123/month on Vercel": the scenario's own platform, origin calls included. */
export function costPhrase(c: Pick<Cost, 'primary' | 'monthlyUsd'>): string {
  return `${fmtUsd(c.monthlyUsd)}/month ${c.primary === 'vercel' ? 'on Vercel' : 'self-hosted'}`
}

/** A run: p95 age, share served from cache, the headline cost, and what needs a look. */
export function runVerdict(r: SimResult): VerdictLine {
  const n = r.totals.requests
  const cached = n === 0 ? 0 : (r.totals.hit + r.totals.stale) / n
  const parts = [`p95 age ${fmtS(r.staleness.ageP95S)}`, `${fmtPct(cached)} served from cache`, costPhrase(r.cost)]
  if (n > 0 && r.totals.error / n > 0.001) parts.push(`${fmtPct(r.totals.error / n)} errors`)
  if (r.warnings.length > 0) parts.push(`${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}`)
  return { tone: 'info', text: parts.join(' · ') }
}

/** A k6-style threshold condition with its bound in the metric's unit: "<5" on an age -> "< 5.00 s". */
export function conditionText(metric: string, condition: string): string {
  const m = /^\s*(<=|>=|==|!=|<|>)\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*$/i.exec(condition)
  return m ? `${OPS[m[1] as SweepConstraint['op']]} ${fmtMetric(metric, Number(m[2]))}` : condition
}

/** Why a gate check failed, in one clause (structure checks carry their own sentence). */
export function checkCause(c: GateReport['checks'][number]): string {
  switch (c.kind) {
    case 'structure': return c.why
    case 'threshold': return `${c.metric} is ${fmtMetric(c.metric, c.value)}, which breaks ${c.metric} ${conditionText(c.metric, c.condition)}${c.cause ? `: ${c.cause}` : ''}`
    case 'baseline': return `${c.metric} is ${fmtMetric(c.metric, c.value)} against ${fmtMetric(c.metric, c.baseline)} in the baseline (${fmtPct(c.worseBy)} worse)${c.cause ? `: ${c.cause}` : ''}`
  }
}

/** `isrsim check`: PASS, or FAIL with the first failing cause (code changes before numbers). */
export function gateVerdict(g: GateReport, r: SimResult): VerdictLine {
  if (g.pass) return { tone: 'pass', word: 'PASS', text: `${g.checks.length} check${g.checks.length === 1 ? '' : 's'} · ${runVerdict(r).text}` }
  const failing = g.checks.filter((c) => !c.pass)
  const first = failing.find((c) => c.kind === 'structure') ?? failing[0]
  const more = failing.length - 1
  return { tone: 'fail', word: 'FAIL', text: `${first ? checkCause(first) : 'the gate failed'}${more > 0 ? ` (and ${more} more failing check${more === 1 ? '' : 's'})` : ''}` }
}

/** How far a check's observation lies outside its range (> 0), or how close inside it is to an edge (≤ 0), in range widths. */
function outside(c: VerdictCheck): number {
  const w = Math.max(c.high - c.low, Number.EPSILON)
  if (c.observed < c.low) return (c.low - c.observed) / w
  if (c.observed > c.high) return (c.observed - c.high) / w
  return -Math.min(c.observed - c.low, c.high - c.observed) / w
}

/** A live or replayed verdict: PASS / FAIL with the worst check. */
export function liveVerdict(v: VerdictJson): VerdictLine {
  const judged = v.checks.filter((c) => c.verdict !== 'SKIP')
  const fails = judged.filter((c) => c.verdict === 'FAIL')
  const pool = fails.length > 0 ? fails : judged
  const worst = [...pool].sort((a, b) => outside(b) - outside(a))[0]
  const observer = v.kind === 'replay' ? 'the access log\'s cache statuses' : 'the live run'
  if (!worst) return { tone: v.pass ? 'pass' : 'fail', word: v.pass ? 'PASS' : 'FAIL', text: `${observer} had no checks to judge` }
  const seen = `${worst.scope} ${worst.metric} observed ${fmtMetric(worst.metric, worst.observed)}`
  const range = `${fmtMetric(worst.metric, worst.low)} … ${fmtMetric(worst.metric, worst.high)}`
  if (v.pass) return { tone: 'pass', word: 'PASS', text: `${observer} matched the prediction in all ${judged.length} checks; closest to an edge: ${seen}, in ${range}` }
  return { tone: 'fail', word: 'FAIL', text: `${seen}, outside ${range} (predicted ${fmtMetric(worst.metric, worst.predicted)})${fails.length > 1 ? ` · ${fails.length} of ${judged.length} checks failed` : ''}` }
}

const OPS: Readonly<Record<SweepConstraint['op'], string>> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': '=', '!=': '≠' }

/** "routes.post.ageP95S ≤ 10.0 min": a constraint with its bound in the metric's unit. */
export function constraintText(c: SweepConstraint): string {
  return `${c.metric} ${OPS[c.op]} ${fmtMetric(c.metric, c.value)}`
}

export function meets(c: SweepConstraint, r: PointResult): boolean {
  return holds(c, metricValue(r, c.metric))
}

/** How far a point is from meeting every constraint, relative to each bound (0: meets them all). */
function shortfall(cs: readonly SweepConstraint[], r: PointResult): number {
  return cs.reduce((s, c) => (meets(c, r) ? s : s + Math.abs(metricValue(r, c.metric) - c.value) / Math.max(Math.abs(c.value), Number.EPSILON)), 0)
}

/**
 * The current values against the recommendation, never as a negative saving: a saving when
 * the recommendation is cheaper, the extra cost of meeting the constraints when the current
 * values break them, or "already the recommendation".
 */
export type Comparison =
  | { readonly kind: 'same' }
  | { readonly kind: 'saving'; readonly usd: number; readonly broken: readonly SweepConstraint[] }
  | { readonly kind: 'extra'; readonly usd: number; readonly broken: readonly SweepConstraint[] }

/** What one answer of a sweep is drawn from: a one-level sweep, or one level (traffic.scale=2) of a split one. */
export interface Answer {
  readonly label: string
  readonly rows: SweepAnalysis['rows']
  readonly current: SweepPoint | null
  readonly recommended: SweepPoint | null
  readonly rule: string
}

/** The sweep's answers: one per level where `given` fields split it (sweep-charts.ts' levels), else the sweep itself. */
export function answersOf(a: SweepAnalysis): readonly Answer[] {
  const levels = (a as SweepAnalysis & { readonly levels?: readonly Answer[] }).levels
  return levels && levels.length > 1 ? levels : [{ ...a, label: '' }]
}

export function compareToCurrent(header: SweepHeader, a: Pick<Answer, 'current' | 'recommended'>): Comparison | null {
  if (!a.current || !a.recommended) return null
  if (a.current === a.recommended) return { kind: 'same' }
  const broken = (header.constraints ?? []).filter((c) => !meets(c, a.current!.result))
  const d = a.current.result.cost.monthlyUsd - a.recommended.result.cost.monthlyUsd
  return d >= 0 ? { kind: 'saving', usd: d, broken } : { kind: 'extra', usd: -d, broken }
}

/** One answer: the recommended values and their cost, or "no point meets …" with the closest point; `vs`: against the current values. */
function answerVerdict(header: SweepHeader, metric: string, a: Answer): VerdictLine & { readonly vs: string } {
  const cs = header.constraints ?? []
  const bound = cs.map(constraintText).join(', ')
  const rec = a.recommended
  if (rec) {
    const cmp = compareToCurrent(header, a)
    // Where the current values break the bound, the next sentence names it; said once is enough.
    const meetsText = cs.length && cmp?.kind !== 'extra' ? ` (meets ${bound})` : ''
    const label = a.rows.find((x) => x.point === rec)?.label ?? pointLabel(rec.vary)
    const head = `Recommended ${label}: ${costPhrase(rec.result.cost)}, ${metric} ${fmtMetric(metric, metricValue(rec.result, metric))}${meetsText}`
    const broken = cmp && cmp.kind !== 'same' ? cmp.broken.map(constraintText).join(', ') : ''
    const vs = cmp === null ? ''
      : cmp.kind === 'same' ? '; these are the current values'
        : cmp.kind === 'saving' ? `; ${fmtUsd(cmp.usd)}/month less than the current values${broken ? `, which break ${broken}` : ''}`
          : `. The current values break ${broken || 'the constraints'}: meeting ${cmp.broken.length === 1 ? 'it' : 'them'} costs ${fmtUsd(cmp.usd)}/month more`
    return { tone: cs.length ? 'pass' : 'info', text: `${head}${vs}`, vs }
  }
  if (cs.length) {
    const closest = [...a.rows].sort((p, q) => shortfall(cs, p.point.result) - shortfall(cs, q.point.result) || p.cost - q.cost)[0]
    const near = closest ? `; closest: ${closest.label} with ${cs.map((c) => `${c.metric} ${fmtMetric(c.metric, metricValue(closest.point.result, c.metric))}`).join(', ')} (${costPhrase(closest.point.result.cost)})` : ''
    return { tone: 'fail', text: `No point meets ${bound}${near}`, vs: '' }
  }
  return { tone: 'info', text: `No recommendation: ${a.rule}`, vs: '' }
}

/**
 * A sweep: one answer's verdict, or with levels (traffic.scale=1,2) one line per level, each
 * its own answer. `given` verdicts by level label (a recommendation file's own lines, with their
 * causes) replace the ones drawn here; the comparison with the current values is kept.
 */
export function sweepVerdict(header: SweepHeader, a: SweepAnalysis, given?: ReadonlyMap<string, string>): VerdictLine {
  const lines = answersOf(a).map((l) => {
    const v = answerVerdict(header, a.stalenessMetric, l)
    const own = given?.get(l.label)
    const text = own === undefined ? v.text : `${/^no point meets/i.test(own) ? own.replace(/^n/, 'N') : `Recommended ${own}`}${v.vs}`
    const tone = own === undefined ? v.tone : /^no point meets/i.test(own) ? 'fail' : v.tone === 'fail' ? 'pass' : v.tone
    return { tone, text: l.label ? `At ${l.label}: ${text}` : text }
  })
  const tone = lines.some((l) => l.tone === 'fail') ? 'fail' : lines[0]!.tone
  return { tone, text: lines[0]!.text, ...(lines.length > 1 ? { more: lines.slice(1).map((l) => l.text) } : {}) }
}
