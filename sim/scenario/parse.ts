/**
 * Reading a scenario: the schema (schema.ts) and the cross-field checks (check.ts) in one
 * pass that collects every issue and words each as field path, value received and what is
 * allowed; the scenario hash; the published JSON Schema.
 */
import { createHash } from 'node:crypto'
import * as z from 'zod'
import { ScenarioError, type ScenarioIssue } from '../kernel/errors.ts'
import { checkScenario } from './check.ts'
import { checkFamilies, rawFamilyIssues } from './check-families.ts'
import { scenarioShape, type Scenario, type ScenarioInput } from './schema.ts'

const scenarioSchema = scenarioShape.superRefine(checkScenario).superRefine(checkFamilies)

/** Validate and fill defaults. Collects every issue; throws ScenarioError. */
export function parseScenario(input: unknown, source?: string): Scenario {
  const r = scenarioSchema.safeParse(input, { reportInput: true })
  const raw = rawFamilyIssues(input)
  if (r.success && raw.length === 0) return r.data
  throw new ScenarioError([...(r.success ? [] : r.error.issues.flatMap((i) => toIssues(i, input))), ...raw], source)
}

/** Typed scenario files: `export default defineScenario({...})`. Validates where it is written. */
export function defineScenario<const T extends ScenarioInput>(input: T): T {
  parseScenario(input)
  return input
}
/** sha-256 of the canonical resolved scenario, without seed, comments and thresholds: same model, same hash. */
export function scenarioHash(s: Scenario): string {
  const { seed: _seed, description: _d, $schema: _s, thresholds: _t, imported: _i, ...model } = s
  // Where a route comes from in the app's files is not part of the model either, except the
  // page file, whose route file path gives the implicit tags (route groups included, §4.1).
  // Whether a route is dynamic on purpose (intent) changes warnings and the gate, not the model.
  const routes = model.routes.map(({ source, intent: _intent, ...r }) => (source ? { ...r, routeFile: source.page } : r))
  return createHash('sha256').update(canonicalJson({ ...model, routes })).digest('hex').slice(0, 16)
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    // Empty lists are left out, so a feature a scenario does not use never changes its hash.
    const keep = (k: string) => o[k] !== undefined && !(Array.isArray(o[k]) && o[k].length === 0)
    return `{${Object.keys(o).sort().filter(keep).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

/** The published JSON Schema (draft 2020-12) of the scenario input. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://isrsim.dev/scenario.schema.json',
    title: 'isrsim scenario',
  }
}

// ---------------------------------------------------------------------------
// zod issue -> ScenarioIssue with domain wording

type ZodIssue = z.core.$ZodIssue

/** Fields whose allowed values are best said in one sentence, whatever zod's branch-level complaint. */
const FIELD_RULES: Record<string, string> = {
  revalidateS: 'must be false (never revalidate by time), 0 (dynamic: rendered on every request) or a number of seconds >= 1 (Next.js rejects fractions below 1)',
  renderS: 'must be a number of seconds (0..3600) or { "lognormal": { "medianS": s, "p95S": s } }',
  popularity: 'must be "uniform", { "zipf": s } with 0 < s <= 10, or { "weights": [w0, w1, ...] } with weights >= 0',
  id: 'must be a unique route id of letters, digits, "_" or "-" (e.g. "post")',
}

/** The rule for a field path, or undefined. `id` is a route id only directly under routes[i]. */
function fieldRule(path: readonly PropertyKey[]): string | undefined {
  const last = path[path.length - 1]
  if (typeof last !== 'string') return undefined
  if (last === 'id') return path.length === 3 && path[0] === 'routes' ? FIELD_RULES.id : path.length === 5 && path[2] === 'fetches' ? 'must be a fetch id of letters, digits, "_", ".", ":" or "-" (e.g. "posts")' : undefined
  return FIELD_RULES[last]
}

function toIssues(i: ZodIssue, root: unknown): ScenarioIssue[] {
  if (i.code !== 'unrecognized_keys') return [toIssue(i, root)]
  // One issue per unknown field, each at its own path with its own value.
  const allowed = allowedKeys(i.path)
  return i.keys.map((key) => ({
    path: joinPath(formatPath(i.path), key),
    message: `unknown field${allowed ? `; allowed fields: ${allowed.join(', ')}` : ''}`,
    received: valueAt(root, [...i.path, key]),
  }))
}

function toIssue(i: ZodIssue, root: unknown): ScenarioIssue {
  const path = formatPath(i.path)
  const received = 'input' in i ? i.input : valueAt(root, i.path)
  const rule = i.code !== 'unrecognized_keys' && i.code !== 'custom' ? fieldRule(i.path) : undefined
  if (rule !== undefined) return received === undefined ? { path, message: `is required: it ${rule}` } : { path, message: rule, received }
  switch (i.code) {
    case 'invalid_type':
      if (received === undefined) return { path, message: `is required (${describeExpected(i.expected)})` }
      return { path, message: `must be ${describeExpected(i.expected)}`, received }
    case 'too_small': {
      const what = i.origin === 'array' ? `${i.exact ? 'exactly' : 'at least'} ${String(i.minimum)} item(s)` : i.origin === 'string' ? `a non-empty string` : `${i.inclusive ? '>=' : '>'} ${String(i.minimum)}`
      return { path, message: `must be ${what}`, received }
    }
    case 'too_big': {
      const what = i.origin === 'array' ? `${i.exact ? 'exactly' : 'at most'} ${String(i.maximum)} item(s)` : `${i.inclusive ? '<=' : '<'} ${String(i.maximum)}`
      return { path, message: `must be ${what}`, received }
    }
    case 'invalid_value':
      return { path, message: `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`, received }
    default:
      return { path, message: i.message, received }
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'int': return 'a whole number'
    case 'number': return 'a number'
    case 'string': return 'a string'
    case 'boolean': return 'true or false'
    case 'array': return 'an array'
    case 'object': return 'an object'
    default: return expected
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : joinPath(acc, String(k))), '')
}

function joinPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

/** The field names allowed at an object path, read from the schema itself. */
function allowedKeys(path: readonly PropertyKey[]): string[] | undefined {
  let candidates: z.core.$ZodType[] = [scenarioSchema]
  for (const k of [...path, null]) {
    const next: z.core.$ZodType[] = []
    for (let c of candidates) {
      c = unwrap(c)
      const def = c._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; options?: z.core.$ZodType[] }
      const variants = def.type === 'union' ? (def.options ?? []).map(unwrap) : [c]
      for (const v of variants) {
        const d = v._zod.def as unknown as typeof def
        if (k === null) { if (d.type === 'object' && d.shape) return Object.keys(d.shape) }
        else if (typeof k === 'number' && d.type === 'array' && d.element) next.push(d.element)
        else if (typeof k === 'string' && d.type === 'object' && d.shape?.[k]) next.push(d.shape[k])
      }
    }
    candidates = next
  }
  return undefined
}

function unwrap(t: z.core.$ZodType): z.core.$ZodType {
  let c = t
  for (;;) {
    const def = c._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType }
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') && def.innerType) c = def.innerType
    else if (def.type === 'pipe' && def.in) c = def.in
    else return c
  }
}

/**
 * The kinds of value the schema allows at a field path (array indexes as numbers), e.g.
 * ['number', 'literal'] for routes[0].revalidateS; null when no such field exists.
 */
export function schemaKindsAt(path: readonly PropertyKey[]): string[] | null {
  let candidates: z.core.$ZodType[] = [scenarioSchema]
  for (const k of path) {
    const next: z.core.$ZodType[] = []
    for (const c of candidates) {
      const u = unwrap(c)
      const def = u._zod.def as unknown as { type: string; options?: z.core.$ZodType[] }
      const variants = def.type === 'union' ? (def.options ?? []).map(unwrap) : [u]
      for (const v of variants) {
        const d = v._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType }
        if (typeof k === 'number' && d.type === 'array' && d.element) next.push(d.element)
        else if (typeof k === 'string' && d.type === 'object' && d.shape?.[k]) next.push(d.shape[k])
        else if (typeof k === 'string' && d.type === 'record' && d.valueType) next.push(d.valueType)
      }
    }
    if (next.length === 0) return null
    candidates = next
  }
  const kinds = new Set<string>()
  for (const c of candidates) {
    const u = unwrap(c)
    const def = u._zod.def as unknown as { type: string; options?: z.core.$ZodType[] }
    for (const v of def.type === 'union' ? (def.options ?? []).map(unwrap) : [u]) kinds.add((v._zod.def as unknown as { type: string }).type)
  }
  return [...kinds]
}
