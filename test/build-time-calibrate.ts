/**
 * Calibrates the build-time model's machine constants (sim/planning/build-time.ts
 * BUILD_DEFAULTS: fixedS, pageS) from real builds of CALIBRATION_PATHS paths, apart from the
 * 50/200/800-path builds test/build-time.test.ts validates against. It builds `repeat` times
 * and takes the fastest build (other processes on a shared machine only ever slow a build).
 *   node --import tsx test/build-time-calibrate.ts [paths] [renderS] [repeat]
 * fixedS = wall time - Next's own "Generating static pages ... in X";
 * pageS = (X - the renders' share the model gives with pageS = 0) / pages.
 */
import { parseScenario } from '../sim/index.ts'
import { predictBuild } from '../sim/planning/build-time.ts'
import { buildScenario, realBuild } from './build-time-real.ts'

export const CALIBRATION_PATHS = 400
export const RENDER_S = 0.05

/** This machine's constants from `repeat` real builds of `paths` paths (the fastest: other processes only slow a build). */
export async function calibrate(paths = CALIBRATION_PATHS, renderS = RENDER_S, repeat = 3) {
  const builds = []
  for (let i = 0; i < repeat; i++) builds.push(await realBuild(paths, renderS, 'calibrate'))
  const b = builds.reduce((x, y) => (y.wallS < x.wallS ? y : x))
  const rendersOnly = predictBuild(parseScenario(buildScenario(paths, renderS, { fixedS: 0, pageS: 0 })))
  const fixedS = b.wallS - b.generateS
  const pageS = (b.generateS - rendersOnly.generateS) / rendersOnly.pages
  return { paths, renderS, walls: builds.map((x) => x.wallS), wallS: b.wallS, generateS: b.generateS, compiledS: b.compiledS, workers: b.workers, staticPages: b.staticPages, modelPages: rendersOnly.pages, rendersS: rendersOnly.generateS, fixedS, pageS }
}

async function main(): Promise<void> {
  const c = await calibrate(Number(process.argv[2] ?? CALIBRATION_PATHS), Number(process.argv[3] ?? RENDER_S), Number(process.argv[4] ?? 3))
  process.stdout.write(`${JSON.stringify(c)}\n`)
}
if (import.meta.url === `file://${process.argv[1]}`) await main()
