/**
 * Scenario validation: every bad input is reported as the exact field path, a message
 * saying what is allowed, and the value received; all problems at once.
 */
import { describe, expect, it } from 'vitest'
import { defineScenario, parseScenario, ScenarioError, type ScenarioInput } from '../sim/index.ts'
import type { ScenarioIssue } from '../sim/kernel/errors.ts'

// Scenario inputs are mutated freely below, including into shapes the type forbids.
type Loose = any

/** A valid one-route scenario; every case starts from a fresh copy. */
function base(): Loose {
  return {
    name: 'validation',
    durationS: 100,
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS: 60, params: { count: 10 }, renderS: 0.1, traffic: { rps: 1 } }],
  }
}

function issuesOf(input: unknown, source?: string): readonly ScenarioIssue[] {
  try {
    parseScenario(input, source)
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError)
    return (e as ScenarioError).issues
  }
  throw new Error('parseScenario accepted an invalid scenario')
}

const REVALIDATE_RULE = 'must be false (never revalidate by time), 0 (dynamic: rendered on every request) or a number of seconds >= 1 (Next.js rejects fractions below 1)'
const RENDER_RULE = 'must be a number of seconds (0..3600) or { "lognormal": { "medianS": s, "p95S": s } }'
const TOP_FIELDS = 'allowed fields: $schema, name, description, seed, durationS, warmupS, buildAgeS, next, routes, diurnal, imported, outages, onDemand, deployment, dataChanges, restarts, deploys, purges, cost, build, thresholds'
const ROUTE_FIELDS = 'allowed fields: id, pattern, revalidateS, dynamic, router, kind, cacheLife, segmentConfig, intent, layouts, fetches, params, renderS, failureRate, pageSizeKb, traffic, source'

interface BadCase {
  readonly name: string
  readonly mutate: (s: Loose) => void
  readonly issue: ScenarioIssue
}

const BAD: readonly BadCase[] = [
  {
    name: 'negative rps',
    mutate: (s) => { s.routes[0].traffic.rps = -1 },
    issue: { path: 'routes[0].traffic.rps', message: 'must be >= 0', received: -1 },
  },
  {
    name: 'revalidateS -5',
    mutate: (s) => { s.routes[0].revalidateS = -5 },
    issue: { path: 'routes[0].revalidateS', message: REVALIDATE_RULE, received: -5 },
  },
  {
    name: 'revalidateS 0.5 (a fraction below 1)',
    mutate: (s) => { s.routes[0].revalidateS = 0.5 },
    issue: { path: 'routes[0].revalidateS', message: REVALIDATE_RULE, received: 0.5 },
  },
  {
    name: 'revalidateS true',
    mutate: (s) => { s.routes[0].revalidateS = true },
    issue: { path: 'routes[0].revalidateS', message: REVALIDATE_RULE, received: true },
  },
  {
    name: 'failureRate 1.5',
    mutate: (s) => { s.routes[0].failureRate = 1.5 },
    issue: { path: 'routes[0].failureRate', message: 'must be <= 1', received: 1.5 },
  },
  {
    name: 'unknown top-level field',
    mutate: (s) => { s.colour = 'red' },
    issue: { path: 'colour', message: `unknown field; ${TOP_FIELDS}`, received: 'red' },
  },
  {
    name: 'unknown field inside a route (revalidate instead of revalidateS)',
    mutate: (s) => { s.routes[0].revalidate = 60 },
    issue: { path: 'routes[0].revalidate', message: `unknown field; ${ROUTE_FIELDS}`, received: 60 },
  },
  {
    name: 'unknown field inside params',
    mutate: (s) => { s.routes[0].params.prerendered = 5 },
    issue: { path: 'routes[0].params.prerendered', message: 'unknown field; allowed fields: count, prebuilt, dynamicParams, fallback, unknownResult, paths', received: 5 },
  },
  {
    name: 'missing route id',
    mutate: (s) => { delete s.routes[0].id },
    issue: { path: 'routes[0].id', message: 'is required: it must be a unique route id of letters, digits, "_" or "-" (e.g. "post")' },
  },
  {
    name: 'missing durationS',
    mutate: (s) => { delete s.durationS },
    issue: { path: 'durationS', message: 'is required (a number)' },
  },
  {
    name: 'non-integer params.count',
    mutate: (s) => { s.routes[0].params.count = 2.5 },
    issue: { path: 'routes[0].params.count', message: 'must be a whole number', received: 2.5 },
  },
  {
    name: 'params.count > 1 for a pattern without [param]',
    mutate: (s) => { s.routes[0].pattern = '/about'; s.routes[0].params.count = 3 },
    issue: { path: 'routes[0].params.count', message: 'must be 1 for a pattern without a [param] segment ("/about")', received: 3 },
  },
  {
    name: 'prebuilt > count',
    mutate: (s) => { s.routes[0].params.prebuilt = 11 },
    issue: { path: 'routes[0].params.prebuilt', message: 'must be at most params.count (10)', received: 11 },
  },
  {
    name: 'duplicate route ids',
    mutate: (s) => { s.routes.push({ ...s.routes[0], pattern: '/other/[id]' }) },
    issue: { path: 'routes[1].id', message: 'is already used by routes[0]; route ids must be unique', received: 'post' },
  },
  {
    name: 'warmupS == durationS',
    mutate: (s) => { s.warmupS = 100 },
    issue: { path: 'warmupS', message: 'must be less than durationS (100)', received: 100 },
  },
  {
    name: 'warmupS > durationS',
    mutate: (s) => { s.warmupS = 250 },
    issue: { path: 'warmupS', message: 'must be less than durationS (100)', received: 250 },
  },
  {
    name: 'outage toS == fromS',
    mutate: (s) => { s.outages = [{ fromS: 50, toS: 50, failureRate: 0.5 }] },
    issue: { path: 'outages[0].toS', message: 'must be greater than fromS (50)', received: 50 },
  },
  {
    name: 'outage toS < fromS',
    mutate: (s) => { s.outages = [{ fromS: 10, toS: 20, failureRate: 0.5 }, { fromS: 60, toS: 40, failureRate: 0.5 }] },
    issue: { path: 'outages[1].toS', message: 'must be greater than fromS (60)', received: 40 },
  },
  {
    name: 'outage naming an unknown route',
    mutate: (s) => { s.outages = [{ fromS: 10, toS: 50, failureRate: 0.5, routes: ['post', 'posts'] }] },
    issue: { path: 'outages[0].routes[1]', message: 'is not a route id (known: "post")', received: 'posts' },
  },
  {
    name: 'lognormal p95S < medianS',
    mutate: (s) => { s.routes[0].renderS = { lognormal: { medianS: 1, p95S: 0.5 } } },
    issue: { path: 'routes[0].renderS.lognormal.p95S', message: 'must be >= medianS (1)', received: 0.5 },
  },
  {
    name: 'next.version "13"',
    mutate: (s) => { s.next = { version: '13' } },
    issue: { path: 'next.version', message: 'must be one of "14", "15", "16.0", "16.3", "16.4"', received: '13' },
  },
  {
    name: 'next.version 16 (a number, not a string)',
    mutate: (s) => { s.next = { version: 16 } },
    issue: { path: 'next.version', message: 'must be one of "14", "15", "16.0", "16.3", "16.4"', received: 16 },
  },
  {
    name: 'renderS "fast"',
    mutate: (s) => { s.routes[0].renderS = 'fast' },
    issue: { path: 'routes[0].renderS', message: RENDER_RULE, received: 'fast' },
  },
  {
    name: 'missing renderS',
    mutate: (s) => { delete s.routes[0].renderS },
    issue: { path: 'routes[0].renderS', message: `is required: it ${RENDER_RULE}` },
  },
  {
    name: 'empty routes array',
    mutate: (s) => { s.routes = [] },
    issue: { path: 'routes', message: 'must be at least 1 item(s)', received: [] },
  },
  {
    name: 'diurnal with 23 entries',
    mutate: (s) => { s.routes[0].traffic.diurnal = { hourly: Array<number>(23).fill(1) } },
    issue: { path: 'routes[0].traffic.diurnal.hourly', message: 'must be exactly 24 item(s)', received: Array<number>(23).fill(1) },
  },
  {
    name: 'diurnal with 25 entries',
    mutate: (s) => { s.routes[0].traffic.diurnal = { hourly: Array<number>(25).fill(1) } },
    issue: { path: 'routes[0].traffic.diurnal.hourly', message: 'must be exactly 24 item(s)', received: Array<number>(25).fill(1) },
  },
  {
    name: 'schedule atS not ascending',
    mutate: (s) => { s.routes[0].traffic.schedule = { atS: [1, 5, 5, 3, 9] } },
    issue: { path: 'routes[0].traffic.schedule.atS[3]', message: 'must not be earlier than the time before it (5); times are ascending', received: 3 },
  },
  // Issue 14: weights, crawlers, real paths, the site's daily curve.
  {
    name: 'popularity weights all zero with rps > 0',
    mutate: (s) => { s.routes[0].traffic.popularity = { weights: [0, 0] } },
    issue: { path: 'routes[0].traffic.popularity.weights', message: 'must have at least one positive weight when rps > 0', received: [0, 0] },
  },
  {
    name: 'a negative popularity weight',
    mutate: (s) => { s.routes[0].traffic.popularity = { weights: [1, -1] } },
    issue: { path: 'routes[0].traffic.popularity.weights[1]', message: 'must be >= 0', received: -1 },
  },
  {
    name: 'more popularity weights than paths',
    mutate: (s) => { s.routes[0].traffic.popularity = { weights: Array<number>(11).fill(1) } },
    issue: { path: 'routes[0].traffic.popularity.weights', message: 'has 11 weights, more than params.count (10)', received: 11 },
  },
  {
    name: 'a crawler walking more paths than the route has',
    mutate: (s) => { s.routes[0].traffic.crawlers = [{ name: 'Googlebot', revisitS: 86400, paths: 11 }] },
    issue: { path: 'routes[0].traffic.crawlers[0].paths', message: 'must be at most params.count (10)', received: 11 },
  },
  {
    name: 'a crawler revisitS of 0',
    mutate: (s) => { s.routes[0].traffic.crawlers = [{ name: 'Googlebot', revisitS: 0 }] },
    issue: { path: 'routes[0].traffic.crawlers[0].revisitS', message: 'must be > 0', received: 0 },
  },
  {
    name: 'a crawler faster than 1e7 requests/s',
    mutate: (s) => { s.routes[0].traffic.crawlers = [{ name: 'Googlebot', revisitS: 1e-7 }] },
    issue: { path: 'routes[0].traffic.crawlers[0].revisitS', message: 'makes 10 paths every 1e-7 s = 1.00e+8 requests/s, above the limit of 1e7 requests/s: must be >= 0.000001', received: 1e-7 },
  },
  {
    name: 'an unknown crawler field',
    mutate: (s) => { s.routes[0].traffic.crawlers = [{ name: 'Googlebot', revisitS: 10, every: 3 }] },
    issue: { path: 'routes[0].traffic.crawlers[0].every', message: 'unknown field; allowed fields: name, revisitS, paths', received: 3 },
  },
  {
    name: 'a real path that is not a URL of the pattern',
    mutate: (s) => { s.routes[0].params.paths = ['/blog/a', '/blog/a/b'] },
    issue: { path: 'routes[0].params.paths[1]', message: 'is not a URL of the pattern "/blog/[slug]"', received: '/blog/a/b' },
  },
  {
    name: 'a real path listed twice',
    mutate: (s) => { s.routes[0].params.paths = ['/blog/a', '/blog/a'] },
    issue: { path: 'routes[0].params.paths[1]', message: 'repeats params.paths[0]; each path is listed once', received: '/blog/a' },
  },
  {
    name: 'a real path without a leading slash',
    mutate: (s) => { s.routes[0].params.paths = ['blog/a'] },
    issue: { path: 'routes[0].params.paths[0]', message: 'must be a URL path starting with "/" (e.g. "/blog/hello")', received: 'blog/a' },
  },
  {
    name: 'more real paths than params.count',
    mutate: (s) => { s.routes[0].params.paths = Array.from({ length: 11 }, (_, i) => `/blog/x${i}`) },
    issue: { path: 'routes[0].params.paths', message: 'has 11 paths, more than params.count (10)', received: 11 },
  },
  {
    name: 'a site-wide diurnal curve of zeros',
    mutate: (s) => { s.diurnal = { hourly: Array<number>(24).fill(0) } },
    issue: { path: 'diurnal.hourly', message: 'must have at least one positive multiplier', received: Array<number>(24).fill(0) },
  },
  {
    name: 'a data change naming a param value no real path has',
    mutate: (s) => { s.routes[0].fetches = [{ id: 'p', tags: ['post-{slug}'] }]; s.routes[0].params.paths = ['/blog/hello']; s.dataChanges = [{ tag: 'post-helo', atS: 1 }] },
    issue: { path: 'dataChanges[0].tag', message: 'is not a tag of any fetch (fetch tags here: "post-{slug}")', received: 'post-helo' },
  },
  {
    name: 'a scenario that is not an object',
    mutate: () => {},
    issue: { path: '', message: 'must be an object', received: null },
  },
]

describe('parseScenario rejects bad input with the exact issue', () => {
  it('the base scenario used by every case is itself valid', () => {
    expect(() => parseScenario(base())).not.toThrow()
  })

  it.each(BAD)('$name', ({ name, mutate, issue }) => {
    const input = name === 'a scenario that is not an object' ? null : base()
    if (input !== null) mutate(input)
    // toStrictEqual: an issue without `received` must not carry the key at all.
    expect(issuesOf(input)).toStrictEqual([issue])
  })
})

describe('parseScenario accepts the boundaries of each rule', () => {
  const GOOD: readonly { readonly name: string; readonly mutate: (s: Loose) => void }[] = [
    { name: 'revalidateS false', mutate: (s) => { s.routes[0].revalidateS = false } },
    { name: 'revalidateS 0 (dynamic)', mutate: (s) => { s.routes[0].revalidateS = 0 } },
    { name: 'revalidateS 1', mutate: (s) => { s.routes[0].revalidateS = 1 } },
    { name: 'revalidateS 1.5', mutate: (s) => { s.routes[0].revalidateS = 1.5 } },
    { name: 'rps 0', mutate: (s) => { s.routes[0].traffic.rps = 0 } },
    { name: 'failureRate 0 and 1', mutate: (s) => { s.routes[0].failureRate = 1; s.routes.push({ ...s.routes[0], id: 'b', failureRate: 0 }) } },
    { name: 'prebuilt == count', mutate: (s) => { s.routes[0].params.prebuilt = 10 } },
    { name: 'prebuilt 0', mutate: (s) => { s.routes[0].params.prebuilt = 0 } },
    { name: 'count 1 for a static pattern', mutate: (s) => { s.routes[0].pattern = '/'; s.routes[0].params = { count: 1 } } },
    { name: 'warmupS just below durationS', mutate: (s) => { s.warmupS = 99.9 } },
    { name: 'outage toS just above fromS naming a known route', mutate: (s) => { s.outages = [{ fromS: 50, toS: 50.001, failureRate: 1, routes: ['post'] }] } },
    { name: 'lognormal p95S == medianS', mutate: (s) => { s.routes[0].renderS = { lognormal: { medianS: 0.4, p95S: 0.4 } } } },
    { name: 'diurnal with 24 entries', mutate: (s) => { s.routes[0].traffic.diurnal = { hourly: Array<number>(24).fill(0.5) } } },
    { name: 'schedule with equal consecutive times', mutate: (s) => { s.routes[0].traffic.schedule = { atS: [1, 1, 2, 2], path: [0, 9, 3, 3] } } },
    { name: 'integer seed', mutate: (s) => { s.seed = 7 } },
    { name: 'weights shorter than count, some zero', mutate: (s) => { s.routes[0].traffic.popularity = { weights: [3, 0, 1] } } },
    { name: 'a crawler at the rate limit, walking every path', mutate: (s) => { s.routes[0].traffic.crawlers = [{ name: 'a', revisitS: 0.000001 }, { name: 'b', revisitS: 86400, paths: 10 }] } },
    { name: 'real paths, fewer than count, a catch-all', mutate: (s) => { s.routes[0].pattern = '/docs/[...slug]'; s.routes[0].params.paths = ['/docs/a', '/docs/a/b'] } },
    { name: 'a data change and webhook naming real param values', mutate: (s) => { s.routes[0].fetches = [{ id: 'p', tags: ['post-{slug}'] }]; s.routes[0].params.paths = ['/blog/hello']; s.dataChanges = [{ tag: 'post-hello', atS: 1 }, { tag: 'post-{slug}', everyS: 5, webhook: { kind: 'revalidatePath', path: '/blog/{slug}' } }] } },
    { name: 'a site-wide diurnal curve', mutate: (s) => { s.diurnal = { hourly: [0, ...Array<number>(23).fill(1)], startHour: 5 } } },
  ]
  it.each(GOOD)('$name', ({ mutate }) => {
    const input = base()
    mutate(input)
    expect(() => parseScenario(input)).not.toThrow()
  })

  it('fills defaults', () => {
    const s = parseScenario(base())
    expect(s.seed).toBe('1')
    expect(s.warmupS).toBe(0)
    expect(s.buildAgeS).toBe(0)
    expect(s.next).toEqual({ version: '16.4', expireTimeS: 31_536_000 })
    expect(s.outages).toEqual([])
    const r = s.routes[0]!
    expect(r.failureRate).toBe(0)
    expect(r.dynamic).toBe(false)
    expect(r.params).toEqual({ count: 10, dynamicParams: true })
    expect(r.traffic).toEqual({ rps: 1, arrivals: 'poisson', popularity: 'uniform', unknownRate: 0 })
  })

  it.each(['14', '15', '16.0', '16.3', '16.4'])('next.version %s', (version) => {
    expect(parseScenario({ ...base(), next: { version } }).next.version).toBe(version)
  })
})

describe('several problems are reported at once', () => {
  it('field-level problems in different places', () => {
    const s = base()
    s.routes[0].traffic.rps = -1
    s.routes[0].revalidateS = -5
    s.colour = 'x'
    s.next = { version: '13' }
    const issues = issuesOf(s)
    expect(issues).toHaveLength(4)
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'routes[0].traffic.rps', message: 'must be >= 0', received: -1 },
      { path: 'routes[0].revalidateS', message: REVALIDATE_RULE, received: -5 },
      { path: 'colour', message: `unknown field; ${TOP_FIELDS}`, received: 'x' },
      { path: 'next.version', message: 'must be one of "14", "15", "16.0", "16.3", "16.4"', received: '13' },
    ]))
  })

  it('cross-field problems together', () => {
    const s = base()
    s.warmupS = 200
    s.routes[0].params.prebuilt = 11
    s.outages = [{ fromS: 50, toS: 10, failureRate: 0.5, routes: ['nope'] }]
    const issues = issuesOf(s)
    expect(issues).toHaveLength(4)
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'warmupS', message: 'must be less than durationS (100)', received: 200 },
      { path: 'routes[0].params.prebuilt', message: 'must be at most params.count (10)', received: 11 },
      { path: 'outages[0].toS', message: 'must be greater than fromS (50)', received: 10 },
      { path: 'outages[0].routes[0]', message: 'is not a route id (known: "post")', received: 'nope' },
    ]))
  })

  it('a field-level problem does not hide a cross-field one', () => {
    const s = base()
    s.routes[0].traffic.rps = -1
    s.warmupS = 200
    const issues = issuesOf(s)
    expect(issues).toHaveLength(2)
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'routes[0].traffic.rps', message: 'must be >= 0', received: -1 },
      { path: 'warmupS', message: 'must be less than durationS (100)', received: 200 },
    ]))
  })

  it('problems in different routes each name their route index', () => {
    const s = base()
    s.routes.push({ id: 'home', pattern: '/', renderS: 'slow', traffic: { rps: 1 } })
    s.routes[0].failureRate = 2
    const issues = issuesOf(s)
    expect(issues).toHaveLength(2)
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'routes[0].failureRate', message: 'must be <= 1', received: 2 },
      { path: 'routes[1].renderS', message: RENDER_RULE, received: 'slow' },
    ]))
  })
})

describe('ScenarioError.message', () => {
  it('names the source, the count, each field path, the received value and what is allowed', () => {
    const s = base()
    s.routes[0].revalidateS = -5
    s.next = { version: '13' }
    let err: unknown
    try {
      parseScenario(s, 'scenarios/mine.json')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ScenarioError)
    const lines = (err as ScenarioError).message.split('\n')
    expect(lines[0]).toBe('scenarios/mine.json: 2 problems')
    expect(lines).toHaveLength(3)
    expect(lines).toContain(`  routes[0].revalidateS: ${REVALIDATE_RULE}; received -5`)
    expect(lines).toContain('  next.version: must be one of "14", "15", "16.0", "16.3", "16.4"; received "13"')
    expect((err as ScenarioError).name).toBe('ScenarioError')
  })

  it('says "1 problem", uses "scenario" without a source, and says when a field is missing', () => {
    const s = base()
    delete s.name
    let message = ''
    try {
      parseScenario(s)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toBe('scenario: 1 problem\n  name: is required (a string)')
  })

  it('lists the allowed fields for an unknown field and shows the received value as JSON', () => {
    const s = base()
    s.routes[0].traffic.rate = 'high'
    let message = ''
    try {
      parseScenario(s, 'x.json')
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('routes[0].traffic.rate: unknown field; allowed fields: rps, arrivals, popularity, unknownRate, diurnal, schedule, crawlers, placeholder; received "high"')
  })

  it('shows the root as (root) and truncates long received values', () => {
    let message = ''
    try {
      parseScenario('x'.repeat(200))
    } catch (e) {
      message = (e as Error).message
    }
    const line = message.split('\n')[1] ?? ''
    expect(line.startsWith('  (root): must be an object; received "xxx')).toBe(true)
    expect(line.endsWith('...')).toBe(true)
    expect(line.length).toBeLessThan(140)
  })
})

describe('defineScenario', () => {
  it('throws ScenarioError at definition time for a bad field', () => {
    const bad = { name: 'x', durationS: 100, routes: [{ id: 'a', pattern: '/', renderS: 0.1, failureRate: 1.5, traffic: { rps: 1 } }] }
    let err: unknown
    // The cast lets the bad value through the type: a .js scenario or a loosely typed object can do this.
    try {
      defineScenario(bad as ScenarioInput)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ScenarioError)
    expect((err as ScenarioError).issues).toStrictEqual([{ path: 'routes[0].failureRate', message: 'must be <= 1', received: 1.5 }])
  })

  it('throws for a cross-field problem too', () => {
    expect(() => defineScenario({ name: 'x', durationS: 10, warmupS: 10, routes: [{ id: 'a', pattern: '/', renderS: 0.1, traffic: { rps: 1 } }] })).toThrow(
      /warmupS: must be less than durationS \(10\); received 10/,
    )
  })

  it('returns its input unchanged (same object, no defaults filled) when valid', () => {
    const input = { name: 'ok', durationS: 60, routes: [{ id: 'a', pattern: '/', renderS: 0.1, traffic: { rps: 1 } }] } satisfies ScenarioInput
    const snapshot = structuredClone(input)
    const out = defineScenario(input)
    expect(out).toBe(input)
    expect(out).toStrictEqual(snapshot)
    expect('outages' in out).toBe(false)
  })
})

describe('several unknown fields in one object', () => {
  it('reports each at its own path with its own value', () => {
    const input = { name: 'x', durationS: 10, foo: 1, bar: 'b', routes: [{ id: 'a', pattern: '/', renderS: 0.1, traffic: { rps: 1 } }] }
    let issues: readonly ScenarioIssue[] = []
    try {
      parseScenario(input)
    } catch (e) {
      issues = (e as ScenarioError).issues
    }
    expect(issues.map((i) => [i.path, i.received])).toEqual([['foo', 1], ['bar', 'b']])
    expect(issues[0]!.message).toMatch(/^unknown field; allowed fields: \$schema, name,/)
  })
})
