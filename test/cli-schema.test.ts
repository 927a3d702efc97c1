/**
 * Every field of the published scenario schema has a description (issue 16, item 7): what an
 * editor shows on hover, and what `isrsim schema` prints. Walks scenarioJsonSchema(): object
 * properties, array items, union branches and record values, and fails naming each field
 * without one. The walk is proven on a hand-made schema first, so the test can fail.
 *
 * Reproduce: npx vitest run test/cli-schema.test.ts
 */
import { describe, expect, it } from 'vitest'
import { scenarioJsonSchema } from '../sim/scenario/parse.ts'

type Node = {
  description?: unknown
  properties?: Record<string, Node>
  items?: Node | Node[]
  anyOf?: Node[]
  oneOf?: Node[]
  allOf?: Node[]
  additionalProperties?: boolean | Node
  $ref?: string
  $defs?: Record<string, Node>
}

/** Field paths ("routes[].traffic.rps") without a non-empty description. */
function undescribed(root: Node): string[] {
  const out = new Set<string>()
  const seen = new Set<Node>()
  const resolve = (n: Node): Node => {
    if (n.$ref?.startsWith('#/$defs/')) return root.$defs?.[n.$ref.slice('#/$defs/'.length)] ?? n
    return n
  }
  const walk = (node: Node, path: string) => {
    const n = resolve(node)
    if (seen.has(n)) return
    seen.add(n)
    for (const [k, v] of Object.entries(n.properties ?? {})) {
      const p = path === '' ? k : `${path}.${k}`
      const d = resolve(v).description ?? v.description
      if (typeof d !== 'string' || d.trim() === '') out.add(p)
      walk(v, p)
    }
    for (const it of Array.isArray(n.items) ? n.items : n.items ? [n.items] : []) walk(it, `${path}[]`)
    for (const b of [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])]) walk(b, path)
    if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}.*`)
  }
  walk(root, '')
  return [...out]
}

describe('the scenario schema describes every field', () => {
  it('the walk finds fields without a description, wherever they sit', () => {
    const schema: Node = {
      properties: {
        a: { description: 'ok', properties: { b: {}, c: { description: ' ' } } },
        list: { description: 'ok', items: { properties: { d: {} } } },
        either: { description: 'ok', anyOf: [{ properties: { e: {} } }, { type: 'string' } as Node] },
        rec: { description: 'ok', additionalProperties: { properties: { f: { $ref: '#/$defs/F' } } } },
      },
      $defs: { F: { description: 'from the definition' } },
    }
    expect(undescribed(schema).sort()).toEqual(['a.b', 'a.c', 'either.e', 'list[].d'])
  })

  it('scenarioJsonSchema() has a description on every field', () => {
    const schema = scenarioJsonSchema() as Node
    expect(Object.keys(schema.properties ?? {}).length).toBeGreaterThan(10)
    expect(undescribed(schema), 'fields of sim/scenario/schema.ts without .describe(...); then run `node bin/isrsim.js schema --out scenarios/scenario.schema.json`').toEqual([])
  })
})
