/**
 * Tags and on-demand revalidation (docs/semantics.md rule A8, §4.1–§4.3).
 * Hand-traced micro-scenarios; version differences run under both profiles.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, ScenarioError, type ScenarioInput } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario/schema.ts'
import { implicitRouteTags, pathOf, revalidatePathTags } from '../sim/isr/tags.ts'
import { traced, s } from './helpers.ts'

type OnDemand = NonNullable<ScenarioInput['onDemand']>[number]

/** One page "/p/[id]" (3 paths, all prebuilt at t = 0), never stale by time, render 1 s, fetch tagged. */
function blog(version: NextVersion, onDemand: OnDemand[], atS: number[], path?: number[], extra: Partial<ScenarioInput['routes'][number]> = {}): ScenarioInput {
  return {
    name: 'od',
    durationS: (atS[atS.length - 1] ?? 0) + 50,
    next: { version },
    routes: [{
      id: 'post', pattern: '/blog/[slug]', revalidateS: false, renderS: 1, params: { count: 3 },
      fetches: [{ id: 'post', tags: ['posts', 'post:{slug}'] }],
      traffic: { rps: 0, schedule: { atS, ...(path ? { path } : {}) } },
      ...extra,
    }],
    onDemand,
  }
}

describe('§4.1 implicit tags and path names', () => {
  test('a page carries a layout tag per prefix and its page tag; path k is the pattern with k', () => {
    expect(implicitRouteTags('/blog/[slug]')).toEqual(['_N_T_/layout', '_N_T_/blog/layout', '_N_T_/blog/[slug]/layout', '_N_T_/blog/[slug]/page'])
    expect(implicitRouteTags('/')).toEqual(['_N_T_/layout', '_N_T_/page'])
    expect(pathOf('/shop/[cat]/[item]', 4)).toEqual('/shop/4/4')
  })

  test('§4.2 revalidatePath tags: type suffix, trailing slash and the / alias from 15; no normalisation on 14', () => {
    expect(revalidatePathTags('/blog', 'layout', true)).toEqual(['_N_T_/blog/layout'])
    expect(revalidatePathTags('/blog/', 'layout', true)).toEqual(['_N_T_/blog/layout'])
    expect(revalidatePathTags('/', undefined, true)).toEqual(['_N_T_/', '_N_T_/index'])
    // The type is joined with "/" only when the path lacks one (Next's source), on every version:
    expect(revalidatePathTags('/', 'layout', true)).toEqual(['_N_T_/layout'])
    expect(revalidatePathTags('/', 'page', false)).toEqual(['_N_T_/page'])
    expect(revalidatePathTags('/blog/', 'layout', false)).toEqual(['_N_T_/blog/layout'])
    expect(revalidatePathTags('/blog/1/', undefined, false)).toEqual(['_N_T_/blog/1/'])
    expect(revalidatePathTags('/', undefined, false)).toEqual(['_N_T_/'])
  })

  test('revalidatePath("/", "layout") reaches every page, on 14 and 16 (the docs\' "revalidate everything")', () => {
    for (const version of ['14', '16.4'] as const) {
      const t = traced(blog(version, [{ kind: 'revalidatePath', path: '/', type: 'layout', atS: 10 }], [11, 11, 11], [0, 1, 2]))
      expect(t.outcomes).toEqual(['miss', 'miss', 'miss'])
    }
  })

  test('route groups are in the page tag, not in the URL', () => {
    expect(pathOf('/(shop)/p/[id]', 3)).toEqual('/p/3')
    expect(pathOf('/(marketing)', 0)).toEqual('/')
    expect(implicitRouteTags('/(shop)/p/[id]')).toContain('_N_T_/(shop)/p/[id]/page')
  })
})

describe('A8 §4.3: revalidateTag(tag, "max") is stale-while-revalidate on 16, a blocking MISS on 15', () => {
  // revalidateTag("posts", "max") at 10. Requests at 5, 11, 11.5, 13; render 1 s.
  const input = (v: NextVersion) => blog(v, [{ kind: 'revalidateTag', tag: 'posts', profile: 'max', atS: 10 }], [5, 11, 11.5, 13])

  test.each(['16.0', '16.3', '16.4'] as const)('%s: the next request gets STALE and the new page follows', (v) => {
    // Part A on 16.4.6: "the next request got STALE (old page, ~7 ms) and the new page appeared ~0.9 s later".
    // 11 STALE (stale 10 > lastModified 0) -> background render 11..12; 11.5 joins (STALE); 13 HIT (lastModified 12 > 10).
    const t = traced(input(v))
    expect(t.outcomes).toEqual(['hit', 'stale', 'stale', 'hit'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[11, 'background']])
    expect(s(t.requests[3]!.ageUs)).toBe(2) // data read at 11
    expect(t.result.onDemand[0]).toMatchObject({ occurrences: 1, entriesTouched: 3, rendersWithin1m: 1, rendersWithin1h: 1, rendersWithin1d: 1 })
  })

  test.each(['14', '15'] as const)('%s: the second argument is ignored: a blocking MISS', (v) => {
    // Part A on 15.5.29: "the second argument is ignored: a blocking MISS (~720 ms)".
    // 11 MISS (revalidatedAt 10 >= lastModified 0) -> blocking 11..12; 11.5 joins (MISS, waits 0.5 s); 13 HIT.
    const t = traced(input(v))
    expect(t.outcomes).toEqual(['hit', 'miss', 'miss', 'hit'])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0, 1, 0.5, 0])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[11, 'blocking']])
    expect(t.result.warnings.map((w) => w.code)).toContain('profile-ignored')
  })
})

describe('§4.3: calls that expire at once (blocking MISS)', () => {
  test.each([
    [{ kind: 'revalidateTag', tag: 'posts' }, 'revalidateTag-deprecated'],
    [{ kind: 'updateTag', tag: 'posts' }, 'updateTag-blocking'],
    [{ kind: 'revalidatePath', path: '/blog/1' }, 'revalidatePath-blocking'],
    [{ kind: 'revalidateTag', tag: 'posts', profile: { expireS: 0 } }, null],
  ] as const)('16.4 %j -> MISS on the next request', (call, warning) => {
    const t = traced(blog('16.4', [{ ...call, atS: 10 } as OnDemand], [11, 12.5], [1, 1]))
    expect(t.outcomes).toEqual(['miss', 'hit'])
    if (warning) expect(t.result.warnings.map((w) => w.code)).toContain(warning)
  })

  test('{ expireS: 0 } is stale and expired at once; expired wins', () => {
    const t = traced(blog('16.4', [{ kind: 'revalidateTag', tag: 'posts', profile: { expireS: 0 }, atS: 10 }], [10, 11]))
    // At 10 exactly (rank: the call lands first): expired = 10 <= now and > lastModified 0 -> MISS,
    // blocking render 10..11. At 11 the render has just been written (it ranks before the
    // request): lastModified 11 > expired 10 and > stale 10 -> HIT.
    expect(t.outcomes).toEqual(['miss', 'hit'])
  })
})

describe('§4.2 revalidatePath targets', () => {
  const two = (v: NextVersion, od: OnDemand, atS: number[], path: number[]): ScenarioInput => ({
    name: 'paths',
    durationS: 100,
    next: { version: v },
    routes: [
      { id: 'post', pattern: '/blog/[slug]', revalidateS: false, renderS: 1, params: { count: 3 }, traffic: { rps: 0, schedule: { atS, path } } },
      { id: 'comments', pattern: '/blog/[slug]/comments', revalidateS: false, renderS: 1, params: { count: 3 }, traffic: { rps: 0, schedule: { atS, path } } },
      { id: 'home', pattern: '/', revalidateS: false, renderS: 1, traffic: { rps: 0, schedule: { atS } } },
    ],
    onDemand: [{ ...od, atS: 10 }],
  })
  const outcomesByRoute = (input: ScenarioInput) => {
    const t = traced(input)
    const out: Record<string, string[]> = {}
    t.requests.forEach((r, i) => (out[r.route] ??= []).push(t.outcomes[i]!))
    return { out, t }
  }

  test('a URL invalidates that path only', () => {
    const { out } = outcomesByRoute(two('16.4', { kind: 'revalidatePath', path: '/blog/1' }, [11, 11], [0, 1]))
    expect(out).toEqual({ post: ['hit', 'miss'], comments: ['hit', 'hit'], home: ['hit', 'hit'] })
  })

  test('type "layout" reaches every page under the segment; one call re-renders them all, lazily', () => {
    const { out, t } = outcomesByRoute(two('16.4', { kind: 'revalidatePath', path: '/blog', type: 'layout' }, [11, 11], [0, 1]))
    expect(out).toEqual({ post: ['miss', 'miss'], comments: ['miss', 'miss'], home: ['hit', 'hit'] })
    // 6 cached /blog entries were reached; 4 of them were asked for, so 4 renders followed.
    expect(t.result.onDemand[0]).toMatchObject({ entriesTouched: 6, rendersWithin1m: 4 })
  })

  test('type "page" reaches every URL of that page file, not nested pages', () => {
    const { out } = outcomesByRoute(two('16.4', { kind: 'revalidatePath', path: '/blog/[slug]', type: 'page' }, [11, 11], [0, 1]))
    expect(out).toEqual({ post: ['miss', 'miss'], comments: ['hit', 'hit'], home: ['hit', 'hit'] })
  })

  test('"/index" reaches the home page on 16 (alias), and is rejected on 14 (no alias there)', () => {
    const { out } = outcomesByRoute(two('16.4', { kind: 'revalidatePath', path: '/index' }, [11], [0]))
    expect(out.home).toEqual(['miss'])
    expect(() => parseScenario(two('14', { kind: 'revalidatePath', path: '/index' }, [11], [0]))).toThrow(/onDemand\[0\]\.path: matches no path/)
  })

  test('a trailing slash is normalised from 15, not on 14', () => {
    const { out } = outcomesByRoute(two('15', { kind: 'revalidatePath', path: '/blog/1/' }, [11], [1]))
    expect(out.post).toEqual(['miss'])
    expect(() => parseScenario(two('14', { kind: 'revalidatePath', path: '/blog/1/' }, [11], [1]))).toThrow(ScenarioError)
  })

  test('a dynamic route path without a type has no effect, with a warning (Next only warns)', () => {
    const { out, t } = outcomesByRoute(two('16.4', { kind: 'revalidatePath', path: '/blog/[slug]' }, [11], [0]))
    expect(out.post).toEqual(['hit'])
    expect(t.result.onDemand[0]!.entriesTouched).toBe(0)
    expect(t.result.warnings.map((w) => w.code)).toContain('revalidatePath-no-effect')
  })
})

describe('templated fetch tags reach one path', () => {
  test('revalidateTag("post:2", "max") makes only /blog/2 stale', () => {
    const t = traced(blog('16.4', [{ kind: 'revalidateTag', tag: 'post:2', profile: 'max', atS: 10 }], [11, 11, 11], [0, 1, 2]))
    expect(t.outcomes).toEqual(['hit', 'hit', 'stale'])
    expect(t.result.onDemand[0]!.entriesTouched).toBe(1)
  })
})

describe('§4.3 caveats', () => {
  test('race: an invalidation during an in-flight regeneration is lost', () => {
    // revalidate 5, render 2. t=6 STALE -> regen 6..8 (data read at 6). revalidateTag("posts") at 7
    // (expired = 7). The new entry is set at 8 > 7, so it is not expired: t=9 HIT with data from
    // before the invalidation.
    const t = traced(blog('16.4', [{ kind: 'revalidateTag', tag: 'posts', atS: 7 }], [6, 9], [0, 0], { revalidateS: 5, renderS: 2 }))
    expect(t.outcomes).toEqual(['stale', 'hit'])
    expect(s(t.requests[1]!.ageUs)).toBe(3)
    // The same on 15 (revalidatedAt 7 < lastModified 8).
    expect(traced(blog('15', [{ kind: 'revalidateTag', tag: 'posts', atS: 7 }], [6, 9], [0, 0], { revalidateS: 5, renderS: 2 })).outcomes).toEqual(['stale', 'hit'])
  })

  test('16.x future expiry: a finite profile expires even an entry regenerated after the call', () => {
    // revalidateTag("posts", { expireS: 100 }) at 10: stale = 10, expired = 110.
    // t=11 STALE -> regen 11..12. t=50 HIT. t=111: expired 110 <= now and 110 > lastModified 12 -> MISS.
    const t = traced(blog('16.4', [{ kind: 'revalidateTag', tag: 'posts', profile: { expireS: 100 }, atS: 10 }], [11, 50, 111], [0, 0, 0]))
    expect(t.outcomes).toEqual(['stale', 'hit', 'miss'])
  })

  test('a failed tag-expired render is a 500 and is not re-set: the next request blocks again (§3.3)', () => {
    const input = blog('16.4', [{ kind: 'revalidateTag', tag: 'posts', atS: 10 }], [11, 13, 20], [0, 0, 0])
    input.outages = [{ fromS: 10, toS: 14, failureRate: 1 }]
    const t = traced(input)
    expect(t.outcomes).toEqual(['error', 'error', 'miss'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode, r.ok])).toEqual([[11, 'blocking', false], [13, 'blocking', false], [20, 'blocking', true]])
  })
})

describe('schedules and fan-out', () => {
  test('periodic events fire every everyS from atS; Poisson events at ratePerS', () => {
    const periodic = traced(blog('16.4', [{ kind: 'revalidateTag', tag: 'posts', profile: 'max', atS: 5, everyS: 10 }], [0]))
    // durationS = 50: fires at 5, 15, 25, 35, 45.
    expect(periodic.events.filter((e) => e.kind === 'on-demand').map((e) => s(e.atUs))).toEqual([5, 15, 25, 35, 45])
    const poisson = runScenario(parseScenario({ ...blog('16.4', [{ kind: 'revalidateTag', tag: 'posts', ratePerS: 0.5 }], [0]), durationS: 20000 }))
    // Mean 10000, sd 100.
    expect(Math.abs(poisson.onDemand[0]!.occurrences - 10000)).toBeLessThan(500)
  })

  test('lazy fan-out: renders within h after revalidateTag(tag, "max") = Σ(1 − e^(−λᵢh)) (closed form, 4σ)', () => {
    // K = 400 pages, Zipf(1) popularity, total 20 req/s, never stale by time, 'max' at t = 100.
    // Path i is a Poisson stream of rate λᵢ; it re-renders at its first request after the call,
    // so within h the number of renders is a sum of Bernoulli(1 − e^(−λᵢh)).
    const K = 400, rps = 20, h = 60
    let H = 0
    for (let k = 1; k <= K; k++) H += 1 / k
    let mean = 0, variance = 0
    for (let k = 1; k <= K; k++) {
      const q = 1 - Math.exp(-(rps / k / H) * h)
      mean += q
      variance += q * (1 - q)
    }
    const counts: number[] = []
    for (const seed of ['a', 'b', 'c', 'd']) {
      const r = runScenario(parseScenario({
        name: 'fan-out', durationS: 100 + h + 1,
        routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.01, params: { count: K }, fetches: [{ id: 'all', tags: ['catalogue'] }], traffic: { rps, popularity: { zipf: 1 } } }],
        onDemand: [{ kind: 'revalidateTag', tag: 'catalogue', profile: 'max', atS: 100 }],
      }), { seed })
      expect(r.onDemand[0]!.entriesTouched).toBe(K) // everything is prebuilt, so every entry is reached at once...
      counts.push(r.onDemand[0]!.rendersWithin1m) // ...but renders follow traffic, lazily
    }
    const avg = counts.reduce((a, b) => a + b, 0) / counts.length
    expect(Math.abs(avg - mean), `renders within ${h}s: ${counts.join(', ')}; closed form ${mean.toFixed(1)} ± ${Math.sqrt(variance).toFixed(1)}`).toBeLessThan(4 * Math.sqrt(variance / counts.length))
    expect(mean).toBeLessThan(K * 0.8) // not K at once
  })
})

describe('bad on-demand input (exit 2 at the CLI)', () => {
  const issues = (input: ScenarioInput) => {
    try {
      parseScenario(input)
      return []
    } catch (e) {
      return (e as ScenarioError).issues.map((i) => `${i.path}: ${i.message}`)
    }
  }
  test.each([
    [[{ kind: 'revalidateTag', tag: 'psots', atS: 1 }], '16.4', 'onDemand[0].tag: is not a tag of any route (examples of tags here: "posts", "post:0", "_N_T_/blog/0")'],
    [[{ kind: 'revalidatePath', path: '/blgo/1', atS: 1 }], '16.4', 'onDemand[0].path: matches no path of any route (path k of "/blog/[slug]" is "/blog/k", k < params.count; a route file path such as "/blog/[slug]" needs type "page" or "layout")'],
    [[{ kind: 'revalidatePath', path: '/blog/9', atS: 1 }], '16.4', 'onDemand[0].path: matches no path of any route (path k of "/blog/[slug]" is "/blog/k", k < params.count; a route file path such as "/blog/[slug]" needs type "page" or "layout")'],
    [[{ kind: 'updateTag', tag: 'posts', atS: 1 }], '15', 'onDemand[0].kind: updateTag exists only from Next 16 (Server Actions); next.version is "15": use revalidateTag'],
    [[{ kind: 'revalidateTag', tag: 'posts' }], '16.4', 'onDemand[0]: needs exactly one schedule: atS (one-off), everyS (periodic, optionally starting at atS) or ratePerS (Poisson)'],
    [[{ kind: 'revalidateTag', path: '/blog/1', atS: 1 }], '16.4', 'onDemand[0].tag: is required for revalidateTag'],
  ] as const)('%j on %s', (od, v, message) => {
    expect(issues(blog(v, od as unknown as OnDemand[], [0]))).toContain(message)
  })
})

describe('laws with invalidations (fast-check)', () => {
  const versions = ['14', '15', '16.0', '16.3', '16.4'] as const
  const arbEvent = fc.oneof(
    fc.record({ kind: fc.constant('revalidateTag' as const), tag: fc.constantFrom('posts', 'post:0', 'post:2', '_N_T_/blog/layout'), profile: fc.option(fc.oneof(fc.constant('max' as const), fc.record({ expireS: fc.integer({ min: 0, max: 60 }) })), { nil: undefined }) }),
    fc.record({ kind: fc.constant('revalidatePath' as const), path: fc.constantFrom('/blog/1', '/blog', '/blog/[slug]'), type: fc.option(fc.constantFrom('page' as const, 'layout' as const), { nil: undefined }) }),
    fc.record({ kind: fc.constant('updateTag' as const), tag: fc.constantFrom('posts', 'post:1') }),
  ).chain((e) => fc.oneof(
    fc.record({ atS: fc.integer({ min: 0, max: 100 }) }).map((w) => ({ ...e, ...w })),
    fc.record({ everyS: fc.integer({ min: 5, max: 50 }) }).map((w) => ({ ...e, ...w })),
    fc.record({ ratePerS: fc.double({ min: 0.01, max: 0.5, noNaN: true }) }).map((w) => ({ ...e, ...w })),
  ))
  const arbInput = fc.record({
    version: fc.constantFrom(...versions),
    events: fc.array(arbEvent, { minLength: 1, maxLength: 4 }),
    revalidateS: fc.oneof(fc.constant(false as const), fc.integer({ min: 1, max: 30 })),
    renderS: fc.double({ min: 0, max: 3, noNaN: true }),
    failureRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
    rps: fc.double({ min: 0.5, max: 10, noNaN: true }),
  }).map(({ version, events, revalidateS, renderS, failureRate, rps }): ScenarioInput => ({
    name: 'laws', durationS: 120, next: { version },
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS, renderS, failureRate, params: { count: 3, prebuilt: 2 }, fetches: [{ id: 'post', tags: ['posts', 'post:{slug}'] }], traffic: { rps } }],
    onDemand: events.filter((e) => !(e.kind === 'updateTag' && (version === '14' || version === '15'))).map((e) => ({ ...e }) as OnDemand),
  })).filter((i) => (i.onDemand?.length ?? 0) > 0 && (() => { try { parseScenario(i); return true } catch { return false } })())

  test('conservation, one render in flight per path, determinism', () => {
    fc.assert(fc.property(arbInput, (input) => {
      const a = traced(input, 'law')
      const r = a.result.totals
      expect(r.hit + r.stale + r.miss + r.dynamic + r.notFound + r.error, JSON.stringify(input)).toBe(r.requests)
      expect(a.requests.length).toBe(r.requests)
      const busyUntil = new Map<number, number>()
      for (const e of a.renders) {
        if (e.path < 0) continue
        expect(e.atUs >= (busyUntil.get(e.path) ?? -1), `overlapping renders on path ${e.path}: ${JSON.stringify(input)}`).toBe(true)
        busyUntil.set(e.path, e.endUs)
      }
      expect(JSON.stringify(traced(input, 'law').result)).toBe(JSON.stringify(a.result))
      for (const od of a.result.onDemand) expect(od.rendersWithin1m <= od.rendersWithin1h && od.rendersWithin1h <= od.rendersWithin1d && od.rendersWithin1d <= od.entriesTouched).toBe(true)
    }))
  })

  test('on 14/15 an invalidation never yields a STALE from tags: only time makes pages stale', () => {
    fc.assert(fc.property(arbInput.filter((i) => (i.next?.version === '14' || i.next?.version === '15')), (input) => {
      const withTime = { ...input, routes: [{ ...input.routes[0]!, revalidateS: false as const }] }
      const a = traced(withTime, 'law')
      expect(a.result.totals.stale, JSON.stringify(withTime)).toBe(0)
    }), { numRuns: 20 })
  })
})
