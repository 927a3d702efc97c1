/**
 * The real command line, spawned as users run it: `node bin/isrsim.js ...` from the
 * repository root. Spawns are grouped and run in parallel where independent, to keep
 * the file fast (each spawn costs about a second).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SimResult } from '../sim/contract.ts'
import { parseScenario } from '../sim/index.ts'
import { interval, warningsFor } from '../sim/run.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'isrsim.js')
const FLAKY = 'scenarios/flaky-origin.json'
const CATALOGUE = 'scenarios/catalogue.ts'

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Spawns at a time: more than the cores only makes each one slower (and risks its timeout). */
const SLOTS = Math.max(1, availableParallelism())
let busy = 0
const waiting: (() => void)[] = []

/** Spawn the CLI; never rejects (a non-zero exit is a result, not an error). */
async function cli(...args: string[]): Promise<Run> {
  if (busy >= SLOTS) await new Promise<void>((go) => waiting.push(go))
  busy++
  try {
    return await new Promise<Run>((done) => {
      execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 50_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        done({ code, stdout, stderr })
      })
    })
  } finally {
    busy--
    waiting.shift()?.()
  }
}

let tmp = ''
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'isrsim-cli-'))
})
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

function write(rel: string, text: string): string {
  const file = join(tmp, rel)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
  return file
}

/** Every file under dir, recursively, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name))
}

const OUTCOMES = ['hit', 'stale', 'miss', 'dynamic', 'notFound', 'error'] as const
const ROUTE_NUMBERS = [
  'paths', 'prebuilt', 'requests', ...OUTCOMES, 'renders', 'backgroundRenders', 'blockingRenders', 'dynamicRenders', 'failedRenders', 'renderCpuS',
  'staleServedFraction', 'ageMeanS', 'ageP50S', 'ageP95S', 'ageP99S', 'ageMaxS', 'meanMs', 'p50Ms', 'p95Ms', 'p99Ms', 'maxMs',
] as const

// ---------------------------------------------------------------------------

describe('isrsim run (flaky-origin)', () => {
  let first: Run
  let seed2: Run
  let replicated: Run
  let withOut: Run
  let outFile: string

  beforeAll(async () => {
    outFile = join(tmp, 'x', 'nested', 'result.json')
    ;[first, seed2, replicated, withOut] = await Promise.all([
      cli('run', FLAKY, '--json'),
      cli('run', FLAKY, '--json', '--seed', '2'),
      cli('run', FLAKY, '--json', '--replications', '3'),
      cli('run', FLAKY, '--json', '--out', outFile),
    ])
  })

  it('--json exits 0 and prints only the result JSON with the contract fields', () => {
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const r = JSON.parse(first.stdout) as SimResult
    const scenario = parseScenario(JSON.parse(readFileSync(join(ROOT, FLAKY), 'utf8')))

    expect(r.schemaVersion).toBe(1)
    expect(r.scenario.name).toBe('flaky-origin')
    expect(r.scenario.durationS).toBe(1800)
    expect(r.scenario.warmupS).toBe(0)
    expect(r.scenario.hash).toMatch(/^[0-9a-f]{16}$/)
    expect(r.seed).toBe('3')
    expect(r.replications).toBe(1)
    expect(r.next).toEqual({ version: '16.4', expireTimeS: 31_536_000 })
    expect(r.intervals).toBeUndefined()

    // totals: outcomes add up, and the routes add up to the totals.
    const t = r.totals
    expect(t.requests).toBeGreaterThan(80_000) // 50 req/s for 1800 s
    expect(t.requests).toBeLessThan(100_000)
    expect(OUTCOMES.reduce((a, k) => a + t[k], 0)).toBe(t.requests)
    expect(t.backgroundRenders + t.blockingRenders + t.dynamicRenders).toBe(t.renders)
    expect(t.failedRenders).toBeGreaterThan(0) // the outage fails 90% of renders for ten minutes
    expect(t.stale).toBeGreaterThan(0)

    expect(Object.keys(r.routes)).toEqual(scenario.routes.map((x) => x.id))
    for (const k of ['requests', ...OUTCOMES, 'renders', 'failedRenders'] as const) {
      expect(Object.values(r.routes).reduce((a, x) => a + x[k], 0), k).toBe(t[k])
    }

    // staleness and latency blocks
    expect(r.staleness.staleServedFraction).toBeCloseTo(t.stale / t.requests, 6)
    expect(r.staleness.ageP50S).toBeLessThanOrEqual(r.staleness.ageP95S)
    expect(r.staleness.ageP95S).toBeLessThanOrEqual(r.staleness.ageP99S)
    expect(r.staleness.ageP99S).toBeLessThanOrEqual(r.staleness.ageMaxS)
    expect(r.staleness.ageMaxS).toBeLessThanOrEqual(1800)
    expect(r.latency.p50Ms).toBeLessThanOrEqual(r.latency.p95Ms)
    expect(r.latency.p95Ms).toBeLessThanOrEqual(r.latency.maxMs)
    expect(r.latency.maxMs).toBeGreaterThan(0)

    // routes.<id>: flat numeric fields plus the revalidate in effect and where it came from
    for (const route of scenario.routes) {
      const x = r.routes[route.id]!
      expect(x.pattern).toBe(route.pattern)
      for (const k of ROUTE_NUMBERS) expect(typeof x[k], `${route.id}.${k}`).toBe('number')
      expect(x.effectiveRevalidateS).toBe(route.revalidateS)
      expect(x.revalidateSource).toBe('page')
      expect(x.staleServedFraction).toBeCloseTo(x.requests === 0 ? 0 : x.stale / x.requests, 6)
    }
    expect(r.routes.article).toMatchObject({ paths: 200, prebuilt: 50, effectiveRevalidateS: 10 })
    expect(r.routes.front).toMatchObject({ paths: 1, prebuilt: 1, effectiveRevalidateS: 3600, requests: 18_000 }) // 10 req/s, uniform arrivals

    // series: fixed bins from t = 0 covering the run; with no warmup they sum to the totals
    expect(r.series.binS).toBe(10)
    expect(r.series.bins).toHaveLength(180)
    r.series.bins.forEach((b, i) => expect(b.atS).toBe(i * 10))
    for (const k of [...OUTCOMES, 'renders', 'failedRenders'] as const) {
      expect(r.series.bins.reduce((a, b) => a + b[k], 0), `series ${k}`).toBe(t[k])
    }
    expect(r.warnings).toEqual([])
  })

  it('is byte-identical across two runs with the same seed', () => {
    // withOut is a second, independent process with the same scenario and seed.
    expect(withOut.code).toBe(0)
    expect(withOut.stdout.length).toBeGreaterThan(1000)
    expect(withOut.stdout).toBe(first.stdout)
  })

  it('--seed 2 gives a different result for the same scenario', () => {
    expect(seed2.code).toBe(0)
    expect(seed2.stdout).not.toBe(first.stdout)
    const a = JSON.parse(first.stdout) as SimResult
    const b = JSON.parse(seed2.stdout) as SimResult
    expect(b.seed).toBe('2')
    expect(b.scenario.hash).toBe(a.scenario.hash) // the hash is of the model, not the seed
    expect(b.totals).not.toEqual(a.totals)
  })

  it('an interval of figures that are never negative does not reach below 0; others keep the plain t bound', () => {
    // mean 1, sd √3, t(0.975, 2) = 4.303: the plain bound is 1 - 4.303 = -3.303.
    expect(interval([0, 0, 3])).toMatchObject({ mean: 1, low: 0 })
    expect(interval([0, 0, 3]).high).toBeCloseTo(1 + 4.302652729911275, 6)
    expect(interval([-1, 1, 3]).low).toBeCloseTo(1 - 4.302652729911275 * 2 / Math.sqrt(3), 6)
  })

  it('--replications 3 adds intervals with low <= mean <= high', () => {
    expect(replicated.code).toBe(0)
    const r = JSON.parse(replicated.stdout) as SimResult
    const single = JSON.parse(first.stdout) as SimResult
    expect(r.replications).toBe(3)
    expect(r.seed).toBe('3')
    // the point figures are replication 0, i.e. the unreplicated run with the same seed
    expect(r.totals).toEqual(single.totals)
    expect(r.staleness).toEqual(single.staleness)

    const iv = r.intervals!
    expect(iv).toBeDefined()
    expect(Object.keys(iv.routes).sort()).toEqual(['article', 'front'])
    for (const [block, point] of [['totals', single.totals], ['staleness', single.staleness]] as const) {
      const group = iv[block] as Record<string, { mean: number; sd: number; low: number; high: number } | undefined>
      expect(Object.keys(group).sort(), block).toEqual(Object.keys(point).sort())
      for (const [k, v] of Object.entries(group)) {
        expect(v, `${block}.${k}`).toBeDefined()
        const { mean, sd, low, high } = v!
        for (const n of [mean, sd, low, high]) expect(Number.isFinite(n), `${block}.${k}`).toBe(true)
        expect(low, `${block}.${k}`).toBeLessThanOrEqual(mean)
        expect(mean, `${block}.${k}`).toBeLessThanOrEqual(high)
        expect(sd, `${block}.${k}`).toBeGreaterThanOrEqual(0)
      }
    }
    // Different seeds per replication: the render count varies, so its interval has width.
    const renders = iv.totals.renders!
    expect(renders.high - renders.low).toBeGreaterThan(0)
    expect(renders.low).toBeLessThan(renders.high)
    expect(Math.abs(renders.mean - single.totals.renders)).toBeLessThan(single.totals.renders * 0.1)
  })

  it('--out writes the same JSON as --json, creating directories, with no leftover temporary files', () => {
    expect(withOut.code).toBe(0)
    expect(existsSync(outFile)).toBe(true)
    const text = readFileSync(outFile, 'utf8')
    expect(text).toBe(withOut.stdout)
    expect(text).toBe(first.stdout)
    expect(filesUnder(join(tmp, 'x'))).toEqual([outFile])
  })
})

// ---------------------------------------------------------------------------

describe('isrsim run: usage and validation errors exit 2 and write nothing', () => {
  const SIM_INDEX = join(ROOT, 'sim', 'index.ts')

  interface ErrorCase {
    readonly name: string
    /** Arguments; `$OUT` is replaced by a fresh output path in the temp dir. */
    readonly args: () => string[]
    /** Substrings stderr must contain (field path, value, what is allowed). */
    readonly says: (file: string) => string[]
    readonly file?: () => string
  }

  const scenarioJson = (route: Record<string, unknown>) =>
    JSON.stringify({ name: 'bad', durationS: 100, routes: [{ id: 'a', pattern: '/', renderS: 0.1, traffic: { rps: 1 }, ...route }] })
  const tsScenario = (body: string) => `import { defineScenario } from ${JSON.stringify(SIM_INDEX)}\n${body}\n`

  const CASES: ErrorCase[] = [
    {
      name: 'a JSON scenario with revalidateS -5',
      file: () => write('bad-revalidate.json', scenarioJson({ revalidateS: -5 })),
      args: () => ['run', join(tmp, 'bad-revalidate.json'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}: 1 problem`, 'routes[0].revalidateS', 'received -5', 'false (never revalidate by time)', '0 (dynamic', 'seconds >= 1'],
    },
    {
      name: 'a file that does not exist',
      args: () => ['run', join(tmp, 'missing.json'), '--out', '$OUT'],
      says: (f) => [`isrsim: cannot read scenario file ${f}`, 'ENOENT'],
    },
    {
      name: 'a .ts file that does not exist',
      args: () => ['run', join(tmp, 'missing.ts'), '--out', '$OUT'],
      says: (f) => [`isrsim: cannot read scenario file ${f}`, 'ENOENT'],
    },
    {
      name: 'a file with invalid JSON',
      file: () => write('broken.json', '{ "name": "broken", '),
      args: () => ['run', join(tmp, 'broken.json'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}: not valid JSON`],
    },
    {
      name: 'an unknown extension (.yaml)',
      file: () => write('scenario.yaml', 'name: x\n'),
      args: () => ['run', join(tmp, 'scenario.yaml'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}`, 'received ".yaml"', '.json, .ts, .mts, .js or .mjs'],
    },
    {
      name: 'a .ts scenario whose default export is not an object',
      file: () => write('not-object.ts', 'export default 42\n'),
      args: () => ['run', join(tmp, 'not-object.ts'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}: the default export is not a scenario`, 'export default defineScenario({ ... })'],
    },
    {
      name: 'a .ts scenario whose defineScenario has a bad field',
      file: () => write('bad-define.ts', tsScenario("export default defineScenario({ name: 'x', durationS: 100, routes: [{ id: 'a', pattern: '/', renderS: 0.1, failureRate: 1.5, traffic: { rps: 1 } }] })")),
      args: () => ['run', join(tmp, 'bad-define.ts'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}: 1 problem`, 'routes[0].failureRate: must be <= 1; received 1.5'],
    },
    {
      name: 'a .ts scenario in a "type": "module" package whose default export is not an object',
      file: () => {
        write('esm/package.json', '{ "type": "module" }\n')
        return write('esm/not-object.ts', 'export default "blog"\n')
      },
      args: () => ['run', join(tmp, 'esm', 'not-object.ts'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}: the default export is not a scenario`],
    },
    {
      name: 'a .ts scenario in a "type": "module" package whose defineScenario has a bad field',
      file: () => write('esm/bad-define.ts', tsScenario("export default defineScenario({ name: 'x', durationS: 100, routes: [{ id: 'a', pattern: '/', renderS: 0.1, failureRate: 1.5, traffic: { rps: 1 } }] })")),
      args: () => ['run', join(tmp, 'esm', 'bad-define.ts'), '--out', '$OUT'],
      says: (f) => [`isrsim: ${f}: 1 problem`, 'routes[0].failureRate: must be <= 1; received 1.5'],
    },
    {
      name: '--replications 0',
      args: () => ['run', FLAKY, '--replications', '0', '--out', '$OUT'],
      says: () => ['--replications', 'whole number >= 1', 'received "0"'],
    },
    {
      name: 'an unknown option',
      args: () => ['run', FLAKY, '--bogus', '--out', '$OUT'],
      says: () => ["unknown option '--bogus'"],
    },
    {
      name: 'no scenario argument',
      args: () => ['run', '--out', '$OUT'],
      says: () => ["missing required argument 'scenario'"],
    },
  ]

  // Spawned together up front; each test then checks its own run.
  const runs = new Map<string, { run: Run; out: string; file: string }>()
  beforeAll(async () => {
    await Promise.all(CASES.map(async (c, i) => {
      c.file?.()
      const out = join(tmp, 'errors', String(i), 'result.json')
      const args = c.args().map((a) => (a === '$OUT' ? out : a))
      const file = args[1] ?? ''
      runs.set(c.name, { run: await cli(...args), out, file })
    }))
  })

  it.each(CASES)('$name', (c) => {
    const { run, out, file } = runs.get(c.name)!
    for (const s of c.says(file)) expect(run.stderr).toContain(s)
    expect(run.stderr).not.toContain('failed to load')
    expect(run.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(run.stdout).toBe('')
    expect(run.code).toBe(2)
    expect(existsSync(out)).toBe(false)
    expect(filesUnder(join(tmp, 'errors'))).toEqual([])
  })

  it('a valid .ts scenario written outside the repository runs', async () => {
    const file = write('ok/tiny.ts', tsScenario("export default defineScenario({ name: 'tiny', seed: 'abc', durationS: 60, routes: [{ id: 'only', pattern: '/', revalidateS: 5, renderS: 0.2, traffic: { rps: 2, arrivals: 'uniform' } }] })"))
    const run = await cli('run', file, '--json')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const r = JSON.parse(run.stdout) as SimResult
    expect(r.scenario.name).toBe('tiny')
    expect(r.seed).toBe('abc')
    expect(r.routes.only?.requests).toBe(120)
  })
})

// ---------------------------------------------------------------------------

describe('isrsim run: the table output', () => {
  let run: Run
  let out: string
  beforeAll(async () => {
    out = join(tmp, 'table', 'catalogue.json')
    run = await cli('run', CATALOGUE, '--out', out)
  })

  it('lists every route, the warnings with their fixes, where the result went and a reproduce line', async () => {
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const mod = (await import(pathToFileURL(join(ROOT, CATALOGUE)).href)) as { default: unknown }
    const scenario = parseScenario(mod.default)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).toContain('scenario "catalogue"')
    expect(lines[0]).toContain('seed "7"')
    for (const r of scenario.routes) expect(lines.some((l) => l.startsWith(`│ ${r.id} `)), r.id).toBe(true)
    expect(lines.some((l) => l.startsWith('│ TOTAL '))).toBe(true)

    expect(run.stdout).toContain('warning [dynamic-route] search: /search is dynamic (page calls request APIs): every request renders and nothing is cached.')
    const warnings = warningsFor(scenario)
    expect(warnings.map((w) => w.route)).toContain('search')
    for (const w of warnings) {
      expect(run.stdout).toContain(`warning [${w.code}]${w.route ? ` ${w.route}` : ''}: ${w.message}`)
      expect(run.stdout).toContain(`  fix: ${w.fix}`)
    }

    expect(lines).toContain(`result written to ${out}`)
    expect(lines[lines.length - 1]).toBe('Reproduce: isrsim run scenarios/catalogue.ts --seed "7"')
    expect(existsSync(out)).toBe(true)
    expect((JSON.parse(readFileSync(out, 'utf8')) as SimResult).scenario.name).toBe('catalogue')
    expect(run.stdout).not.toContain('CDN (')
  })

  it('behind a CDN, a line above the table gives the CDN layer (§16) with the result\'s own figures', async () => {
    const file = 'scenarios/live/cdn.json'
    const [table, json] = await Promise.all([cli('run', file), cli('run', file, '--json')])
    expect(table.code).toBe(0)
    const c = (JSON.parse(json.stdout) as SimResult).cdn!
    expect(c.requests).toBe(180) // 3 routes × 1/s × 60 s
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`
    const line = table.stdout.split('\n').find((l) => l.startsWith('CDN ('))
    expect(line, `isrsim run ${file}`).toBe(`CDN (1 PoP) in front: 180 users' requests · HIT ${pct(c.hit)} · STALE ${pct(c.stale)} · MISS ${pct(c.miss)} · ${c.originRequests} reached Next (the table below) · users' age p50 / p95 ${c.ageP50S.toFixed(1)} s / ${c.ageP95S.toFixed(1)} s, wait mean ${c.latencyMeanMs.toFixed(0)} ms`)
  })
})

// ---------------------------------------------------------------------------

type JsonSchema = {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  anyOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  pattern?: string
}

/** A small structural JSON Schema check (the keywords the scenario schema uses). Returns problems as "path: why". */
function schemaProblems(schema: JsonSchema, v: unknown, path = '$'): string[] {
  const out: string[] = []
  if (schema.anyOf) {
    if (!schema.anyOf.some((s) => schemaProblems(s, v, path).length === 0)) out.push(`${path}: matches no anyOf branch`)
  }
  if ('const' in schema && v !== schema.const) out.push(`${path}: must be ${JSON.stringify(schema.const)}`)
  if (schema.enum && !schema.enum.includes(v)) out.push(`${path}: not in enum`)
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    const actual = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
    const ok = types.some((t) => t === actual || (t === 'integer' && Number.isInteger(v)))
    if (!ok) return [...out, `${path}: must be ${types.join('|')}, is ${actual}`]
  }
  if (typeof v === 'number') {
    if (schema.minimum !== undefined && v < schema.minimum) out.push(`${path}: < minimum`)
    if (schema.maximum !== undefined && v > schema.maximum) out.push(`${path}: > maximum`)
    if (schema.exclusiveMinimum !== undefined && v <= schema.exclusiveMinimum) out.push(`${path}: <= exclusiveMinimum`)
    if (schema.exclusiveMaximum !== undefined && v >= schema.exclusiveMaximum) out.push(`${path}: >= exclusiveMaximum`)
  }
  if (typeof v === 'string') {
    if (schema.minLength !== undefined && v.length < schema.minLength) out.push(`${path}: too short`)
    if (schema.maxLength !== undefined && v.length > schema.maxLength) out.push(`${path}: too long`)
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(v)) out.push(`${path}: does not match ${schema.pattern}`)
  }
  if (Array.isArray(v)) {
    if (schema.minItems !== undefined && v.length < schema.minItems) out.push(`${path}: too few items`)
    if (schema.maxItems !== undefined && v.length > schema.maxItems) out.push(`${path}: too many items`)
    if (schema.items) v.forEach((x, i) => out.push(...schemaProblems(schema.items!, x, `${path}[${i}]`)))
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    for (const k of schema.required ?? []) if (!(k in o)) out.push(`${path}.${k}: required`)
    for (const [k, x] of Object.entries(o)) {
      const sub = schema.properties?.[k]
      if (sub) out.push(...schemaProblems(sub, x, `${path}.${k}`))
      else if (schema.additionalProperties === false) out.push(`${path}.${k}: not allowed`)
      else if (typeof schema.additionalProperties === 'object') out.push(...schemaProblems(schema.additionalProperties, x, `${path}.${k}`))
    }
  }
  return out
}

describe('the scenario schema and the bundled scenarios', () => {
  const committedText = readFileSync(join(ROOT, 'scenarios', 'scenario.schema.json'), 'utf8')
  const committed = JSON.parse(committedText) as JsonSchema & Record<string, unknown>
  const bundled = readdirSync(join(ROOT, 'scenarios')).filter((f) => f !== 'scenario.schema.json' && f !== 'cli.ts' && /\.(json|ts)$/.test(f)).sort()

  async function loadBundled(f: string): Promise<unknown> {
    const path = join(ROOT, 'scenarios', f)
    if (f.endsWith('.json')) return JSON.parse(readFileSync(path, 'utf8'))
    return ((await import(pathToFileURL(path).href)) as { default: unknown }).default
  }

  it('`isrsim schema` prints exactly the committed scenarios/scenario.schema.json (run `npm run schema:write` after changing the format)', async () => {
    const run = await cli('schema')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual(committed)
    expect(run.stdout).toBe(committedText)
  })

  it('the committed schema describes the scenario fields', () => {
    expect(committed.$id).toBe('https://isrsim.dev/scenario.schema.json')
    expect(committed.type).toBe('object')
    expect(committed.additionalProperties).toBe(false)
    expect([...(committed.required ?? [])].sort()).toEqual(['durationS', 'name', 'routes'])
    const route = committed.properties?.routes?.items
    expect([...(route?.required ?? [])].sort()).toEqual(['id', 'pattern', 'renderS', 'traffic'])
    expect(route?.properties?.traffic?.required).toEqual(['rps'])
  })

  it('finds the bundled scenarios', () => {
    expect(bundled).toEqual(expect.arrayContaining(['blog.ts', 'catalogue.ts', 'flaky-origin.json']))
  })

  it.each(bundled)('%s validates against the committed schema and parseScenario', async (f) => {
    const input = await loadBundled(f)
    expect(schemaProblems(committed, input)).toEqual([])
    const s = parseScenario(input, f)
    expect(s.routes.length).toBeGreaterThan(0)
  })

  it('the structural check itself rejects bad scenarios (so the test above can fail)', async () => {
    const good = (await loadBundled('flaky-origin.json')) as { routes: Record<string, unknown>[] } & Record<string, unknown>
    expect(schemaProblems(committed, { ...good, colour: 'red' })).toEqual(['$.colour: not allowed'])
    const { name: _name, ...noName } = good
    expect(schemaProblems(committed, noName)).toEqual(['$.name: required'])
    const badRoute = { ...good, routes: [{ ...good.routes[0], revalidateS: -5 }, good.routes[1]] }
    expect(schemaProblems(committed, badRoute)).toEqual(['$.routes[0].revalidateS: matches no anyOf branch'])
    expect(schemaProblems(committed, { ...good, next: { version: '13' } })).toEqual(['$.next.version: not in enum'])
  })
})

describe('isrsim --help', () => {
  it('exits 0 and lists the commands', async () => {
    const run = await cli('--help')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Usage: isrsim')
    expect(run.stdout).toMatch(/^\s+run \[options\] <scenario>/m)
    expect(run.stdout).toMatch(/^\s+schema/m)
  })
})
