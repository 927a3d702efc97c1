import { defineConfig } from 'vitest/config'

// One fast-check seed for the whole run (workers inherit the environment), printed by
// test/setup.ts so that any failing property can be replayed with DEFAULT_SEED=<seed>.
process.env.DEFAULT_SEED ??= String((Date.now() ^ (Math.random() * 0x100000000)) >>> 0)

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/plain-summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
