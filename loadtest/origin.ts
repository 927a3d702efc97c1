/**
 * The origin API behind the generated reference app: a plain Node server on 127.0.0.1.
 *
 *   GET  /render?route=<id>&path=<url>   one page render: sleeps the route's render time,
 *                                       fails (500) as the scenario's failure rate and outage
 *                                       windows say; counted per route (the live "renders")
 *   GET  /data?fetch=<id>&key=<k>        one fetch: sleeps its latency, fails at its rate;
 *                                       counted per fetch id (the live "origin fetches");
 *                                       answers the key's data version (the plan's data
 *                                       changes that have happened, relative to t = 0)
 *   POST /__start                        t = 0 of the test: zero the counters
 *   GET  /__counters                     the counters as JSON
 *
 * Started by the driver: `node --import tsx loadtest/origin.ts <plan.json>`; prints one
 * JSON line `{"port": N}` when listening (port 0: the kernel picks a free one).
 * Random draws come from seedrandom streams named after the route or fetch.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFileSync } from 'node:fs'
import seedrandom from 'seedrandom'
import type { PlanScenario, RequestPlan } from '../sim/contract.ts'

export interface OriginCounters {
  /** Wall-clock ms (Date.now) of POST /__start; 0 before it. */
  readonly t0Ms: number
  /** Render calls per route id (attempts, failed ones included), since /__start. */
  readonly renders: Record<string, number>
  readonly failedRenders: Record<string, number>
  /** Calls per fetch id, since /__start. */
  readonly fetches: Record<string, number>
  /** Render and fetch calls before /__start (the build's prerendering, calibration). */
  readonly beforeStart: { readonly renders: number; readonly fetches: number }
}

type Route = PlanScenario['routes'][number]

/** Lognormal from median and p95 (the simulator's parameterisation). */
function sampleRenderMs(r: Route, rng: () => number): number {
  if (typeof r.renderS === 'number') return r.renderS * 1000
  const { medianS, p95S } = r.renderS.lognormal
  const mu = Math.log(medianS * 1000), sigma = Math.log(p95S / medianS) / 1.6448536269514722
  const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
  return Math.exp(mu + sigma * z)
}

export function startOrigin(spec: PlanScenario, seed: string, port = 0, changes: RequestPlan['dataChanges'] = []): Promise<{ port: number; close: () => Promise<void> }> {
  const routes = new Map(spec.routes.map((r) => [r.id, r]))
  const fetches = new Map(spec.routes.flatMap((r) => r.fetches.map((f) => [f.id, f] as const)))
  const rngs = new Map<string, () => number>()
  const rng = (name: string) => {
    let g = rngs.get(name)
    if (!g) rngs.set(name, (g = seedrandom.alea(JSON.stringify([seed, 'origin', name]))))
    return g
  }
  let t0Ms = 0
  let renders: Record<string, number> = {}, failedRenders: Record<string, number> = {}, fetchCount: Record<string, number> = {}
  let before = { renders: 0, fetches: 0 }
  const sinceStartS = () => (t0Ms === 0 ? -1 : (Date.now() - t0Ms) / 1000)

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify(body))
    }
    const later = (ms: number, f: () => void) => (ms > 0 ? setTimeout(f, ms) : f())
    switch (url.pathname) {
      case '/render': {
        const id = url.searchParams.get('route') ?? ''
        const r = routes.get(id)
        if (!r) return json(404, { error: `unknown route "${id}"` })
        const ms = sampleRenderMs(r, rng(`render/${id}`))
        const t = sinceStartS()
        let pOk = 1 - r.failureRate
        for (const o of spec.outages) if (t >= o.fromS && t < o.toS && (o.routes === undefined || o.routes.includes(id))) pOk *= 1 - o.failureRate
        const ok = rng(`failures/${id}`)() < pOk
        if (t0Ms === 0) before.renders++
        else {
          renders[id] = (renders[id] ?? 0) + 1
          if (!ok) failedRenders[id] = (failedRenders[id] ?? 0) + 1
        }
        return later(ms, () => json(ok ? 200 : 500, { route: id, path: url.searchParams.get('path'), ok, renderMs: ms }))
      }
      case '/data': {
        const id = url.searchParams.get('fetch') ?? ''
        const f = fetches.get(id)
        if (!f) return json(404, { error: `unknown fetch "${id}"` })
        const ok = rng(`fetch-failures/${id}`)() >= f.failureRate
        if (t0Ms === 0) before.fetches++
        else fetchCount[id] = (fetchCount[id] ?? 0) + 1
        // The data's version: how many of the plan's changes to this key have happened.
        const key = Number(url.searchParams.get('key'))
        const sinceMs = t0Ms === 0 ? -1 : Date.now() - t0Ms
        let version = 0
        for (const c of changes) if (c.atMs <= sinceMs && c.keys.some((x) => x.fetch === id && x.key === key)) version++
        return later(f.latencyS * 1000, () => json(ok ? 200 : 500, { fetch: id, key, version, atMs: Date.now() }))
      }
      case '/__start':
        if (req.method !== 'POST') return json(405, { error: 'POST only' })
        t0Ms = Date.now()
        renders = {}; failedRenders = {}; fetchCount = {}
        return json(200, { t0Ms })
      case '/__counters': {
        const c: OriginCounters = { t0Ms, renders, failedRenders, fetches: fetchCount, beforeStart: before }
        return json(200, c)
      }
      case '/health':
        return json(200, { ok: true })
      default:
        return json(404, { error: 'not found' })
    }
  })
  server.keepAliveTimeout = 60_000
  return new Promise((resolveStart, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address()
      const p = typeof addr === 'object' && addr ? addr.port : port
      resolveStart({ port: p, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }) })
    })
  })
}

// As a process: node --import tsx loadtest/origin.ts <plan.json>
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (!file) {
    process.stderr.write('usage: origin.ts <plan.json>\n')
    process.exit(2)
  }
  const plan = JSON.parse(readFileSync(file, 'utf8')) as RequestPlan
  const { port } = await startOrigin(plan.spec, plan.seed, 0, plan.dataChanges)
  process.stdout.write(`${JSON.stringify({ port })}\n`)
  const stop = () => process.exit(0)
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
