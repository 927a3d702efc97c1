/**
 * `isrsim import` and `isrsim traffic`: from a built Next.js app (scenarios/from-app) and its
 * access logs (scenarios/from-logs) to a scenario that `isrsim run` accepts as it is.
 * Exit codes: 0 ok, 2 bad input (a missing build, an unreadable or foreign log), with a
 * message that says what to do. Outputs are written to a temporary file and renamed.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { loadScenario, parseScenario, ScenarioError, UsageError, writeAtomic, type ScenarioInput } from '../sim/index.ts'
import { importApp, type AppImport } from './from-app/index.ts'
import { PLACEHOLDER_RENDER_S } from './from-app/routes.ts'
import { applyTraffic } from './from-app/traffic.ts'
import { fitTraffic, LOG_FORMATS, type FitOptions, type LogFormat } from './from-logs/index.ts'

const collect = (v: string, acc: string[]) => [...acc, v]

function humanAgents(v: string): RegExp {
  try {
    return new RegExp(v)
  } catch (e) {
    throw new InvalidArgumentError(`not a regular expression: ${(e as Error).message}`)
  }
}

/** The --log options of import and traffic, as fitTraffic takes them. */
function logOptions(opts: { logFormat: LogFormat; replay?: boolean; humanUa?: RegExp; allowUnmatched?: boolean }): FitOptions {
  return {
    format: opts.logFormat,
    replay: opts.replay === true,
    progress: process.stderr,
    ...(opts.humanUa ? { humanAgents: opts.humanUa } : {}),
    ...(opts.allowUnmatched ? { allowUnmatched: true } : {}),
  }
}

function logFormat(v: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat
  throw new InvalidArgumentError(`received "${v}"; allowed: ${LOG_FORMATS.join(', ')}`)
}

/** Validate before writing: a scenario that `isrsim run` would refuse is never written. */
function writeScenario(scenario: ScenarioInput, out: string | undefined): void {
  parseScenario(scenario, out ?? 'the scenario')
  const text = `${JSON.stringify(scenario, null, 2)}\n`
  if (out === undefined) process.stdout.write(text)
  else {
    writeAtomic(out, text)
    process.stderr.write(`scenario written to ${out}\n`)
  }
}

const printWarnings = (warnings: readonly string[]) => { for (const w of warnings) process.stderr.write(`warning: ${w}\n`) }

/**
 * The scenario of a built app with a committed traffic profile applied (`isrsim check --app`,
 * `isrsim import --traffic`); without a profile, the import's placeholders.
 */
export async function appScenario(dir: string, traffic: string | undefined): Promise<{ scenario: ScenarioInput; warnings: string[] }> {
  const app = importApp(dir)
  if (traffic === undefined) return { scenario: app.scenario, warnings: [...app.warnings] }
  const applied = applyTraffic(app.scenario, await loadScenario(traffic), traffic)
  return replacedPlaceholders(app, applied.scenario, applied.warnings)
}

/**
 * The scenario and warnings once logs or a profile gave real figures: the import's warnings
 * about placeholders they replaced are gone (from the terminal and from `imported.warnings`).
 */
function replacedPlaceholders(app: AppImport, scenario: ScenarioInput, more: readonly string[]): { scenario: ScenarioInput; warnings: string[] } {
  const p = app.placeholders
  const guessedRender = scenario.routes.some((r) => r.renderS === PLACEHOLDER_RENDER_S)
  const gone = new Set([p.traffic, p.count, ...(guessedRender ? [] : [p.renderS])])
  const warnings = [...app.warnings.filter((w) => !gone.has(w)), ...more]
  return { scenario: scenario.imported ? { ...scenario, imported: { ...scenario.imported, warnings } } : scenario, warnings }
}

export function buildProgram(): Command {
  const program = new Command().name('isrsim').exitOverride().configureOutput({ outputError: (str, write) => write(str) })
  const formatOption = () => new Option('--log-format <format>', 'the logs\' format').argParser(logFormat).default('auto')
  const humanOption = () => new Option('--human-ua <regex>', 'user agents that are human traffic even where the bot list flags them (e.g. "^k6/" for a load test\'s log)').argParser(humanAgents)
  const unmatchedOption = () => new Option('--allow-unmatched', 'accept logs where most requests match no route (a scenario that models part of the site)')

  program.command('import')
    .description('Read a built App Router app (after `next build`) and write a scenario; with --log, fit its traffic from access logs.')
    .argument('<app-dir>', 'the app folder (with .next/ from next build)')
    .option('--log <file>', 'an access log (repeatable; .gz is read too)', collect, [] as string[])
    .addOption(formatOption())
    .addOption(humanOption())
    .addOption(unmatchedOption())
    .option('--replay', 'also put the logs\' exact requests into the scenario as schedules')
    .option('--traffic <file>', 'a committed traffic profile (a scenario, e.g. one import --log wrote): its traffic, paths, render times, deployment and budgets, applied to the app\'s routes by pattern')
    .option('--out <file>', 'write the scenario here (default: stdout)')
    .action(async (dir: string, opts: { log: string[]; logFormat: LogFormat; humanUa?: RegExp; allowUnmatched?: boolean; replay?: boolean; traffic?: string; out?: string }) => {
      if (opts.traffic !== undefined && opts.log.length > 0) throw new UsageError('give either --traffic (a committed profile) or --log (fit one from logs), not both')
      if (opts.replay && opts.log.length === 0) throw new UsageError('--replay needs at least one --log')
      if (opts.log.length === 0) {
        const app = await appScenario(dir, opts.traffic)
        printWarnings(app.warnings)
        writeScenario(app.scenario, opts.out)
        return
      }
      const app = importApp(dir)
      const fit = await fitTraffic(app.scenario, opts.log, logOptions(opts))
      for (const l of fit.report) process.stderr.write(`${l}\n`)
      const done = replacedPlaceholders(app, fit.scenario, fit.warnings)
      printWarnings(done.warnings)
      writeScenario(done.scenario, opts.out)
    })

  program.command('traffic')
    .description('Fit a scenario\'s traffic from access logs: per-route rates, popularity, daily curve, crawlers and real paths.')
    .argument('<scenario>', 'the scenario whose routes the logs are matched to')
    .requiredOption('--log <file>', 'an access log (repeatable; .gz is read too)', collect, [] as string[])
    .addOption(formatOption())
    .addOption(humanOption())
    .addOption(unmatchedOption())
    .option('--replay', 'also put the logs\' exact requests into the scenario as schedules')
    .requiredOption('--out <file>', 'write the fitted scenario here')
    .action(async (file: string, opts: { log: string[]; logFormat: LogFormat; humanUa?: RegExp; allowUnmatched?: boolean; replay?: boolean; out: string }) => {
      const scenario = await loadScenario(file)
      const fit = await fitTraffic(scenario, opts.log, logOptions(opts))
      printWarnings(fit.warnings)
      for (const l of fit.report) process.stderr.write(`${l}\n`)
      writeScenario(fit.scenario, opts.out)
    })
  return program
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? 0 : 2
    if (e instanceof ScenarioError || e instanceof UsageError) {
      process.stderr.write(`isrsim: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
