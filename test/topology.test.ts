/**
 * The live topology's pure parts and bad input (no next start, no k6): the plan's balancing
 * sequence, the comparison with nginx's upstream log, the ports check, nginx missing.
 * Reproduce: npx vitest run test/topology.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { RequestPlan } from '../sim/contract.ts'
import { parseScenario } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'
import { compareBalancing, plannedSequence, TIE_MS } from '../loadtest/balancing.ts'
import { kernelPorts, portsFor } from '../loadtest/instances.ts'
import { asLiveError, LiveError, runLive } from '../loadtest/live.ts'
import { ensureNginx, NginxError } from '../loadtest/services/nginx.ts'
import { k6Plan } from '../loadtest/timeline.ts'

const scratch = mkdtempSync(join(tmpdir(), 'isrsim-topology-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const scenario = (instances: number, extra: Record<string, unknown> = {}) => ({
  name: 'topology-unit', seed: '7', durationS: 20, next: { version: '16.4' },
  deployment: { instances, balancer: 'round-robin', cache: 'local' },
  routes: [
    { id: 'home', pattern: '/', revalidateS: 30, renderS: 0.1, traffic: { rps: 3, arrivals: 'poisson' } },
    { id: 'post', pattern: '/blog/[slug]', revalidateS: 30, params: { count: 4 }, renderS: 0.1, traffic: { rps: 5, arrivals: 'poisson' } },
  ],
  onDemand: [
    { kind: 'revalidatePath', path: '/', atS: 5, instance: 2 },
    { kind: 'revalidatePath', path: '/', atS: 6, target: 'all' },
    { kind: 'revalidatePath', path: '/', atS: 7, target: 'balancer' },
  ],
  ...extra,
})
const planOf = (input: unknown): RequestPlan => requestPlan(parseScenario(input))

describe('the plan carries the model\'s balancing sequence', () => {
  test('round-robin: the n-th request in arrival order goes to instance n mod 3, and calls name their receiver', () => {
    const plan = planOf(scenario(3))
    const seq = plannedSequence(plan)
    expect(seq.length).toBeGreaterThan(100)
    seq.forEach((r, n) => expect(r.instance, `request ${n} (${r.path} at ${r.atMs} ms); seed 7`).toBe(n % 3))
    expect(plan.onDemand.map((c) => [c.target, c.instance])).toEqual([['instance', 2], ['all', undefined], ['balancer', undefined]])
    // The driver sends the named and "all" calls itself; k6 keeps the one through the balancer.
    expect(k6Plan(plan).onDemand.map((c) => c.target)).toEqual(['balancer'])
  })

  test('one instance: plans stay as they were (no instance, no target)', () => {
    const plan = planOf(scenario(1, { onDemand: [{ kind: 'revalidatePath', path: '/', atS: 5 }] }))
    expect(plan.routes.every((r) => r.instance === undefined)).toBe(true)
    expect(plan.onDemand[0]).toEqual({ atMs: 5000, kind: 'revalidatePath', path: '/' })
  })
})

describe('nginx\'s upstream log against the model', () => {
  const plan = planOf(scenario(3))
  const seq = plannedSequence(plan)
  const hosts = ['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003']
  /** An upstream log of the plan's requests, as nginx writes it (UPSTREAM_LOG_FORMAT), with the given instances. */
  const logOf = (instances: readonly number[], retried: ReadonlySet<number> = new Set()) => {
    const file = join(scratch, `upstream-${Math.random().toString(36).slice(2)}.log`)
    const t0 = 1_700_000_000_000
    const lines = seq.map((r, i) => {
      const end = (t0 + r.atMs + 50) / 1000
      const addr = retried.has(i) ? `${hosts[(instances[i]! + 2) % 3]}, ${hosts[instances[i]!]}` : hosts[instances[i]!]
      return `${end.toFixed(3)} 0.050 "GET ${r.path}" 200 "${addr}" "HIT"`
    })
    writeFileSync(file, [`${(t0 / 1000).toFixed(3)} 0.001 "GET /__isrsim_unreachable_check__" 404 "${hosts[0]}" "-"`, ...lines, `${((t0 + 6000) / 1000).toFixed(3)} 0.010 "POST /api/isrsim/revalidate" 200 "${hosts[1]}" "-"`].join('\n'))
    return file
  }

  test('the same sequence agrees everywhere; the probe and calls are left out', () => {
    const b = compareBalancing(plan, logOf(seq.map((r) => r.instance)), hosts)
    expect(b).toMatchObject({ compared: seq.length, agreed: seq.length, agreement: 1, unexplained: 0, retried: 0, logged: seq.length })
    expect(b.perInstance.map((x) => x.model)).toEqual(b.perInstance.map((x) => x.nginx))
  })

  test('a sequence shifted by one disagrees, and the disagreements are not ties', () => {
    const shifted = seq.map((r) => (r.instance + 1) % 3)
    const b = compareBalancing(plan, logOf(shifted), hosts)
    expect(b.agreed).toBe(0)
    const ties = seq.filter((r, i) => (i > 0 && r.atMs - seq[i - 1]!.atMs < TIE_MS) || (i + 1 < seq.length && seq[i + 1]!.atMs - r.atMs < TIE_MS)).length
    expect(b.unexplained).toBe(seq.length - ties)
  })

  test('a retried request counts its first choice', () => {
    const b = compareBalancing(plan, logOf(seq.map((r) => r.instance), new Set([3, 10])), hosts)
    expect(b.retried).toBe(2)
    expect(b.agreed).toBe(seq.length - 2) // the first choice was the previous instance
  })
})

describe('bad input', () => {
  test('more instances than free ports: a clear error naming deployment.instances (a fake port source with 2 ports)', async () => {
    const two = async () => [41001, 41002]
    await expect(portsFor(3, two)).rejects.toThrow(/deployment\.instances: 3 instances need 3 free ports on 127\.0\.0\.1 \(one next start each\); only 2 were free \(41001, 41002\)/)
    await expect(portsFor(3, async () => [41001, 41001, 41001])).rejects.toThrow(/only 1 was free/)
    await expect(portsFor(2, async () => { throw new Error('EMFILE') })).rejects.toThrow(/only 0 were free/)
    expect(new Set(await kernelPorts(4)).size).toBe(4)
  })

  test('isrsim loadtest refuses it with exit 2 before building anything', async () => {
    const file = join(scratch, 'three.json')
    writeFileSync(file, JSON.stringify(scenario(3)))
    const err = await runLive({ scenario: file, outDir: join(scratch, 'out'), next: '16', replications: 1, cacheHeader: 'x-nextjs-cache', log: () => {}, ports: async () => [41001] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LiveError)
    expect((err as LiveError).exitCode).toBe(2)
    expect((err as LiveError).message).toMatch(/deployment\.instances: 3 instances need 3 free ports.*only 1 was free/)
  })

  test('nginx missing and not installable: the install hint, exit 2', () => {
    const installer = join(scratch, 'no-root.sh')
    writeFileSync(installer, 'echo "error: installing nginx needs root; run: sudo apt-get install -y nginx" >&2; exit 2\n')
    let err: unknown
    try { ensureNginx(() => {}, join(scratch, 'no/nginx'), installer) } catch (e) { err = e }
    expect(err).toBeInstanceOf(NginxError)
    expect((err as Error).message).toMatch(/nginx is missing \(.*no\/nginx\) and could not be installed \(.*no-root\.sh exit 2: error: installing nginx needs root.*\); install it with: bash loadtest\/tools\/install-nginx\.sh/)
    const live = asLiveError(err)
    expect(live).toBeInstanceOf(LiveError)
    expect((live as LiveError).exitCode).toBe(2)
  })
})
