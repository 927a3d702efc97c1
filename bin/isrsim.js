#!/usr/bin/env node
// Node 20 cannot run TypeScript by itself: tsx's loader runs the CLI and users' .ts scenarios.
// The live commands (app, loadtest, verify, doctor, replay) live in loadtest/, `report` in
// reports/, `import` and `traffic` in scenarios/, the rest in sim/. This file wires them: the
// wall clock and the report writer are handed in, so sim/ reads no clock and neither sim/ nor
// loadtest/ imports reports/.
import { register } from 'tsx/esm/api'

register()
const command = process.argv[2] ?? ''
const live = ['app', 'loadtest', 'verify', 'doctor', 'replay']
// From a real app and its logs to a scenario (scenarios/from-app, scenarios/from-logs).
const ingest = ['import', 'traffic']
const entry = command === 'report' ? '../reports/cli.ts' : live.includes(command) ? '../loadtest/cli.ts' : ingest.includes(command) ? '../scenarios/cli.ts' : '../sim/cli/main.ts'
const { main } = await import(entry)
// reports/ renders, the host writes (atomically, with the CLI's writer).
const report = async (text, source, out, gateText) => {
  const [{ renderReport }, { writeAtomic }] = await Promise.all([import('../reports/cli.ts'), import('../sim/cli/files.ts')])
  writeAtomic(out, await renderReport(text, source, gateText))
}
// check --app imports a built app (scenarios/); sim/ gets it handed in, as it gets reports.
const appScenario = async (dir, traffic) => (await import('../scenarios/cli.ts')).appScenario(dir, traffic)
process.exitCode = await main(process.argv.slice(2), { nowMs: () => performance.now(), report, appScenario })
