/**
 * The property tests exercise every scenario field (issue 15, item 1): this test walks the
 * zod schema (sim/scenario.ts) for its fields, the kinds a union allows (revalidateS false, 0
 * or seconds; popularity "uniform", zipf or weights), every enum value and both values of
 * every boolean, then draws SAMPLES scenarios from test/arbitraries.ts at a fixed fast-check
 * seed and fails naming each one that never appears. Each must appear at least MIN_SEEN
 * times, so that a change of the generator's internals cannot tip a field out by luck. The
 * few values the schema allows but validation rejects (EXCLUDED) are proven rejected.
 */
import fc from 'fast-check'
import type * as z from 'zod'
import { describe, expect, test } from 'vitest'
import { parseScenario, ScenarioError, type ScenarioInput } from '../sim/index.ts'
import { scenarioShape as scenarioSchema } from '../sim/scenario/schema.ts'
import { arbCase } from './arbitraries.ts'

/** Scenarios drawn, and the fast-check seed they are drawn from. 400 take ~1 s. */
const SAMPLES = 400
const SEED = 15
const MIN_SEEN = 3

type Def = { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType; options?: z.core.$ZodType[]; entries?: Record<string, string>; values?: unknown[] }
const defOf = (t: z.core.$ZodType) => t._zod.def as unknown as Def

function unwrap(t: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    const d = defOf(t)
    if (['optional', 'default', 'prefault', 'nullable', 'readonly'].includes(d.type) && d.innerType) t = d.innerType
    else if (d.type === 'pipe' && d.in) t = d.in
    else return t
  }
}

const join = (path: string, k: string) => (path === '' ? k : `${path}.${k}`)

/** Every field path of the schema ("routes[].fetches[].tags"), union kind ("routes[].revalidateS:number"), enum and boolean value ("deployment.cache=\"shared\""). */
function schemaFeatures(t: z.core.$ZodType, path: string, out: Set<string>): Set<string> {
  const u = unwrap(t)
  const d = defOf(u)
  switch (d.type) {
    case 'object':
      for (const [k, v] of Object.entries(d.shape!)) { out.add(join(path, k)); schemaFeatures(v, join(path, k), out) }
      break
    case 'array': schemaFeatures(d.element!, `${path}[]`, out); break
    case 'record': schemaFeatures(d.valueType!, `${path}{}`, out); break
    case 'enum': for (const v of Object.values(d.entries!)) out.add(`${path}=${JSON.stringify(v)}`); break
    case 'boolean': out.add(`${path}=true`); out.add(`${path}=false`); break
    case 'union':
      for (const o of d.options!) {
        const od = defOf(unwrap(o))
        if (od.type === 'literal') for (const v of od.values!) out.add(`${path}=${JSON.stringify(v)}`)
        else if (od.type === 'enum') for (const v of Object.values(od.entries!)) out.add(`${path}=${JSON.stringify(v)}`)
        else if (od.type === 'object') schemaFeatures(o, path, out)
        else out.add(`${path}:${od.type}`)
      }
      break
    default: break
  }
  return out
}

/** The same features of one input value, walked along the schema (records' keys are not field names). */
function inputFeatures(t: z.core.$ZodType, v: unknown, path: string, out: Map<string, number>): void {
  const see = (f: string) => out.set(f, (out.get(f) ?? 0) + 1)
  const u = unwrap(t)
  const d = defOf(u)
  switch (d.type) {
    case 'object':
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) { see(join(path, k)); if (d.shape![k]) inputFeatures(d.shape![k], x, join(path, k), out) }
      break
    case 'array': for (const x of v as unknown[]) inputFeatures(d.element!, x, `${path}[]`, out); break
    case 'record': for (const x of Object.values(v as Record<string, unknown>)) inputFeatures(d.valueType!, x, `${path}{}`, out); break
    case 'enum': case 'boolean': see(`${path}=${JSON.stringify(v)}`); break
    case 'union': {
      const options = d.options!.map((o) => ({ o, d: defOf(unwrap(o)) }))
      const literal = options.find((o) => (o.d.type === 'literal' && o.d.values!.some((x) => Object.is(x, v))) || (o.d.type === 'enum' && Object.values(o.d.entries!).includes(v as string)))
      if (literal) { see(`${path}=${JSON.stringify(v)}`); break }
      if (v !== null && typeof v === 'object') {
        const keys = Object.keys(v)
        const obj = options.find((o) => o.d.type === 'object' && keys.every((k) => k in o.d.shape!))
        if (obj) inputFeatures(obj.o, v, path, out)
        break
      }
      see(`${path}:${typeof v}`)
      break
    }
    default: break
  }
}

/** Allowed by the schema, rejected by validation: never generated. Each with a scenario that proves it. */
const EXCLUDED: Record<string, { why: string; input: ScenarioInput }> = {
  'dataChanges[].webhook.kind="updateTag"': {
    why: 'a webhook is a route handler, where updateTag throws',
    input: { name: 'x', durationS: 10, routes: [{ id: 'a', pattern: '/', renderS: 0, fetches: [{ id: 'f', tags: ['t'] }], traffic: { rps: 1 } }], dataChanges: [{ tag: 't', atS: 1, webhook: { kind: 'updateTag', tag: 't' } }] },
  },
}

describe(`the generators produce every scenario field (${SAMPLES} scenarios at fast-check seed ${SEED})`, () => {
  const required = schemaFeatures(scenarioSchema, '', new Set())

  test('the schema walk finds the fields it should (a broken walk cannot pass vacuously)', () => {
    expect(required.size).toBeGreaterThan(120)
    for (const f of ['routes[].fetches[].tags', 'routes[].revalidateS=false', 'routes[].revalidateS=0', 'routes[].revalidateS:number', 'routes[].traffic.popularity="uniform"', 'routes[].traffic.popularity.zipf', 'routes[].traffic.popularity.weights', 'routes[].renderS.lognormal.p95S', 'onDemand[].profile.expireS', 'onDemand[].kind="updateTag"', 'deployment.cache="shared"', 'routes[].params.dynamicParams=false', 'dataChanges[].webhook.delayS', 'routes[].source.page', 'thresholds', 'imported.warnings', 'seed:number', 'next.version="14"', 'routes[].traffic.crawlers[].paths']) {
      expect(required, f).toContain(f)
    }
  })

  test('every field, union kind, enum value and boolean value is generated, each several times', () => {
    const seen = new Map<string, number>()
    for (const c of fc.sample(arbCase(), { numRuns: SAMPLES, seed: SEED })) inputFeatures(scenarioSchema, c.input, '', seen)
    if (process.env.SHOW_COVERAGE) console.log([...required].map((f) => `${seen.get(f) ?? 0} ${f}`).sort((a, b) => parseInt(a) - parseInt(b)).join("\n"))
    const rare = [...required].filter((f) => !(f in EXCLUDED) && (seen.get(f) ?? 0) < MIN_SEEN).map((f) => `${f} (seen in ${seen.get(f) ?? 0})`)
    expect(rare, `scenario features the generators (test/arbitraries.ts) produce fewer than ${MIN_SEEN} times in ${SAMPLES} scenarios at seed ${SEED}: widen them`).toEqual([])
    // Nothing is seen that the schema does not have (the walk of inputs follows the schema).
    expect([...seen.keys()].filter((f) => !required.has(f)), 'features outside the schema').toEqual([])
  })

  test('and the combinations the model treats apart', () => {
    const combos: Record<string, (s: ScenarioInput) => boolean> = {
      'a templated fetch tag': (s) => s.routes.some((r) => r.fetches?.some((f) => f.tags?.some((t) => t.includes('{')))),
      'a literal fetch tag': (s) => s.routes.some((r) => r.fetches?.some((f) => f.tags?.some((t) => !t.includes('{')))),
      'a fetch id on two routes': (s) => { const ids = s.routes.flatMap((r) => [...new Set(r.fetches?.map((f) => f.id))]); return new Set(ids).size < ids.length },
      'several instances, local caches': (s) => (s.deployment?.instances ?? 1) > 1 && s.deployment?.cache !== 'shared',
      'several instances, a shared cache': (s) => (s.deployment?.instances ?? 1) > 1 && s.deployment?.cache === 'shared',
      'a data change on a templated tag': (s) => s.dataChanges?.some((c) => c.tag?.includes('{')) ?? false,
      'a data change on a filled tag': (s) => s.dataChanges?.some((c) => c.tag !== undefined && !c.tag.includes('{') && s.routes.some((r) => r.fetches?.some((f) => f.tags?.some((t) => t.includes('{') && t.split('{')[0] !== '' && c.tag!.startsWith(t.split('{')[0]!))))) ?? false,
      'a webhook naming the changed path': (s) => s.dataChanges?.some((c) => (c.webhook?.tag ?? c.webhook?.path ?? '').includes('{')) ?? false,
      'an on-demand implicit tag': (s) => s.onDemand?.some((e) => e.tag?.startsWith('_N_T_')) ?? false,
      'a route file in a route group': (s) => s.routes.some((r) => r.source?.page.includes('(g)')),
      'a dynamic route with a data change on its fetch': (s) => s.routes.some((r) => (r.dynamic === true || r.revalidateS === 0) && r.fetches?.some((f) => s.dataChanges?.some((c) => c.fetch === f.id))),
      'a route whose data never changes beside one whose data does': (s) => (s.dataChanges?.length ?? 0) > 0 && s.routes.some((r) => (r.fetches?.length ?? 0) === 0),
    }
    const cases = fc.sample(arbCase(), { numRuns: SAMPLES, seed: SEED })
    const rare = Object.entries(combos).map(([name, has]) => [name, cases.filter((c) => has(c.input)).length] as const).filter(([, n]) => n < MIN_SEEN)
    expect(rare, `combinations generated fewer than ${MIN_SEEN} times in ${SAMPLES} scenarios at seed ${SEED}`).toEqual([])
  })

  test.each(Object.entries(EXCLUDED))('%s is left out: validation rejects it (%#)', (_f, { why, input }) => {
    expect(() => parseScenario(input), why).toThrow(ScenarioError)
  })
})
