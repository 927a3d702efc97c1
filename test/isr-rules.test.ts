/**
 * Hand-traced micro-scenarios, one per rule of docs/semantics.md (cited as
 * "A<n>" for Part A rules and "§n" for Part B sections). Each derivation is in the
 * comment; the test asserts the exact trace.
 */
import { describe, expect, test } from 'vitest'
import { single, traced, s } from './helpers.ts'

describe('A2/A3 §1.1: fresh while now - lastModified <= revalidate, stale strictly after', () => {
  test('the boundary is inclusive to the microsecond', () => {
    // Prebuilt at t=0 (build age 0), revalidate 10 s.
    // t=10.000000: 10 - 0 <= 10 -> HIT.  t=10.000001: > 10 -> STALE, background render.
    const t = traced(single({ revalidateS: 10, renderS: 1 }, [10, 10.000001]))
    expect(t.outcomes).toEqual(['hit', 'stale'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[10.000001, 'background']])
  })

  test('a stale request is served the old page and starts exactly one background regeneration', () => {
    // revalidate 10, render 2. Prebuilt at 0.
    // t=0 HIT (age 0). t=13 STALE (age 13 > 10) -> regen 13..15. t=14 STALE (joins; no 2nd regen).
    // t=16 HIT: entry set at 15, content read at 13 -> age 3.
    const t = traced(single({ revalidateS: 10, renderS: 2 }, [0, 13, 14, 16]))
    expect(t.outcomes).toEqual(['hit', 'stale', 'stale', 'hit'])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([0, 13, 14, 3])
    expect(t.requests.map((r) => r.latencyUs)).toEqual([0, 0, 0, 0])
    expect(t.renders).toHaveLength(1)
    expect(t.result.totals.backgroundRenders).toBe(1)
  })
})

describe('A3 §1.3: the new entry\'s clock starts when the regeneration ends', () => {
  test('revalidate 5 with a 2 s render: next STALE 5 s after the regeneration finished (7 s after it started)', () => {
    // Observed on next@16.4.6 (Part A "Regeneration clock"). Prebuilt at 0.
    // t=6 STALE -> regen 6..8. t=13 HIT (13-8 = 5 <= 5). t=13.000001 STALE -> regen 13.000001..15.000001.
    // A model that started the clock at 6 would say STALE at 11.5.
    const t = traced(single({ revalidateS: 5, renderS: 2 }, [6, 11.5, 13, 13.000001]))
    expect(t.outcomes).toEqual(['stale', 'hit', 'hit', 'stale'])
    expect(t.renders.map((r) => s(r.atUs))).toEqual([6, 13.000001])
  })

  test('a request at exactly the render\'s end sees the new entry (render-done ranks before request)', () => {
    // Regen 6..8: a request at 8 is served the new entry (HIT, age 2), not STALE.
    const t = traced(single({ revalidateS: 5, renderS: 2 }, [6, 8]))
    expect(t.outcomes).toEqual(['stale', 'hit'])
    expect(s(t.requests[1]!.ageUs)).toBe(2)
  })
})

describe('A4 §1.3: de-duplication per key', () => {
  test('20 concurrent requests to a stale page: 20 STALE, one regeneration', () => {
    // Part A: "20 concurrent requests to a stale page, with a 1 s origin, gave 20 STALE responses and 1 origin call".
    const t = traced(single({ revalidateS: 5, renderS: 1 }, Array.from({ length: 20 }, () => 10)))
    expect(t.outcomes).toEqual(Array.from({ length: 20 }, () => 'stale'))
    expect(t.renders).toHaveLength(1)
  })

  test('20 concurrent requests to a never-built path wait for one shared render, all MISS', () => {
    // Part A: all waited ~1.03 s for one shared render, all MISS, 1 origin call.
    // Path 0 is not prebuilt (prebuilt 0). Leader at 5.0 renders 5..6; joiners at 5.0 and 5.5 wait the rest.
    const atS = [...Array.from({ length: 19 }, () => 5), 5.5]
    const t = traced(single({ revalidateS: 60, renderS: 1, params: { count: 2, prebuilt: 0 } }, atS))
    expect(t.outcomes).toEqual(Array.from({ length: 20 }, () => 'miss'))
    expect(t.renders).toHaveLength(1)
    expect(t.renders[0]!.mode).toBe('blocking')
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([...Array.from({ length: 19 }, () => 1), 0.5])
    // Everyone receives the page whose data was read at 5.0, served at 6.0.
    expect(new Set(t.requests.map((r) => s(r.ageUs)))).toEqual(new Set([1]))
  })
})

describe('A5 §6: cold keys and dynamicParams', () => {
  test('an unknown path is a blocking MISS, then cached (HIT), then stale at the normal interval', () => {
    // Not prebuilt. t=1 MISS (render 1..3, latency 2). t=3 HIT (age 2). t=13 HIT (13-3 = 10 <= 10).
    // t=14 STALE (11 > 10) -> background regen.
    const t = traced(single({ revalidateS: 10, renderS: 2, params: { count: 3, prebuilt: 0 } }, [1, 3, 13, 14]))
    expect(t.outcomes).toEqual(['miss', 'hit', 'hit', 'stale'])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([2, 0, 0, 0])
    expect(t.renders.map((r) => r.mode)).toEqual(['blocking', 'background'])
  })

  test('dynamicParams false: an unknown path is a 404 with no render', () => {
    // Path 1 is not prebuilt (prebuilt 1 of 2). Path 0 is.
    const t = traced(single({ revalidateS: 10, renderS: 2, params: { count: 2, prebuilt: 1, dynamicParams: false } }, [1, 2, 3], {}, [1, 0, 1]))
    expect(t.outcomes).toEqual(['notFound', 'hit', 'notFound'])
    expect(t.renders).toHaveLength(0)
    expect(t.result.totals.notFound).toBe(2)
  })

  test('unknownRate: every unknown path costs a blocking render (dynamicParams) or a cheap 404 (false)', () => {
    const route = (dynamicParams: boolean) => ({
      name: 'u', durationS: 100, routes: [{ id: 'r', pattern: '/p/[id]', revalidateS: 60, renderS: 0.5, params: { count: 1, dynamicParams }, traffic: { rps: 0, arrivals: 'uniform' as const, unknownRate: 2 } }],
    })
    // Evenly spaced at 2/s from t = 0: 200 requests in 100 s.
    const on = traced(route(true))
    expect(on.result.totals.miss).toBe(200)
    expect(on.result.totals.blockingRenders).toBe(200)
    // Histogram quantiles are within 0.4% of the true value.
    expect(Math.abs(on.result.latency.p50Ms / 500 - 1)).toBeLessThan(0.004)
    const off = traced(route(false))
    expect(off.result.totals.notFound).toBe(200)
    expect(off.result.totals.renders).toBe(0)
  })
})

describe('A6 §3: failed background regeneration and the back-off', () => {
  test('revalidate 3600: old page kept, re-set for 30 s from the failure time, lowered until a success', () => {
    // Part A: "revalidate = 3600 retried after 30.07 s". Build is 4000 s old, so the page is stale at t=0.
    // Renders fail while the outage lasts (0..40 s) and succeed after.
    // t=0   STALE -> regen 0..1 fails -> re-set at 1 with r' = 30 (old content stays).
    // t=31  HIT   (31 - 1 = 30 <= 30); age = 31 + 4000 (content from the build)
    // t=32  STALE -> regen 32..33 fails (32 < 40) -> re-set at 33, r' = min(max(30,3),30) = 30
    // t=63  HIT; t=63.5 STALE -> regen 63.5..64.5 succeeds -> revalidate back to 3600
    // t=3664 HIT (3664 - 64.5 <= 3600); t=3665 STALE
    const t = traced(single({ revalidateS: 3600, renderS: 1 }, [0, 31, 32, 63, 63.5, 3664, 3665], { buildAgeS: 4000, outages: [{ fromS: 0, toS: 40, failureRate: 1 }] }))
    expect(t.outcomes).toEqual(['stale', 'hit', 'stale', 'hit', 'stale', 'hit', 'stale'])
    expect(t.renders.map((r) => [s(r.atUs), r.ok])).toEqual([[0, false], [32, false], [63.5, true], [3665, true]])
    expect(s(t.requests[1]!.ageUs)).toBe(4031)
    expect(s(t.requests[5]!.ageUs)).toBe(3664 - 63.5)
    expect(t.result.totals.error).toBe(0)
    expect(t.result.totals.failedRenders).toBe(2)
  })

  test.each([
    // [revalidate, expected retry interval]: Part A "revalidate = 5 retried every 5 s; revalidate = 1 retried every ~3 s".
    [5, 5],
    [1, 3],
    [10, 10],
    [3600, 30],
  ])('revalidate %i s retries every %i s while the origin fails', (revalidateS, retryS) => {
    // Requests every 0.01 s; render 0 s; every render fails. Stale at t=0 (build 10000 s old).
    // Each failure re-sets the entry at the failure time: the next retry is the first request
    // strictly after failure + r'.
    const atS = Array.from({ length: 10000 }, (_, i) => i / 100)
    const t = traced(single({ revalidateS, renderS: 0, failureRate: 1 }, atS, { buildAgeS: 10000 }))
    const starts = t.renders.map((r) => s(r.atUs))
    const gaps = starts.slice(1).map((x, i) => Math.round((x - starts[i]!) * 100) / 100)
    expect(new Set(gaps)).toEqual(new Set([retryS + 0.01]))
    expect(t.result.totals.error).toBe(0)
    expect(t.result.totals.hit).toBeGreaterThan(0)
  })
})

describe('A7 §3.3: a failed blocking render is an error on every request, with no back-off', () => {
  test('every request to a cold path with a failing origin makes one render attempt and gets a 500', () => {
    // Part A: "160 requests to an expired path with a failing origin gave 160 origin attempts and 160 HTTP 500s".
    // Not prebuilt; render 0.5 s; requests at 0, 1, 2, ... 9; plus a joiner at 0.25 (shares the leader's failing render).
    const t = traced(single({ revalidateS: 60, renderS: 0.5, failureRate: 1, params: { count: 2, prebuilt: 0 } }, [0, 0.25, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    expect(t.outcomes).toEqual(Array.from({ length: 11 }, () => 'error'))
    expect(t.renders).toHaveLength(10)
    expect(t.result.totals.error).toBe(11)
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.5, 0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
  })
})

describe('§1.1 revalidate false and 0', () => {
  test('revalidate false never goes stale by time', () => {
    const t = traced(single({ revalidateS: false, renderS: 1 }, [0, 1000, 1e6, 3e7]))
    expect(t.outcomes).toEqual(['hit', 'hit', 'hit', 'hit'])
    expect(t.renders).toHaveLength(0)
  })

  test('revalidate 0 is dynamic: rendered per request, never cached', () => {
    const t = traced(single({ revalidateS: 0, renderS: 0.2 }, [0, 0.1, 5]))
    expect(t.outcomes).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(t.renders.map((r) => r.mode)).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.2, 0.2, 0.2])
    expect(t.result.routes.r!.effectiveRevalidateS).toBe(0)
  })

  test('dynamic: true (the page calls cookies()/headers()) makes the route dynamic whatever its revalidate', () => {
    const t = traced(single({ revalidateS: 60, dynamic: true, renderS: 0.2 }, [0, 1]))
    expect(t.outcomes).toEqual(['dynamic', 'dynamic'])
    expect(t.result.routes.r!.revalidateSource).toBe('page calls request APIs')
    expect(t.result.warnings.map((w) => w.code)).toContain('dynamic-route')
  })
})

describe('A "aged from build time" §1.1: prebuilt paths carry the build\'s mtime', () => {
  test('a build older than revalidate makes the first request STALE; a fresh build gives HIT', () => {
    const old = traced(single({ revalidateS: 60, renderS: 1 }, [0, 0.5, 1.5], { buildAgeS: 120 }))
    expect(old.outcomes).toEqual(['stale', 'stale', 'hit'])
    expect(s(old.requests[0]!.ageUs)).toBe(120)
    expect(old.result.warnings.map((w) => w.code)).toContain('build-older-than-revalidate')
    const fresh = traced(single({ revalidateS: 60, renderS: 1 }, [0, 59]))
    expect(fresh.outcomes).toEqual(['hit', 'hit'])
  })
})

describe('§2 expire: enforced (blocking) only from 16.3', () => {
  // expireTime 100 s, revalidate 10 s. Prebuilt at 0; first request at 150 (150 > 100).
  const input = (version: '16.0' | '16.3' | '16.4' | '15' | '14') => single({ revalidateS: 10, renderS: 2 }, [150, 151, 153], { next: { version, expireTimeS: 100 } })

  test.each(['16.3', '16.4'] as const)('%s: past expire the request blocks on a fresh render', (version) => {
    // t=150 blocks (render 150..152, latency 2); t=151 joins (latency 1); t=153 HIT (age 3).
    const t = traced(input(version))
    expect(t.outcomes).toEqual(['miss', 'miss', 'hit'])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([2, 1, 0])
    expect(t.renders.map((r) => r.mode)).toEqual(['blocking'])
  })

  test.each(['14', '15', '16.0'] as const)('%s: expire is only a header; the old page is served stale', (version) => {
    const t = traced(input(version))
    expect(t.outcomes).toEqual(['stale', 'stale', 'hit'])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0, 0, 0])
    expect(t.renders.map((r) => r.mode)).toEqual(['background'])
  })

  test('16.4: a failed expired render returns 500 once, then the old page is revived for r\' (§3.3)', () => {
    // t=150 blocks and fails at 152 -> 500; entry re-set at 152 with r' = 10, expire' = max(13, 100) = 100.
    // t=153 HIT with the old content (age 153 from the build); t=162.5 STALE -> background render.
    const t = traced(single({ revalidateS: 10, renderS: 2 }, [150, 153, 162.5], { next: { version: '16.4', expireTimeS: 100 }, outages: [{ fromS: 0, toS: 151, failureRate: 1 }] }))
    expect(t.outcomes).toEqual(['error', 'hit', 'stale'])
    expect(s(t.requests[1]!.ageUs)).toBe(153)
    expect(t.renders.map((r) => [s(r.atUs), r.mode, r.ok])).toEqual([[150, 'blocking', false], [162.5, 'background', true]])
  })

  test('revalidate false sets no expire, even on 16.4', () => {
    const t = traced(single({ revalidateS: false, renderS: 2 }, [150], { next: { version: '16.4', expireTimeS: 100 } }))
    expect(t.outcomes).toEqual(['hit'])
  })
})

describe('§11.7: Next never regenerates on a timer', () => {
  test('no traffic, no regeneration: a stale page stays as it is until asked for', () => {
    const t = traced(single({ revalidateS: 1, renderS: 0.1 }, [0, 500], { buildAgeS: 0 }))
    expect(t.renders).toHaveLength(1)
    expect(s(t.renders[0]!.atUs)).toBe(500)
    expect(t.outcomes).toEqual(['hit', 'stale'])
  })
})

describe('traffic models', () => {
  test('uniform arrivals are evenly spaced from t = 0, as k6 constant-arrival-rate sends them', () => {
    const t = traced({ name: 'u', durationS: 2, routes: [{ id: 'r', pattern: '/', revalidateS: 60, renderS: 0, traffic: { rps: 4, arrivals: 'uniform' } }] })
    expect(t.requests.map((r) => s(r.atUs))).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75])
  })

  test('requests at the same µs run in the order their sources last ran (the engine\'s seq), not in route order', () => {
    // a: known paths at 2 req/s and unknown paths at 1 req/s; b: known paths at 1 req/s and
    // replayed requests at 1 s and 2 s (path 1). Every source is uniform, so ties are many.
    // A source's next request takes its place when the one before it is handled; the first
    // ones in the order the scenario lists them. So at t = 1: b's replay (placed at the start),
    // a's unknown and b's known (placed at t = 0), then a's known (placed at t = 0.5).
    const t = traced({
      name: 'ties',
      durationS: 2.5,
      routes: [
        { id: 'a', pattern: '/a/[id]', revalidateS: 60, renderS: 0, params: { count: 1 }, traffic: { rps: 2, arrivals: 'uniform', unknownRate: 1 } },
        { id: 'b', pattern: '/b/[id]', revalidateS: 60, renderS: 0, params: { count: 2 }, traffic: { rps: 1, arrivals: 'uniform', popularity: { zipf: 10 }, schedule: { atS: [1, 2], path: [1, 1] } } },
      ],
    })
    const order = t.requests.map((r) => `${s(r.atUs)} ${r.route}${r.path < 0 ? '?' : r.path}`)
    expect(order).toEqual([
      '0 a0', '0 a?', '0 b0',
      '0.5 a0',
      '1 b1', '1 a?', '1 b0', '1 a0',
      '1.5 a0',
      '2 b1', '2 a?', '2 b0', '2 a0',
    ])
  })

  test('a daily curve scales the rate per hour (piecewise constant)', () => {
    // rps 1 uniform; hour 0 x2, hour 1 x0, hour 2 x0.5: 7200, 0, 1800 requests.
    const hourly = [2, 0, 0.5, ...Array.from({ length: 21 }, () => 1)]
    const t = traced({ name: 'd', durationS: 3 * 3600, routes: [{ id: 'r', pattern: '/', revalidateS: 60, renderS: 0, traffic: { rps: 1, arrivals: 'uniform', diurnal: { hourly } } }] })
    const perHour = [0, 0, 0]
    for (const r of t.requests) perHour[Math.floor(s(r.atUs) / 3600)]!++
    expect(perHour).toEqual([7200, 0, 1800])
    // Starting at hour 2 shifts the curve.
    const t2 = traced({ name: 'd', durationS: 3600, routes: [{ id: 'r', pattern: '/', revalidateS: 60, renderS: 0, traffic: { rps: 1, arrivals: 'uniform', diurnal: { hourly, startHour: 2 } } }] })
    expect(t2.requests).toHaveLength(1800)
  })

  test('outage windows fail renders that start inside them, and only those', () => {
    // Dynamic route, one request per second, outage [10, 20) with failure 1.
    const t = traced({ name: 'o', durationS: 30, routes: [{ id: 'r', pattern: '/', revalidateS: 0, renderS: 0.1, traffic: { rps: 1, arrivals: 'uniform' } }], outages: [{ fromS: 10, toS: 20, failureRate: 1 }] })
    expect(t.requests.filter((r) => r.outcome === 'error').map((r) => s(r.atUs))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    expect(t.result.totals.error).toBe(10)
    expect(t.result.totals.dynamic).toBe(20)
  })

  test('an outage limited to one route leaves the others alone', () => {
    const route = (id: string) => ({ id, pattern: `/${id}`, revalidateS: 0 as const, renderS: 0.1, traffic: { rps: 1, arrivals: 'uniform' as const } })
    const t = traced({ name: 'o', durationS: 10, routes: [route('a'), route('b')], outages: [{ fromS: 0, toS: 10, failureRate: 1, routes: ['a'] }] })
    expect(t.result.routes.a!.error).toBe(10)
    expect(t.result.routes.b!.error).toBe(0)
  })

  test('lognormal render times have the configured median and p95', () => {
    const t = traced({ name: 'l', durationS: 20000, routes: [{ id: 'r', pattern: '/', revalidateS: 0, renderS: { lognormal: { medianS: 0.2, p95S: 0.8 } }, traffic: { rps: 5 } }] })
    expect(t.result.latency.p50Ms / 200).toBeCloseTo(1, 1)
    expect(t.result.latency.p95Ms / 800).toBeCloseTo(1, 1)
  })

  test('zipf popularity: rank 0 gets 1/H(n,s) of the requests', () => {
    // n = 100, s = 1: H = 5.187...; share of rank 0 = 0.1928.
    const t = traced({ name: 'z', durationS: 2000, routes: [{ id: 'r', pattern: '/p/[id]', revalidateS: false, renderS: 0, params: { count: 100 }, traffic: { rps: 50, popularity: { zipf: 1 } } }] })
    let h = 0
    for (let k = 1; k <= 100; k++) h += 1 / k
    const share = t.requests.filter((r) => r.path === 0).length / t.requests.length
    expect(share).toBeGreaterThan(1 / h - 0.005)
    expect(share).toBeLessThan(1 / h + 0.005)
  })
})

describe('warmup', () => {
  test('requests before warmupS are simulated but not measured', () => {
    const t = traced({ name: 'w', durationS: 10, warmupS: 4, routes: [{ id: 'r', pattern: '/', revalidateS: 60, renderS: 0, traffic: { rps: 1, arrivals: 'uniform' } }] })
    expect(t.requests).toHaveLength(10)
    expect(t.result.totals.requests).toBe(6)
    // The series covers the whole run.
    expect(t.result.series.bins.reduce((n, b) => n + b.hit, 0)).toBe(10)
  })
})
