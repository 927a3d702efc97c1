/**
 * The CI gate on a real app (issue 14, item 5): `isrsim check --app <dir> --traffic <profile>
 * --baseline <main's result>` on copies of the hand-written 16.4.6 fixture, each built with the
 * real `next build` after one regression a pull request could bring. Each must exit 1 naming the
 * route, the file and the cause, in the terminal, the JUnit XML and the Markdown summary; the
 * unchanged app exits 0.
 *
 * Reproduce one: build the fixture (test/fixture-apps.ts buildFixture), then
 *   node bin/isrsim.js check --app <dir> --traffic <profile.json> --baseline <base.json>
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildFixture } from './fixture-apps.ts'

const ROOT = new URL('..', import.meta.url).pathname
const TIMEOUT_MS = 240_000

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/isrsim.js'), ...args])
    let stdout = '', stderr = ''
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    p.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }))
  })
}

/** Replace `from` by `to` in one file of the copied app (the edit must apply). */
function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const path = join(dir, file)
  const text = readFileSync(path, 'utf8')
  const next = text.replace(from, to)
  if (next === text) throw new Error(`the regression did not apply: ${from} not found in ${file}`)
  writeFileSync(path, next)
}

/** 1-based line of the first line of `file` in `dir` that contains `needle`. */
function lineOf(dir: string, file: string, needle: string): number {
  const i = readFileSync(join(dir, file), 'utf8').split('\n').findIndex((l) => l.includes(needle))
  if (i < 0) throw new Error(`${needle} not in ${file}`)
  return i + 1
}

interface Regression {
  readonly name: string
  readonly mutate: (dir: string) => void
  /** The route (id), and what the failure must name: the file (with its line) and the cause. */
  readonly route: string
  readonly expect: (dir: string) => readonly string[]
}

const REGRESSIONS: readonly Regression[] = [
  {
    name: 'a layout starts calling cookies()',
    mutate: (d) => {
      edit(d, 'app/(shop)/layout.tsx', /^/, "import { cookies } from 'next/headers'\n")
      edit(d, 'app/(shop)/layout.tsx', 'export default function ShopLayout({ children }: { children: ReactNode }) {\n  return <div className="shop">', "export default async function ShopLayout({ children }: { children: ReactNode }) {\n  const theme = (await cookies()).get('theme')?.value ?? 'light'\n  return <div className={`shop ${theme}`}>")
    },
    route: 'products-id',
    expect: (d) => ['/products/[id] became dynamic', `app/(shop)/layout.tsx:${lineOf(d, 'app/(shop)/layout.tsx', 'await cookies()')}`, 'cookies()'],
  },
  {
    name: 'a fetch lowers revalidate',
    mutate: (d) => edit(d, 'app/(shop)/products/[id]/page.tsx', 'next: { revalidate: 120,', 'next: { revalidate: 30,'),
    route: 'products-id',
    expect: (d) => ['/products/[id] revalidate dropped from 120 s to 30 s', `app/(shop)/products/[id]/page.tsx:${lineOf(d, 'app/(shop)/products/[id]/page.tsx', 'revalidate: 30')}`],
  },
  {
    name: 'a new no-store fetch',
    mutate: (d) => edit(d, 'app/page.tsx', '  return <main><h1>Home</h1>', "  const banner = await fetch(`${API}/banner`, { cache: 'no-store' }).then((r) => r.json())\n  return <main><h1>Home {String(banner.ok)}</h1>"),
    route: 'home',
    expect: (d) => ['/ became dynamic', `app/page.tsx:${lineOf(d, 'app/page.tsx', "cache: 'no-store'")}`, 'no-store'],
  },
  {
    name: 'generateStaticParams removed',
    mutate: (d) => edit(d, 'app/docs/[...slug]/page.tsx', /export function generateStaticParams\(\) \{\n[^\n]*\n\}\n\n/, ''),
    route: 'docs-slug',
    expect: () => ['/docs/[...slug]', 'app/docs/[...slug]/page.tsx no longer exports generateStaticParams'],
  },
]

describe('isrsim check --app: structural regressions on a real build fail with route, file and cause', () => {
  const work = mkdtempSync(join(tmpdir(), 'isrsim-gate-'))
  const profile = join(work, 'traffic.json')
  const base = join(work, 'base.json')

  beforeAll(async () => {
    const main = await buildFixture('app-next16', '16')
    // The committed traffic profile: the import with real rates instead of placeholders.
    const imp = await cli(['import', main.dir, '--out', profile])
    expect(imp.code, imp.stderr).toBe(0)
    const s = JSON.parse(readFileSync(profile, 'utf8')) as { name: string; durationS: number; routes: { traffic: Record<string, unknown> }[] }
    s.name = 'shop'
    s.durationS = 1800
    for (const r of s.routes) r.traffic = { rps: 2, popularity: { zipf: 1 } }
    writeFileSync(profile, JSON.stringify(s, null, 2))
    // main's baseline, as the README's recipe makes it.
    const scen = join(work, 'main.json')
    const i2 = await cli(['import', main.dir, '--traffic', profile, '--out', scen])
    expect(i2.code, i2.stderr).toBe(0)
    // The profile's traffic replaces the placeholders: the import no longer warns about them.
    expect(imp.stderr).toContain('warning: traffic of every route is a placeholder')
    expect(i2.stderr).not.toContain('traffic of every route is a placeholder')
    expect((JSON.parse(readFileSync(scen, 'utf8')) as { imported: { warnings: string[] } }).imported.warnings.some((w) => w.startsWith('traffic of every route'))).toBe(false)
    const run = await cli(['run', scen, '--replications', '3', '--out', base])
    expect(run.code, run.stderr).toBe(0)
  }, TIMEOUT_MS)

  it('the unchanged app passes (exit 0) with a PASS structure check per cached route', async () => {
    const main = await buildFixture('app-next16', '16')
    const r = await cli(['check', '--app', main.dir, '--traffic', profile, '--baseline', base, '--replications', '3'])
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0)
    expect(r.stdout).toMatch(/^PASS {2}routes\.products-id caching structure: \/products\/\[id\]: cached, revalidate 120 s, 2 prebuilt/m)
    expect(r.stdout).not.toMatch(/^FAIL/m)
  }, TIMEOUT_MS)

  for (const g of REGRESSIONS) {
    it(`${g.name}: exit 1 naming the route, the file and the cause (terminal, JUnit, Markdown)`, async () => {
      const built = await buildFixture('app-next16', '16', g.mutate)
      const junit = join(work, `${g.route}-${g.name.replace(/\W+/g, '-')}.xml`)
      const md = join(work, `${g.route}-${g.name.replace(/\W+/g, '-')}.md`)
      const r = await cli(['check', '--app', built.dir, '--traffic', profile, '--baseline', base, '--replications', '3', '--junit', junit, '--markdown', md])
      const how = `reproduce: node bin/isrsim.js check --app ${built.dir} --traffic ${profile} --baseline ${base}`
      expect(r.code, `${r.stdout}\n${r.stderr}\n${how}`).toBe(1)
      const line = r.stdout.split('\n').find((l) => l.startsWith(`FAIL  routes.${g.route} caching structure:`))
      expect(line, `${r.stdout}\n${how}`).toBeDefined()
      for (const part of g.expect(built.dir)) expect(line, how).toContain(part)
      // JUnit: a failed testcase in the structure class carries the same sentence.
      const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')) as { testsuites: { testsuite: { testcase: { '@_classname': string; '@_name': string; failure?: { '@_message': string } }[] } } }
      const tc = xml.testsuites.testsuite.testcase.find((c) => c['@_classname'] === 'isrsim.structure' && c['@_name'] === `routes.${g.route} caching structure`)
      expect(tc?.failure?.['@_message'], how).toBeDefined()
      for (const part of g.expect(built.dir)) expect(tc!.failure!['@_message']).toContain(part)
      const mdText = readFileSync(md, 'utf8')
      expect(mdText).toContain('❌ FAIL')
      for (const part of g.expect(built.dir)) expect(mdText).toContain(part.replace(/\|/g, '\\|'))
    }, TIMEOUT_MS)
  }
})
