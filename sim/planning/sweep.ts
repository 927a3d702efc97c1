/**
 * Parameter sweeps, pure parts: `--vary path=v1,v2` parsing, applying a value to a
 * scenario, the grid, shards, and the JSON-lines format. Workers, files and the progress
 * bar live in sim/cli/sweep-runner.ts.
 *
 * Common random numbers: every point runs with the same seed, and streams are keyed by
 * name, never by draw order, so every point sees the same arrivals (scaled in time by
 * traffic.scale) and the same paths.
 */
import type { SimResult, SweepConstraint, SweepHeader, SweepPoint, Vary } from '../contract.ts'
import { parseScenario, scenarioHash, schemaKindsAt } from '../scenario/parse.ts'
import { type Scenario } from '../scenario/schema.ts'
import { UsageError } from '../kernel/errors.ts'
import { ISRSIM_VERSION, MODEL_VERSION } from '../version.ts'


/** Paths that are not scenario fields but act on several. */
const SPECIAL: Readonly<Record<string, string>> = {
  'traffic.scale': 'multiplies every route\'s traffic.rps and traffic.unknownRate',
}

/** "routes.post.revalidateS=30,60,false" -> { path, values: [30, 60, false] }. */
export function parseVary(text: string, base: Scenario): Vary {
  const eq = text.indexOf('=')
  if (eq <= 0) throw new UsageError(`--vary "${text}": must be <path>=<v1>,<v2>,... (e.g. routes.post.revalidateS=30,60,300)`)
  const path = text.slice(0, eq).trim()
  const raw = text.slice(eq + 1).split(',').map((v) => v.trim())
  if (raw.length === 0 || raw.every((v) => v === '')) throw new UsageError(`--vary ${path}: the value list is empty; give at least one value, e.g. ${path}=1,2`)
  const empty = raw.findIndex((v) => v === '')
  if (empty >= 0) throw new UsageError(`--vary ${path}: value #${empty + 1} is empty in "${text.slice(eq + 1)}"`)
  const segs = resolvePath(path, base)
  const kinds = segs === null ? ['number'] : schemaKindsAt(segs) ?? []
  const values = raw.map((v) => parseValue(v, kinds))
  if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length) throw new UsageError(`--vary ${path}: a value appears twice in "${text.slice(eq + 1)}"`)
  if (path === 'traffic.scale' && values.some((v) => typeof v !== 'number' || !(v > 0))) throw new UsageError(`--vary traffic.scale: values must be numbers > 0; received ${raw.join(', ')}`)
  return { path, values }
}

function parseValue(v: string, kinds: readonly string[]): string | number | boolean {
  if (kinds.includes('string') || kinds.includes('enum')) {
    if (!kinds.includes('number') && !kinds.includes('literal') && !kinds.includes('boolean')) return v
  }
  try {
    const j = JSON.parse(v) as unknown
    if (typeof j === 'number' || typeof j === 'boolean' || typeof j === 'string') return j
  } catch { /* a bare word: a string */ }
  return v
}

/**
 * Field path segments for a --vary path, with route and fetch ids turned into indexes
 * ("routes.post.revalidateS" -> ["routes", 1, "revalidateS"]); null for special paths.
 * Throws UsageError naming the problem when the path is not a scenario field.
 */
export function resolvePath(path: string, s: Scenario): (string | number)[] | null {
  if (path in SPECIAL) return null
  const parts = path.split('.')
  const out: (string | number)[] = []
  let node: unknown = s
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!
    if (Array.isArray(node)) {
      const byId = node.findIndex((x) => x !== null && typeof x === 'object' && (x as { id?: unknown }).id === p)
      const idx = byId >= 0 ? byId : /^\d+$/.test(p) && Number(p) < node.length ? Number(p) : -1
      if (idx < 0) {
        const ids = node.map((x) => (x as { id?: unknown }).id).filter((x) => typeof x === 'string')
        throw new UsageError(`--vary ${path}: "${p}" is not ${ids.length ? `an id in ${parts.slice(0, i).join('.')} (known: ${ids.map((x) => JSON.stringify(x)).join(', ')})` : `an index of ${parts.slice(0, i).join('.')}`}`)
      }
      out.push(idx)
      node = node[idx]
      continue
    }
    out.push(p)
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined
  }
  const kinds = schemaKindsAt(out)
  if (kinds === null) throw new UsageError(`--vary ${path}: unknown path; vary a scenario field (e.g. routes.<id>.revalidateS, routes.<id>.traffic.rps, deployment.instances, next.version) or ${Object.entries(SPECIAL).map(([k, v]) => `${k} (${v})`).join(', ')}`)
  if (kinds.includes('object') && !kinds.some((k) => ['number', 'string', 'boolean', 'literal', 'enum', 'int'].includes(k))) throw new UsageError(`--vary ${path}: is an object; vary one of its fields`)
  if (kinds.length === 1 && kinds[0] === 'array') throw new UsageError(`--vary ${path}: is a list; vary a field of one of its items`)
  return out
}

/** A copy of the scenario with the point's values set, validated (ScenarioError names the field). */
export function applyPoint(base: Scenario, point: Readonly<Record<string, string | number | boolean>>, source: string): Scenario {
  const s = structuredClone(base) as unknown as Record<string, unknown>
  for (const [path, value] of Object.entries(point)) {
    if (path === 'traffic.scale') {
      for (const r of s.routes as { traffic: { rps: number; unknownRate: number } }[]) {
        r.traffic.rps *= value as number
        r.traffic.unknownRate *= value as number
      }
      continue
    }
    const segs = resolvePath(path, base)!
    let node = s as Record<string | number, unknown>
    for (const k of segs.slice(0, -1)) {
      if (node[k] === undefined) node[k] = {}
      node = node[k] as Record<string | number, unknown>
    }
    node[segs[segs.length - 1]!] = value
  }
  return parseScenario(s, `${source} at ${pointLabel(point)}`)
}

export function pointLabel(point: Readonly<Record<string, unknown>>): string {
  return Object.entries(point).map(([k, v]) => `${k}=${String(v)}`).join(' ')
}

/** Every combination, the first --vary varying slowest. */
export function grid(vary: readonly Vary[]): Record<string, string | number | boolean>[] {
  let out: Record<string, string | number | boolean>[] = [{}]
  for (const v of vary) out = out.flatMap((p) => v.values.map((x) => ({ ...p, [v.path]: x })))
  return out
}

/** "--shard 2/4" -> { index: 2, count: 4 }: this machine runs the points whose index % 4 === 1. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = Number(m?.[1]), count = Number(m?.[2])
  if (m === null || count < 1 || index < 1 || index > count) throw new UsageError(`--shard "${text}": must be i/n with 1 <= i <= n (e.g. 1/4)`)
  return { index, count }
}

export const inShard = (pointIndex: number, shard: { index: number; count: number } | null) => shard === null || pointIndex % shard.count === shard.index - 1

export type { PointResult, SweepConstraint, SweepHeader, SweepPoint, Vary } from '../contract.ts'

/** The base scenario's value at a --vary path (1 for traffic.scale; null where the field is unset). */
export function currentValue(base: Scenario, path: string): string | number | boolean | null {
  const segs = resolvePath(path, base)
  if (segs === null) return 1
  let node: unknown = base
  for (const k of segs) node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : undefined
  return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean' ? node : null
}

/** Fields that always split a sweep into levels: traffic is a scenario, not a knob to choose. */
export const LEVEL_FIELDS: readonly string[] = ['traffic.scale']

export function sweepHeader(s: Scenario, seed: string, replications: number, pricing: { name: string; date: string }, vary: readonly Vary[], shard: { index: number; count: number } | null, constraints: readonly SweepConstraint[] = [], given: readonly string[] = []): SweepHeader {
  return {
    kind: 'sweep', sweepVersion: 1, isrsimVersion: ISRSIM_VERSION, modelVersion: MODEL_VERSION,
    scenario: { name: s.name, hash: scenarioHash(s) }, seed, replications, pricing, vary,
    current: Object.fromEntries(vary.map((v) => [v.path, currentValue(s, v.path)])),
    ...(constraints.length ? { constraints } : {}),
    ...(given.length ? { given } : {}),
    points: grid(vary).length,
    ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
  }
}

export function pointLine(index: number, vary: SweepPoint['vary'], r: SimResult): string {
  const { series: _series, ageCdf: _ageCdf, ...result } = r
  return `${JSON.stringify({ kind: 'point', index, vary, result } satisfies SweepPoint)}\n`
}

/** The finished file: the header, then every point in index order. Shards merge into exactly this. */
export function canonicalSweep(header: SweepHeader, lines: ReadonlyMap<number, string>): string {
  return `${JSON.stringify(header)}\n${[...lines.keys()].sort((a, b) => a - b).map((i) => lines.get(i)!).join('')}`
}
