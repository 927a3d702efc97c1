/**
 * The real nginx the live suite balances with (Debian's, services/nginx.ts), in front of three
 * tiny HTTP servers that answer with their own index: does it do what the model assumes (§8)?
 * Round-robin in arrival order over the plan's requests, with k6's probe and the on-demand
 * calls on turns of their own; a refused upstream (an instance restarting) retried on the next.
 * Reproduce: npx vitest run test/topology-nginx.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { readUpstreamLog } from '../loadtest/balancing.ts'
import { kernelPorts } from '../loadtest/instances.ts'
import { CALL_PATHS, PROBE_PATH, startNginx, type Nginx } from '../loadtest/services/nginx.ts'

const scratch = mkdtempSync(join(tmpdir(), 'isrsim-topology-nginx-'))
const servers: Server[] = []
const nginxes: Nginx[] = []
afterAll(async () => {
  for (const n of nginxes) await n.stop()
  for (const s of servers) s.close()
  rmSync(scratch, { recursive: true, force: true })
})

async function upstream(index: number): Promise<string> {
  const s = createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain' }); res.end(String(index)) })
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return `127.0.0.1:${(s.address() as AddressInfo).port}`
}

const answer = async (url: string, init?: RequestInit) => Number(await (await fetch(url, init)).text())

describe('nginx as the live suite configures it', () => {
  test('round-robin over the requests in arrival order; the probe and the calls do not move the requests\' turn', async () => {
    const ups = [await upstream(0), await upstream(1), await upstream(2)]
    const nginx = await startNginx({ upstreams: ups, dir: join(scratch, 'rr'), balancer: 'round-robin', nextUpstream: 'error' })
    nginxes.push(nginx)
    const got: number[] = []
    for (let i = 0; i < 12; i++) {
      // Between requests, what k6 also sends: its reachability probe and on-demand calls.
      if (i === 0) await answer(`${nginx.url}${PROBE_PATH}`)
      if (i % 4 === 1) await answer(`${nginx.url}${CALL_PATHS[0]}`, { method: 'POST', body: '{}' })
      got.push(await answer(`${nginx.url}/blog/${i}`))
    }
    expect(got, 'the n-th request goes to instance n mod 3 (the model\'s round-robin)').toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    // The calls have a turn of their own, as the model's calls "through the balancer".
    const calls = [] as number[]
    for (let i = 0; i < 3; i++) calls.push(await answer(`${nginx.url}${CALL_PATHS[0]}`, { method: 'POST', body: '{}' }))
    expect(calls).toEqual([0, 1, 2])
    await nginx.stop()
    const log = readUpstreamLog(nginx.upstreamLog)
    expect(log.map((l) => ups.indexOf(l.first)), 'the upstream log names the instance of every planned request, in order').toEqual(got)
  })

  test('an upstream that refuses connections (restarting) is retried on the next one; 502 with nextUpstream off', async () => {
    const [closed] = await kernelPorts(1)
    const ups = [await upstream(0), `127.0.0.1:${closed}`, await upstream(2)]
    const retry = await startNginx({ upstreams: ups, dir: join(scratch, 'retry'), nextUpstream: 'error' })
    nginxes.push(retry)
    const got: number[] = []
    for (let i = 0; i < 6; i++) got.push(await answer(`${retry.url}/p/${i}`))
    expect(got.every((x) => x === 0 || x === 2), `answers ${got}`).toBe(true)
    await retry.stop()
    const log = readUpstreamLog(retry.upstreamLog)
    expect(log.filter((l) => l.retried).length, 'requests whose first choice refused').toBe(2)
    const off = await startNginx({ upstreams: ups, dir: join(scratch, 'off'), nextUpstream: 'off' })
    nginxes.push(off)
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${off.url}/p/${i}`)).status)
    expect(statuses).toEqual([200, 502, 200])
  })
})
