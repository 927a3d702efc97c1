/**
 * The planning commands: `sweep` (a grid of scenario variants on worker threads) and
 * `recommend` (revalidate values that minimise an objective under constraints).
 */
import type { Command } from 'commander'
import { availableParallelism } from 'node:os'
import { UsageError } from '../kernel/errors.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { DEFAULT_CANDIDATES, parseCandidates, parseConstraint, recommend, type Assignment, type Candidate } from '../planning/recommend.ts'
import { applyPoint, parseShard, parseVary, pointLabel } from '../planning/sweep.ts'
import { runScenario } from '../run.ts'
import { canonicalMetric, metricProblem } from '../scenario/metric-paths.ts'
import { CheckFailed, loadPricing, positiveInt, writeReportVia, type Host } from './common.ts'
import { loadScenario, writeAtomic } from './files.ts'
import { fmtObjective, recommendText, sweepTable } from './format.ts'
import { runSweep } from './sweep-runner.ts'

export function registerPlanCommands(program: Command, env: Host): void {
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
}
