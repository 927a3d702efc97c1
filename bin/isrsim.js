#!/usr/bin/env node
// Node 20 cannot run TypeScript by itself: tsx's loader runs the CLI and users' .ts scenarios.
// The live commands (app, loadtest, verify, doctor) live in loadtest/; the rest in sim/.
import { register } from 'tsx/esm/api'

register()
const live = ['app', 'loadtest', 'verify', 'doctor']
const { main } = await import(live.includes(process.argv[2] ?? '') ? '../loadtest/cli.ts' : '../sim/cli.ts')
// The wall clock is passed in: sim/ reads none (sweep progress and speed-up use it).
process.exitCode = await main(process.argv.slice(2), { nowMs: () => performance.now() })
