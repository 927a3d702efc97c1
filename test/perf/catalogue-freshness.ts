// Benchmark fixture: catalogue-extended plus origin data changes (issue 3, item 4). A product's
// data changes 0.2 times a second, and a CMS webhook calls revalidateTag for it 2 s later, so
// every response is also checked for freshness (dataLag, outdatedServedFraction).
import extended from './catalogue-extended.ts'
import { defineScenario } from '../../sim/index.ts'

export default defineScenario({
  ...extended,
  name: 'catalogue-freshness',
  dataChanges: [{ tag: 'product:{sku}', ratePerS: 0.2, webhook: { kind: 'revalidateTag', tag: 'product:{sku}', profile: 'max', delayS: 2 } }],
})
