/**
 * `isrsim traffic` as users run it (node bin/isrsim.js): exit codes, messages, nothing written
 * on bad input, and a written scenario that `isrsim run` accepts as it is.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseScenario, type ScenarioInput } from '../sim/index.ts'
import { formatLog, GOOGLEBOT, synthRequests } from './from-logs-helpers.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'isrsim.js')

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 50_000 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr })
    })
  })
}

let dir = ''
let scenario = ''
let log = ''
const SCENARIO: ScenarioInput = {
  name: 'shop', durationS: 3600, warmupS: 60,
  routes: [
    { id: 'product', pattern: '/products/[id]', revalidateS: 300, renderS: 0.2, params: { count: 100, prebuilt: 20 }, traffic: { rps: 1, placeholder: true } },
    { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 1, placeholder: true } },
  ],
}
const reqs = synthRequests({
  seed: 5, startMs: Date.UTC(2024, 4, 1, 9), durationS: 1800, routes: [{ prefix: '/products/', paths: 100, rps: 3, zipf: 1.1, unknownRps: 0.05 }, { prefix: '/', paths: 1, rps: 1, zipf: 1 }],
  crawlers: [{ ua: GOOGLEBOT, route: 0, paths: 60, revisitS: 900 }], assetRps: 1,
})

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isrsim-traffic-cli-'))
  scenario = join(dir, 'shop.json')
  writeFileSync(scenario, JSON.stringify(SCENARIO))
  log = join(dir, 'access.log')
  writeFileSync(log, formatLog(reqs, 'nginx'))
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })
const p = (name: string) => join(dir, name)

describe('isrsim traffic', () => {
  it('fits a scenario from an nginx log, reports per route, and the result runs with isrsim run', async () => {
    const out = p('fitted.json')
    const r = await cli('traffic', scenario, '--log', log, '--out', out)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('nginx combined + 3 extra fields (cache, msec, request_time)')
    expect(r.stderr).toMatch(/product \/products\/\[id\]: [\d,]+ requests/)
    expect(r.stderr).toMatch(/crawlers: Googlebot walks 60 paths every 15 min/)
    expect(r.stderr).toContain(`scenario written to ${out}`)
    const s = parseScenario(JSON.parse(readFileSync(out, 'utf8')), out)
    const product = s.routes[0]!
    expect(Math.abs(product.traffic.rps / 3 - 1)).toBeLessThan(0.05)
    expect(product.traffic.placeholder).toBeUndefined()
    expect(product.params?.paths?.[0]).toBe('/products/0')
    const run = await cli('run', out, '--json')
    expect(run.code, run.stderr).toBe(0)
    // Measured after the warmup: ~3 req/s of humans over 3540 s, plus the crawler and the 404s.
    const result = JSON.parse(run.stdout) as { routes: Record<string, { requests: number }> }
    expect(result.routes['product']!.requests).toBeGreaterThan(3 * 3000)
  })

  it('--replay writes each route\'s logged requests as a schedule that isrsim run accepts', async () => {
    const out = p('replay.json')
    const r = await cli('traffic', scenario, '--log', log, '--replay', '--out', out)
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(readFileSync(out, 'utf8')) as ScenarioInput
    expect(s.routes[0]!.traffic.schedule!.atS.length).toBe(reqs.filter((x) => x.path.startsWith('/products/')).length)
    expect(s.routes[0]!.traffic.rps).toBe(0)
    const run = await cli('run', out, '--json')
    expect(run.code, run.stderr).toBe(0)
  })

  it('reads gzip, and refuses a truncated one with exit 2, a message, and nothing written', async () => {
    const z = gzipSync(readFileSync(log))
    writeFileSync(p('ok.log.gz'), z)
    expect((await cli('traffic', scenario, '--log', p('ok.log.gz'), '--out', p('gz.json'))).code).toBe(0)
    writeFileSync(p('cut.log.gz'), z.subarray(0, z.length >> 1))
    const r = await cli('traffic', scenario, '--log', p('cut.log.gz'), '--out', p('cut.json'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^isrsim: .*cut\.log\.gz: the gzip file is truncated/m)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(existsSync(p('cut.json'))).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([])
  })

  it('an unknown format, another site, a log out of order: exit 2 with what to do', async () => {
    writeFileSync(p('app.log'), '2024-05-01 10:00:00 INFO starting server\n2024-05-01 10:00:01 INFO ready\n')
    const unknown = await cli('traffic', scenario, '--log', p('app.log'), '--out', p('x.json'))
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown log format')
    expect(unknown.stderr).toContain('"2024-05-01 10:00:00 INFO starting server"')
    const other = SCENARIO.routes.map((r) => ({ ...r, pattern: r.id === 'home' ? '/about' : '/blog/[slug]' }))
    writeFileSync(p('other.json'), JSON.stringify({ ...SCENARIO, routes: other }))
    const foreign = await cli('traffic', p('other.json'), '--log', log, '--out', p('x.json'))
    expect(foreign.code).toBe(2)
    expect(foreign.stderr).toContain('Is this the log of another site?')
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n')
    writeFileSync(p('swapped.log'), [...lines.slice(lines.length / 2), ...lines.slice(0, lines.length / 2)].join('\n'))
    const swapped = await cli('traffic', scenario, '--log', p('swapped.log'), '--out', p('x.json'))
    expect(swapped.code).toBe(2)
    expect(swapped.stderr).toContain('the lines are out of order')
    expect(existsSync(p('x.json'))).toBe(false)
  })

  it('--human-ua makes a load tester\'s requests human traffic; a bad pattern or format is exit 2', async () => {
    writeFileSync(p('k6.log'), formatLog(reqs.map((x) => ({ ...x, ua: 'k6/0.50.0 (https://k6.io/)' })), 'nginx'))
    const asBot = await cli('traffic', scenario, '--log', p('k6.log'), '--out', p('k6-bot.json'))
    expect(asBot.code, asBot.stderr).toBe(0)
    const bot = JSON.parse(readFileSync(p('k6-bot.json'), 'utf8')) as ScenarioInput
    expect(bot.routes[0]!.traffic.rps).toBe(0)
    expect(bot.routes[0]!.traffic.crawlers![0]!.name).toBe('k6')
    const human = await cli('traffic', scenario, '--log', p('k6.log'), '--human-ua', '^k6/', '--out', p('k6-human.json'))
    expect(human.code, human.stderr).toBe(0)
    const h = JSON.parse(readFileSync(p('k6-human.json'), 'utf8')) as ScenarioInput
    expect(h.routes[0]!.traffic.rps).toBeGreaterThan(3)
    expect(h.routes[0]!.traffic.crawlers).toBeUndefined()
    expect((await cli('traffic', scenario, '--log', log, '--human-ua', '(', '--out', p('y.json'))).code).toBe(2)
    const fmt = await cli('traffic', scenario, '--log', log, '--log-format', 'apache', '--out', p('y.json'))
    expect(fmt.code).toBe(2)
    expect(fmt.stderr).toContain('allowed: auto, nginx, vercel, cloudfront, cloudflare')
  })
})
