/**
 * Real paths (`params.paths`, issue 14): path k's URL is params.paths[k], and past that list
 * the pattern with k ("/blog/7"). A param of path k is read from its real URL (decoded, a
 * catch-all's segments joined with "/"), else it is k. On-demand calls, data changes, webhooks
 * and the request plan name paths by these URLs and values.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, ScenarioError, type ScenarioInput } from '../sim/index.ts'
import { fillTemplate, targetsOfTag, templateIndexesIn, urlIndexIn, urlOf } from '../sim/isr/tags.ts'
import { requestPlan } from '../sim/plan.ts'
import { traced } from './helpers.ts'

type OnDemand = NonNullable<ScenarioInput['onDemand']>[number]
type Route = ScenarioInput['routes'][number]

/** /blog/[slug] with 4 paths, the first two real (/blog/a, /blog/hello), never stale by time, requested at 11 s in path order. */
function blog(onDemand: OnDemand[] = [], extra: Partial<Route> = {}, more: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'real', durationS: 60,
    routes: [{
      id: 'post', pattern: '/blog/[slug]', revalidateS: false, renderS: 1,
      params: { count: 4, paths: ['/blog/a', '/blog/hello'] },
      fetches: [{ id: 'post', tags: ['posts', 'post-{slug}'] }],
      traffic: { rps: 0, schedule: { atS: [11, 11, 11, 11], path: [0, 1, 2, 3] } },
      ...extra,
    }],
    onDemand,
    ...more,
  }
}

const route = (pattern: string, paths: string[], count = 10) => parseScenario({ name: 'x', durationS: 1, routes: [{ id: 'r', pattern, renderS: 0, params: { count, paths }, traffic: { rps: 0 } }] }).routes[0]!

describe('URLs and param values of real paths', () => {
  test('path k is its real URL, past the list the pattern with k; params come from the URL', () => {
    const r = route('/blog/[slug]', ['/blog/a', '/blog/hello'])
    expect([0, 1, 2, 7].map((k) => urlOf(r, k))).toEqual(['/blog/a', '/blog/hello', '/blog/2', '/blog/7'])
    expect([0, 1, 2].map((k) => fillTemplate('post-{slug}', k, r))).toEqual(['post-a', 'post-hello', 'post-2'])
    expect(fillTemplate('post-{slug}', 1)).toBe('post-1') // without the route: the index, as before
    expect(fillTemplate('x-{other}', 1, r)).toBe('x-1') // not a param of the route: the index
  })

  test('a catch-all\'s value is its segments joined with "/", an empty optional catch-all is ""; values are decoded', () => {
    const docs = route('/docs/[...slug]', ['/docs/intro', '/docs/guide/setup'])
    expect(fillTemplate('doc-{slug}', 1, docs)).toBe('doc-guide/setup')
    const opt = route('/[[...slug]]', ['/', '/a/b'])
    expect([0, 1].map((k) => fillTemplate('page:{slug}', k, opt))).toEqual(['page:', 'page:a/b'])
    expect(fillTemplate('post-{slug}', 0, route('/blog/[slug]', ['/blog/caf%C3%A9']))).toBe('post-café')
    const two = route('/shop/[cat]/[item]', ['/shop/shoes/boot'])
    expect(fillTemplate('{cat}:{item}', 0, two)).toBe('shoes:boot')
  })

  test('URLs and tags resolve to indexes: real ones first, the numeric form only past the list', () => {
    const r = route('/blog/[slug]', ['/blog/a', '/blog/hello'], 4)
    expect(['/blog/hello', '/blog/3', '/blog/1', '/blog/4'].map((u) => urlIndexIn(r, u))).toEqual([1, 3, undefined, undefined])
    expect(['post-hello', 'post-3', 'post-1', 'post-4'].map((t) => templateIndexesIn('post-{slug}', t, r))).toEqual([[1], [3], [], []])
    // A template with only some params names every path with those values.
    const shop = route('/shop/[cat]/[item]', ['/shop/shoes/a', '/shop/shoes/b', '/shop/hats/c'], 5)
    expect(templateIndexesIn('cat-{cat}', 'cat-shoes', shop)).toEqual([0, 1])
    expect(templateIndexesIn('cat-{cat}', 'cat-4', shop)).toEqual([4])
  })

  test('route groups are not in URLs: revalidatePath("/p/3") reaches /(shop)/p/[id] path 3', () => {
    const s = parseScenario({ name: 'g', durationS: 1, routes: [{ id: 'r', pattern: '/(shop)/p/[id]', renderS: 0, params: { count: 5, paths: ['/p/shoe'] }, traffic: { rps: 0 } }] })
    expect(targetsOfTag('_N_T_/p/3', s.routes)).toEqual([{ route: 0, path: 3 }])
    expect(targetsOfTag('_N_T_/p/shoe', s.routes)).toEqual([{ route: 0, path: 0 }])
  })
})

describe('on-demand calls and data changes reach real paths', () => {
  test('revalidatePath of a real URL, and of an index past the list', () => {
    const hello = traced(blog([{ kind: 'revalidatePath', path: '/blog/hello', atS: 10 }]))
    expect(hello.outcomes).toEqual(['hit', 'miss', 'hit', 'hit'])
    const three = traced(blog([{ kind: 'revalidatePath', path: '/blog/3', atS: 10 }]))
    expect(three.outcomes).toEqual(['hit', 'hit', 'hit', 'miss'])
    // "/blog/1" is no path's URL: path 1 is /blog/hello.
    expect(() => parseScenario(blog([{ kind: 'revalidatePath', path: '/blog/1', atS: 10 }]))).toThrow(/onDemand\[0\]\.path: matches no path/)
  })

  test('revalidateTag of a real param value ("post-hello"), and of an index past the list ("post-3")', () => {
    const hello = traced(blog([{ kind: 'revalidateTag', tag: 'post-hello', profile: 'max', atS: 10 }]))
    expect(hello.outcomes).toEqual(['hit', 'stale', 'hit', 'hit'])
    expect(hello.result.onDemand[0]!.entriesTouched).toBe(1)
    expect(traced(blog([{ kind: 'revalidateTag', tag: 'post-3', profile: 'max', atS: 10 }])).outcomes).toEqual(['hit', 'hit', 'hit', 'stale'])
    expect(() => parseScenario(blog([{ kind: 'revalidateTag', tag: 'post-1', atS: 10 }]))).toThrow(ScenarioError)
  })

  test('a catch-all value and a tag shared by several paths', () => {
    const docs: ScenarioInput = {
      name: 'docs', durationS: 30,
      routes: [{ id: 'docs', pattern: '/docs/[...slug]', revalidateS: false, renderS: 1, params: { count: 3, paths: ['/docs/intro', '/docs/guide/setup'] }, fetches: [{ id: 'doc', tags: ['doc-{slug}'] }], traffic: { rps: 0, schedule: { atS: [11, 11, 11], path: [0, 1, 2] } } }],
      onDemand: [{ kind: 'revalidateTag', tag: 'doc-guide/setup', atS: 10 }],
    }
    expect(traced(docs).outcomes).toEqual(['hit', 'miss', 'hit'])
    const shop: ScenarioInput = {
      name: 'shop', durationS: 30,
      routes: [{ id: 'item', pattern: '/shop/[cat]/[item]', revalidateS: false, renderS: 1, params: { count: 3, paths: ['/shop/shoes/a', '/shop/hats/b', '/shop/shoes/c'] }, fetches: [{ id: 'cat', tags: ['cat-{cat}'] }], traffic: { rps: 0, schedule: { atS: [11, 11, 11], path: [0, 1, 2] } } }],
      onDemand: [{ kind: 'revalidateTag', tag: 'cat-shoes', atS: 10 }],
    }
    const t = traced(shop)
    expect(t.outcomes).toEqual(['miss', 'hit', 'miss'])
    expect(t.result.onDemand[0]!.entriesTouched).toBe(2)
  })

  test('a real tag also reaches the Data Cache entry of the fetch that carries it (§4.1): the render calls the origin', () => {
    // The fetch is cached for an hour (build-time entries); revalidateTag("post-hello") expires
    // page 1 and post 1's fetch entry, so its blocking render refetches: one origin call.
    const input = blog([{ kind: 'revalidateTag', tag: 'post-hello', atS: 10 }], { fetches: [{ id: 'post', revalidateS: 3600, tags: ['posts', 'post-{slug}'] }] })
    const t = traced(input)
    expect(t.outcomes).toEqual(['hit', 'miss', 'hit', 'hit'])
    expect(t.events.filter((e) => e.kind === 'fetch').map((e) => e.kind === 'fetch' && [e.key, e.mode])).toEqual([[1, 'foreground']])
  })

  test('a data change naming a literal real tag changes that path\'s key only', () => {
    const input = blog([], { fetches: [{ id: 'post', revalidateS: 5, tags: ['posts', 'post-{slug}'] }], revalidateS: 5 }, { dataChanges: [{ tag: 'post-hello', atS: 10 }] })
    const t = traced(input)
    const change = t.events.find((e) => e.kind === 'data-change')
    expect(change).toMatchObject({ keys: [{ fetch: 'post', key: 1 }] })
  })

  test('a templated change\'s webhook fills "{slug}" with the changed path\'s real value: every call reaches its entry', () => {
    const input = blog([], {}, {
      durationS: 400,
      dataChanges: [{ tag: 'post-{slug}', everyS: 10, webhook: { kind: 'revalidateTag', tag: 'post-{slug}', profile: 'max', delayS: 1 } }],
    })
    const r = runScenario(parseScenario(input), { seed: 'w' })
    const c = r.dataChanges[0]!
    expect(c.webhookCalls).toBeGreaterThan(30)
    // Every path is prebuilt, so each call reaches exactly one cached entry; "post-0" would reach none.
    expect(c.entriesTouched, JSON.stringify(c)).toBe(c.webhookCalls)
    // The plan sends the same calls, with the real tags.
    const plan = requestPlan(parseScenario(input), 'w')
    const names = ['post-a', 'post-hello', 'post-2', 'post-3']
    expect(plan.onDemand.length).toBe(c.webhookCalls)
    plan.onDemand.forEach((call, i) => expect(call.tag).toBe(names[plan.dataChanges[i]!.keys[0]!.key]))
  })
})

describe('isrsim plan requests real URLs and counts the made-up ones', () => {
  test('URLs of real paths, index URLs past the list, one-off unknown paths; realPaths and syntheticRequests', () => {
    const input: ScenarioInput = {
      name: 'plan', durationS: 200,
      routes: [
        { id: 'post', pattern: '/blog/[slug]', revalidateS: 60, renderS: 0.1, params: { count: 5, paths: ['/blog/a', '/blog/b', '/blog/c'] }, traffic: { rps: 2, unknownRate: 0.2, crawlers: [{ name: 'bot', revisitS: 50 }] } },
        { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 1, unknownRate: 0.1 } },
      ],
    }
    const plan = requestPlan(parseScenario(input), 'p')
    const post = plan.routes[0]!, home = plan.routes[1]!
    const real = new Set(['/blog/a', '/blog/b', '/blog/c'])
    expect(post.realPaths).toBe(3)
    expect(post.paths.filter((u) => real.has(u)).length).toBeGreaterThan(0)
    for (const u of post.paths) expect(real.has(u) || /^\/blog\/\d+$/.test(u), u).toBe(true)
    expect(post.syntheticRequests).toBe(post.paths.filter((u) => !real.has(u)).length)
    expect(post.syntheticRequests).toBeGreaterThan(0)
    expect(post.paths.some((u) => u === '/blog/3' || u === '/blog/4')).toBe(true)
    expect(post.paths.some((u) => Number(u.slice(6)) >= 5)).toBe(true) // one-off unknown paths
    expect(post.executor).toBe('replay')
    // A route without params has one URL, its pattern: nothing is made up.
    expect(home).toMatchObject({ realPaths: 1, syntheticRequests: 0 })
    expect(home.paths.every((u) => u === '/')).toBe(true)
  })
})
