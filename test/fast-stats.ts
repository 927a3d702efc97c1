/**
 * Statistics for cross-validating fast mode against exact mode (issue 19, docs/fast-mode.md
 * "How it is validated"). Both modes run the same scenario n times (replication seeds
 * `${seed}`, `${seed}#1`, ...); the replications of one mode are independent, and so are the
 * two modes. Three comparisons, each at 1%:
 *
 * - means (Welch): a headline metric's replication means agree when
 *   |m₁ − m₂| ≤ z(0.995)·√(s₁²/n₁ + s₂²/n₂), the two modes' combined 99% interval. When neither
 *   mode varies at all, the two values must be equal.
 * - spread (Brown–Forsythe): the same rule on each replication's distance from its mode's
 *   median. Fast mode must be exact in distribution, not in mean: a mode that returns the
 *   expected counts every time has the right means and no spread, and only this catches it.
 * - served ages (two-sample Kolmogorov–Smirnov over the pooled histograms, same buckets; the
 *   time series too, each column's counts over the bins taken as a histogram over time). The
 *   ages within one replication are not independent: the requests that one render serves share
 *   its start time, so a replication holds far fewer independent ages than requests, and the
 *   iid critical value (√(−ln(α/2)·(n₁+n₂)/(2n₁n₂)) over millions of requests) would reject any
 *   two runs of the same mode. The null distribution of D is therefore calibrated by permuting
 *   whole replications, which are independent and, under the null, exchangeable between the
 *   modes: the 2n histograms are split at random into two groups of n (a seeded stream), D is
 *   recomputed for each split, and p = (1 + #{D_perm ≥ D}) / (1 + permutations) (the +1 keeps the
 *   test exact, Phipson and Smyth 2010). The test rejects when p < 0.01.
 *
 * A run makes 100 to 200 such comparisons (about 20 totals and 15 counts per route, each twice,
 * one KS per series column and per route), and the swarm runs dozens of scenarios, so hundreds
 * reject at 1% by chance over a test run. A rejection is therefore confirmed on 60 fresh
 * replications per mode (CONFIRM): the same comparison must reject again there at 10⁻⁴ (means
 * and spreads, Student's t on the Welch–Satterthwaite degrees of freedom) or 10⁻³ (KS, 3,999
 * permutations). A chance failure then has probability about 10⁻² · 10⁻⁴ per comparison (10⁻⁵
 * for KS), a few in a thousand over a whole test run; a bias of four standard errors of the first
 * stage's difference stands at 5.7 standard errors of the second's, above its t(1 − 5·10⁻⁵) ≈ 4
 * about 95% of the time. Both stages' figures are printed.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile'
import type { SimMode, SimResult } from '../sim/contract.ts'
import { parseScenario, runScenario, type Scenario } from '../sim/index.ts'
import { AleaRng } from '../sim/kernel/rng.ts'
import { HISTOGRAM_BUCKETS } from '../sim/kernel/histogram.ts'
import { replicationSeed } from '../sim/run.ts'

/** z(0.995): the two-sided 99% normal quantile. */
export const Z_995 = 2.5758293035489004
/** Rejection level of every comparison. */
export const ALPHA = 0.01
export const REPLICATIONS = 30
export const PERMUTATIONS = 400

export interface Summary { readonly mean: number; readonly sd: number; readonly n: number }

export function summary(xs: readonly number[]): Summary {
  const n = xs.length
  const mean = xs.reduce((a, b) => a + b, 0) / n
  const sd = n < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1))
  return { mean, sd, n }
}

export interface MeanCheck {
  readonly agree: boolean
  readonly a: Summary
  readonly b: Summary
  /** z(0.995)·√(s₁²/n₁ + s₂²/n₂): the largest difference of means that agrees. */
  readonly half: number
}

/** Equal up to the last digits that summing in another order moves. */
const same = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))

/** Welch: the means of a and b agree within their combined 99% interval (equal when neither varies). */
export function welch(a: readonly number[], b: readonly number[], z = Z_995): MeanCheck {
  const sa = summary(a), sb = summary(b)
  const half = z * Math.sqrt(sa.sd ** 2 / sa.n + sb.sd ** 2 / sb.n)
  const agree = half === 0 ? same(sa.mean, sb.mean) : Math.abs(sa.mean - sb.mean) <= half
  return { agree, a: sa, b: sb, half }
}

/**
 * Welch's test at level alpha with Student's t on the Welch–Satterthwaite degrees of freedom
 * (the confirmation stage, whose level sits far in the tail where z would be too lenient).
 */
export function welchT(a: readonly number[], b: readonly number[], alpha: number): MeanCheck {
  const sa = summary(a), sb = summary(b)
  const va = sa.sd ** 2 / sa.n, vb = sb.sd ** 2 / sb.n
  if (va + vb === 0) return { agree: same(sa.mean, sb.mean), a: sa, b: sb, half: 0 }
  const df = (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1))
  const half = tQuantile(1 - alpha / 2, df) * Math.sqrt(va + vb)
  return { agree: Math.abs(sa.mean - sb.mean) <= half, a: sa, b: sb, half }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Brown–Forsythe: the Welch rule (or `test`) on |x − median| of each group (robust to skewed counts). */
export function spread(a: readonly number[], b: readonly number[], test: (a: readonly number[], b: readonly number[]) => MeanCheck = welch): MeanCheck {
  const ma = median(a), mb = median(b)
  return test(a.map((x) => Math.abs(x - ma)), b.map((x) => Math.abs(x - mb)))
}

/**
 * Two-sample KS statistic between two histograms over the same buckets: the largest distance
 * between their empirical CDFs. 0 when both are empty, 1 when only one is.
 */
export function ksStatistic(h1: ArrayLike<number>, h2: ArrayLike<number>): number {
  let t1 = 0, t2 = 0
  for (let i = 0; i < h1.length; i++) { t1 += h1[i]!; t2 += h2[i]! }
  if (t1 === 0 || t2 === 0) return t1 === t2 ? 0 : 1
  let c1 = 0, c2 = 0, d = 0
  for (let i = 0; i < h1.length; i++) {
    c1 += h1[i]!
    c2 += h2[i]!
    const x = Math.abs(c1 / t1 - c2 / t2)
    if (x > d) d = x
  }
  return d
}

export interface KsCheck {
  readonly reject: boolean
  readonly d: number
  readonly p: number
  /** The permuted D's (1 − alpha) quantile: about the largest D that would not reject. */
  readonly critical: number
}

/**
 * KS between the pooled histograms of groups a and b (one histogram per replication), its null
 * distribution calibrated by permuting replications between the groups (see the file header).
 */
export function permutationKs(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[], seed: string, permutations = PERMUTATIONS, alpha = ALPHA): KsCheck {
  const all = [...a, ...b]
  // Only buckets some replication uses: the histograms have ~6,000 buckets, a route uses few.
  const width = all[0]?.length ?? 0
  const used: number[] = []
  for (let k = 0; k < width; k++) if (all.some((h) => h[k]! !== 0)) used.push(k)
  const w = used.length
  const rows = all.map((h) => Float64Array.from(used, (k) => h[k]!))
  const total = new Float64Array(w)
  for (const r of rows) for (let k = 0; k < w; k++) total[k] = total[k]! + r[k]!
  let grand = 0
  for (let k = 0; k < w; k++) grand += total[k]!
  const x = new Float64Array(w)
  // ksStatistic(group a pooled, the rest pooled), without allocating: thousands of calls.
  const pooled = (idx: readonly number[]) => {
    x.fill(0)
    for (const i of idx) { const r = rows[i]!; for (let k = 0; k < w; k++) x[k] = x[k]! + r[k]! }
    let ta = 0
    for (let k = 0; k < w; k++) ta += x[k]!
    const tb = grand - ta
    if (ta === 0 || tb === 0) return ta === tb ? 0 : 1
    let ca = 0, cb = 0, d = 0
    for (let k = 0; k < w; k++) {
      ca += x[k]!
      cb += total[k]! - x[k]!
      const v = Math.abs(ca / ta - cb / tb)
      if (v > d) d = v
    }
    return d
  }
  const order = all.map((_, i) => i)
  const d = pooled(order.slice(0, a.length))
  const rng = new AleaRng('test/permutation-ks', seed)
  const ds: number[] = []
  let atLeast = 0
  for (let p = 0; p < permutations; p++) {
    // Fisher–Yates over the replications; the first a.length form group a.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1))
      const t = order[i]!; order[i] = order[j]!; order[j] = t
    }
    const dp = pooled(order.slice(0, a.length))
    ds.push(dp)
    // A tolerance for sums of the same counts in another order.
    if (dp >= d - 1e-12) atLeast++
  }
  ds.sort((x, y) => x - y)
  const p = (1 + atLeast) / (1 + permutations)
  return { reject: p < alpha, d, p, critical: ds[Math.min(ds.length - 1, Math.ceil((1 - alpha) * ds.length) - 1)] ?? 0 }
}

// ---------------------------------------------------------------------------
// Running both modes

/** n replications of one mode: each replication's result and its routes' served-age histograms. */
export interface ModeRuns {
  readonly results: readonly SimResult[]
  /** hists[route][replication]: measured served-age counts (Metrics.ageHist), scenario route order. */
  readonly hists: readonly (readonly Float64Array[])[]
}

/**
 * Replication i of runScenario(s, { seed, replications: n }) is the run with seed
 * replicationSeed(seed, i): run one by one to keep every replication's result.
 */
export function runReplications(s: Scenario, mode: SimMode, seed: string, n = REPLICATIONS): ModeRuns {
  const results: SimResult[] = []
  const hists: Float64Array[][] = s.routes.map(() => [])
  for (let i = 0; i < n; i++) {
    results.push(runScenario(s, {
      mode, seed: replicationSeed(seed, i),
      onReplication: (_, m) => s.routes.forEach((_r, k) => hists[k]!.push(m.ageHist.slice(k * HISTOGRAM_BUCKETS, (k + 1) * HISTOGRAM_BUCKETS))),
    }))
  }
  return { results, hists }
}

export const TOTAL_COUNTS = ['requests', 'hit', 'stale', 'miss', 'dynamic', 'notFound', 'error', 'renders', 'backgroundRenders', 'blockingRenders', 'dynamicRenders', 'failedRenders', 'renderCpuS', 'isrWrites', 'fillWrites'] as const
const STALENESS = ['staleServedFraction', 'ageMeanS', 'ageP50S', 'ageP95S', 'ageP99S'] as const
const LATENCY = ['meanMs', 'p95Ms'] as const
const COST = ['monthlyUsd', 'runUsd'] as const
/** The series columns compared bin by bin. */
export const SERIES = ['hit', 'stale', 'miss', 'dynamic', 'notFound', 'error', 'backgroundRenders', 'blockingRenders', 'dynamicRenders', 'failedRenders'] as const

/** Every headline metric of a result, by its path in the result ("totals.hit", "routes.home.stale"). */
export function headline(r: SimResult): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of TOTAL_COUNTS) out[`totals.${k}`] = r.totals[k]
  for (const k of STALENESS) out[`staleness.${k}`] = r.staleness[k]
  for (const k of LATENCY) out[`latency.${k}`] = r.latency[k]
  for (const k of COST) out[`cost.${k}`] = r.cost[k]
  for (const [id, route] of Object.entries(r.routes)) for (const k of TOTAL_COUNTS) out[`routes.${id}.${k}`] = route[k]
  // Fallback shells (§14.3), where a route has them.
  if (r.totals.fallback !== undefined) out['totals.fallback'] = r.totals.fallback
  for (const [id, route] of Object.entries(r.routes)) if (route.fallback !== undefined) out[`routes.${id}.fallback`] = route.fallback
  // The Data Cache's origin calls, per fetch id (a scenario without fetches has none to compare).
  for (const [id, f] of Object.entries(r.fetches)) out[`fetches.${id}.originFetches`] = f.originFetches
  // Each on-demand call's reach: the entries it touched and the renders it caused (stats.ts).
  r.onDemand.forEach((e, i) => {
    for (const k of ['occurrences', 'entriesTouched', 'rendersWithin1m', 'rendersWithin1h', 'rendersWithin1d'] as const) out[`onDemand.${i}.${k}`] = e[k]
  })
  return out
}

export interface Finding {
  /** "mean totals.hit", "spread routes.home.stale", "ages home". */
  readonly key: string
  readonly detail: string
}

const f4 = (x: number) => (Math.abs(x) >= 1e4 || x === Math.round(x) ? String(Math.round(x * 1e3) / 1e3) : x.toPrecision(5))
const ci = (s: Summary, half: number) => `${f4(s.mean)} ± ${f4(half)} (sd ${f4(s.sd)})`

/** How strict a stage is. */
export interface Level {
  readonly replications: number
  /** The means' and spreads' test: the issue's z(0.995) rule, or Welch's t far in the tail. */
  readonly means: (a: readonly number[], b: readonly number[]) => MeanCheck
  readonly meansAlpha: number
  readonly ksAlpha: number
  readonly permutations: number
}

/** The issue's rule: 30 replications per mode, everything at 1%. */
export const FIRST: Level = { replications: REPLICATIONS, means: welch, meansAlpha: ALPHA, ksAlpha: ALPHA, permutations: PERMUTATIONS }
/**
 * The confirmation of a rejection: 60 fresh replications per mode, the means and spreads at
 * 10⁻⁴, the KS tests at 10⁻³ (3,999 permutations). See the file header and docs/fast-mode.md.
 */
export const CONFIRM: Level = { replications: 2 * REPLICATIONS, means: (a, b) => welchT(a, b, 1e-4), meansAlpha: 1e-4, ksAlpha: 1e-3, permutations: 3999 }

/**
 * Every comparison of `exact` with `fast` that rejects at `level`, and how many were made;
 * with `only`, just the comparisons of those keys.
 */
export function compareRuns(s: Scenario, exact: ModeRuns, fast: ModeRuns, seed: string, level: Level = FIRST, only?: ReadonlySet<string>): { findings: Finding[]; checks: number } {
  const findings: Finding[] = []
  let checks = 0
  const wanted = (key: string) => only === undefined || only.has(key)
  const he = exact.results.map(headline), hf = fast.results.map(headline)
  const at = `at ${level.meansAlpha}`
  for (const metric of Object.keys(he[0]!)) {
    const xe = he.map((h) => h[metric]!), xf = hf.map((h) => h[metric]!)
    if (wanted(`mean ${metric}`)) {
      const m = level.means(xe, xf)
      checks++
      // Each mode's own half-width at the same level, for the message.
      const own = (x: Summary) => (m.half === 0 ? 0 : m.half * (x.sd / Math.sqrt(x.n)) / Math.sqrt(m.a.sd ** 2 / m.a.n + m.b.sd ** 2 / m.b.n))
      if (!m.agree) findings.push({ key: `mean ${metric}`, detail: `exact ${ci(m.a, own(m.a))}, fast ${ci(m.b, own(m.b))}: |Δ| ${f4(Math.abs(m.a.mean - m.b.mean))} > ${f4(m.half)} (combined interval ${at})` })
    }
    if (wanted(`spread ${metric}`)) {
      const d = spread(xe, xf, level.means)
      checks++
      if (!d.agree) findings.push({ key: `spread ${metric}`, detail: `sd exact ${f4(summary(xe).sd)}, fast ${f4(summary(xf).sd)}; mean |x − median| exact ${f4(d.a.mean)}, fast ${f4(d.b.mean)}: |Δ| ${f4(Math.abs(d.a.mean - d.b.mean))} > ${f4(d.half)} (${at})` })
    }
  }
  const ks = (key: string, a: readonly Float64Array[], b: readonly Float64Array[], what: string) => {
    if (!wanted(key)) return
    const k = permutationKs(a, b, `${seed}/${key}`, level.permutations, level.ksAlpha)
    checks++
    if (k.reject) findings.push({ key, detail: `${what} D ${k.d.toFixed(5)} > ${k.critical.toFixed(5)} (the permuted D's ${1 - level.ksAlpha} quantile), p ${k.p.toPrecision(3)} < ${level.ksAlpha} (${level.permutations} permutations of ${a.length}+${b.length} replications)` })
  }
  // The time series: each outcome's and render count's profile over the run's bins, as a
  // histogram over time per replication, by the same permutation KS test.
  const profile = (runs: ModeRuns, col: (typeof SERIES)[number]) => runs.results.map((r) => Float64Array.from(r.series.bins, (b) => b[col] ?? 0))
  for (const col of SERIES) ks(`series ${col}`, profile(exact, col), profile(fast, col), 'KS over the bins')
  s.routes.forEach((r, k) => ks(`ages ${r.id}`, exact.hists[k]!, fast.hists[k]!, 'KS of served ages'))
  return { findings, checks }
}

/** How the fast side of a comparison is produced: the real fast mode, or a wrong one (tests of the test). */
export type FastRunner = (s: Scenario, seed: string, n: number) => ModeRuns

export const realFast: FastRunner = (s, seed, n) => runReplications(s, 'fast', seed, n)

export interface CrossValidation {
  /** Findings of the first stage that the confirmation stage rejected again: each is a failure. */
  readonly confirmed: Finding[]
  /** Every finding of the first stage (chance rejections included), for the log. */
  readonly first: Finding[]
  readonly checks: number
  /** The first stage's runs. */
  readonly exact: ModeRuns
  readonly fast: ModeRuns
  /** What a failure message needs: the scenario's name, the seeds, both stages' figures. */
  readonly report: string
}

/**
 * The last few exact runs by scenario, seed and count: a test of the test that compares a wrong
 * fast mode with its real sibling's scenario and seed, a test or two later in the same file,
 * does not pay for them twice. Bounded, since a swarm never repeats a key. Nothing mutates runs.
 */
const EXACT_KEPT = 6
const exactRuns = new Map<string, ModeRuns>()
function exactReplications(s: Scenario, seed: string, n: number): ModeRuns {
  const key = `${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\u0000${seed}\u0000${n}`
  let runs = exactRuns.get(key)
  if (runs === undefined) {
    runs = runReplications(s, 'exact', seed, n)
    exactRuns.set(key, runs)
    if (exactRuns.size > EXACT_KEPT) exactRuns.delete(exactRuns.keys().next().value!)
  }
  return runs
}

/**
 * Exact against fast, 30 replications each, every comparison at 1% (FIRST). A comparison that
 * rejects is run again on 60 fresh replications per mode (the seed `${seed}/confirm`) at the
 * CONFIRM levels, and fails only if it rejects there too. The two modes draw from different
 * seeds (`${seed}` and `${seed}/fast`): streams they share would correlate them and blunt the
 * comparison.
 */
export function crossValidate(s: Scenario, seed: string, fastRunner: FastRunner = realFast): CrossValidation {
  const stage = (sd: string, level: Level) => ({ exact: exactReplications(s, sd, level.replications), fast: fastRunner(s, `${sd}/fast`, level.replications) })
  const one = stage(seed, FIRST)
  const first = compareRuns(s, one.exact, one.fast, seed)
  let confirmed: Finding[] = []
  const lines: string[] = []
  const seed2 = `${seed}/confirm`
  if (first.findings.length > 0) {
    const two = stage(seed2, CONFIRM)
    const second = compareRuns(s, two.exact, two.fast, seed2, CONFIRM, new Set(first.findings.map((f) => f.key)))
    const again = new Map(second.findings.map((f) => [f.key, f]))
    confirmed = first.findings.filter((f) => again.has(f.key))
    for (const f of first.findings) {
      const g = again.get(f.key)
      lines.push(`  ${f.key}: seed ${JSON.stringify(seed)} (fast ${JSON.stringify(`${seed}/fast`)}): ${f.detail}; confirmation seed ${JSON.stringify(seed2)}: ${g === undefined ? 'agrees' : g.detail}`)
    }
  }
  const report = `scenario "${s.name}", ${FIRST.replications} replications per mode, seed ${JSON.stringify(seed)}: ${first.findings.length} of ${first.checks} comparisons rejected at 1%, ${confirmed.length} again on ${CONFIRM.replications} replications per mode of seed ${JSON.stringify(seed2)}${lines.length > 0 ? `\n${lines.join('\n')}` : ''}`
  return { confirmed, first: first.findings, checks: first.checks, exact: one.exact, fast: one.fast, report }
}

/** The scenario with every route's revalidate (numbers only) times f: a biased rule for the tests of the test. */
export function scaledRevalidate(s: Scenario, f: number): Scenario {
  return parseScenario({ ...s, routes: s.routes.map((r) => (typeof r.revalidateS === 'number' && r.revalidateS > 0 ? { ...r, revalidateS: r.revalidateS * f } : r)) } as Parameters<typeof parseScenario>[0])
}
