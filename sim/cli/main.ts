/**
 * The `isrsim` command line. Thin: parse arguments, load the scenario, call
 * runScenario, print, write files atomically. Exit codes: 0 ok, 1 model or invariant
 * failure (with a reproduce line), 2 usage or validation error.
 */
import { appendFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import type { SimMode, SimResult } from '../contract.ts'
import { InvariantError, ScenarioError, UsageError } from '../kernel/errors.ts'
import { baselineMode, baselineProblem, gate, gateJunit, gateMarkdown, gateText } from '../planning/gate.ts'
import { requestPlan } from '../plan.ts'
import { DEFAULT_PRICING } from '../planning/pricing.ts'
import { predictBuild } from '../planning/build-time.ts'
import { parseTolerance } from '../planning/thresholds.ts'
import { CheckFailed, loadPricing, MODE_HELP, parseMode, positiveInt, refuseTooBig, writeReportVia, type Host } from './common.ts'
import { checkWritable, loadScenario, readJsonFile, writeAtomic } from './files.ts'
import { buildLine, modeLines, summaryTable } from './format.ts'
import { progressBar, sizeLine, type Progress } from './progress.ts'
import { registerPlanCommands } from './plan-commands.ts'
import { mergeSweeps, SweepPointError } from './sweep-runner.ts'
import { reproduceLine, runScenario } from '../run.ts'
import { parseScenario, scenarioJsonSchema } from '../scenario/parse.ts'
import { type Scenario } from '../scenario/schema.ts'
import { ISRSIM_VERSION } from '../version.ts'

export { loadPricing, type Host } from './common.ts'

/** check's scenario: a file, or a built app imported with its traffic profile applied. */
async function checkedScenario(env: Host, file: string | undefined, app: string | undefined, traffic: string | undefined): Promise<Scenario> {
  if (file !== undefined) return loadScenario(file)
  if (!env.appScenario) throw new UsageError('--app: this host cannot import apps (run the isrsim command)')
  const r = await env.appScenario(app!, traffic)
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
  return parseScenario(r.scenario, `--app ${app}`)
}

export function resultJson(r: SimResult): string {
  return `${JSON.stringify(r, null, 2)}\n`
}

// ---------------------------------------------------------------------------

/** The options that name an output file, on every command that has them. */
const OUTPUT_FLAGS = [['out', '--out'], ['report', '--report'], ['junit', '--junit'], ['markdown', '--markdown']] as const

/** Runs `work` with a progress bar on a terminal (stderr), cleared before anything is printed. */
function withProgress<T>(show: boolean, what: string, work: (onProgress: Progress['onProgress'] | undefined) => T): T {
  const bar = show ? progressBar(process.stderr, what) : null
  try {
    return work(bar?.onProgress)
  } finally {
    bar?.stop()
  }
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
  report <result.json|sweep.jsonl|recommendation.json|verdict.json> [--out report.html]
                                  Self-contained HTML report (reports/).
  loadtest, verify, app, doctor   Live validation with k6 and next start (loadtest/README.md).
  import, traffic, replay         A built app and its access logs to a scenario, and back.
  help <command>                  The options of one command.`)
    // An output path that cannot be written fails before anything runs (exit 2), for every
    // command with output options, sweep and recommend included.
    .hook('preAction', (_program, command) => {
      const opts = command.opts<Record<string, unknown>>()
      for (const [key, flag] of OUTPUT_FLAGS) {
        const v = opts[key]
        if (typeof v === 'string') checkWritable(v, flag)
      }
    })

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
    .option('--mode <mode>', MODE_HELP, parseMode, 'auto' as SimMode)
    .action(async (file: string, opts: { seed?: string; replications: number; sameTraffic?: boolean; json?: boolean; out?: string; pricing?: string; report?: string; mode: SimMode }) => {
      const scenario = await loadScenario(file)
      const pricing = loadPricing(opts.pricing)
      refuseTooBig('run', scenario, opts.mode, opts.sameTraffic === true)
      const size = opts.json ? null : sizeLine(scenario, opts.replications)
      if (size !== null) process.stderr.write(`run: ${size}\n`)
      const result = withProgress(opts.json !== true, 'run', (onProgress) => runScenario(scenario, { replications: opts.replications, source: file, pricing, sameTraffic: opts.sameTraffic === true, mode: opts.mode, ...(opts.seed === undefined ? {} : { seed: opts.seed }), ...(onProgress ? { onProgress } : {}) }))
      const json = resultJson(result)
      if (opts.out) writeAtomic(opts.out, json)
      if (opts.json) {
        process.stdout.write(json)
      } else {
        process.stdout.write(`${summaryTable(result)}\n`)
        for (const line of modeLines(result)) process.stdout.write(`${line}\n`)
        process.stdout.write(`${buildLine(result.build ?? predictBuild(scenario), result.build !== undefined)}\n`)
        if (opts.out) process.stdout.write(`result written to ${opts.out}\n`)
      }
      await writeReportVia(env, opts.report, json, opts.out ?? file)
      if (!opts.json) process.stdout.write(`${reproduceLine(file, result.seed, opts.mode)}\n`)
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
    .description('Fail (exit 1) when caching got worse: a route that became dynamic, a lower revalidate or fewer prebuilt paths than the baseline; without a baseline, a route that asks to be cached but is dynamic (unless intent: "dynamic") or revalidates below what its page declares; a broken threshold; or a metric worse than the baseline beyond the tolerance. Each failure names the route and its cause.')
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
    .option('--mode <mode>', `${MODE_HELP}; default: the baseline's mode (exact for a baseline made before fast mode), else auto`, parseMode)
    .action(async (given: string | undefined, opts: { app?: string; traffic?: string; baseline?: string; tolerance: string; replications: number; seed?: string; pricing?: string; out?: string; junit?: string; markdown?: string; report?: string; mode?: SimMode }) => {
      if ((given === undefined) === (opts.app === undefined)) throw new UsageError('check needs a scenario file or --app <dir> (a built Next.js app), not both and not neither')
      if (opts.traffic !== undefined && opts.app === undefined) throw new UsageError('--traffic applies to --app <dir>; a scenario file has its traffic already')
      const file = given ?? `--app ${opts.app}`
      const scenario = await checkedScenario(env, given, opts.app, opts.traffic)
      const tolerance = parseTolerance(opts.tolerance)
      if (tolerance === null) throw new UsageError(`--tolerance: received "${opts.tolerance}"; allowed: a percentage such as 5% or a fraction such as 0.05 (0..10)`)
      const pricing = loadPricing(opts.pricing)
      const baseRaw = opts.baseline === undefined ? null : readJsonFile(opts.baseline, 'baseline')
      // With neither thresholds nor a baseline, the routes' structure is still checked against what each asks for.
      if (baseRaw !== null) {
        // Before the run: a wrong baseline file should not cost the replications first.
        const why = baselineProblem(scenario.name, baseRaw)
        if (why !== null) throw new UsageError(`--baseline ${opts.baseline}: ${why}`)
      }
      // The baseline's mode by default: an unchanged scenario then gives the baseline's very numbers (same seed, same draws).
      const mode = opts.mode ?? (baseRaw === null ? 'auto' : baselineMode(baseRaw as SimResult))
      refuseTooBig('check', scenario, mode)
      const size = sizeLine(scenario, opts.replications)
      if (size !== null) process.stderr.write(`check: ${size}\n`)
      const result = withProgress(true, 'check', (onProgress) => runScenario(scenario, { replications: opts.replications, source: file, pricing, mode, ...(opts.seed === undefined ? {} : { seed: opts.seed }), ...(onProgress ? { onProgress } : {}) }))
      const json = resultJson(result)
      const report = gate(result, scenario.thresholds ?? {}, baseRaw as SimResult | null, tolerance, scenario)
      if (opts.out) writeAtomic(opts.out, json)
      if (opts.junit) writeAtomic(opts.junit, gateJunit(report))
      const md = gateMarkdown(report)
      if (opts.markdown) writeAtomic(opts.markdown, md)
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${md}\n`)
      process.stdout.write(`${gateText(report)}\n`)
      await writeReportVia(env, opts.report, json, opts.out ?? file, JSON.stringify(report))
      if (!report.pass) {
        process.stdout.write(`Reproduce: isrsim check ${given ?? `--app ${opts.app}${opts.traffic ? ` --traffic ${opts.traffic}` : ''}`} --seed ${JSON.stringify(result.seed)} --replications ${opts.replications}${opts.baseline ? ` --baseline ${opts.baseline} --tolerance ${opts.tolerance}` : ''}${mode === 'auto' ? '' : ` --mode ${mode}`}\n`)
        throw new CheckFailed()
      }
    })

  registerPlanCommands(program, env)

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

/** Commands bin/isrsim.js sends to other modules (loadtest/, scenarios/, reports/): `help <one of them>` is theirs. */
export const OTHER_COMMANDS = ['report', 'app', 'loadtest', 'verify', 'doctor', 'replay', 'import', 'traffic'] as const

export async function main(argv: readonly string[], env: Host): Promise<number> {
  try {
    const program = buildProgram(env)
    if (argv[0] === 'help' && argv[1] !== undefined) {
      // commander prints the general help for a name it does not know; a typo is a usage error.
      const known = [...program.commands.map((c) => c.name()), ...OTHER_COMMANDS, 'help']
      if (!known.includes(argv[1])) throw new UsageError(`help: unknown command "${argv[1]}" (commands: ${known.filter((c) => c !== 'help').join(', ')})`)
    }
    await program.parseAsync([...argv], { from: 'user' })
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

