/**
 * The test run's layout (vitest.config.ts): the simulator's files run two at a time, and every
 * file that starts real parts (next, k6, nginx, redis-server, Chromium) or installs into .tools/
 * runs in the serial group after them. A new file of the second kind left out of SERIAL would
 * run beside other files: its live verdicts could move, and two installs could race.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SERIAL } from '../vitest.config.ts'

const TEST_DIR = import.meta.dirname
/** What a file that uses real parts calls or imports. */
const REAL_PARTS = /loadtest\/services\/|\bensureNext\(|\bensureK6\(|\blaunchChromium\(|\brunLive\(|\bliveRun\(|\bbuildFixture\(|build-time-real\.ts|from 'playwright-core'/
/** SERIAL's globs have `*` within a file name only. */
const serial = (file: string) => SERIAL.some((g) => new RegExp(`^${g.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(file))

describe('the test run\'s layout', () => {
  // This file names the markers itself.
  const files = readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts') && f !== 'test-layout.test.ts').map((f) => `test/${f}`)

  it('every test file that starts real parts or installs into .tools/ is in the serial group', () => {
    const real = files.filter((f) => REAL_PARTS.test(readFileSync(join(TEST_DIR, '..', f), 'utf8')))
    expect(real.length).toBeGreaterThanOrEqual(15)
    expect(real.filter((f) => !serial(f)), 'add them to SERIAL in vitest.config.ts').toEqual([])
  })

  it('the serial globs match the files they are meant for, and not the simulator\'s own', () => {
    expect(serial('test/live-topology.test.ts')).toBe(true)
    expect(serial('test/from-app-mixed-input.test.ts')).toBe(true)
    expect(serial('test/fast-mode.test.ts')).toBe(false)
    expect(serial('test/livelier/x.test.ts')).toBe(false)
    expect(files.filter(serial).length).toBeLessThan(files.length / 3)
  })
})
