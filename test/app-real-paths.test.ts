/**
 * `isrsim app` with real paths (params.paths): the generated page prebuilds the real URLs'
 * param values, finds a request's path index by them, and fills tags with the real values, as
 * the simulator does (sim/isr/tags.ts). The live run of such an app is test/live.test.ts ((e), real logs).
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, type ScenarioInput } from '../sim/index.ts'
import { fillTemplate } from '../sim/isr/tags.ts'
import { requestPlan } from '../sim/plan.ts'
import { AppError, appFiles, paramValues } from '../loadtest/app.ts'

describe('param values of a real URL, as Next passes them', () => {
  test('one segment, a catch-all (segments joined with "/"), an optional catch-all, route groups, escapes', () => {
    expect(paramValues('/blog/[slug]', '/blog/hello')).toEqual(['hello'])
    expect(paramValues('/docs/[...slug]', '/docs/guides/setup')).toEqual(['guides/setup'])
    expect(paramValues('/shop/[[...rest]]', '/shop')).toEqual([''])
    expect(paramValues('/(shop)/p/[id]/[variant]', '/p/7/red')).toEqual(['7', 'red'])
    expect(paramValues('/blog/[slug]', '/blog/caf%C3%A9')).toEqual(['café'])
    expect(paramValues('/blog/[slug]', '/news/hello')).toBeNull()
  })

  test('they are the values the simulator fills tags with', () => {
    const route = { pattern: '/docs/[...slug]', params: { count: 3, dynamicParams: true, paths: ['/docs/intro', '/docs/guides/setup'] } }
    route.params.paths.forEach((u, k) => expect(`doc:${paramValues(route.pattern, u)![0]}`).toBe(fillTemplate('doc:{slug}', k, route)))
  })
})

function scenario(paths?: string[]): ScenarioInput {
  return {
    name: 'real-app', durationS: 30,
    routes: [{
      id: 'doc', pattern: '/docs/[...slug]', revalidateS: 10, renderS: 0.1,
      params: { count: 4, prebuilt: 3, ...(paths ? { paths } : {}) },
      fetches: [{ id: 'doc', tags: ['doc:{slug}', 'docs'], revalidateS: 60 }],
      traffic: { rps: 2 },
    }],
  }
}

describe('the generated page of a route with real paths', () => {
  test('prebuilds the real paths (then index paths), looks its index up by param values, and fills tags with them', () => {
    const files = appFiles(requestPlan(parseScenario(scenario(['/docs/intro', '/docs/guides/setup'])), 's'), { next: '16' })
    const page = files.get('app/docs/[...slug]/page.jsx')!
    expect(page).toContain('const URLS = ["/docs/intro","/docs/guides/setup"]')
    expect(page).toContain('const REAL = [["intro"],["guides/setup"]]')
    expect(page).toContain('Array.from({ length: 3 }')
    expect(page).toContain(`"slug": v[0].split('/').filter(Boolean)`)
    expect(page).toContain('tags: [`doc:${v[0]}`, `docs`]')
    expect(page).toContain('key=${k}')
    // Run generateStaticParams as Next would: the real paths' params, then path 2 by index.
    const body = /export async function generateStaticParams\(\) \{\n([\s\S]*?)\n\}/.exec(page)![1]!
    const real = /const REAL = (.*)/.exec(page)![1]!
    const params = new Function(`const REAL = ${real}\n${body}`)() as unknown
    expect(params).toEqual([{ slug: ['intro'] }, { slug: ['guides', 'setup'] }, { slug: ['2'] }])
  })

  test('without real paths the page is the index version (path k is /docs/k)', () => {
    const page = appFiles(requestPlan(parseScenario(scenario()), 's'), { next: '16' }).get('app/docs/[...slug]/page.jsx')!
    expect(page).not.toContain('URLS')
    expect(page).toContain(`return Array.from({ length: 3 }, (_, k) => ({ "slug": [String(k)] }))`)
    expect(page).toContain('tags: [`doc:${k}`, `docs`]')
  })

  test('a real path that is not a URL of the pattern is refused, naming it', () => {
    const plan = requestPlan(parseScenario(scenario(['/docs/intro'])), 's')
    const bad = { ...plan, spec: { ...plan.spec, routes: [{ ...plan.spec.routes[0]!, pattern: '/guides/[...slug]' }] } }
    expect(() => appFiles(bad, { next: '16' })).toThrow(AppError)
    expect(() => appFiles(bad, { next: '16' })).toThrow('routes.doc.params.paths[0]: "/docs/intro" is not a URL of /guides/[...slug]')
  })
})
