/**
 * The `isrsim` command line. Thin: parse arguments, load the scenario, call
 * runScenario, print, write files atomically. Exit codes: 0 ok, 1 model or invariant
 * failure (with a reproduce line), 2 usage or validation error.
 */
import { appendFileSync } from 'node:fs'
import Table from 'cli-table3'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import type { RouteResult, SimResult } from '../contract.ts'
import { InvariantError, ScenarioError, UsageError } from '../kernel/errors.ts'
import { baselineProblem, gate, gateJunit, gateMarkdown, gateText } from '../planning/gate.ts'
import { requestPlan } from '../plan.ts'
import { DEFAULT_PRICING, parsePricing, type Pricing } from '../planning/pricing.ts'
import { canonicalMetric, metricProblem } from '../scenario/metric-paths.ts'
import { parseTolerance } from '../planning/thresholds.ts'
import { DEFAULT_CANDIDATES, parseCandidates, parseConstraint, recommend, type Assignment, type Candidate, type Recommendation } from '../planning/recommend.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { applyPoint, parseShard, parseVary, pointLabel, type SweepPoint } from '../planning/sweep.ts'
import { loadScenario, readJsonFile, writeAtomic } from './files.ts'

export { loadScenario }
import { mergeSweeps, runSweep, SweepPointError, type SweepSummary } from './sweep-runner.ts'
import { availableParallelism } from 'node:os'
import { reproduceLine, runScenario } from '../run.ts'
import { parseScenario, scenarioJsonSchema } from '../scenario/parse.ts'
import { type Scenario } from '../scenario/schema.ts'
import { ISRSIM_VERSION } from '../version.ts'

/** `check` found a broken threshold or a regression: exit 1 (already reported). */
class CheckFailed extends Error {}

/** check's scenario: a file, or a built app imported with its traffic profile applied. */
async function checkedScenario(env: Host, file: string | undefined, app: string | undefined, traffic: string | undefined): Promise<Scenario> {
  if (file !== undefined) return loadScenario(file)
  if (!env.appScenario) throw new UsageError('--app: this host cannot import apps (run the isrsim command)')
  const r = await env.appScenario(app!, traffic)
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
  return parseScenario(r.scenario, `--app ${app}`)
}

/** --pricing: a whole price table (see `isrsim pricing`), else the bundled one. */
export function loadPricing(file: string | undefined): Pricing {
  return file === undefined ? DEFAULT_PRICING : parsePricing(readJsonFile(file, 'pricing file'), file)
}

export function resultJson(r: SimResult): string {
  return `${JSON.stringify(r, null, 2)}\n`
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1, received "${v}"`)
    return n
  }
}

// ---------------------------------------------------------------------------
// Human-readable output

const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`

export function fmtS(s: number): string {
  if (s === 0) return '0'
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`
  if (s < 120) return `${s.toFixed(1)} s`
  if (s < 7200) return `${(s / 60).toFixed(1)} min`
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86400).toFixed(1)} d`
}

const fmtN = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2))

function revalidateLabel(r: RouteResult): string {
  const v = r.effectiveRevalidateS === false ? 'false' : r.effectiveRevalidateS === 0 ? '0 (dynamic)' : `${r.effectiveRevalidateS} s`
  return r.revalidateSource === 'page' ? v : `${v}\n(${r.revalidateSource})`
}

export function summaryTable(r: SimResult): string {
  const measuredS = r.scenario.durationS - r.scenario.warmupS
  const t = new Table({
    head: ['route', 'revalidate', 'requests', 'HIT', 'STALE', 'MISS', 'other', 'renders (bg/block/dyn, failed)', 'renders/min', 'age p50 / p95', 'latency p95'],
    style: { head: [], border: [] },
  })
  const row = (id: string, x: RouteResult | (SimResult['totals'] & SimResult['staleness'] & SimResult['latency']), rev: string) => {
    const n = x.requests || 1
    const other = [x.dynamic && `dyn ${pct(x.dynamic / n)}`, x.notFound && `404 ${pct(x.notFound / n)}`, x.error && `err ${pct(x.error / n)}`].filter(Boolean).join(' ') || '-'
    t.push([
      id, rev, fmtN(x.requests), pct(x.hit / n), pct(x.stale / n), pct(x.miss / n), other,
      `${fmtN(x.renders)} (${fmtN(x.backgroundRenders)}/${fmtN(x.blockingRenders)}/${fmtN(x.dynamicRenders)}, ${fmtN(x.failedRenders)})`,
      (x.renders / (measuredS / 60)).toFixed(2),
      `${fmtS(x.ageP50S)} / ${fmtS(x.ageP95S)}`,
      `${x.p95Ms.toFixed(0)} ms`,
    ])
  }
  for (const [id, x] of Object.entries(r.routes)) row(id, x, revalidateLabel(x))
  if (Object.keys(r.routes).length > 1) row('TOTAL', { ...r.totals, ...r.staleness, ...r.latency }, '')
  const lines = [
    `isrsim ${r.isrsimVersion} · scenario "${r.scenario.name}" (${r.scenario.hash}) · Next.js ${r.next.version} profile · seed ${JSON.stringify(r.seed)}`,
    `simulated ${fmtS(r.scenario.durationS)}${r.scenario.warmupS > 0 ? `, measured after ${fmtS(r.scenario.warmupS)} warmup` : ''}${r.deployment.instances > 1 ? ` · ${r.deployment.instances} instances (${r.deployment.cache} caches, ${r.deployment.balancer})` : ''}`,
    t.toString(),
    `stale served ${pct(r.staleness.staleServedFraction)} · age mean ${fmtS(r.staleness.ageMeanS)}, p99 ${fmtS(r.staleness.ageP99S)}, max ${fmtS(r.staleness.ageMaxS)} · render time ${fmtS(r.totals.renderCpuS)}`,
  ]
  if (r.freshness.dataChanges > 0) {
    const f = r.freshness
    lines.push(`freshness: ${fmtN(f.dataChanges)} origin changes, ${fmtN(f.reflected)} reflected · data lag mean ${fmtS(f.dataLagMeanS)}, p50 ${fmtS(f.dataLagP50S)}, p95 ${fmtS(f.dataLagP95S)}, max ${fmtS(f.dataLagMaxS)} · outdated served ${pct(f.outdatedServedFraction)}`)
  }
  for (const [id, x] of Object.entries(r.routes)) {
    if (x.crawlerRequests !== undefined) lines.push(`${id} crawlers: ${fmtN(x.crawlerRequests)} requests caused ${fmtN(x.crawlerRenders ?? 0)} of ${fmtN(x.renders)} renders`)
  }
  if (r.totals.originFetches > 0) lines.push(`origin fetches: ${Object.entries(r.fetches).map(([id, f]) => `${id} ${fmtN(f.originFetches)}`).join(', ')}`)
  r.onDemand.forEach((e, i) => {
    const call = e.kind === 'revalidatePath' ? `revalidatePath(${JSON.stringify(e.path)}${e.type ? `, "${e.type}"` : ''})` : `${e.kind}(${JSON.stringify(e.tag)}${e.profile ? `, ${JSON.stringify(e.profile)}` : ''})`
    lines.push(`on-demand[${i}] ${call}: ${fmtN(e.occurrences)} call${e.occurrences === 1 ? '' : 's'}, ${fmtN(e.entriesTouched)} entries touched, renders caused within 1 min / 1 h / 1 day: ${fmtN(e.rendersWithin1m)} / ${fmtN(e.rendersWithin1h)} / ${fmtN(e.rendersWithin1d)}`)
  })
  if (r.intervals) {
    const i = r.intervals
    const ci = (v: { low: number; high: number } | undefined, f: (x: number) => string) => (v ? `[${f(v.low)}, ${f(v.high)}]` : '-')
    lines.push(`95% CI over ${r.replications} replications: stale served ${ci(i.staleness.staleServedFraction, pct)}, age p95 ${ci(i.staleness.ageP95S, fmtS)}, renders ${ci(i.totals.renders, (x) => x.toFixed(0))}`)
  }
  lines.push(costTable(r))
  for (const w of r.warnings) lines.push(`warning [${w.code}]${w.route ? ` ${w.route}` : ''}: ${w.message}\n  fix: ${w.fix}`)
  return lines.join('\n')
}

const money = (x: number) => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`)
const qty = (x: number) => (x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3))

/** The meters, the month and the price table (name and date) they came from. */
export function costTable(r: SimResult): string {
  const c = r.cost
  const t = new Table({ head: ['meter', 'unit', 'price', 'units (run)', 'units / month', 'included', '$ / month'], style: { head: [], border: [], compact: true } })
  const price = (x: number) => (x === 0 ? '$0' : x < 0.001 ? `$${(x * 1e6).toPrecision(3)} / 1M` : `$${x.toPrecision(3)}`)
  for (const m of c.meters) t.push([m.id, m.unit, price(m.usdPerUnit), qty(m.runUnits), qty(m.monthlyUnits), m.includedPerMonth ? qty(m.includedPerMonth) : '-', money(m.monthlyUsd)])
  const ci = r.intervals?.cost.monthlyUsd
  return [
    `cost, 30 days of this traffic (prices: ${c.pricing.name}, dated ${c.pricing.date}):`,
    t.toString(),
    `monthly: Vercel ${money(c.vercelMonthlyUsd)} · self-hosted ${money(c.selfHostedMonthlyUsd)} (${r.deployment.instances} instance${r.deployment.instances === 1 ? '' : 's'}, render CPU ${(c.selfHostedCpuUtilization * 100).toFixed(2)}% of it) · origin ${money(c.originMonthlyUsd)} for ${qty(c.monthlyOriginCalls)} calls` +
      ` · cost.monthlyUsd (${c.primary} + origin) ${money(c.monthlyUsd)}${ci ? ` [95% CI ${money(ci.low)}, ${money(ci.high)}]` : ''}`,
  ].join('\n')
}

/** One row per point: the varied values and the headline figures. */
export function sweepTable(s: SweepSummary): string {
  const paths = s.header.vary.map((v) => v.path)
  const t = new Table({ head: [...paths, 'requests', 'STALE', 'age p95', 'renders', 'ISR writes', 'origin calls', '$ / month'], style: { head: [], border: [], compact: true } })
  for (const i of [...s.lines.keys()].sort((a, b) => a - b)) {
    const p = JSON.parse(s.lines.get(i)!) as SweepPoint
    const r = p.result
    t.push([...paths.map((k) => String(p.vary[k])), fmtN(r.totals.requests), pct(r.staleness.staleServedFraction), fmtS(r.staleness.ageP95S), fmtN(r.totals.renders), fmtN(r.totals.isrWrites), fmtN(r.totals.originFetches), money(r.cost.monthlyUsd)])
  }
  return t.toString()
}

const fmtObjective = (metric: string, x: number) => (metric.startsWith('cost.') && metric.endsWith('Usd') ? money(x) : fmtN(Math.round(x * 1000) / 1000))
const fmtMetric = (metric: string, x: number) => (metric.endsWith('S') ? fmtS(x) : metric.endsWith('Fraction') ? pct(x) : fmtObjective(metric, x))

export function recommendText(r: Recommendation): string {
  const lines: string[] = []
  const head = `recommend: minimise ${r.objective}${r.constraints.length ? ` subject to ${r.constraints.join(', ')}` : ''} over ${r.routes.length} route${r.routes.length === 1 ? '' : 's'} × ${r.candidates.length} candidates; ${r.evaluated.length} runs (${r.method}${r.method === 'monotone' ? `; the full grid is ${r.gridSize}` : ''})`
  lines.push(head)
  if (r.best === null) {
    lines.push(`no candidate values meet the constraints (even the freshest: ${pointLabel(Object.fromEntries(r.routes.map((x) => [x, r.candidates[0]!])))}): relax a constraint or add smaller --candidates`)
  } else {
    const t = new Table({ head: ['route', 'current revalidate', 'recommended'], style: { head: [], border: [], compact: true } })
    for (const id of r.routes) t.push([id, String(r.current.assignment[id]), String(r.best.assignment[id])])
    lines.push(t.toString())
    const metrics = Object.keys(r.best.values)
    lines.push(`recommended: ${metrics.map((m) => `${m} ${fmtMetric(m, r.best!.values[m]!)}`).join(' · ')}`)
    lines.push(`current:     ${metrics.map((m) => `${m} ${fmtMetric(m, r.current.values[m]!)}`).join(' · ')}${r.current.feasible ? '' : ' (breaks a constraint)'}`)
  }
  const f = new Table({ head: ['frontier point', r.stalenessMetric, r.objective], style: { head: [], border: [], compact: true } })
  for (const e of r.frontier) f.push([`${pointLabel(e.assignment)}${e === r.best ? ' (recommended)' : ''}${e === r.current ? ' (current)' : ''}`, fmtMetric(r.stalenessMetric, e.values[r.stalenessMetric]!), fmtObjective(r.objective, e.objective)])
  lines.push(`Pareto frontier of ${r.objective} against ${r.stalenessMetric} (over the points evaluated):`, f.toString())
  const cur = r.current
  const better = r.frontier.filter((e) => e.values[r.stalenessMetric]! <= cur.values[r.stalenessMetric]! + 1e-9).sort((a, b) => a.objective - b.objective)[0]
  if (better && better !== cur && better.objective < cur.objective - 1e-9) {
    const saved = cur.objective - better.objective
    lines.push(`distance from the frontier: the current values give ${fmtObjective(r.objective, cur.objective)} at ${fmtMetric(r.stalenessMetric, cur.values[r.stalenessMetric]!)}; ${pointLabel(better.assignment)} is as fresh or fresher for ${fmtObjective(r.objective, better.objective)} (${((saved / cur.objective) * 100).toFixed(1)}% less)`)
  } else lines.push('distance from the frontier: the current values are on it')
  return lines.join('\n')
}

// ---------------------------------------------------------------------------

/** What the command line gets from its host: the wall clock (only sweep progress and speed-up use it). */
export interface Host {
  readonly nowMs: () => number
  /**
   * Writes an HTML report of a JSON text (a result, sweep file or verdict) to `out`, for
   * --report. Injected by bin/isrsim.js from reports/: sim/ never imports reports/.
   */
  readonly report?: (text: string, source: string, out: string, gateText?: string) => Promise<void>
  /**
   * The scenario of a built Next.js app (`isrsim import`), with a committed traffic profile
   * applied, for `check --app`. Injected by bin/isrsim.js from scenarios/: sim/ never imports it.
   */
  readonly appScenario?: (dir: string, traffic: string | undefined) => Promise<{ scenario: unknown; warnings: readonly string[] }>
}

/** --report, or a usage error when the host cannot write reports. */
async function writeReportVia(env: Host, out: string | undefined, text: string, source: string, gateText?: string): Promise<void> {
  if (out === undefined) return
  if (!env.report) throw new UsageError('--report: this host cannot write reports (run the isrsim command)')
  await env.report(text, source, out, gateText)
  process.stdout.write(`report written to ${out}\n`)
}

/** Print `text`, or write it atomically to `out`. */
function emit(text: string, out: string | undefined): void {
  if (out) writeAtomic(out, text)
  else process.stdout.write(text)
}

export function buildProgram(env: Host): Command {
  const program = new Command()
  program
    .name('isrsim')
    .description('Predict what Next.js ISR will do: staleness, regenerations, origin load and cost.')
    .version(ISRSIM_VERSION)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .addHelpText('after', `
More commands (same binary):
  report <result.json|sweep.jsonl|verdict.json> [--out report.html]
                                  Self-contained HTML report (reports/).
  loadtest, verify, app, doctor   Live validation with k6 and next start (loadtest/README.md).`)

  program
    .command('run')
    .description('Simulate a scenario and print a table per route.')
    .argument('<scenario>', 'scenario file (.ts with defineScenario, or .json)')
    .option('--seed <seed>', 'seed (overrides the scenario\'s)')
    .option('--replications <n>', 'independent replications for intervals', positiveInt('--replications'), 1)
    .option('--same-traffic', 'replications keep replication 0\'s requests (what a load test replays) and redraw the rest')
    .option('--json', 'print only the result JSON on stdout')
    .option('--out <file>', 'write the result JSON to this file')
    .option('--pricing <file>', 'price table JSON for the cost model (start from `isrsim pricing`)')
    .option('--report <file>', 'also write a self-contained HTML report')
    .action(async (file: string, opts: { seed?: string; replications: number; sameTraffic?: boolean; json?: boolean; out?: string; pricing?: string; report?: string }) => {
      const scenario = await loadScenario(file)
      const pricing = loadPricing(opts.pricing)
      const result = runScenario(scenario, { replications: opts.replications, source: file, pricing, sameTraffic: opts.sameTraffic === true, ...(opts.seed === undefined ? {} : { seed: opts.seed }) })
      const json = resultJson(result)
      if (opts.out) writeAtomic(opts.out, json)
      if (opts.json) {
        process.stdout.write(json)
      } else {
        process.stdout.write(`${summaryTable(result)}\n`)
        if (opts.out) process.stdout.write(`result written to ${opts.out}\n`)
      }
      await writeReportVia(env, opts.report, json, opts.out ?? file)
      if (!opts.json) process.stdout.write(`${reproduceLine(file, result.seed)}\n`)
    })

  program
    .command('plan')
    .description('Write the requests and on-demand calls of replication 0 as JSON, for k6 to replay.')
    .argument('<scenario>', 'scenario file (.ts with defineScenario, or .json)')
    .option('--seed <seed>', 'seed (overrides the scenario\'s)')
    .option('--out <file>', 'write the plan to this file instead of stdout')
    .action(async (file: string, opts: { seed?: string; out?: string }) => {
      const scenario = await loadScenario(file)
      emit(`${JSON.stringify(requestPlan(scenario, opts.seed ?? String(scenario.seed)))}\n`, opts.out)
    })

  program
    .command('check')
    .description('Fail (exit 1) when caching got worse: a route that became dynamic, a lower revalidate or fewer prebuilt paths than the baseline, a broken threshold, or a metric worse than the baseline beyond the tolerance.')
    .argument('[scenario]', 'scenario file (its "thresholds" are checked); or --app')
    .option('--app <dir>', 'a built Next.js app (after next build): import it and check its real routes instead of a scenario file')
    .option('--traffic <file>', 'with --app: the committed traffic profile (a scenario, e.g. from isrsim import --log) to apply to the app\'s routes')
    .option('--baseline <result.json>', 'a result of the same scenario (e.g. from main) to compare with')
    .option('--tolerance <t>', 'how much worse than the baseline a metric may be, e.g. 5% or 0.05', '5%')
    .option('--replications <n>', 'independent replications: intervals keep noise from failing a build', positiveInt('--replications'), 5)
    .option('--seed <seed>', 'seed (overrides the scenario\'s)')
    .option('--pricing <file>', 'price table JSON for the cost model')
    .option('--out <file>', 'write this run\'s result JSON (a baseline for later checks)')
    .option('--junit <file>', 'write the checks as JUnit XML')
    .option('--markdown <file>', 'write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--report <file>', 'also write an HTML report of this run with the checks')
    .action(async (given: string | undefined, opts: { app?: string; traffic?: string; baseline?: string; tolerance: string; replications: number; seed?: string; pricing?: string; out?: string; junit?: string; markdown?: string; report?: string }) => {
      if ((given === undefined) === (opts.app === undefined)) throw new UsageError('check needs a scenario file or --app <dir> (a built Next.js app), not both and not neither')
      if (opts.traffic !== undefined && opts.app === undefined) throw new UsageError('--traffic applies to --app <dir>; a scenario file has its traffic already')
      const file = given ?? `--app ${opts.app}`
      const scenario = await checkedScenario(env, given, opts.app, opts.traffic)
      const tolerance = parseTolerance(opts.tolerance)
      if (tolerance === null) throw new UsageError(`--tolerance: received "${opts.tolerance}"; allowed: a percentage such as 5% or a fraction such as 0.05 (0..10)`)
      const pricing = loadPricing(opts.pricing)
      const baseRaw = opts.baseline === undefined ? null : readJsonFile(opts.baseline, 'baseline')
      if (baseRaw === null && scenario.thresholds === undefined) throw new UsageError(`${file}: nothing to check: the scenario has no "thresholds" and no --baseline was given`)
      if (baseRaw !== null) {
        // Before the run: a wrong baseline file should not cost the replications first.
        const why = baselineProblem(scenario.name, baseRaw)
        if (why !== null) throw new UsageError(`--baseline ${opts.baseline}: ${why}`)
      }
      const result = runScenario(scenario, { replications: opts.replications, source: file, pricing, ...(opts.seed === undefined ? {} : { seed: opts.seed }) })
      const json = resultJson(result)
      const report = gate(result, scenario.thresholds ?? {}, baseRaw as SimResult | null, tolerance)
      if (opts.out) writeAtomic(opts.out, json)
      if (opts.junit) writeAtomic(opts.junit, gateJunit(report))
      const md = gateMarkdown(report)
      if (opts.markdown) writeAtomic(opts.markdown, md)
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${md}\n`)
      process.stdout.write(`${gateText(report)}\n`)
      await writeReportVia(env, opts.report, json, opts.out ?? file, JSON.stringify(report))
      if (!report.pass) {
        process.stdout.write(`Reproduce: isrsim check ${given ?? `--app ${opts.app}${opts.traffic ? ` --traffic ${opts.traffic}` : ''}`} --seed ${JSON.stringify(result.seed)} --replications ${opts.replications}${opts.baseline ? ` --baseline ${opts.baseline} --tolerance ${opts.tolerance}` : ''}\n`)
        throw new CheckFailed()
      }
    })

  program
    .command('sweep')
    .description('Run a grid of scenario variants on all cores; one JSON line per point (resumable).')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--vary <path=values>', 'a field and its values, e.g. routes.post.revalidateS=30,60,300 or traffic.scale=0.5,1,2 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--out <file>', 'the sweep file (JSON lines); default out/<scenario>.sweep.jsonl')
    .option('--replications <n>', 'replications per point', positiveInt('--replications'), 1)
    .option('--seed <seed>', 'seed for every point (common random numbers)')
    .option('--pricing <file>', 'price table JSON for the cost model')
    .option('--workers <n>', 'worker threads; default one per core', positiveInt('--workers'))
    .option('--shard <i/n>', 'run only points i, i+n, ... (1-based): one machine of a CI matrix; combine with isrsim merge')
    .option('--resume', 'continue an interrupted sweep in --out, skipping finished points')
    .option('--force', 'start over when --out exists')
    .option('--constraint <expr>', 'a bound such as "ageP95S<=600" (repeatable): reports highlight the cheapest point that meets every one', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--report <file>', 'also write an HTML report (frontier, heatmaps)')
    .action(async (file: string, opts: { vary: string[]; out?: string; replications: number; seed?: string; pricing?: string; workers?: number; shard?: string; resume?: boolean; force?: boolean; constraint: string[]; report?: string }) => {
      const scenario = await loadScenario(file)
      const constraints = opts.constraint.map((c) => {
        const p = parseConstraint(c, scenario.routes.map((r) => r.id), scenario.routes.flatMap((r) => r.fetches.map((f) => f.id)))
        return { metric: p.metric, op: p.condition.op, value: p.condition.value, text: p.text }
      })
      const vary = opts.vary.map((v) => parseVary(v, scenario))
      const dup = vary.find((v, i) => vary.findIndex((w) => w.path === v.path) !== i)
      if (dup) throw new UsageError(`--vary ${dup.path} is given twice`)
      const shard = opts.shard === undefined ? null : parseShard(opts.shard)
      const out = opts.out ?? `out/${scenario.name}${shard ? `.shard-${shard.index}-of-${shard.count}` : ''}.sweep.jsonl`
      const summary = await runSweep({
        source: file, scenario, vary, seed: opts.seed ?? String(scenario.seed), replications: opts.replications, pricing: loadPricing(opts.pricing), out,
        workers: opts.workers ?? availableParallelism(), resume: opts.resume === true, force: opts.force === true, shard, constraints,
        progress: process.stderr, nowMs: env.nowMs,
      })
      process.stdout.write(`${sweepTable(summary)}\n`)
      const speedup = summary.wallMs > 0 ? summary.workMs / summary.wallMs : 0
      if (summary.ran > 0) process.stdout.write(`${summary.ran} point${summary.ran === 1 ? '' : 's'} in ${(summary.wallMs / 1000).toFixed(1)} s on ${summary.workers} worker${summary.workers === 1 ? '' : 's'} (points per worker: ${summary.pointsPerWorker.join(', ')}); ${(summary.workMs / 1000).toFixed(1)} s of simulation: speed-up ${speedup.toFixed(2)}x over one worker\n`)
      if (summary.skipped > 0) process.stdout.write(`${summary.skipped} point${summary.skipped === 1 ? '' : 's'} already done (resumed)\n`)
      process.stdout.write(`sweep written to ${out}\n`)
      await writeReportVia(env, opts.report, summary.text, out)
    })

  program
    .command('recommend')
    .description('Search revalidate values per route: the lowest objective (cost) that meets the constraints, and the cost/staleness frontier.')
    .argument('<scenario>', 'scenario file')
    .option('--objective <metric>', 'what to minimise: cost (= cost.monthlyUsd) or a metric such as totals.renders', 'cost')
    .option('--constraint <expr>', 'a bound such as "ageP95S<=600" or "errorFraction<0.001" (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--routes <ids>', 'comma-separated route ids to tune; default every cached (ISR) route')
    .option('--candidates <values>', `revalidate values to consider (seconds, or false); default ${DEFAULT_CANDIDATES.join(',')}`)
    .option('--exhaustive', 'evaluate the whole grid instead of the monotone search')
    .option('--replications <n>', 'replications per evaluation', positiveInt('--replications'), 1)
    .option('--seed <seed>', 'seed for every evaluation (common random numbers)')
    .option('--pricing <file>', 'price table JSON for the cost model')
    .option('--out <file>', 'write the recommendation (chosen values, frontier, every evaluation) as JSON')
    .action(async (file: string, opts: { objective: string; constraint: string[]; routes?: string; candidates?: string; exhaustive?: boolean; replications: number; seed?: string; pricing?: string; out?: string }) => {
      const scenario = await loadScenario(file)
      const ids = scenario.routes.map((r) => r.id)
      const fetchIds = scenario.routes.flatMap((r) => r.fetches.map((f) => f.id))
      const objective = canonicalMetric(opts.objective)
      const bad = metricProblem(objective, ids, fetchIds)
      if (bad !== null) throw new UsageError(`--objective ${opts.objective}: ${bad}`)
      const constraints = opts.constraint.map((c) => parseConstraint(c, ids, fetchIds))
      const cached = scenario.routes.filter((r) => effectiveRevalidate(r).revalidateS !== 0).map((r) => r.id)
      const routes = opts.routes === undefined ? cached : opts.routes.split(',').map((x) => x.trim())
      for (const r of routes) if (!cached.includes(r)) throw new UsageError(`--routes: "${r}" is ${ids.includes(r) ? 'dynamic (rendered per request): revalidate does not apply' : `not a route id (known: ${ids.join(', ')})`}`)
      if (routes.length === 0) throw new UsageError(`${file}: no cached (ISR) route to tune`)
      const candidates = opts.candidates === undefined ? [...DEFAULT_CANDIDATES] : parseCandidates(opts.candidates)
      const pricing = loadPricing(opts.pricing)
      const seed = opts.seed ?? String(scenario.seed)
      const run = (a: Assignment) => runScenario(applyPoint(scenario, Object.fromEntries(Object.entries(a).map(([id, v]) => [`routes.${id}.revalidateS`, v])), file), { seed, replications: opts.replications, pricing, source: file })
      const current = Object.fromEntries(routes.map((r) => [r, scenario.routes.find((x) => x.id === r)!.revalidateS as Candidate]))
      const rec = recommend({
        objective, constraints, routes, candidates, current, exhaustive: opts.exhaustive === true, run,
        onEvaluated: (e, count) => process.stderr.write(`evaluated #${count}: ${pointLabel(e.assignment)} -> ${fmtObjective(objective, e.objective)}${e.feasible ? '' : ' (breaks a constraint)'}\n`),
      })
      process.stdout.write(`${recommendText(rec)}\n`)
      if (opts.out) writeAtomic(opts.out, `${JSON.stringify({ kind: 'recommendation', scenario: { name: scenario.name }, seed, ...rec }, null, 2)}\n`)
      if (rec.best === null) throw new CheckFailed()
    })

  program
    .command('merge')
    .description('Merge the files of a sharded sweep into the file one machine would have written.')
    .argument('<files...>', 'the shard files (one per --shard i/n)')
    .requiredOption('--out <file>', 'the merged sweep file')
    .action((files: string[], opts: { out: string }) => {
      const { header, text } = mergeSweeps(files)
      writeAtomic(opts.out, text)
      process.stdout.write(`merged ${files.length} shard file${files.length === 1 ? '' : 's'} (${header.points} points) into ${opts.out}\n`)
    })

  program
    .command('pricing')
    .description('Print the bundled price table (JSON): copy it, set your prices, pass it with --pricing.')
    .option('--out <file>', 'write it to this file instead')
    .action((opts: { out?: string }) => {
      emit(`${JSON.stringify(DEFAULT_PRICING, null, 2)}\n`, opts.out)
    })

  program
    .command('schema')
    .description('Print the JSON Schema of scenario files.')
    .option('--out <file>', 'write it to this file instead')
    .action((opts: { out?: string }) => {
      emit(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`, opts.out)
    })
  return program
}

export async function main(argv: readonly string[], env: Host): Promise<number> {
  try {
    await buildProgram(env).parseAsync([...argv], { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0
      return 2
    }
    if (e instanceof SweepPointError) {
      process.stderr.write(`isrsim: ${e.message}\n`)
      return e.invariant ? 1 : 2
    }
    if (e instanceof ScenarioError || e instanceof UsageError) {
      process.stderr.write(`isrsim: ${e.message}\n`)
      return 2
    }
    if (e instanceof CheckFailed) return 1
    if (e instanceof InvariantError) {
      process.stderr.write(`isrsim: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

