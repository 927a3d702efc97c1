/**
 * Architecture rules (README, Layout): import edges between sim/, scenarios/,
 * reports/ and loadtest/, and the determinism bans inside sim/. Files are read with
 * node:fs; comments are removed (TypeScript's printer) and import specifiers are
 * extracted with regular expressions. The checker is tested on a synthetic tree of
 * violations first, so a broken regex cannot make the real check pass vacuously.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, posix, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIRS = ['sim', 'scenarios', 'reports', 'loadtest'] as const

interface Source { readonly path: string; readonly text: string }
interface ImportRef {
  readonly spec: string
  readonly typeOnly: boolean
  readonly dynamic: boolean
  /** Repo-relative posix path for relative specifiers (and `isrsim` self-references), else null. */
  readonly target: string | null
}

/** Source text without comments, so prose may mention Date.now or `import x from`. */
function stripComments(path: string, text: string): string {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  return ts.createPrinter({ removeComments: true }).printFile(sf)
}

const STATIC_IMPORT = /(?:^|[;\s}])(import|export)\s+(type\s+)?(?:[\w$*{},\s]+?\s+from\s*)?["']([^"'\n]+)["']/g
const DYNAMIC_IMPORT = /\bimport\s*\(\s*(?:(["'`])([^"'`\n]+)\1\s*\))?/g

function resolveTarget(from: string, spec: string): string | null {
  if (spec.startsWith('.')) return posix.normalize(posix.join(posix.dirname(from), spec))
  if (spec === 'isrsim') return 'sim/index.ts' // package self-reference (package.json "exports")
  if (spec === 'isrsim/contract') return 'sim/contract.ts'
  return null
}

function importsOf(file: Source): ImportRef[] {
  const code = stripComments(file.path, file.text)
  const out: ImportRef[] = []
  for (const m of code.matchAll(STATIC_IMPORT)) {
    const spec = m[3]!
    out.push({ spec, typeOnly: m[2] !== undefined, dynamic: false, target: resolveTarget(file.path, spec) })
  }
  for (const m of code.matchAll(DYNAMIC_IMPORT)) {
    const spec = m[2] ?? '<computed>'
    out.push({ spec, typeOnly: false, dynamic: true, target: m[2] === undefined ? null : resolveTarget(file.path, spec) })
  }
  return out
}

/** scenarios/ code that reads a real app or its logs (not a bundled scenario). */
const isBridge = (path: string) => path === 'scenarios/cli.ts' || path.startsWith('scenarios/from-app/') || path.startsWith('scenarios/from-logs/')

/** The command-line shell around the simulator: files, workers, clocks for progress bars. */
const isShell = (path: string) => path.startsWith('sim/cli/')

/**
 * The layers of sim/, lowest first. A file may import its own layer and the layers below it,
 * never one above; the leaves (output types, the model's version, the Next.js version table
 * sim/versions.ts) import nothing and are open to all. The domain-free kernel imports only itself.
 */
const LAYERS = ['kernel', 'scenario schema', 'isr', 'scenario', 'planning', 'root', 'cli'] as const
type Layer = (typeof LAYERS)[number] | 'leaf'
function layerOf(path: string): Layer {
  if (path === 'sim/contract.ts' || path.startsWith('sim/contract/') || path === 'sim/version.ts' || path === VERSION_TABLE) return 'leaf'
  if (path.startsWith('sim/kernel/')) return 'kernel'
  if (path === 'sim/scenario/schema.ts') return 'scenario schema'
  if (path.startsWith('sim/isr/')) return 'isr'
  if (path.startsWith('sim/scenario/')) return 'scenario'
  if (path.startsWith('sim/planning/')) return 'planning'
  if (path.startsWith('sim/cli/')) return 'cli'
  return 'root'
}
/** The Next.js version table: a leaf, and the one module of sim/ that reports/ and loadtest/ may import values from. */
const VERSION_TABLE = 'sim/versions.ts'
/** The public surface re-exports the CLI's file helpers (loadScenario, writeAtomic): the one edge up. */
const UP_EDGES = new Set(['sim/index.ts -> sim/cli/files.ts'])

/** Import cycles among files (each once, from its smallest file), as "a -> b -> a". */
function cyclesOf(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const out = new Set<string>()
  const state = new Map<string, 1 | 2>()
  const stack: string[] = []
  const visit = (n: string) => {
    state.set(n, 1)
    stack.push(n)
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 1) {
        const cyc = stack.slice(stack.indexOf(m))
        const start = cyc.indexOf([...cyc].sort()[0]!)
        const rot = [...cyc.slice(start), ...cyc.slice(0, start)]
        out.add([...rot, rot[0]].join(' -> '))
      } else if (state.get(m) === undefined) visit(m)
    }
    stack.pop()
    state.set(n, 2)
  }
  for (const n of [...edges.keys()].sort()) if (state.get(n) === undefined) visit(n)
  return [...out].sort()
}
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)

const BANNED: readonly [string, RegExp][] = [
  ['Math.random', /\bMath\.random\b/],
  ['Date.now', /\bDate\.now\b/],
  ['performance.now', /\bperformance\.now\b/],
  ['new Date(', /\bnew\s+Date\s*\(/],
  ['setTimeout', /\bsetTimeout\b/],
  ['setInterval', /\bsetInterval\b/],
  ['async ', /\basync\s/],
]

/** Every rule violation in a set of files, as "path: what" lines. */
function checkArchitecture(files: readonly Source[]): string[] {
  const v: string[] = []
  for (const f of files) {
    const top = f.path.split('/')[0]
    const refs = importsOf(f)
    for (const r of refs) {
      const what = `${r.typeOnly ? 'import type' : r.dynamic ? 'import()' : 'import'} '${r.spec}'`
      // Inside the simulator every draw goes through sim/kernel/rng.ts's named streams. (The
      // live origin, a separate process in loadtest/, seeds its own seedrandom streams.)
      if ((r.spec === 'seedrandom' || r.spec.startsWith('seedrandom/')) && top !== 'loadtest' && f.path !== 'sim/kernel/rng.ts') v.push(`${f.path}: ${what}: only sim/kernel/rng.ts may import seedrandom`)
      if (top === 'sim') {
        if (r.target !== null && !r.target.startsWith('sim/')) v.push(`${f.path}: ${what}: sim/ may only import from sim/ (resolves to ${r.target})`)
        if (isBuiltin(r.spec) && !isShell(f.path) && !(f.path === 'sim/scenario/parse.ts' && r.spec === 'node:crypto')) v.push(`${f.path}: ${what}: node built-ins only in sim/cli/ (and node:crypto in sim/scenario/parse.ts)`)
        if (r.dynamic && !isShell(f.path)) v.push(`${f.path}: ${what}: dynamic import only in sim/cli/`)
        const from = layerOf(f.path)
        // The output contract is split into parts (sim/contract/) that only it and each other import.
        const contractPart = (f.path === 'sim/contract.ts' || f.path.startsWith('sim/contract/')) && r.target?.startsWith('sim/contract/') === true
        if (from === 'leaf' && !contractPart) v.push(`${f.path}: ${what}: ${f.path} is a leaf and imports nothing`)
        else if (from !== 'leaf' && r.target !== null && r.target.startsWith('sim/')) {
          const to = layerOf(r.target)
          if (from === 'kernel' && to !== 'kernel') v.push(`${f.path}: ${what}: the kernel knows no domain: it imports only sim/kernel/`)
          else if (to !== 'leaf' && LAYERS.indexOf(to) > LAYERS.indexOf(from) && !UP_EDGES.has(`${f.path} -> ${r.target}`)) v.push(`${f.path}: ${what}: the ${from} layer may not import the ${to} layer above it (${r.target})`)
        }
      }
      if (top === 'scenarios' && isBridge(f.path)) {
        // The bridges from a real app and its logs: packages and node built-ins, the simulator's
        // public surface (and its output types), each other only through scenarios/cli.ts.
        const own = f.path.split('/').slice(0, 2).join('/')
        if (r.target !== null && r.target.startsWith('sim/') && r.target !== 'sim/index.ts' && !(r.typeOnly && r.target === 'sim/contract.ts')) v.push(`${f.path}: ${what}: the import bridges reach sim/ only through sim/index.ts (and \`import type\` of sim/contract.ts)`)
        if (r.target !== null && !r.target.startsWith('sim/') && !(r.target.startsWith(`${own}/`) || (f.path === 'scenarios/cli.ts' && isBridge(r.target)))) v.push(`${f.path}: ${what}: ${own === 'scenarios/cli.ts' ? 'scenarios/cli.ts' : `${own}/`} may not import ${r.target}`)
      } else if (top === 'scenarios' && r.target !== 'sim/index.ts') v.push(`${f.path}: ${what}: scenarios/ may only import sim/index.ts`)
      if (top === 'loadtest' && r.target !== null && r.target.startsWith('scenarios/') && !r.target.startsWith('scenarios/from-logs/')) v.push(`${f.path}: ${what}: loadtest/ may use only scenarios/from-logs/ (the log parsers) of scenarios/`)
      if ((top === 'reports' || top === 'loadtest') && r.target?.startsWith('sim/') && !(r.typeOnly && r.target === 'sim/contract.ts') && r.target !== VERSION_TABLE) {
        v.push(`${f.path}: ${what}: ${top}/ may only \`import type\` from sim/contract.ts`)
      }
    }
    if (top === 'sim') {
      // No clock, no unseeded randomness, no timers anywhere in sim/ (the shell gets the wall
      // clock from bin/isrsim.js); only the shell may be async.
      const code = stripComments(f.path, f.text)
      for (const [name, re] of BANNED) if (re.test(code) && !(name === 'async ' && isShell(f.path))) v.push(`${f.path}: contains ${JSON.stringify(name)}`)
    }
    if (top === 'reports') {
      // Same input, same bytes: a report reads no clock and draws no random numbers.
      const code = stripComments(f.path, f.text)
      for (const [name, re] of BANNED.slice(0, 4)) if (re.test(code)) v.push(`${f.path}: contains ${JSON.stringify(name)} (reports are byte-identical for the same input)`)
      for (const r of refs) if (r.target?.startsWith('loadtest/')) v.push(`${f.path}: import '${r.spec}': reports/ read JSON, not loadtest/ code`)
    }
  }
  const edges = new Map<string, string[]>()
  for (const f of files) if (f.path.startsWith('sim/')) edges.set(f.path, importsOf(f).flatMap((r) => (r.target?.startsWith('sim/') ? [r.target] : [])))
  for (const c of cyclesOf(edges)) v.push(`import cycle: ${c}`)
  return v.sort()
}

function readTree(): Source[] {
  const out: Source[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue
      const full = join(dir, e.name)
      if (e.isDirectory()) walk(full)
      else if (e.isFile() && e.name.endsWith('.ts')) out.push({ path: relative(ROOT, full).split(sep).join('/'), text: readFileSync(full, 'utf8') })
    }
  }
  for (const d of DIRS) if (existsSync(join(ROOT, d))) walk(join(ROOT, d))
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

describe('architecture checker (self-test on a synthetic tree)', () => {
  const bad: Source[] = [
    {
      path: 'sim/bad.ts',
      text: [
        '// Math.random and Date.now in a comment are fine; so is: import x from "../test/helpers.ts"',
        "import blog from '../scenarios/blog.ts'",
        "import seedrandom from 'seedrandom'",
        "import { readFileSync } from 'node:fs'",
        "import type { Foo } from '../test/helpers.ts'",
        "export { r } from '../reports/build.ts'",
        "import * as lt from '../loadtest/lib/env.ts'",
        'const t = Date.now() + Math.random() + performance.now()',
        'const d = new Date(0)',
        'setTimeout(() => {}, 1); setInterval(() => {}, 1)',
        'export async function f() { return import("./x.ts") }',
      ].join('\n'),
    },
    { path: 'sim/scenario/parse.ts', text: "import { createHash } from 'node:crypto'\nimport { readFileSync } from 'fs'\nimport * as z from 'zod'\nimport { checkScenario } from './check.ts'" },
    { path: 'sim/cli/main.ts', text: "import { readFileSync } from 'node:fs'\nimport { runScenario } from '../run.ts'\nexport async function main() { Date.now(); await import(process.argv[2]!) }" },
    { path: 'sim/kernel/rng.ts', text: "import seedrandom from 'seedrandom'" },
    { path: 'sim/contract.ts', text: "import type { X } from './x.ts'\nexport const SCHEMA_VERSION = 1" },
    { path: 'sim/kernel/engine.ts', text: "import { Calendar } from './calendar.ts'\nimport type { M } from '../isr/model.ts'\nimport type { SimResult } from '../contract.ts'" },
    { path: 'sim/isr/model.ts', text: "import { lognormal } from '../kernel/dist.ts'\nimport type { Scenario } from '../scenario/schema.ts'\nimport type { SimResult } from '../contract.ts'\nconst re = /^\\//; const url = 'https://x.dev/a' // setTimeout" },
    { path: 'scenarios/ok.ts', text: "import { defineScenario } from '../sim/index.ts'\nexport default defineScenario({})" },
    { path: 'scenarios/bad.ts', text: "import { runScenario } from '../sim/run.ts'\nimport {\n  defineScenario,\n} from '../sim/index.ts'\nimport z from 'zod'" },
    { path: 'reports/ok.ts', text: "import type { SimResult } from '../sim/contract.ts'\nimport { readFileSync } from 'node:fs'\nimport type { Totals } from 'isrsim/contract'" },
    { path: 'reports/bad.ts', text: "import { SCHEMA_VERSION } from '../sim/contract.ts'\nimport type { Scenario } from '../sim/index.ts'\nimport { runScenario } from 'isrsim'\nimport { verify } from '../loadtest/verify.ts'\nconst stamp = new Date().toISOString()" },
    { path: 'loadtest/bad.ts', text: "import http from 'k6/http'\nimport { type Totals } from '../sim/contract.ts'\nimport { bucketOf } from '../sim/kernel/histogram.ts'\nimport { importApp } from '../scenarios/from-app/index.ts'" },
    { path: 'loadtest/replay.ts', text: "import { readLog } from '../scenarios/from-logs/read.ts'" },
    { path: 'loadtest/versions-ok.ts', text: "import { profileOfRelease } from '../sim/versions.ts'" },
    { path: 'reports/versions-ok.ts', text: "import { PROFILE_RELEASES } from '../sim/versions.ts'" },
    { path: 'sim/versions.ts', text: "import { secToUs } from './kernel/time.ts'" },
    { path: 'scenarios/from-logs/ok.ts', text: "import { createGunzip } from 'node:zlib'\nimport { isbot } from 'isbot'\nimport { parseScenario } from '../../sim/index.ts'\nimport type { SimResult } from '../../sim/contract.ts'\nimport { x } from './fit.ts'" },
    { path: 'scenarios/from-logs/bad.ts', text: "import { runScenario } from '../../sim/run.ts'\nimport { importApp } from '../from-app/index.ts'\nimport blog from '../blog.ts'" },
    { path: 'scenarios/cli.ts', text: "import { importApp } from './from-app/index.ts'\nimport { fit } from './from-logs/fit.ts'\nimport { loadScenario } from '../sim/index.ts'" },
    { path: 'sim/isr/layers.ts', text: "import { gate } from '../planning/gate.ts'\nimport type { RouteConfig } from '../scenario/schema.ts'\nimport { parseScenario } from '../scenario/parse.ts'\nimport { MODEL_VERSION } from '../version.ts'" },
    { path: 'sim/index.ts', text: "export { loadScenario } from './cli/files.ts'\nexport { runScenario } from './run.ts'" },
    { path: 'sim/run.ts', text: "import { main } from './cli/main.ts'" },
    { path: 'sim/isr/a.ts', text: "import { b } from './b.ts'" },
    { path: 'sim/contract/checks.ts', text: "import type { SimResult } from './result.ts'\nimport type { X } from '../isr/model.ts'" },
    { path: 'sim/isr/b.ts', text: "import type { a } from './a.ts'" },
  ]

  it('extracts every import form', () => {
    const refs = importsOf(bad[0]!)
    expect(refs.map((r) => [r.spec, r.typeOnly, r.dynamic, r.target])).toEqual([
      ['../scenarios/blog.ts', false, false, 'scenarios/blog.ts'],
      ['seedrandom', false, false, null],
      ['node:fs', false, false, null],
      ['../test/helpers.ts', true, false, 'test/helpers.ts'],
      ['../reports/build.ts', false, false, 'reports/build.ts'],
      ['../loadtest/lib/env.ts', false, false, 'loadtest/lib/env.ts'],
      ['./x.ts', false, true, 'sim/x.ts'],
    ])
    expect(importsOf(bad[8]!).map((r) => r.target)).toEqual(['sim/run.ts', 'sim/index.ts', null])
  })

  it('reports each violation, and nothing that is allowed', () => {
    expect(checkArchitecture(bad)).toEqual([
      'import cycle: sim/cli/main.ts -> sim/run.ts -> sim/cli/main.ts',
      'import cycle: sim/isr/a.ts -> sim/isr/b.ts -> sim/isr/a.ts',
      "loadtest/bad.ts: import '../scenarios/from-app/index.ts': loadtest/ may use only scenarios/from-logs/ (the log parsers) of scenarios/",
      "loadtest/bad.ts: import '../sim/contract.ts': loadtest/ may only `import type` from sim/contract.ts",
      "loadtest/bad.ts: import '../sim/kernel/histogram.ts': loadtest/ may only `import type` from sim/contract.ts",
      'reports/bad.ts: contains "new Date(" (reports are byte-identical for the same input)',
      "reports/bad.ts: import '../loadtest/verify.ts': reports/ read JSON, not loadtest/ code",
      "reports/bad.ts: import '../sim/contract.ts': reports/ may only `import type` from sim/contract.ts",
      "reports/bad.ts: import 'isrsim': reports/ may only `import type` from sim/contract.ts",
      "reports/bad.ts: import type '../sim/index.ts': reports/ may only `import type` from sim/contract.ts",
      "scenarios/bad.ts: import '../sim/run.ts': scenarios/ may only import sim/index.ts",
      "scenarios/bad.ts: import 'zod': scenarios/ may only import sim/index.ts",
      "scenarios/from-logs/bad.ts: import '../../sim/run.ts': the import bridges reach sim/ only through sim/index.ts (and `import type` of sim/contract.ts)",
      "scenarios/from-logs/bad.ts: import '../blog.ts': scenarios/from-logs/ may not import scenarios/blog.ts",
      "scenarios/from-logs/bad.ts: import '../from-app/index.ts': scenarios/from-logs/ may not import scenarios/from-app/index.ts",
      'sim/bad.ts: contains "Date.now"',
      'sim/bad.ts: contains "Math.random"',
      'sim/bad.ts: contains "async "',
      'sim/bad.ts: contains "new Date("',
      'sim/bad.ts: contains "performance.now"',
      'sim/bad.ts: contains "setInterval"',
      'sim/bad.ts: contains "setTimeout"',
      "sim/bad.ts: import '../loadtest/lib/env.ts': sim/ may only import from sim/ (resolves to loadtest/lib/env.ts)",
      "sim/bad.ts: import '../reports/build.ts': sim/ may only import from sim/ (resolves to reports/build.ts)",
      "sim/bad.ts: import '../scenarios/blog.ts': sim/ may only import from sim/ (resolves to scenarios/blog.ts)",
      "sim/bad.ts: import 'node:fs': node built-ins only in sim/cli/ (and node:crypto in sim/scenario/parse.ts)",
      "sim/bad.ts: import 'seedrandom': only sim/kernel/rng.ts may import seedrandom",
      "sim/bad.ts: import type '../test/helpers.ts': sim/ may only import from sim/ (resolves to test/helpers.ts)",
      "sim/bad.ts: import() './x.ts': dynamic import only in sim/cli/",
      'sim/cli/main.ts: contains "Date.now"',
      "sim/contract.ts: import type './x.ts': sim/contract.ts is a leaf and imports nothing",
      "sim/contract/checks.ts: import type '../isr/model.ts': sim/contract/checks.ts is a leaf and imports nothing",
      "sim/isr/layers.ts: import '../planning/gate.ts': the isr layer may not import the planning layer above it (sim/planning/gate.ts)",
      "sim/isr/layers.ts: import '../scenario/parse.ts': the isr layer may not import the scenario layer above it (sim/scenario/parse.ts)",
      "sim/kernel/engine.ts: import type '../contract.ts': the kernel knows no domain: it imports only sim/kernel/",
      "sim/kernel/engine.ts: import type '../isr/model.ts': the kernel knows no domain: it imports only sim/kernel/",
      "sim/run.ts: import './cli/main.ts': the root layer may not import the cli layer above it (sim/cli/main.ts)",
      "sim/scenario/parse.ts: import 'fs': node built-ins only in sim/cli/ (and node:crypto in sim/scenario/parse.ts)",
      "sim/versions.ts: import './kernel/time.ts': sim/versions.ts is a leaf and imports nothing",
    ])
  })
})

describe('architecture of this repository', () => {
  const files = readTree()
  let cached: string[] | undefined
  const violations = () => (cached ??= checkArchitecture(files))

  it('finds the source tree', () => {
    const paths = files.map((f) => f.path)
    for (const p of ['sim/index.ts', 'sim/kernel/rng.ts', 'sim/kernel/engine.ts', 'sim/isr/model.ts', 'sim/cli/main.ts', 'sim/scenario/schema.ts', 'sim/scenario/parse.ts', 'sim/planning/gate.ts', 'sim/contract.ts']) expect(paths).toContain(p)
    expect(paths.some((p) => p.startsWith('scenarios/'))).toBe(true)
    expect(importsOf(files.find((f) => f.path === 'sim/kernel/rng.ts')!).map((r) => r.spec)).toEqual(['seedrandom'])
  })

  it('sim/ imports only sim/ and packages, never scenarios/, reports/, loadtest/ or test/', () => {
    expect(violations().filter((l) => l.includes('sim/ may only import from sim/'))).toEqual([])
  })

  it('only sim/kernel/rng.ts imports seedrandom', () => {
    expect(violations().filter((l) => l.includes('seedrandom'))).toEqual([])
  })

  it('node built-ins and dynamic imports only in sim/cli/ (node:crypto also in sim/scenario/parse.ts)', () => {
    expect(violations().filter((l) => l.includes('node built-ins') || l.includes('dynamic import'))).toEqual([])
  })

  it('the leaves import nothing; the kernel imports only the kernel; no layer imports one above it (kernel < scenario schema < isr < scenario < planning < root < cli)', () => {
    expect(violations().filter((l) => l.includes('leaf') || l.includes('knows no domain') || l.includes('layer'))).toEqual([])
  })

  it('no import cycles in sim/', () => {
    expect(violations().filter((l) => l.startsWith('import cycle'))).toEqual([])
  })

  it('scenarios/ import only sim/index.ts', () => {
    expect(violations().filter((l) => l.startsWith('scenarios/'))).toEqual([])
  })

  it('reports/ and loadtest/ reach sim/ only through `import type` of sim/contract.ts and the version table sim/versions.ts', () => {
    expect(violations().filter((l) => l.startsWith('reports/') || l.startsWith('loadtest/'))).toEqual([])
  })

  it('sim/ has no clock, no Math.random and no timers; only the shell (sim/cli/) is async', () => {
    expect(violations().filter((l) => l.includes(': contains '))).toEqual([])
  })

  it('no violations at all', () => {
    expect(violations()).toEqual([])
  })
})
