// fast-check runs from one seed per test run, printed in every failure, so a failing
// property can be replayed: DEFAULT_SEED=<seed> npm test.
import fc from 'fast-check'

const seedFromEnv = process.env.DEFAULT_SEED
const seed = seedFromEnv !== undefined ? Number(seedFromEnv) : Date.now() ^ (Math.random() * 0x100000000)
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_NUM_RUNS ?? 40) })
if (!globalThis.__isrsimSeedPrinted) {
  globalThis.__isrsimSeedPrinted = true
  console.log(`fast-check seed: ${seed} (replay with DEFAULT_SEED=${seed} npm test)`)
}

declare global {
  var __isrsimSeedPrinted: boolean | undefined
}
