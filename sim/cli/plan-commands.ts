/**
 * The planning commands: `sweep` (a grid of scenario variants on worker threads) and
 * `recommend` (revalidate values that minimise an objective under constraints).
 */
import type { Command } from 'commander'
import { availableParallelism } from 'node:os'
import { UsageError } from '../kernel/errors.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import type { SimMode, Vary } from '../contract.ts'
import { evalLabel } from '../planning/answers.ts'
import { DEFAULT_CANDIDATES, parseCandidates, parseConstraint, weighPrerender } from '../planning/recommend.ts'
import { runScenario } from '../run.ts'
import { scenarioHash } from '../scenario/parse.ts'
import type { Scenario } from '../scenario/schema.ts'
import { runRecommend } from './recommend-runner.ts'
import { createPool } from './worker-pool.ts'
import { LEVEL_FIELDS, parseShard, parseVary } from '../planning/sweep.ts'
import { canonicalMetric, metricProblem } from '../scenario/metric-paths.ts'
import { CheckFailed, loadPricing, MODE_HELP, parseMode, positiveInt, refuseTooBig, writeReportVia, type Host } from './common.ts'
import { loadScenario, writeAtomic } from './files.ts'
import { fmtObjective, prerenderText, recommendText, sweepTable, verdictLine } from './format.ts'
import { runSweep } from './sweep-runner.ts'
import { sweepAnswers } from './sweep-verdict.ts'

export function registerPlanCommands(program: Command, env: Host): void {
  program
    .command('sweep')
    .description('Run a grid of scenario variants on all cores; one JSON line per point (resumable).')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--vary <path=values>', 'a field and its values, e.g. routes.post.revalidateS=30,60,300 or traffic.scale=0.5,1,2 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--given <path=values>', 'levels answered apart, e.g. traffic.scale=1,2 (traffic.scale in --vary is one too): a table, frontier and verdict per level (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--out <file>', 'the sweep file (JSON lines); default out/<scenario>.sweep.jsonl')
    .option('--replications <n>', 'replications per point', positiveInt('--replications'), 1)
    .option('--seed <seed>', 'seed for every point (common random numbers)')
    .option('--pricing <file>', 'price table JSON for the cost model')
    .option('--workers <n>', 'worker threads; default one per core', positiveInt('--workers'))
    .option('--shard <i/n>', 'run only points i, i+n, ... (1-based): one machine of a CI matrix; combine with isrsim merge')
    .option('--resume', 'continue an interrupted sweep in --out, skipping finished points')
    .option('--force', 'start over when --out exists')
    .option('--constraint <expr>', 'a bound such as "ageP95S<=600" (repeatable): prints a verdict per level, the cheapest point that meets every one or why none does', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--report <file>', 'also write an HTML report (frontier, heatmaps)')
    .option('--mode <mode>', MODE_HELP, parseMode, 'auto' as SimMode)
    .action(async (file: string, opts: { vary: string[]; given: string[]; out?: string; replications: number; seed?: string; pricing?: string; workers?: number; shard?: string; resume?: boolean; force?: boolean; constraint: string[]; report?: string; mode: SimMode }) => {
      const scenario = await loadScenario(file)
      const parsed = opts.constraint.map((c) => parseConstraint(c, scenario.routes.map((r) => r.id), scenario.routes.flatMap((r) => r.fetches.map((f) => f.id))))
      const constraints = parsed.map((p) => ({ metric: p.metric, op: p.condition.op, value: p.condition.value, text: p.text }))
      const given = opts.given.map((v) => parseVary(v, scenario))
      const all = [...given, ...opts.vary.map((v) => parseVary(v, scenario))]
      const dup = all.find((v, i) => all.findIndex((w) => w.path === v.path) !== i)
      if (dup) throw new UsageError(`--vary ${dup.path} is given twice (in --vary or --given)`)
      const vary = all
      const levelPaths = vary.filter((v, i) => i < given.length || LEVEL_FIELDS.includes(v.path)).map((v) => v.path)
      refuseTooBig('sweep', scenario, opts.mode, false, Math.max(1, opts.workers ?? availableParallelism()))
      const shard = opts.shard === undefined ? null : parseShard(opts.shard)
      const out = opts.out ?? `out/${scenario.name}${shard ? `.shard-${shard.index}-of-${shard.count}` : ''}.sweep.jsonl`
      const summary = await runSweep({
        source: file, scenario, vary, seed: opts.seed ?? String(scenario.seed), replications: opts.replications, pricing: loadPricing(opts.pricing), mode: opts.mode, out,
        workers: opts.workers ?? availableParallelism(), resume: opts.resume === true, force: opts.force === true, shard, constraints, given: levelPaths,
        progress: process.stderr, nowMs: env.nowMs,
      })
      process.stdout.write(`${sweepTable(summary)}\n`)
      if (parsed.length > 0 && shard === null) {
        const pool = createPool(Math.min(opts.workers ?? availableParallelism(), 4), { seed: summary.header.seed, replications: opts.replications, pricing: loadPricing(opts.pricing), source: file, mode: opts.mode })
        try {
          const answers = await sweepAnswers({ scenario, source: file, header: summary.header, lines: summary.lines, constraints: parsed, pool })
          process.stdout.write(`${answers.map(verdictLine).join('\n')}\n`)
        } finally {
          await pool.close()
        }
      }
      const speedup = summary.wallMs > 0 ? summary.workMs / summary.wallMs : 0
      if (summary.ran > 0) process.stdout.write(`${summary.ran} point${summary.ran === 1 ? '' : 's'} in ${(summary.wallMs / 1000).toFixed(1)} s on ${summary.workers} worker${summary.workers === 1 ? '' : 's'} (points per worker: ${summary.pointsPerWorker.join(', ')}); ${(summary.workMs / 1000).toFixed(1)} s of simulation: speed-up ${speedup.toFixed(2)}x over one worker\n`)
      if (summary.skipped > 0) process.stdout.write(`${summary.skipped} point${summary.skipped === 1 ? '' : 's'} already done (resumed)\n`)
      process.stdout.write(`sweep written to ${out}\n`)
      await writeReportVia(env, opts.report, summary.text, out)
    })

  program
    .command('recommend')
    .description('Search revalidate values per route (and --vary options such as deployment.cache): one verdict line per --given level, the lowest objective (cost) that meets the constraints or why no point does (checked by re-runs), and the cost/staleness frontier.')
    .argument('<scenario>', 'scenario file')
    .option('--objective <metric>', 'what to minimise: cost (= cost.monthlyUsd) or a metric such as totals.renders', 'cost')
    .option('--constraint <expr>', 'a bound such as "ageP95S<=600" or "errorFraction<0.001" (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--routes <ids>', 'comma-separated route ids to tune; default every cached (ISR) route')
    .option('--candidates <values>', `revalidate values to consider (seconds, or false); default ${DEFAULT_CANDIDATES.join(',')}`)
    .option('--exhaustive', 'evaluate the whole grid instead of the monotone search')
    .option('--vary <path=values>', 'also search this field, e.g. deployment.cache=local,shared or deployment.instances=1,3 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--given <path=values>', 'answer apart for each value, e.g. traffic.scale=1,2: one recommendation per level (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--replications <n>', 'replications per evaluation', positiveInt('--replications'), 1)
    .option('--seed <seed>', 'seed for every evaluation (common random numbers)')
    .option('--pricing <file>', 'price table JSON for the cost model')
    .option('--workers <n>', 'worker threads; default one per core', positiveInt('--workers'))
    .option('--out <file>', 'write the recommendation (verdicts, causes, frontier, every evaluation) as JSON; isrsim report reads it')
    .option('--report <file>', 'also write an HTML report (frontier and heatmaps per level)')
    .option('--mode <mode>', MODE_HELP, parseMode, 'auto' as SimMode)
    .action(async (file: string, opts: { objective: string; constraint: string[]; routes?: string; candidates?: string; exhaustive?: boolean; vary: string[]; given: string[]; replications: number; seed?: string; pricing?: string; workers?: number; out?: string; report?: string; mode: SimMode }) => {
      const scenario = await loadScenario(file)
      const ids = scenario.routes.map((r) => r.id)
      const fetchIds = scenario.routes.flatMap((r) => r.fetches.map((f) => f.id))
      const objective = canonicalMetric(opts.objective)
      const bad = metricProblem(objective, ids, fetchIds)
      if (bad !== null) throw new UsageError(`--objective ${opts.objective}: ${bad}`)
      const constraints = opts.constraint.map((c) => parseConstraint(c, ids, fetchIds))
      const cached = scenario.routes.filter((r) => effectiveRevalidate(r, scenario.next).revalidateS !== 0).map((r) => r.id)
      const routes = opts.routes === undefined ? cached : opts.routes.split(',').map((x) => x.trim())
      for (const r of routes) if (!cached.includes(r)) throw new UsageError(`--routes: "${r}" is ${ids.includes(r) ? 'dynamic (rendered per request): revalidate does not apply' : `not a route id (known: ${ids.join(', ')})`}`)
      if (routes.length === 0) throw new UsageError(`${file}: no cached (ISR) route to tune`)
      const candidates = opts.candidates === undefined ? [...DEFAULT_CANDIDATES] : parseCandidates(opts.candidates)
      const { vary, given } = parseVaryGiven(opts.vary, opts.given, scenario, routes.map((r) => `routes.${r}.revalidateS`))
      const seed = opts.seed ?? String(scenario.seed)
      refuseTooBig('recommend', scenario, opts.mode, false, Math.max(1, opts.workers ?? availableParallelism()))
      const spec = { seed, replications: opts.replications, pricing: loadPricing(opts.pricing), source: file, mode: opts.mode }
      const pool = createPool(opts.workers ?? availableParallelism(), spec)
      let count = 0
      let outcome: Awaited<ReturnType<typeof runRecommend>>
      try {
        outcome = await runRecommend({
          scenario, ...spec, objective, constraints, routes, candidates, exhaustive: opts.exhaustive === true, vary, given, pool,
          onEvaluated: (level, e) => process.stderr.write(`evaluated #${++count}: ${level ? `[${level}] ` : ''}${evalLabel(e)} -> ${fmtObjective(objective, e.objective)}${e.feasible ? '' : ' (breaks a constraint)'}\n`),
        })
      } finally {
        await pool.close()
      }
      process.stderr.write(`${pool.started()} runs on ${pool.workers} worker${pool.workers === 1 ? '' : 's'}\n`)
      process.stdout.write(`${outcome.answers.map(recommendText).join('\n\n')}\n`)
      // Build time against first visitors' misses, per route with prerendered paths (a run each, same seed).
      const runOf = (v: Scenario) => runScenario(v, { seed, replications: opts.replications, pricing: spec.pricing, source: file, mode: opts.mode })
      const weighed = weighPrerender(scenario, runOf)
      if (weighed.length > 0) process.stdout.write(`${prerenderText(weighed)}\n`)
      const json = recommendationJson(scenario, seed, vary, given, outcome)
      if (opts.out) writeAtomic(opts.out, json)
      // The report of the whole recommendation (its verdict lines and causes, over the sweep of its evaluations).
      await writeReportVia(env, opts.report, json, opts.out ?? file)
      if (outcome.answers.some((a) => a.recommendation.best === null)) throw new CheckFailed()
    })
}

/** --vary and --given of recommend: parsed, no field twice, never a tuned route's revalidate. */
function parseVaryGiven(varyText: readonly string[], givenText: readonly string[], scenario: Scenario, tuned: readonly string[]): { vary: Vary[]; given: Vary[] } {
  // traffic.scale is a level wherever it is given: traffic is a scenario, not a knob to choose.
  const varied = varyText.map((v) => parseVary(v, scenario))
  const vary = varied.filter((v) => !LEVEL_FIELDS.includes(v.path))
  const given = [...givenText.map((v) => parseVary(v, scenario)), ...varied.filter((v) => LEVEL_FIELDS.includes(v.path))]
  const all = [...given, ...vary]
  const dup = all.find((v, i) => all.findIndex((w) => w.path === v.path) !== i)
  if (dup) throw new UsageError(`${dup.path} is given twice (in --vary or --given)`)
  const clash = all.find((v) => tuned.includes(v.path))
  if (clash) throw new UsageError(`--vary ${clash.path}: recommend searches this route's revalidate itself (use --candidates, or leave the route out of --routes)`)
  return { vary, given }
}

/** The recommendation file: one answer per level, and every evaluation as a sweep (what isrsim report draws). */
function recommendationJson(scenario: Scenario, seed: string, vary: readonly Vary[], given: readonly Vary[], o: Awaited<ReturnType<typeof runRecommend>>): string {
  const answers = o.answers.map((a) => ({ given: a.given, verdict: verdictLine(a), complete: a.complete, causes: a.causes, ...a.recommendation }))
  // One level: its fields at the top too, as before levels existed.
  const single = answers.length === 1 ? answers[0]! : {}
  return `${JSON.stringify({ kind: 'recommendation', recommendationVersion: 1, scenario: { name: scenario.name, hash: scenarioHash(scenario) }, seed, vary, given, ...single, answers, sweep: o.sweep }, null, 2)}\n`
}
