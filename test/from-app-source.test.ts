/**
 * isrsim import's source reader on small apps written to a scratch folder: segment config,
 * request APIs under any import name, fetch options through helpers, re-exports, path aliases
 * and wrappers, templated tags, and what is not modelled yet. (The whole import is checked
 * against real builds in from-app.test.ts.)
 *
 * Reproduce: npx vitest run test/from-app-source.test.ts
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { paramValues, templateWith, urlShape } from '../scenarios/from-app/fetches.ts'
import { routeIdOf } from '../scenarios/from-app/index.ts'
import { modules } from '../scenarios/from-app/modules.ts'
import { analyzeSegment, routeHandlerLine } from '../scenarios/from-app/source.ts'
import { candidates, lowest, patternOf, readStructure } from '../scenarios/from-app/structure.ts'
import { profileOf } from '../scenarios/from-app/version.ts'
import { scratchApps } from './import-run.ts'

/** A scratch app: path -> source. */
const app = scratchApps('isrsim-source-')
const seg = (dir: string, file: string, params: string[] = [], isPage = true) => analyzeSegment(modules(dir), file, params, isPage)

describe('segment config', () => {
  it('reads revalidate (with arithmetic), dynamic, dynamicParams, fetchCache and generateStaticParams as a const arrow', () => {
    const dir = app({ 'app/[id]/page.tsx': `
export const revalidate = 60 * 5
export const dynamic = 'force-static'
export const dynamicParams = false
export const fetchCache = 'default-cache'
export const generateStaticParams = async () => (await fetch('https://api.example.com/ids')).json()
export default function P() { return null }
` })
    const s = seg(dir, 'app/[id]/page.tsx', ['id'])
    expect(s.revalidate).toEqual({ value: 300, line: 1 })
    expect(s.dynamic).toEqual({ value: 'force-static', line: 2 })
    expect(s.dynamicParams).toEqual({ value: false, line: 3 })
    expect(s.fetchCache).toEqual({ value: 'default-cache', line: 4 })
    expect(s.generateStaticParams).toBe(5)
    expect(s.fetches).toEqual([]) // generateStaticParams runs at build only
  })

  it('a value that is not static is a problem naming the line; a revalidate Next rejects too', () => {
    const dir = app({ 'app/page.tsx': `
import { ttl } from './ttl'
export const revalidate = ttl()
export const dynamicParams = 'yes'
` })
    const s = seg(dir, 'app/page.tsx')
    expect(s.revalidate).toBeUndefined()
    expect(s.configProblems.map((p) => [p.line, p.what])).toEqual([[2, 'export const revalidate = ttl() is not a static value'], [3, 'export const dynamicParams = "yes" is not a value Next accepts']])
  })
})

describe('request APIs, under whatever name they are imported', () => {
  it('aliases, namespace imports, draftMode, connection, unstable_noStore and searchParams', () => {
    const dir = app({ 'app/page.tsx': `
import { cookies as jar, draftMode } from 'next/headers'
import * as h from 'next/headers'
import { connection } from 'next/server'
import { unstable_noStore } from 'next/cache'
export default async function P(props: { searchParams: Promise<{ q?: string }> }) {
  await jar(); await h.headers(); await draftMode(); await connection(); unstable_noStore()
  const sp = await props.searchParams
  return sp.q
}
` })
    expect(seg(dir, 'app/page.tsx').requestApis.map((f) => `${f.line} ${f.what}`)).toEqual(['6 calls cookies()', '6 calls headers()', '6 calls draftMode()', '6 calls connection()', '6 calls unstable_noStore()', '7 reads searchParams'])
  })

  it('a local function named cookies, and a URL\'s searchParams, are not request APIs; a layout does not read searchParams', () => {
    const dir = app({ 'app/layout.tsx': `
const cookies = () => []
export default function L({ children }: { children: unknown }) { cookies(); const u = new URL('http://x/?a=1'); return u.searchParams.get('a') ? children : null }
` })
    expect(seg(dir, 'app/layout.tsx', [], false).requestApis).toEqual([])
  })

  it('a cookies() call in a helper module is found, with the call that led there', () => {
    const dir = app({
      'lib/session.ts': `
import { cookies } from 'next/headers'
export async function user() { return (await cookies()).get('u') }
`,
      'app/layout.tsx': `
import { user } from '../lib/session'
export default async function L() { await user(); return null }
`,
    })
    expect(seg(dir, 'app/layout.tsx', [], false).requestApis).toEqual([{ file: 'lib/session.ts', line: 2, what: 'calls cookies()', via: 'app/layout.tsx:2' }])
  })
})

describe('fetches', () => {
  it('options through a helper\'s parameters, a path alias and a re-export; tags templated back, catch-all joined', () => {
    const dir = app({
      'tsconfig.json': '{ "compilerOptions": { "paths": { "~/*": ["./src/*"] } } } // comments are fine\n',
      'src/lib/index.ts': "export * from './docs'\n",
      'src/lib/docs.ts': `
const BASE = 'https://cms.example.com/v2'
export function getDoc(path: string, init?: RequestInit) {
  return fetch(BASE + '/docs/' + path, init)
}
`,
      'app/docs/[...slug]/page.tsx': `
import { getDoc } from '~/lib'
const opts = { next: { revalidate: 120 } }
export default async function D({ params }: { params: Promise<{ slug: string[] }> }) {
  const { slug } = await params
  await getDoc(slug.join('/'), { next: { revalidate: 30, tags: [\`doc-\${slug.join('/')}\`, 'docs'] } })
  await getDoc('index')
  await fetch(\`https://cms.example.com/v2/nav?lang=en\`, opts)
  return null
}
`,
    })
    const s = seg(dir, 'app/docs/[...slug]/page.tsx', ['slug'])
    expect(s.fetches.map((f) => ({ file: f.file, line: f.line, via: f.via, revalidate: f.revalidate, tags: f.tags?.map((t) => t.map((p) => (p.kind === 'param' ? `{${p.name}}` : p.kind === 'text' ? p.text : '?')).join('')), id: urlShape(f.url).id, perPath: urlShape(f.url).perPath }))).toEqual([
      { file: 'src/lib/docs.ts', line: 3, via: 'app/docs/[...slug]/page.tsx:5', revalidate: { value: 30 }, tags: ['doc-{slug}', 'docs'], id: 'v2-docs:slug', perPath: true },
      { file: 'app/docs/[...slug]/page.tsx', line: 7, via: undefined, revalidate: { value: 120 }, tags: [], id: 'v2-nav', perPath: false },
    ])
  })

  it('a helper wrapped in React cache(), a helper in the same module, and an unknown tag (a warning, not a guess)', () => {
    const dir = app({
      'lib/data.ts': `
import { cache } from 'react'
const API = process.env.API_URL
function raw(id: string, tag: string) { return fetch(\`\${API}/items/\${id}\`, { cache: 'force-cache', next: { tags: [tag, \`item-\${id}\`] } }) }
export const getItem = cache(async (id: string) => raw(id, process.env.TAG!))
`,
      'app/items/[id]/page.tsx': `
import { getItem } from '../../../lib/data'
export default async function I({ params }: { params: { id: string } }) { await getItem(params.id); return null }
`,
    })
    const structure = readStructure(dir, 'app', '/items/[id]/page', modules(dir), 'items-id')!
    expect(structure.fetches.map(({ id, revalidateS, tags, perPath }) => ({ id, revalidateS, tags, perPath }))).toEqual([{ id: 'items:id', revalidateS: false, tags: ['item-{id}'], perPath: true }])
    expect(structure.warnings).toEqual(['lib/data.ts:3 fetch(`${API}/items/${id}`) (called from app/items/[id]/page.tsx:2): a tag (${process.env.TAG}) is computed at run time; left out'])
  })

  it('no-store, fetchCache and force-static decide the route: causes named by file and line', () => {
    const dir = app({
      'app/layout.tsx': `
import { headers } from 'next/headers'
export const fetchCache = 'force-no-store'
export default async function L() { await headers(); return null }
`,
      'app/a/page.tsx': "export default async function A() { await fetch('https://x.test/a', { next: { revalidate: 60 } }); return null }\n",
      'app/b/page.tsx': "export const dynamic = 'force-static'\nexport default async function B() { await fetch('https://x.test/b', { cache: 'no-store' }); return null }\n",
    })
    const mods = modules(dir)
    const a = readStructure(dir, 'app', '/a/page', mods, 'a')!
    expect(a.dynamicCauses).toEqual(['app/layout.tsx:3 calls headers()', "app/a/page.tsx:1 fetch('https://x.test/a') fetchCache = 'force-no-store'"])
    expect(a.layoutModel).toEqual([{ dynamic: true }])
    const b = readStructure(dir, 'app', '/b/page', mods, 'b')!
    // force-static: request APIs return empty values and fetches are cached (fetchCache is the layout's here, so it still wins)
    expect(b.dynamicCauses).toEqual(["app/b/page.tsx:2 fetch('https://x.test/b') fetchCache = 'force-no-store'"])
    expect(b.layoutModel).toEqual([{ dynamic: false }])
  })

  it('the lowest explicit value wins, the page first among equals (the simulator\'s rule)', () => {
    const dir = app({
      'app/layout.tsx': 'export const revalidate = 30\nexport default function L() { return null }\n',
      'app/page.tsx': "export const revalidate = 30\nexport default async function P() { await fetch('https://x.test/p', { next: { revalidate: 45 } }); return null }\n",
    })
    const s = readStructure(dir, 'app', '/page', modules(dir), 'home')!
    expect(lowest(candidates(s)).cause).toBe('app/page.tsx:1 export const revalidate = 30')
  })
})

describe('cached reads and what is not modelled yet, named with file and line', () => {
  it("'use cache' (file and function) and unstable_cache are cached reads; experimental_ppr is not modelled; their fetches are left to them", () => {
    const dir = app({
      'lib/cached.ts': "'use cache'\nexport async function getAll() { return fetch('https://x.test/all') }\n",
      'app/page.tsx': `
import { unstable_cache } from 'next/cache'
import { getAll } from '../lib/cached'
export const experimental_ppr = true
const getOne = unstable_cache(async () => fetch('https://x.test/one'), ['one'])
async function menu() {
  'use cache'
  return fetch('https://x.test/menu')
}
export default async function P() { await getAll(); await getOne(); await menu(); return null }
`,
    })
    const s = seg(dir, 'app/page.tsx')
    expect(s.unmodelled.map((f) => `${f.file}:${f.line} ${f.what}${f.via ? ` via ${f.via}` : ''}`)).toEqual(['app/page.tsx:3 experimental_ppr (Partial Prerendering)'])
    expect(s.cached.map((c) => `${c.file}:${c.line} ${c.type === 'use cache' ? c.kind : c.type} ${c.name}${c.via ? ` via ${c.via}` : ''}`).sort()).toEqual([
      'app/page.tsx:4 unstable_cache one',
      "app/page.tsx:6 use cache menu",
      "lib/cached.ts:2 use cache getAll via app/page.tsx:9",
    ].sort())
    expect(s.fetches).toEqual([])
  })

  it('a client page: no server fetches, but searchParams still makes it dynamic; a route handler\'s line', () => {
    const dir = app({
      'app/page.tsx': "'use client'\nexport default function P({ searchParams }: { searchParams: { q: string } }) {\n  fetch('/api/x')\n  return searchParams.q\n}\n",
      'app/api/x/route.ts': "export const dynamic = 'force-static'\n\nexport async function GET() { return Response.json({}) }\n",
    })
    const s = seg(dir, 'app/page.tsx')
    expect(s.fetches).toEqual([])
    expect(s.requestApis.map((f) => `${f.line} ${f.what}`)).toEqual(['4 reads searchParams'])
    expect(routeHandlerLine(modules(dir), 'app/api/x/route.ts')).toBe(3)
  })
})

describe('names and shapes', () => {
  it('patterns drop route groups and parallel slots; route ids are unique', () => {
    expect(patternOf('/(shop)/products/[id]/page')).toBe('/products/[id]')
    expect(patternOf('/@modal/(group)/photo/page')).toBe('/photo')
    expect(patternOf('/page')).toBe('/')
    const used = new Set<string>()
    expect(['/', '/blog/[slug]', '/blog-slug', '/docs/[...slug]', '/shop/[[...path]]'].map((p) => routeIdOf(p, used))).toEqual(['home', 'blog-slug', 'blog-slug-2', 'docs-slug', 'shop-path'])
  })

  it('fetch URLs: origin left out, params kept as :name, a matcher for the concrete URLs', () => {
    const s = urlShape([{ kind: 'text', text: 'https://api.example.com/v1/items/' }, { kind: 'param', name: 'id' }, { kind: 'text', text: '?full=1' }])
    expect([s.id, s.perPath]).toEqual(['v1-items:id', true])
    expect(s.match?.re.exec('https://api.example.com/v1/items/42?full=1')?.[1]).toBe('42')
    expect(urlShape([{ kind: 'unknown', text: 'API' }, { kind: 'text', text: '/q/' }, { kind: 'unknown', text: 'x' }]).perPath).toBeUndefined()
  })

  it('build values templated back only where a param value stands alone', () => {
    const v = paramValues('/news/[id]', '/news/e')
    expect(templateWith('news-e', v)).toBe('news-{id}')
    expect(templateWith('news', v)).toBe('news')
    expect(paramValues('/docs/[...slug]', '/docs/guides/setup').get('slug')).toBe('guides/setup')
    expect(paramValues('/shop/[[...path]]', '/shop').get('path')).toBe('')
  })

  it('next versions to profiles', () => {
    expect(['14.2.3', '15.5.29', '16.0.1', '16.2.9', '16.3.5', '16.4.6', '16.5.0-canary.2'].map((v) => profileOf(v).profile)).toEqual(['14', '15', '16.0', '16.0', '16.3', '16.4', '16.4'])
    expect(profileOf('13.5.0').warning).toMatch(/older than 14/)
    expect(profileOf('17.0.0').warning).toMatch(/newer than the profiles/)
  })
})
