#!/usr/bin/env node
// Node 20 cannot run TypeScript by itself: tsx's loader runs the CLI and users' .ts scenarios.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../sim/cli.ts')
process.exitCode = await main(process.argv.slice(2))
