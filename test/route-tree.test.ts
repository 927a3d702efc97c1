/**
 * Route trees: layouts, page and fetches (docs/semantics.md rule A9, §5.1, §5.2).
 * Hand-traced micro-scenarios; each cites its rule.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, ScenarioError } from '../sim/index.ts'
import { effectiveRevalidate } from '../sim/isr/revalidate.ts'
import { single, traced, s, type RouteInput } from './helpers.ts'

function eff(route: Partial<RouteInput>) {
  const sc = parseScenario({ name: 'e', durationS: 1, routes: [{ id: 'r', pattern: '/', renderS: 0, traffic: { rps: 0 }, ...route }] })
  return effectiveRevalidate(sc.routes[0]!, sc.next)
}

describe('A9 §5.1: the effective revalidate is the lowest explicit value', () => {
  test.each([
    // [layouts, page, fetches, expected value, expected source]
    [[{ revalidateS: 2 }], 10, [], 2, 'layouts[0]'],
    [[{ revalidateS: 60 }, { revalidateS: 30 }], 10, [], 10, 'page'],
    [[{}, { revalidateS: 30 }], false, [], 30, 'layouts[1]'],
    [[], 300, [{ id: 'posts', revalidateS: 60 }], 60, 'fetch "posts"'],
    [[], 300, [{ id: 'cfg', revalidateS: false }], 300, 'page'], // force-cache does not lower
    [[], 300, [{ id: 'plain' }], 300, 'page'], // no cache option: does not take part
    [[{ revalidateS: 10 }], 10, [], 10, 'page'], // a tie names the page
    [[], false, [], false, 'page'],
  ] as const)('layouts %j + page %j + fetches %j -> %j (%s)', (layouts, page, fetches, value, source) => {
    const e = eff({ layouts: [...layouts], revalidateS: page, fetches: fetches.map((f) => ({ ...f })) })
    expect(e).toEqual({ revalidateS: value, source })
  })

  test('a layout at 2 s over a page at 10 s regenerates every 2 s (observed on next@16.4.6)', () => {
    // Part A: "a layout at 2 s over a page at 10 s gave ... measured regeneration intervals of 2.0–2.1 s".
    // Requests every 0.1 s, render 0.05 s. Prebuilt at 0: first stale request at 2.1 (2.1 - 0 > 2);
    // regen 2.1..2.15; next stale request is the first after 4.15 -> 4.2; then 6.3, ...
    const atS = Array.from({ length: 100 }, (_, i) => Math.round(i) / 10)
    const t = traced(single({ revalidateS: 10, layouts: [{ revalidateS: 2 }], renderS: 0.05 }, atS))
    expect(t.renders.map((r) => s(r.atUs))).toEqual([2.1, 4.2, 6.3, 8.4])
    expect(t.result.routes.r!.effectiveRevalidateS).toBe(2)
    expect(t.result.routes.r!.revalidateSource).toBe('layouts[0]')
    expect(t.result.warnings.find((w) => w.code === 'revalidate-lowered')?.message).toBe('layouts[0] sets revalidate 2s, lower than the page\'s 10: / regenerates every 2s (the lowest value wins).')
  })
})

describe('§5.2: what makes a route dynamic', () => {
  test.each([
    [{ layouts: [{ dynamic: true }], revalidateS: 60 }, 'layouts[0] calls request APIs'],
    [{ layouts: [{}, { revalidateS: 0 }], revalidateS: 60 }, 'layouts[1] revalidate = 0'],
    [{ dynamic: true, revalidateS: 60 }, 'page calls request APIs'],
    [{ revalidateS: 0 }, 'page revalidate = 0'],
    [{ revalidateS: 60, fetches: [{ id: 'cart', revalidateS: 0 }] }, 'fetch "cart" is no-store (revalidate 0)'],
  ] as const)('%j -> dynamic because %s', (route, because) => {
    expect(eff(route as Partial<RouteInput>)).toEqual({ revalidateS: 0, source: because })
  })

  test('a cookies() call in a layout renders every page under it per request, with a warning and its fix', () => {
    // Part A: "Dynamic layout (cookies()) over a page ...: HTML rendered on every request".
    const t = traced(single({ revalidateS: 300, layouts: [{ dynamic: true }], renderS: 0.2 }, [0, 1, 2]))
    expect(t.outcomes).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(t.result.totals.dynamicRenders).toBe(3)
    const w = t.result.warnings.find((x) => x.code === 'dynamic-layout')!
    expect(w.message).toBe('layouts[0] calls cookies()/headers(), so / (page revalidate 300) is rendered on every request: its ISR settings have no effect.')
    expect(w.fix).toMatch(/client component/)
    // One warning for the cause, not a second generic "dynamic route" one.
    expect(t.result.warnings.filter((x) => x.route === 'r').map((x) => x.code)).toEqual(['dynamic-layout'])
  })
})

describe('fetch validation', () => {
  function issuesOf(input: unknown): string[] {
    try {
      parseScenario(input)
      return []
    } catch (e) {
      return (e as ScenarioError).issues.map((i) => `${i.path}: ${i.message}`)
    }
  }
  const base = (routes: unknown[]) => ({ name: 'f', durationS: 1, routes })

  test('one fetch id used with different settings is rejected, naming both places', () => {
    const routes = [
      { id: 'a', pattern: '/a', renderS: 0, traffic: { rps: 1 }, fetches: [{ id: 'posts', revalidateS: 60 }] },
      { id: 'b', pattern: '/b', renderS: 0, traffic: { rps: 1 }, fetches: [{ id: 'posts', revalidateS: 30 }] },
    ]
    expect(issuesOf(base(routes))).toEqual(['routes[1].fetches[0].id: is also used by routes[0].fetches[0] with different settings; one fetch id is one URL, so its revalidateS, tags, latencyS, failureRate and perPath must match'])
  })

  test('a templated tag must name a param of the pattern', () => {
    const routes = [{ id: 'a', pattern: '/blog/[slug]', params: { count: 3 }, renderS: 0, traffic: { rps: 1 }, fetches: [{ id: 'post', revalidateS: 60, tags: ['post:{id}'] }] }]
    expect(issuesOf(base(routes))).toEqual(['routes[0].fetches[0].tags[0]: uses {id}, which is not a param of "/blog/[slug]" (params: {slug})'])
  })

  test('a bad fetch id gets the fetch-id rule, not the route-id one', () => {
    const routes = [{ id: 'a', pattern: '/a', renderS: 0, traffic: { rps: 1 }, fetches: [{ id: '' }] }]
    expect(issuesOf(base(routes))).toEqual(['routes[0].fetches[0].id: must be a fetch id of letters, digits, "_", ".", ":" or "-" (e.g. "posts")'])
  })
})
