// fast-check runs from one seed per test run (set in vitest.config.ts), printed once per
// file, so a failing property can be replayed: DEFAULT_SEED=<seed> npm test.
import fc from 'fast-check'

const seed = Number(process.env.DEFAULT_SEED ?? 42)
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_NUM_RUNS ?? 40) })
console.log(`fast-check seed: ${seed} (replay with DEFAULT_SEED=${seed} npm test)`)
