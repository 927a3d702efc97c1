/**
 * The golden runs (issue 15, item 1): every bundled scenario (scenarios/*), every live
 * scenario (scenarios/live/*), every benchmark fixture (test/perf/*) and the rich scenario
 * (rich.ts) on each version profile with local and shared caches. Each run's whole result
 * is kept byte for byte in test/goldens/<name>.json; test/noreg.test.ts compares them.
 *
 * A file's result leaves out `modelVersion` and `isrsimVersion`: those live once, in
 * test/goldens/MODEL_VERSION and package.json, so that a model change shows in the diff
 * exactly the runs whose numbers moved.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { NEXT_VERSIONS, parseScenario, runScenario, type SimResult } from '../../sim/index.ts'
import { richScenario } from './rich.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const GOLDEN_DIR = join(ROOT, 'test/goldens')
export const MODEL_VERSION_FILE = join(GOLDEN_DIR, 'MODEL_VERSION')

export interface GoldenCase {
  /** The golden file is test/goldens/<name>.json. */
  readonly name: string
  /** Where the scenario comes from (a repo-relative file, or rich.ts with its arguments). */
  readonly source: string
  readonly input: unknown
  readonly replications: number
  readonly sameTraffic: boolean
}

/** Scenario files of a folder: JSON with routes, or TypeScript that default-exports defineScenario(...). */
function scenarioFiles(dir: string): string[] {
  const abs = join(ROOT, dir)
  return readdirSync(abs, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort().filter((f) => {
    const text = readFileSync(join(abs, f), 'utf8')
    if (f.endsWith('.json')) return /"routes"\s*:/.test(text) && !f.endsWith('.schema.json')
    return f.endsWith('.ts') && !f.endsWith('.perf.ts') && /export default defineScenario\(/.test(text)
  }).map((f) => `${dir}/${f}`)
}

async function loadInput(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as unknown
  return ((await import(pathToFileURL(join(ROOT, file)).href)) as { default: unknown }).default
}

/** Every golden run, in a fixed order. */
export async function goldenCases(): Promise<GoldenCase[]> {
  const out: GoldenCase[] = []
  for (const [prefix, dir] of [['bundled', 'scenarios'], ['live', 'scenarios/live'], ['perf', 'test/perf']] as const) {
    for (const file of scenarioFiles(dir)) {
      out.push({ name: `${prefix}-${basename(file).replace(/\.(ts|json)$/, '')}`, source: file, input: await loadInput(file), replications: 2, sameTraffic: false })
    }
  }
  for (const v of NEXT_VERSIONS) {
    for (const cache of ['local', 'shared'] as const) {
      // Shared caches run with --same-traffic: replications keep the requests, on-demand calls and data changes.
      out.push({ name: `rich-${v}-${cache}`, source: `test/goldens/rich.ts richScenario('${v}', '${cache}')`, input: richScenario(v, cache), replications: 2, sameTraffic: cache === 'shared' })
    }
  }
  return out
}

/** The command that reproduces a golden run's result. */
export function reproduceCommand(c: GoldenCase): string {
  const flags = `--replications ${c.replications}${c.sameTraffic ? ' --same-traffic' : ''} --json`
  if (!c.source.startsWith('test/goldens/rich.ts')) return `node bin/isrsim.js run ${c.source} ${flags}`
  const [, v, cache] = /richScenario\('([^']+)', '([^']+)'\)/.exec(c.source) ?? []
  return `npx tsx test/goldens/rich.ts ${v} ${cache} > /tmp/${c.name}.json && node bin/isrsim.js run /tmp/${c.name}.json ${flags}`
}

/**
 * The golden document of a run: how it was made, and its result without the version stamps.
 * The series bins, most of a result's bytes, are kept as a table (a row of numbers per bin
 * under one list of column names): the same numbers, a fifth of the size.
 */
export function goldenDocument(c: GoldenCase, result: SimResult): unknown {
  const { modelVersion: _m, isrsimVersion: _i, series, ...rest } = result
  const columns = Object.keys(series.bins[0] ?? {})
  const tabular = series.bins.every((b) => Object.keys(b).join() === columns.join())
  const bins = tabular ? { columns, rows: series.bins.map((b) => Object.values(b)) } : series.bins
  return { golden: { source: c.source, seed: result.seed, replications: c.replications, sameTraffic: c.sameTraffic }, result: { ...rest, series: { binS: series.binS, bins } } }
}

export function runGolden(c: GoldenCase): string {
  const result = runScenario(parseScenario(c.input), { replications: c.replications, sameTraffic: c.sameTraffic })
  return formatGolden(goldenDocument(c, result))
}

/**
 * JSON text for a golden: normalised through JSON.stringify, indented, with every object or
 * array whose members are all plain values on one line (a series bin, a CDF), so that a diff
 * names the field that moved and files stay small.
 */
export function formatGolden(value: unknown): string {
  return `${fmt(JSON.parse(JSON.stringify(value)) as unknown, '')}\n`
}

function fmt(v: unknown, indent: string): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  const isArray = Array.isArray(v)
  const entries: [string | null, unknown][] = isArray ? v.map((x) => [null, x]) : Object.entries(v)
  const [open, close] = isArray ? ['[', ']'] : ['{', '}']
  if (entries.length === 0) return `${open}${close}`
  const key = (k: string | null) => (k === null ? '' : `${JSON.stringify(k)}: `)
  if (entries.every(([, x]) => x === null || typeof x !== 'object')) return `${open}${entries.map(([k, x]) => `${key(k)}${JSON.stringify(x)}`).join(', ')}${close}`
  const inner = `${indent}  `
  return `${open}\n${entries.map(([k, x]) => `${inner}${key(k)}${fmt(x, inner)}`).join(',\n')}\n${indent}${close}`
}

/** The first field where two JSON values differ, as "path: golden X, now Y"; null when equal. */
export function firstDifference(golden: unknown, now: unknown, path = ''): string | null {
  const show = (x: unknown) => { const s = JSON.stringify(x); return s === undefined ? 'absent' : s.length > 80 ? `${s.slice(0, 77)}...` : s }
  const at = path === '' ? '(top)' : path
  if (golden === null || now === null || typeof golden !== 'object' || typeof now !== 'object' || Array.isArray(golden) !== Array.isArray(now)) {
    return Object.is(golden, now) ? null : `${at}: golden ${show(golden)}, now ${show(now)}`
  }
  if (Array.isArray(golden) && Array.isArray(now)) {
    for (let i = 0; i < Math.min(golden.length, now.length); i++) {
      const d = firstDifference(golden[i], now[i], `${path}[${i}]`)
      if (d !== null) return d
    }
    return golden.length === now.length ? null : `${at}: golden has ${golden.length} items, now ${now.length}`
  }
  const g = golden as Record<string, unknown>, n = now as Record<string, unknown>
  for (const k of new Set([...Object.keys(g), ...Object.keys(n)])) {
    const p = path === '' ? k : `${path}.${k}`
    if (!(k in n)) return `${p}: golden ${show(g[k])}, now absent`
    if (!(k in g)) return `${p}: golden absent, now ${show(n[k])}`
    const d = firstDifference(g[k], n[k], p)
    if (d !== null) return d
  }
  // Same keys and values: only the order of keys can differ.
  const gk = Object.keys(g).join(','), nk = Object.keys(n).join(',')
  return gk === nk ? null : `${at}: key order golden [${gk}], now [${nk}]`
}

/** Whether two JSON values differ only in fields present on one side (no value changed). */
export function onlyFieldsAddedOrRemoved(golden: unknown, now: unknown): boolean {
  if (golden === null || now === null || typeof golden !== 'object' || typeof now !== 'object') return Object.is(golden, now)
  if (Array.isArray(golden) !== Array.isArray(now)) return false
  if (Array.isArray(golden) && Array.isArray(now)) return golden.length === now.length && golden.every((x, i) => onlyFieldsAddedOrRemoved(x, now[i]))
  const g = golden as Record<string, unknown>, n = now as Record<string, unknown>
  return Object.keys(g).every((k) => !(k in n) || onlyFieldsAddedOrRemoved(g[k], n[k]))
}
