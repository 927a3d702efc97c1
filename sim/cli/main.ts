/**
 * The `isrsim` command line. Thin: parse arguments, load the scenario, call
 * runScenario, print, write files atomically. Exit codes: 0 ok, 1 model or invariant
 * failure (with a reproduce line), 2 usage or validation error.
 */
import { appendFileSync } from 'node:fs'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import type { SimResult } from '../contract.ts'
import { InvariantError, ScenarioError, UsageError } from '../kernel/errors.ts'
import { baselineProblem, gate, gateJunit, gateMarkdown, gateText } from '../planning/gate.ts'
import { requestPlan } from '../plan.ts'
import { DEFAULT_PRICING, parsePricing, type Pricing } from '../planning/pricing.ts'
import { canonicalMetric, metricProblem } from '../scenario/metric-paths.ts'
import { parseTolerance } from '../planning/thresholds.ts'
import { DEFAULT_CANDIDATES, parseCandidates, parseConstraint, recommend, type Assignment, type Candidate, type Recommendation } from '../planning/recommend.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { applyPoint, parseShard, parseVary, pointLabel } from '../planning/sweep.ts'
import { loadScenario, readJsonFile, writeAtomic } from './files.ts'
import { fmtObjective, recommendText, summaryTable, sweepTable } from './format.ts'
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

