/**
 * Who sends each planned request (issue 14): the model's trace marks a crawler's requests, and
 * `isrsim plan` records per route its agents ("human", then each crawler's name) and the agent
 * of every request, so that k6 sends crawler requests with a bot's user agent. Plans of
 * scenarios without crawlers carry no such fields.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'
import { traced } from './helpers.ts'

function site(crawlers: { name: string; revisitS: number; paths?: number }[]): ScenarioInput {
  return {
    name: 'agents', durationS: 120, seed: 7,
    routes: [
      { id: 'post', pattern: '/blog/[slug]', revalidateS: 30, renderS: 0.2, params: { count: 12, prebuilt: 6, paths: ['/blog/a', '/blog/b', '/blog/c'] }, traffic: { rps: 3, popularity: { zipf: 1 }, crawlers } },
      { id: 'home', pattern: '/', revalidateS: 10, renderS: 0.1, traffic: { rps: 1 } },
    ],
  }
}

describe('the agent of every planned request', () => {
  test('trace events of crawler requests name the crawler (its index in traffic.crawlers); human ones do not', () => {
    const t = traced(site([{ name: 'Googlebot', revisitS: 24 }, { name: 'bingbot', revisitS: 40, paths: 5 }]), 'a')
    const reqs = t.events.filter((e) => e.kind === 'request')
    const by = (c: number | undefined) => reqs.filter((e) => e.kind === 'request' && e.crawler === c).length
    // 12 paths every 24 s for 120 s, 5 paths every 40 s: the walks' exact request counts.
    expect(by(0)).toBe(60)
    expect(by(1)).toBe(15)
    expect(by(0) + by(1)).toBe(t.result.routes.post!.crawlerRequests)
    expect(reqs.filter((e) => e.kind === 'request' && e.route === 'home' && e.crawler !== undefined)).toEqual([])
  })

  test('the plan lists agents and the agent of each request; counts equal the simulated crawler requests', () => {
    const s = parseScenario(site([{ name: 'Googlebot', revisitS: 24 }, { name: 'bingbot', revisitS: 40, paths: 5 }]))
    const plan = requestPlan(s, 'p')
    const result = runScenario(s, { seed: 'p' })
    const post = plan.routes[0]!
    expect(post.agents).toEqual(['human', 'Googlebot', 'bingbot'])
    expect(post.agent!.length).toBe(post.paths.length)
    const count = (a: number) => post.agent!.filter((x) => x === a).length
    expect(count(1) + count(2)).toBe(result.routes.post!.crawlerRequests)
    expect(count(0)).toBe(result.routes.post!.requests - result.routes.post!.crawlerRequests!)
    // A crawler walks its paths: Googlebot visits each of the 12 paths once per 24 s cycle.
    const google = post.paths.filter((_, i) => post.agent![i] === 1)
    for (let c = 0; c < 5; c++) expect(new Set(google.slice(c * 12, c * 12 + 12)).size, `cycle ${c}`).toBe(12)
    // bingbot walks ranks 0..4 only: the 3 real URLs and /blog/3, /blog/4.
    expect(new Set(post.paths.filter((_, i) => post.agent![i] === 2))).toEqual(new Set(['/blog/a', '/blog/b', '/blog/c', '/blog/3', '/blog/4']))
    // A route without crawlers records no agents.
    expect(plan.routes[1]!.agents).toBeUndefined()
    expect(plan.routes[1]!.agent).toBeUndefined()
  })

  test('a plan without crawlers has no agent fields at all (plans stay as they were)', () => {
    const plan = requestPlan(parseScenario(site([])), 'p')
    for (const r of plan.routes) expect(Object.keys(r)).toEqual(['id', 'pattern', 'executor', 'rps', 'paths', 'atMs', 'realPaths', 'syntheticRequests'])
  })
})
