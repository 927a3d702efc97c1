/**
 * Goldens: the whole result of every bundled, live and benchmark scenario and of the rich
 * scenario on every version profile (test/goldens/cases.ts), byte for byte. They change only
 * when the model changes. Then: bump MODEL_VERSION in sim/version.ts, regenerate with
 *   UPDATE_GOLDENS=1 npx vitest run test/noreg.test.ts
 * and commit the goldens with the bump, saying why. UPDATE_GOLDENS=1 refuses to rewrite a
 * golden whose numbers moved while MODEL_VERSION is still the one test/goldens/MODEL_VERSION
 * recorded. UPDATE_GOLDENS=output-only rewrites goldens whose fields were only added or
 * removed (a result format change, no value moved). See test/goldens/README.md.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { writeAtomic } from '../sim/index.ts'
import { MODEL_VERSION } from '../sim/version.ts'
import { firstDifference, GOLDEN_DIR, goldenCases, MODEL_VERSION_FILE, onlyFieldsAddedOrRemoved, reproduceCommand, runGolden } from './goldens/cases.ts'

const UPDATE = process.env.UPDATE_GOLDENS
if (UPDATE !== undefined && UPDATE !== '1' && UPDATE !== 'output-only') throw new Error(`UPDATE_GOLDENS must be 1 or output-only, received ${JSON.stringify(UPDATE)}`)
const REGENERATE = 'UPDATE_GOLDENS=1 npx vitest run test/noreg.test.ts'
const recordedVersion = existsSync(MODEL_VERSION_FILE) ? readFileSync(MODEL_VERSION_FILE, 'utf8').trim() : null
const bumped = recordedVersion !== MODEL_VERSION
const cases = await goldenCases()
const fileOf = (name: string) => join(GOLDEN_DIR, `${name}.json`)

describe(`goldens (model version ${MODEL_VERSION}; regenerate after a bump with ${REGENERATE})`, () => {
  afterAll(() => {
    if (UPDATE === '1' && bumped) writeAtomic(MODEL_VERSION_FILE, `${MODEL_VERSION}\n`)
  })

  test('the goldens were made by this model version', () => {
    if (UPDATE === '1') return
    expect(recordedVersion, `test/goldens/MODEL_VERSION says the goldens were made with model version ${recordedVersion}, but sim/version.ts is ${MODEL_VERSION}: regenerate them with ${REGENERATE} and commit them with the bump`).toBe(MODEL_VERSION)
  })

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const file = fileOf(c.name)
    const now = runGolden(c)
    const golden = existsSync(file) ? readFileSync(file, 'utf8') : null
    if (golden === now) return
    const diff = golden === null ? 'no golden file yet' : `first difference: ${firstDifference(JSON.parse(golden), JSON.parse(now)) ?? '(formatting only)'}`
    const where = `golden ${c.name} (test/goldens/${c.name}.json) differs: ${diff}\nreproduce: ${reproduceCommand(c)}`
    if (golden === null && UPDATE !== undefined) { writeAtomic(file, now); return }
    if (UPDATE === '1' && bumped) { writeAtomic(file, now); return }
    if (UPDATE === 'output-only' && golden !== null && onlyFieldsAddedOrRemoved(JSON.parse(golden), JSON.parse(now))) { writeAtomic(file, now); return }
    const how = UPDATE === '1'
      ? `results moved but MODEL_VERSION is still ${MODEL_VERSION} (as recorded in test/goldens/MODEL_VERSION): if the model changed on purpose, bump it in sim/version.ts first and say why in the commit`
      : UPDATE === 'output-only'
        ? 'values moved, not only fields: this is a model change (bump MODEL_VERSION, then UPDATE_GOLDENS=1)'
        : `if the model changed on purpose: bump MODEL_VERSION in sim/version.ts, run ${REGENERATE}, and commit the goldens with the bump, saying why`
    expect.fail(`${where}\n${how}`)
  })

  test('every golden file belongs to a run', () => {
    const names = new Set(cases.map((c) => c.name))
    const orphans = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json') && !names.has(f.slice(0, -5)))
    if (UPDATE !== undefined) { for (const f of orphans) rmSync(join(GOLDEN_DIR, f)); return }
    expect(orphans, `golden files without a scenario (renamed or removed?): delete them, or run ${REGENERATE}`).toEqual([])
  })
})
