import { test } from 'vitest'
import { buildFixture } from './fixture-apps.ts'
import { importAndRun } from './import-run.ts'
test.each([['app-mixed', '16'], ['app-next15', '15'], ['app-mixed-15', '15']] as const)('%s modes', async (name, major) => {
  const b = await buildFixture(name, major)
  const { result } = importAndRun(b.dir)
  for (const [id, r] of Object.entries(result.routes)) console.log(name, id, r.mode, r.exactBecause ?? '')
}, 1_200_000)
