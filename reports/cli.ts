/**
 * `isrsim report <result.json | sweep.jsonl | verdict.json | recommendation.json> [--out report.html]`, and the
 * renderer behind `--report` on run, sweep, check, verify and loadtest. reports/ only renders:
 * bin/isrsim.js writes the page (atomically) and hands that writer to every command, so sim/
 * and loadtest/ never import reports/.
 *
 * Exit codes: 0 written, 2 bad input (nothing is written).
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { reportHtml } from './html.ts'
import { parseReportInput, ReportInputError } from './load.ts'

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new ReportInputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
}

/** The report of JSON text (already in memory, or read from `source`): the whole HTML page. */
export async function renderReport(text: string, source: string, gateText?: string): Promise<string> {
  return reportHtml(parseReportInput(text, source, gateText))
}

/** Writes a report to `out`, atomically: the host's writer (bin/isrsim.js), which renders with renderReport. */
export type ReportWriter = (text: string, source: string, out: string, gateText?: string) => Promise<void>

/** The default output: the input's name with .html (out/blog.result.json -> out/blog.result.html). */
export function defaultReportPath(input: string): string {
  return `${input.replace(/\.(jsonl|json)$/i, '')}.html`
}

export async function main(argv: readonly string[], env: { readonly report: ReportWriter }): Promise<number> {
  const program = new Command()
    .name('isrsim')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
  program
    .command('report')
    .description('Write a self-contained HTML report (no network, inline SVG charts) of a result, a sweep file, a recommendation or a verdict.')
    .argument('<input>', 'result JSON (isrsim run --out), sweep file (isrsim sweep), recommendation JSON (isrsim recommend --out) or verdict JSON (isrsim verify, loadtest, replay)')
    .option('--out <file>', 'the HTML file; default the input with .html')
    .action(async (input: string, opts: { out?: string }) => {
      const out = opts.out ?? defaultReportPath(input)
      await env.report(readInput(input), input, out)
      process.stdout.write(`report written to ${out}\n`)
    })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2
    if (e instanceof ReportInputError) {
      process.stderr.write(`isrsim: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
