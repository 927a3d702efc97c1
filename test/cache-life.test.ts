/**
 * Hand-traced tests of Cache Components' route life (docs/semantics.md §12.1-§12.4): cacheLife
 * presets per version, the minimum over 'use cache' entries, the hole rule, and the cached
 * shell with per-request hole renders. Each derivation is in the comment; the observations
 * they rest on are in §12.x. Reproduce: npx vitest run test/cache-life.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { INFINITE_CACHE_S, presetLife, resolveLife } from '../sim/isr/cache-life.ts'
import { profileFor } from '../sim/isr/profiles.ts'
import { effectiveRevalidate } from '../sim/isr/revalidate.ts'
import { parseScenario, type NextVersion } from '../sim/index.ts'
import { single, traced, s, type RouteInput } from './helpers.ts'

const next = (version: NextVersion, cacheComponents = false) => (cacheComponents ? { version, cacheComponents } : { version })
/** The route as the parser fills it in, and its effective revalidate. */
function effective(route: Partial<RouteInput>, version: NextVersion, cc = false) {
  const sc = parseScenario(single({ renderS: 0.1, ...route }, [1], { next: next(version, cc) }))
  return effectiveRevalidate(sc.routes[0]!, sc.next)
}

describe('§12.1 cacheLife presets per version', () => {
  test('the built-in numbers; max never expires on 15.5, after one year on 16.x', () => {
    expect(presetLife(profileFor('16.4'), 'minutes')).toEqual({ staleS: 300, revalidateS: 60, expireS: 3600 })
    expect(presetLife(profileFor('16.4'), 'seconds')).toEqual({ staleS: 30, revalidateS: 1, expireS: 60 })
    expect(presetLife(profileFor('15'), 'default')).toEqual({ staleS: 300, revalidateS: 900, expireS: INFINITE_CACHE_S })
    expect(presetLife(profileFor('15'), 'max').expireS).toBe(INFINITE_CACHE_S)
    expect(presetLife(profileFor('16.0'), 'max').expireS).toBe(31_536_000)
    expect(presetLife(profileFor('16.4'), 'max').expireS).toBe(31_536_000)
  })

  test('a custom profile\'s missing field takes default\'s', () => {
    expect(resolveLife(profileFor('16.4'), { revalidateS: 5 })).toEqual({ staleS: 300, revalidateS: 5, expireS: INFINITE_CACHE_S })
    expect(resolveLife(profileFor('16.4'), undefined)).toEqual(presetLife(profileFor('16.4'), 'default'))
  })

  test.each(['15', '16.4'] as const)('a \'use cache\' page with cacheLife("max") on %s: revalidate 30 days, expire per version', (v) => {
    const e = effective({ cacheLife: 'max' }, v)
    expect(e.revalidateS).toBe(2_592_000)
    expect(e.expireS).toBe(v === '15' ? undefined : 31_536_000)
  })
})

describe('§12.2 the route\'s life is the minimum of its \'use cache\' entries', () => {
  test.each(['15', '16.4'] as const)('on %s a cacheLife("minutes") function lowers a page revalidate of 3600 to 60 and sets expire 3600', (v) => {
    // Observed on 15.5.29: a function of profile {30, 5, 300} made its page "5s, 5m".
    const e = effective({ revalidateS: 3600, fetches: [{ id: 'uc', kind: 'use cache', cacheLife: 'minutes' }] }, v)
    expect(e).toEqual({ revalidateS: 60, source: '\'use cache\' "uc"', expireS: 3600 })
  })

  test('an explicit page cacheLife wins over the functions and fetches in its scope', () => {
    // 'hours' on the page; inside it a 'seconds' function and a fetch of revalidate 10: the page stays 3600 / 86400.
    const e = effective({ cacheLife: 'hours', fetches: [{ id: 'uc', kind: 'use cache', cacheLife: 'seconds' }, { id: 'f', revalidateS: 10 }] }, '16.4')
    expect(e).toEqual({ revalidateS: 3600, source: 'page \'use cache\'', expireS: 86_400 })
  })

  test('a layout is its own scope: its cacheLife("days") sits beside a page revalidate of 600', () => {
    const e = effective({ revalidateS: 600, layouts: [{ cacheLife: 'days' }] }, '16.4')
    expect(e).toEqual({ revalidateS: 600, source: 'page', expireS: 604_800 })
  })

  test('the default profile alone: revalidate 900, no expire (next.config expireTime)', () => {
    const e = effective({ fetches: [{ id: 'uc', kind: 'use cache' }] }, '16.4')
    expect(e).toEqual({ revalidateS: 900, source: '\'use cache\' "uc"' })
  })

  test.each(['15', '16.4'] as const)('on %s a \'use cache\' page of {revalidate 5, expire 300} is an ISR page of revalidate 5 (observed: STALE 6 s after its regeneration, then HIT)', (v) => {
    // Prebuilt at 0. t=6: 6 > 5 STALE, regeneration 6..6.1. t=6.5 HIT (0.4 since set). t=12: 12 - 6.1 = 5.9 > 5 STALE.
    const t = traced(single({ cacheLife: { staleS: 30, revalidateS: 5, expireS: 300 }, renderS: 0.1 }, [6, 6.5, 12], { next: next(v) }))
    expect(t.outcomes).toEqual(['stale', 'hit', 'stale'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[6, 'background'], [12, 'background']])
    expect(t.result.routes.r!.effectiveRevalidateS).toBe(5)
    expect(t.result.routes.r!.effectiveExpireS).toBe(300)
  })

  test('the cacheLife expire is the entry\'s expire: past it 16.4 blocks on a render, 15 serves stale (§2)', () => {
    // {revalidate 5, expire 20}; prebuilt at 0; a request at 25: 25 > 20.
    const at = (v: NextVersion) => traced(single({ cacheLife: { revalidateS: 5, expireS: 20 }, renderS: 1 }, [25], { next: next(v) }))
    expect(at('16.4').outcomes).toEqual(['miss'])
    expect(at('16.4').renders.map((r) => r.mode)).toEqual(['blocking'])
    expect(at('15').outcomes).toEqual(['stale'])
  })

  test('without cacheComponents a function with cacheLife revalidate 0 makes the route dynamic', () => {
    const e = effective({ fetches: [{ id: 'uc', kind: 'use cache', cacheLife: { revalidateS: 0 } }] }, '16.4')
    expect(e).toEqual({ revalidateS: 0, source: '\'use cache\' "uc" has cacheLife revalidate 0' })
  })
})

describe('§12.3 short-lived entries are dynamic holes under cacheComponents', () => {
  test('a cacheLife("seconds") function is a hole: it does not lower the shell (observed: "◐ 5s, 5m" beside a seconds hole)', () => {
    const e = effective({ fetches: [{ id: 'shell', kind: 'use cache', cacheLife: { staleS: 30, revalidateS: 5, expireS: 300 } }, { id: 'hole', kind: 'use cache', cacheLife: 'seconds' }] }, '16.4', true)
    expect(e.revalidateS).toBe(5)
    expect(e.expireS).toBe(300)
    expect(e.holes).toEqual(['\'use cache\' "hole" is short-lived (cacheLife revalidate 1 s, expire 60 s, stale 30 s)'])
  })

  test('the same function without cacheComponents lowers the route to revalidate 1, expire 60, and makes no hole', () => {
    const e = effective({ fetches: [{ id: 'hole', kind: 'use cache', cacheLife: 'seconds' }] }, '16.4')
    expect(e).toEqual({ revalidateS: 1, source: '\'use cache\' "hole"', expireS: 60 })
  })

  test('expire 300 is prerenderable, 299 is a hole (strict <); revalidate 0 is a hole', () => {
    const life = (cacheLife: { revalidateS: number; expireS: number }) => effective({ fetches: [{ id: 'uc', kind: 'use cache', cacheLife }] }, '16.4', true)
    expect(life({ revalidateS: 60, expireS: 300 }).holes).toBeUndefined()
    expect(life({ revalidateS: 60, expireS: 300 }).revalidateS).toBe(60)
    expect(life({ revalidateS: 60, expireS: 299 }).holes).toHaveLength(1)
    expect(life({ revalidateS: 60, expireS: 299 }).revalidateS).toBe(false)
    expect(life({ revalidateS: 0, expireS: 3600 }).holes).toHaveLength(1)
  })

  test.each([['16.0', false], ['16.3', true], ['16.4', true]] as const)('stale 10 s on %s: a hole = %s', (v, hole) => {
    const e = effective({ fetches: [{ id: 'uc', kind: 'use cache', cacheLife: { staleS: 10, revalidateS: 60, expireS: 3600 } }] }, v, true)
    expect(e.holes !== undefined).toBe(hole)
    expect(e.revalidateS).toBe(hole ? false : 60)
  })
})

/** The shell's data: a 'use cache' function living 60 s (expire 1 h, so no hole). */
const SHELL_DATA = { id: 'shell', kind: 'use cache' as const, cacheLife: { revalidateS: 60, expireS: 3600 } }

describe('§12.4 a cached shell with holes rendered per request', () => {
  test('request APIs under cacheComponents: the shell is served HIT/STALE and every request renders the holes', () => {
    // Shell revalidate 60 from a 'use cache' function (no segment revalidate: next build refuses
    // it with cacheComponents), a headers() hole, render 1 s, prebuilt at 0.
    // t=0: hole render 0..1, shell HIT. t=61: hole render, shell STALE + background regeneration 61..62.
    // t=61.5: hole render, shell STALE (joins the regeneration). 4 renders, 4 s of CPU.
    const t = traced(single({ fetches: [SHELL_DATA], dynamic: true, renderS: 1 }, [0, 61, 61.5], { next: next('16.4', true) }))
    expect(t.outcomes).toEqual(['hit', 'stale', 'stale'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[0, 'dynamic'], [61, 'dynamic'], [61, 'background'], [61.5, 'dynamic']])
    const r = t.result.routes.r!
    expect(r.effectiveRevalidateS).toBe(60)
    expect(r.holes).toEqual(['page calls request APIs'])
    expect([r.dynamicRenders, r.backgroundRenders, r.renderCpuS]).toEqual([3, 1, 4])
  })

  test('without cacheComponents the same page is dynamic: every request renders, nothing is cached', () => {
    const t = traced(single({ fetches: [SHELL_DATA], dynamic: true, renderS: 1 }, [0, 61, 61.5], { next: next('16.4') }))
    expect(t.outcomes).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(t.result.routes.r!.effectiveRevalidateS).toBe(0)
    expect(t.result.routes.r!.holes).toBeUndefined()
  })

  test('a layout calling cookies() and a no-store fetch are holes too', () => {
    const e = effective({ layouts: [{ dynamic: true }], fetches: [SHELL_DATA, { id: 'live', revalidateS: 0 }] }, '16.4', true)
    expect(e).toEqual({ revalidateS: 60, source: '\'use cache\' "shell"', expireS: 3600, holes: ['layouts[0] calls request APIs', 'fetch "live" is no-store (revalidate 0)'] })
  })
})

describe('§12 bad input', () => {
  test('segment revalidate, dynamic, fetchCache and dynamicParams under cacheComponents are refused, as next build refuses them', () => {
    const cc = { next: next('16.4', true) }
    expect(() => parseScenario(single({ revalidateS: 60, renderS: 0.1 }, [1], cc))).toThrow(/routes\[0\]\.revalidateS: is refused by next build with next\.cacheComponents.*"revalidate"/s)
    expect(() => parseScenario(single({ layouts: [{ revalidateS: 60 }], renderS: 0.1 }, [1], cc))).toThrow(/routes\[0\]\.layouts\[0\]\.revalidateS/)
    expect(() => parseScenario(single({ segmentConfig: { fetchCache: 'force-cache' }, renderS: 0.1 }, [1], cc))).toThrow(/routes\[0\]\.segmentConfig\.fetchCache.*"fetchCache"/s)
    expect(() => parseScenario(single({ pattern: '/p/[id]', params: { count: 2, dynamicParams: false }, renderS: 0.1 }, [1], cc))).toThrow(/routes\[0\]\.params\.dynamicParams/)
    // The same without cacheComponents, and a Pages route's getStaticProps revalidate with it, are fine.
    expect(() => parseScenario(single({ revalidateS: 60, renderS: 0.1 }, [1], { next: next('16.4') }))).not.toThrow()
    expect(() => parseScenario(single({ router: 'pages', revalidateS: 60, renderS: 0.1 }, [1], cc))).not.toThrow()
  })

  test('cacheComponents on 15 is refused, naming the field', () => {
    expect(() => parseScenario(single({ renderS: 0.1 }, [1], { next: { version: '15', cacheComponents: true } }))).toThrow(/next\.cacheComponents.*CanaryOnlyError/s)
  })

  test('a custom cacheLife with revalidate > expire is refused, naming the field', () => {
    expect(() => parseScenario(single({ renderS: 0.1, cacheLife: { revalidateS: 600, expireS: 300 } }, [1], { next: { version: '16.4' } }))).toThrow(/routes\[0\]\.cacheLife\.revalidateS.*at most expireS \(300\)/s)
  })

  test('\'use cache\' on 14 is refused', () => {
    expect(() => parseScenario(single({ renderS: 0.1, fetches: [{ id: 'uc', kind: 'use cache' }] }, [1], { next: { version: '14' } }))).toThrow(/routes\[0\]\.fetches\[0\]\.kind/)
  })
})

describe('§12.4 warnings', () => {
  test('a layout calling cookies() is no dynamic-layout caveat under cacheComponents (it is a hole), and is one without', async () => {
    const { warningsFor } = await import('../sim/run.ts')
    const codes = (cc: boolean) => warningsFor(parseScenario(single({ fetches: [SHELL_DATA], layouts: [{ dynamic: true }], renderS: 0.1 }, [1], { next: next('16.4', cc) }))).map((w) => w.code)
    expect(codes(false)).toContain('dynamic-layout')
    expect(codes(true)).not.toContain('dynamic-layout')
  })
})
