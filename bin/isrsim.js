#!/usr/bin/env node
// Node 20 cannot run TypeScript by itself: tsx's loader runs the CLI and users' .ts scenarios.
// The live commands (app, loadtest, verify, doctor, replay) live in loadtest/, `report` in
// reports/, `import` and `traffic` in scenarios/, the rest in sim/. This file wires them: the
// wall clock and the report writer are handed in, so sim/ reads no clock and neither sim/ nor
// loadtest/ imports reports/.
import { register } from 'tsx/esm/api'

register()
// A user's .ts scenario then loads into this module graph (sim/cli/files.ts importUserModule).
globalThis[Symbol.for('isrsim.tsxRegistered')] = true

// Output piped to `head` (or any reader that stops early) ends quietly: the reader has what it
// wanted, so EPIPE is a normal end, not a crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0)
    process.exitCode = 2
    try { process.stderr.write(`isrsim: cannot write output: ${e.message}\n`) } catch {}
  })
}
// Colours exactly when stdout is a terminal, NO_COLOR (https://no-color.org) is unset and TERM is
// not "dumb". The table library reads neither NO_COLOR nor isTTY, and guesses "no colour" whenever
// CI is set, so the decision is handed to it through FORCE_COLOR. An explicit FORCE_COLOR still wins.
if (process.env.FORCE_COLOR === undefined) {
  const colour = process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
  process.env.FORCE_COLOR = colour ? '1' : '0'
}

// `isrsim help <command>` for a command another module owns is that module's `<command> --help`.
const live = ['app', 'loadtest', 'verify', 'doctor', 'replay']
// From a real app and its logs to a scenario (scenarios/from-app, scenarios/from-logs).
const ingest = ['import', 'traffic']
const argv = process.argv.slice(2)
if (argv[0] === 'help' && ['report', ...live, ...ingest].includes(argv[1] ?? '')) argv.splice(0, 2, argv[1], '--help')
const command = argv[0] ?? ''
const entry = command === 'report' ? '../reports/cli.ts' : live.includes(command) ? '../loadtest/cli.ts' : ingest.includes(command) ? '../scenarios/cli.ts' : '../sim/cli/main.ts'
const { main } = await import(entry)
// reports/ renders, the host writes (atomically, with the CLI's writer).
const report = async (text, source, out, gateText) => {
  const [{ renderReport }, { checkWritable, writeAtomic }] = await Promise.all([import('../reports/cli.ts'), import('../sim/cli/files.ts')])
  // `isrsim report --out`: the other commands check their --report before they run.
  checkWritable(out, '--out')
  writeAtomic(out, await renderReport(text, source, gateText))
}
// check --app imports a built app (scenarios/); sim/ gets it handed in, as it gets reports.
const appScenario = async (dir, traffic) => (await import('../scenarios/cli.ts')).appScenario(dir, traffic)
try {
  process.exitCode = await main(argv, { nowMs: () => performance.now(), report, appScenario })
} catch (e) {
  // Each module turns its own user errors into exit 2; this is the net under all of them: a
  // usage or scenario error, or a file the user named that cannot be read or written, is one
  // line, never a stack trace. Anything else is a bug and keeps its trace.
  const { ScenarioError, UsageError } = await import('../sim/kernel/errors.ts')
  const fsError = e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string'
  if (!(e instanceof UsageError || e instanceof ScenarioError || fsError)) throw e
  process.stderr.write(`isrsim: ${e.message}\n`)
  process.exitCode = 2
}
