/**
 * Structural gate checks (sim/structure.ts) on hand-written scenarios, and the route file
 * behind implicit tags (routes[].source.page, route groups included: semantics §4.1).
 */
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { gate, gateText } from '../sim/planning/gate.ts'
import { structureChecks } from '../sim/planning/structure.ts'
import { targetsOfTag } from '../sim/isr/tags.ts'
import type { RouteInput } from './helpers.ts'

const post = (over: Partial<RouteInput> = {}): RouteInput => ({
  id: 'post', pattern: '/blog/[slug]', revalidateS: 300, renderS: 0.1,
  params: { count: 20, prebuilt: 10 }, traffic: { rps: 5, popularity: { zipf: 1 } }, ...over,
})
const scenario = (routes: RouteInput[]): ScenarioInput => ({ name: 'gate', durationS: 1200, routes })
const run = (routes: RouteInput[]) => runScenario(parseScenario(scenario(routes)), { seed: '1' })

describe('structure checks against a baseline', () => {
  const base = run([post(), { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 2 } }])

  it('the same structure passes, one PASS per cached route', () => {
    const c = structureChecks(run([post(), { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 3 } }]), base)
    expect(c.map((x) => [x.route, x.change, x.pass])).toEqual([['post', 'none', true], ['home', 'none', true]])
  })

  it('a layout that makes the route dynamic fails, naming what did it (no source: the model\'s words)', () => {
    const c = structureChecks(run([post({ layouts: [{ dynamic: true }] }), { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 2 } }]), base)
    expect(c[0]).toMatchObject({ route: 'post', change: 'became-dynamic', pass: false, baseline: '300 s', value: '0 (dynamic)' })
    expect(c[0]!.why).toBe('/blog/[slug] became dynamic: the root layout (layouts[0]) calls request APIs')
  })

  it('a lower effective revalidate fails with what set it; a higher one passes', () => {
    const lower = structureChecks(run([post({ fetches: [{ id: 'posts', revalidateS: 30 }] })]), base)[0]!
    expect(lower).toMatchObject({ change: 'revalidate-lowered', pass: false })
    expect(lower.why).toBe('/blog/[slug] revalidate dropped from 300 s to 30 s: fetch "posts"')
    expect(structureChecks(run([post({ revalidateS: 600 })]), base)[0]).toMatchObject({ change: 'none', pass: true })
    // false (never by time) to a number is a drop too.
    const never = run([post({ revalidateS: false })])
    expect(structureChecks(base, never)[0]).toMatchObject({ change: 'revalidate-lowered', baseline: 'false (never by time)', value: '300 s' })
  })

  it('fewer prebuilt paths fail, with the source file when the route has one', () => {
    const src = { page: 'app/blog/[slug]/page.tsx', layouts: ['app/layout.tsx'], generateStaticParams: 'app/blog/[slug]/page.tsx:4', dynamic: [] }
    const b = run([post({ source: src })])
    const fewer = structureChecks(run([post({ params: { count: 20, prebuilt: 3 }, source: src })]), b)[0]!
    expect(fewer).toMatchObject({ change: 'fewer-prebuilt', pass: false, baseline: '10', value: '3' })
    expect(fewer.why).toContain('prebuilds 3 paths instead of 10')
    const { generateStaticParams: _g, ...noGsp } = src
    const lost = structureChecks(run([post({ params: { count: 20, prebuilt: 0 }, source: noGsp })]), b)[0]!
    expect(lost.why).toContain('app/blog/[slug]/page.tsx no longer exports generateStaticParams (it was at app/blog/[slug]/page.tsx:4)')
  })

  it('the gate fails on a structural change even with no thresholds and a huge tolerance', () => {
    const r = gate(run([post({ revalidateS: 0 })]), {}, base, 10)
    expect(r.pass).toBe(false)
    expect(gateText(r)).toMatch(/^FAIL {2}routes\.post caching structure: \/blog\/\[slug\] became dynamic: page revalidate = 0$/m)
  })
})

describe('implicit tags follow the route file, route groups included (§4.1)', () => {
  const grouped: RouteInput = {
    id: 'product', pattern: '/products/[id]', revalidateS: 60, renderS: 0.1, params: { count: 3 }, traffic: { rps: 1 },
    source: { page: 'app/(shop)/products/[id]/page.tsx', layouts: ['app/layout.tsx', 'app/(shop)/layout.tsx'], dynamic: [] },
  }
  const s = parseScenario(scenario([grouped, post()]))

  it('revalidatePath of the grouped route file (page or layout) reaches the imported route; its URLs stay group-free', () => {
    expect(targetsOfTag('_N_T_/(shop)/products/[id]/page', s.routes)).toEqual([{ route: 0, path: 'all' }])
    expect(targetsOfTag('_N_T_/(shop)/layout', s.routes)).toEqual([{ route: 0, path: 'all' }])
    expect(targetsOfTag('_N_T_/products/[id]/page', s.routes)).toEqual([])
    expect(targetsOfTag('_N_T_/products/2', s.routes)).toEqual([{ route: 0, path: 2 }])
  })

  it('an on-demand revalidatePath of the group layout is accepted and reaches only that route', () => {
    const r = runScenario(parseScenario({ ...scenario([grouped, post()]), onDemand: [{ kind: 'revalidatePath', path: '/(shop)', type: 'layout', atS: 600 }] }), { seed: '1' })
    expect(r.onDemand[0]!.entriesTouched).toBe(3)
  })
})
