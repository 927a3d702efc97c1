/**
 * Several instances live (issue 18, 1a): next start 16.4.6 instances behind a real nginx, each
 * with its own copy of the build output, on-demand calls straight to the instance named, and a
 * restart by pid mid-run. Scenarios 18(h) scenarios/live/instances-local.json and 18(j)
 * scenarios/live/restart.json, 60 s of load each; every headline metric inside the predicted
 * interval, nginx's balancing sequence against the model's, and what each instance served.
 * The two run at once (describe.concurrent, each its own `isrsim loadtest`: 9 and 4 req/s leave
 * the cores mostly idle); alone and together they gave the same verdicts (loadtest/README.md).
 * Run it alone under the heavy lock (2 shared cores; about 1.5 min):
 *   flock /tmp/isrsim-heavy.lock npx vitest run test/live-topology.test.ts
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { SimResult } from '../sim/contract.ts'
import type { Balancing } from '../loadtest/balancing.ts'
import { ensureK6, ensureNext, ROOT } from '../loadtest/live.ts'
import type { RestartRecord } from '../loadtest/instances.ts'
import { failed, liveRun, repro } from './live-helpers.ts'

interface TopologyJson { readonly instances: number; readonly upstreams: readonly string[]; readonly balancer: string; readonly balancing: Balancing; readonly restarts: readonly RestartRecord[] }
const topologyOf = (out: string) => JSON.parse(readFileSync(join(out, 'topology.json'), 'utf8')) as TopologyJson

/** nginx's upstream log: per request, arrival (ms since the load started), URI, the instance that answered, x-nextjs-cache. */
function served(out: string, t: TopologyJson, startMs: number): { atMs: number; uri: string; instance: number; cache: string }[] {
  const re = /^(\d+\.\d+) (\d+\.\d+) "GET (\S+)" \d+ "([^",]+)[^"]*" "([^"]*)"/
  return readFileSync(join(out, 'nginx/upstream.log'), 'utf8').split('\n').flatMap((l) => {
    const m = re.exec(l)
    if (!m || m[3]!.startsWith('/__isrsim')) return []
    return [{ atMs: Number(m[1]) * 1000 - Number(m[2]) * 1000 - startMs, uri: m[3]!, instance: t.upstreams.indexOf(m[4]!), cache: m[5]! }]
  })
}

describe.concurrent('several next start instances behind nginx (issue 18, 1a), at once', () => {
  // Installed once before the two runs start, which would otherwise both install on first use.
  beforeAll(() => {
    ensureK6(() => {})
    ensureNext('16', () => {})
  }, 600_000)

  test('18(h) instances-local: a revalidateTag reaching instance 1 only; instances 0 and 2 keep serving the build\'s pages, as predicted', async () => {
    const r = await liveRun('instances-local')
    const R = repro('instances-local')
    expect(failed(r.verdict), `${R}; verdict ${r.files.verdict}`).toEqual([])
    expect(r.verdict.checks.length).toBeGreaterThanOrEqual(14)
    const t = topologyOf(r.out)
    expect(t.instances).toBe(3)
    // nginx (one worker, round-robin) sent the requests where the model did, but for pairs planned
    // within 5 ms of each other that reached it in the other order.
    expect(t.balancing.unexplained, `${R}; ${JSON.stringify(t.balancing)}`).toBe(0)
    expect(t.balancing.agreement, R).toBeGreaterThan(0.95)
    for (const x of t.balancing.perInstance) expect(x.nginx, `instance ${x.instance}: requests nginx sent vs the model. ${R}`).toBe(x.model)
    // The call went straight to instance 1 (not through nginx), accepted.
    expect(r.observed.onDemand).toEqual({ planned: 1, sent: 1, failed: 0 })
    // What each instance served: instance 1 answered STALE once per path after the call (then HIT);
    // instances 0 and 2 never saw it and answered HIT throughout.
    const log = served(r.out, t, r.observed.startMs)
    const stale = log.filter((x) => x.cache === 'STALE')
    expect(stale.length, `${R}: STALE responses`).toBeGreaterThan(0)
    expect([...new Set(stale.map((x) => x.instance))], R).toEqual([1])
    expect(stale.every((x) => x.atMs > 19_500), `${R}: STALE only after the call at 20 s`).toBe(true)
    for (const i of [0, 2]) expect(log.filter((x) => x.instance === i && x.cache !== 'HIT'), `${R}: instance ${i} answered other than HIT`).toEqual([])
    // One background render per path of instance 1 (a second request for a path may come before
    // its render ends and be STALE too: /blog/1 328 ms apart in one run).
    const paths = new Set(stale.map((x) => x.uri))
    expect(paths.size, `${R}: paths served STALE = renders the call caused (origin)`).toBe(Object.values(r.observed.origin?.renders ?? {}).reduce((a, b) => a + b, 0))
    expect(paths.size, R).toBe(5) // "/" and the four posts
    expect(r.wallS).toBeLessThan(240)
  }, 840_000)

  test('18(j) restart: instance 1 restarted by pid at 30 s forgets the tag it received at 29 s, as predicted (the model without the restart predicts 8 renders)', async () => {
    const r = await liveRun('restart')
    const R = repro('restart')
    expect(failed(r.verdict), `${R}; verdict ${r.files.verdict}`).toEqual([])
    const t = topologyOf(r.out)
    expect(t.restarts.length, R).toBe(1)
    const rs = t.restarts[0]!
    expect(rs.instance).toBe(1)
    expect(rs.stopMs, `${R}: the restart started late`).toBeGreaterThanOrEqual(30_000)
    expect(rs.stopMs, `${R}: the restart started late`).toBeLessThan(30_500)
    expect(rs.readyMs - rs.stopMs, `${R}: the restart gap (SIGTERM to Ready)`).toBeLessThan(5000)
    // While instance 1 was away nginx sent its turn to instance 0 (proxy_next_upstream error): no error reached k6.
    expect(r.observed.routes.post!.error, R).toBe(0)
    expect(t.balancing.unexplained, `${R}; ${JSON.stringify(t.balancing)}`).toBeLessThanOrEqual(t.balancing.retried + 2)
    // The restart is what the observation shows: without it the model predicts a render per path on instance 1.
    const spec = JSON.parse(readFileSync(r.files.calibrated, 'utf8')) as Record<string, unknown>
    const file = join(r.out, 'scenario.no-restart.json')
    writeFileSync(file, JSON.stringify({ ...spec, restarts: [] }))
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'run', file, '--replications', '10', '--same-traffic', '--json'], { encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    const noRestart = JSON.parse(run.stdout) as SimResult
    const renders = r.observed.origin!.renders.post ?? 0
    expect(noRestart.intervals!.routes.post!.renders!.low, `${R}: the no-restart prediction`).toBeGreaterThan(renders + 3)
    expect(r.wallS).toBeLessThan(240)
  }, 840_000)
})
