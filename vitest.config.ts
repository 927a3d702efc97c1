import { configDefaults, defineConfig } from 'vitest/config'

// One fast-check seed for the whole run (workers inherit the environment), printed by
// test/setup.ts so that any failing property can be replayed with DEFAULT_SEED=<seed>.
process.env.DEFAULT_SEED ??= String((Date.now() ^ (Math.random() * 0x100000000)) >>> 0)

/**
 * Files that run one at a time, after the rest: they start real processes (next build and
 * next start, k6, nginx, redis-server, Chromium) whose timings their verdicts read, or install
 * shared tools into .tools/ on first use (two installs at once would race). test/test-layout.test.ts
 * checks that every file which does is listed.
 */
export const SERIAL = [
  'test/live*.test.ts',
  'test/build-time.test.ts',
  'test/from-app*.test.ts',
  'test/gate-app.test.ts',
  'test/reports-browser.test.ts',
  'test/topology.test.ts',
  'test/topology-nginx.test.ts',
]

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/plain-summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // The simulator's own tests use one core each, so both cores run them at once.
      { extends: true, test: { name: 'sim', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SERIAL], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'real-parts', include: SERIAL, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
