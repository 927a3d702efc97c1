/**
 * isrsim import's readers for issue 17's families, on small apps written to a scratch folder:
 * a layout 'use cache' scope, several cacheLife calls in one scope (each field the smallest, as
 * Next does), a profile next.config does not have, 'use cache: private', unstable_cache with a
 * route param and with revalidate 0, and getStaticProps / getStaticPaths / getServerSideProps
 * as the Pages Router writes them. (The whole import is checked against real builds in
 * from-app-mixed.test.ts.)
 *
 * Reproduce: npx vitest run test/from-app-mixed-source.test.ts
 */
import { describe, expect, it } from 'vitest'
import { modules } from '../scenarios/from-app/modules.ts'
import { readPagesSource } from '../scenarios/from-app/pages-source.ts'
import { candidates, lowest, readStructure, SOURCE_ONLY, type CacheOptions } from '../scenarios/from-app/structure.ts'
import { scratchApps } from './import-run.ts'

/** A scratch app: path -> source. */
const app = scratchApps('isrsim-mixed-source-')

/** The profiles a 16.4.6 build writes to required-server-files.json (config.cacheLife), plus one of next.config. */
const CACHE: CacheOptions = {
  ...SOURCE_ONLY,
  config: {
    ...SOURCE_ONLY.config,
    cacheComponents: true,
    cacheLifeProfiles: {
      default: { stale: 300, revalidate: 900, expire: 4294967294 },
      seconds: { stale: 30, revalidate: 1, expire: 60 },
      minutes: { stale: 300, revalidate: 60, expire: 3600 },
      hours: { stale: 300, revalidate: 3600, expire: 86400 },
      weeks: { stale: 300, revalidate: 604800, expire: 2592000 },
      quarter: { stale: 120, revalidate: 900, expire: 86400 },
    },
  },
  cacheComponents: true,
  version: '16.4',
}

describe("'use cache' scopes", () => {
  it('a layout scope: its cacheLife and tags; it lowers the route, a seconds-lived function is a hole and does not', () => {
    const dir = app({
      'app/layout.tsx': `
import { cacheLife, cacheTag } from 'next/cache'
export default async function L({ children }: { children: React.ReactNode }) {
  'use cache'
  cacheLife('weeks')
  cacheTag('shell')
  return children
}
`,
      'app/page.tsx': `
import { cacheLife as life } from 'next/cache'
async function ticker() {
  'use cache'
  life('seconds')
  return Date.now()
}
async function news() {
  'use cache'
  life('quarter')
  return 1
}
export default async function P() { await ticker(); await news(); return null }
`,
    })
    const s = readStructure(dir, 'app', '/page', modules(dir), 'home', CACHE)!
    expect(s.layoutLives[0]?.life.cacheLife).toBe('weeks')
    expect(s.layoutLives[0]?.tags).toEqual(['shell'])
    expect(s.pageLife).toBeUndefined()
    expect(s.fetches.map(({ id, kind, cacheLife, revalidateS }) => ({ id, kind, cacheLife, revalidateS }))).toEqual([
      { id: 'ticker', kind: 'use cache', cacheLife: 'seconds', revalidateS: undefined },
      // next.config's own profile: its numbers, from the build's config.
      { id: 'news', kind: 'use cache', cacheLife: { staleS: 120, revalidateS: 900, expireS: 86400 }, revalidateS: undefined },
    ])
    // Under cacheComponents ticker (expire 60 < 300) is a hole: news's 900 s is the lowest.
    expect(lowest(candidates(s, CACHE))).toMatchObject({ value: 900, cause: "app/page.tsx:8 'use cache' news() life('quarter')" }) // the call as written (imported as life)
    // Without Partial Prerendering the seconds entry lowers the page to 1 s.
    expect(lowest(candidates(s, { ...CACHE, cacheComponents: false })).value).toBe(1)
  })

  it('two cacheLife calls in one scope take the smallest of each field; an unknown profile and a private cache are said', () => {
    const dir = app({
      'app/page.tsx': `
'use cache'
import { cacheLife } from 'next/cache'
export default async function P() {
  cacheLife('hours')
  cacheLife({ revalidate: 60 })
  return null
}
`,
      'app/b/page.tsx': `
import { cacheLife } from 'next/cache'
async function mine() {
  'use cache: private'
  return 1
}
export default async function B() {
  'use cache'
  cacheLife('nope')
  await mine()
  return null
}
`,
    })
    const mods = modules(dir)
    const a = readStructure(dir, 'app', '/page', mods, 'home', CACHE)!
    expect(a.pageLife?.life.cacheLife).toEqual({ staleS: 300, revalidateS: 60, expireS: 86400 })
    expect(a.warnings).toEqual(["app/page.tsx:4 several cacheLife calls in one scope (cacheLife('hours'), cacheLife({ revalidate: 60 })): each field takes the smallest, as Next does"])
    const b = readStructure(dir, 'app', '/b/page', mods, 'b', CACHE)!
    expect(b.pageLife?.life.cacheLife).toBeUndefined() // the default profile
    expect(b.warnings).toEqual(['app/b/page.tsx:8 cacheLife(\'nope\'): no cacheLife profile "nope" in the build\'s config; left out'])
    expect(b.unmodelled.map((u) => `${u.file}:${u.line} ${u.what}`)).toEqual(["app/b/page.tsx:3 'use cache: private' function (a per-user cache of one request's cookies and headers, never in the shared caches)"])
  })
})

describe('unstable_cache', () => {
  it('called inline with a route param: one entry per path, its key, revalidate and templated tags', () => {
    const dir = app({
      'app/blog/[slug]/page.tsx': `
import { unstable_cache as cached } from 'next/cache'
export default async function P({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params
  const post = await cached(async (s: string) => fetch('https://x.test/p/' + s), ['post'], { revalidate: 60, tags: [\`post-\${slug}\`, 'posts'] })(slug)
  return post
}
`,
      'app/zero/page.tsx': `
import { unstable_cache } from 'next/cache'
const getAll = unstable_cache(async () => 1, ['all'], { revalidate: 0 })
export default async function Z() { await getAll(); return null }
`,
    })
    const mods = modules(dir)
    const p = readStructure(dir, 'app', '/blog/[slug]/page', mods, 'post', CACHE)!
    expect(p.fetches.map(({ id, kind, revalidateS, tags, perPath }) => ({ id, kind, revalidateS, tags, perPath }))).toEqual([{ id: 'post', kind: 'unstable_cache', revalidateS: 60, tags: ['post-{slug}', 'posts'], perPath: true }])
    expect(lowest(candidates(p, CACHE)).cause).toBe('app/blog/[slug]/page.tsx:4 unstable_cache post revalidate: 60')
    const z = readStructure(dir, 'app', '/zero/page', mods, 'zero', CACHE)!
    expect(z.fetches.map(({ id, revalidateS, perPath }) => ({ id, revalidateS, perPath }))).toEqual([{ id: 'all', revalidateS: false, perPath: false }])
    expect(z.warnings).toEqual(['app/zero/page.tsx:2 unstable_cache all: revalidate 0 is not a static number >= 1 or false (unstable_cache throws on 0); modelled as no revalidate'])
  })
})

describe('Pages Router source', () => {
  it('getStaticProps returns: conditional, revalidate true (1 s), notFound, redirect; getStaticPaths fallback; getServerSideProps', () => {
    const dir = app({
      'pages/a/[id].jsx': `
const TTL = 120
export async function getStaticPaths() {
  return { paths: [], fallback: 'blocking' }
}
export async function getStaticProps({ params }) {
  if (params.id === 'old') return { redirect: { destination: '/', permanent: false }, revalidate: 600 }
  const ok = params.id !== 'gone'
  return ok ? { props: {}, revalidate: TTL } : { notFound: true, revalidate: true }
}
export default function A() { return null }
`,
      'pages/b.jsx': `
export const getServerSideProps = async () => ({ props: {} })
export default function B() { return null }
`,
    })
    const mods = modules(dir)
    const a = readPagesSource(mods, 'pages/a/[id].jsx')
    expect(a.getStaticPaths).toEqual({ line: 2, fallback: 'blocking', fallbackLine: 3 })
    expect(a.getStaticProps).toEqual({ line: 5, returns: [
      { line: 6, revalidate: 600, result: 'redirect' },
      { line: 8, revalidate: 120, result: 'props' },
      { line: 8, revalidate: 1, result: 'notFound' },
    ] })
    expect(a.getServerSideProps).toBeUndefined()
    const b = readPagesSource(mods, 'pages/b.jsx')
    expect(b).toEqual({ file: 'pages/b.jsx', getServerSideProps: 1 })
  })
})
