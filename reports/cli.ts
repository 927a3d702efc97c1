/**
 * `isrsim report <result.json | sweep.jsonl | verdict.json> [--out report.html]`, and the
 * writer behind `--report` on run, sweep, check, verify and loadtest (bin/isrsim.js hands it
 * to those commands, so sim/ and loadtest/ never import reports/).
 *
 * Exit codes: 0 written, 2 bad input (nothing is written).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { Command, CommanderError } from 'commander'
import { reportHtml } from './html.ts'
import { parseReportInput, ReportInputError } from './load.ts'

/** Write the HTML atomically: a temporary file renamed over the target, so no half-written report is ever seen. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new ReportInputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
}

/** Render a report from JSON text (already in memory, or read from `source`) and write it to `out`. */
export async function writeReport(text: string, source: string, out: string, gateText?: string): Promise<void> {
  const html = await reportHtml(parseReportInput(text, source, gateText))
  writeAtomic(out, html)
}

/** The default output: the input's name with .html (out/blog.result.json -> out/blog.result.html). */
export function defaultReportPath(input: string): string {
  return `${input.replace(/\.(jsonl|json)$/i, '')}.html`
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('isrsim')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
  program
    .command('report')
    .description('Write a self-contained HTML report (no network, inline SVG charts) of a result, a sweep file or a verdict.')
    .argument('<input>', 'result JSON (isrsim run --out), sweep file (isrsim sweep) or verdict JSON (isrsim verify)')
    .option('--out <file>', 'the HTML file; default the input with .html')
    .action(async (input: string, opts: { out?: string }) => {
      const out = opts.out ?? defaultReportPath(input)
      await writeReport(readInput(input), input, out)
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
