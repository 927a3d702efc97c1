/**
 * A real nginx `proxy_cache` as the CDN in front of `next start` (deployment.cdn, §16): one nginx
 * per point of presence, each with its own cache in its scratch folder and port, all with the same
 * upstream (one next start, or the balancing nginx of services/nginx.ts in front of several),
 * honouring the Cache-Control Next sends. k6 sends each user's request to the PoP the plan names.
 *
 * What nginx 1.22 does with it (ngx_http_upstream_process_cache_control, ngx_http_file_cache.c):
 * - `private`, `no-store`, `no-cache` (a dynamic route's answer): not stored, passed through;
 * - `s-maxage=N` (else `max-age=N`): fresh until the whole second `ngx_time() + N`; with neither,
 *   a year. Whole seconds: an answer stored at t is fresh until ceil-ish(t) + N, on average N + 0.5 s;
 * - `stale-while-revalidate=M`: stale answers while an update runs, for M s after that. Here
 *   `proxy_cache_use_stale updating` allows it with no bound (the issue's configuration), so past
 *   s-maxage + stale-while-revalidate nginx still answers stale where the model's CDN misses; with
 *   Next's default expire (a year) the two never differ in a run;
 * - `proxy_cache_background_update on`: the request that finds the entry stale is answered
 *   stale at once and one subrequest refreshes it; `proxy_cache_lock on`: one request fills a
 *   missing entry, the others wait for it (as the model's CDN, §16).
 * Every response carries `X-Cache-Status: $upstream_cache_status` (k6 reads it: the CDN layer);
 * the access log (with subrequests, so background updates are in it) records what reached Next
 * and what Next answered (`$upstream_http_x_nextjs_cache`): the Next layer.
 */
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { RequestPlan } from '../../sim/contract.ts'
import type { Observed } from '../verify.ts'
import { nginxPreamble, startNginx, type Nginx } from './nginx.ts'

/** The response header k6 reads the CDN's status from. */
export const CDN_STATUS_HEADER = 'X-Cache-Status'

/**
 * The access log of the CDN: end time (ms), status, method and URI, the cache status, the
 * upstream that answered ("-" when nginx answered from its cache), Next's x-nextjs-cache, the
 * request's duration (s) and user agent.
 */
export const CDN_LOG_FORMAT = `'$msec $status "$request_method $request_uri" $upstream_cache_status "$upstream_addr" "$upstream_http_x_nextjs_cache" $request_time "$http_user_agent"'`

export interface CdnOptions {
  /** `host:port` of what the PoP forwards to: next start, or the balancing nginx. */
  readonly upstream: string
  /** A scratch folder: config, cache, pid file, logs, temp files. */
  readonly dir: string
}

export class CdnError extends Error {}

export function cdnConfig(o: CdnOptions, port: number, asRoot: boolean): string {
  const d = resolve(o.dir)
  return `# written by isrsim (loadtest/services/nginx-cdn.ts): a CDN in front of next start; not the system's nginx
${nginxPreamble(d, asRoot)}
  log_format isrsim_cdn ${CDN_LOG_FORMAT};
  access_log ${join(d, 'access.log')} isrsim_cdn;
  # background updates are subrequests: log them, they are requests that reached Next
  log_subrequest on;
  proxy_cache_path ${join(d, 'cache')} levels=1:2 keys_zone=isrsim_cdn:16m max_size=1g inactive=1d use_temp_path=off;
  upstream next {
    server ${o.upstream} max_fails=0;
    keepalive 64;
    # Under next start's keep-alive timeout (Node's 5 s): an idle connection nginx reuses just as
    # Node closes it is reset, a 502 no retry can hide (proxy_next_upstream off).
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_cache isrsim_cdn;
      proxy_cache_key $request_uri;
      proxy_cache_use_stale updating;
      proxy_cache_background_update on;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 60s;
      proxy_cache_lock_age 60s;
      add_header X-Cache-Status $upstream_cache_status always;
      proxy_pass http://next;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_read_timeout 300s;
      proxy_next_upstream off;
    }
  }
}
`
}

/** The live suite's CDN: nginx with a proxy_cache in front of next start at `upstream`. */
export async function startCdn(o: CdnOptions, log: (l: string) => void = () => {}): Promise<Nginx> {
  return startNginx({ upstreams: [o.upstream], dir: o.dir, config: (port, asRoot) => cdnConfig(o, port, asRoot) }, log)
}

/** The most PoPs a live run starts: each is an nginx process on this machine's two cores. */
export const MAX_LIVE_POPS = 8

/**
 * What the live CDN can mirror of a plan: up to MAX_LIVE_POPS PoPs (one nginx each, k6 sends
 * each request to the PoP the plan names), in front of one next start or the balancing nginx.
 */
export function cdnRefusal(plan: RequestPlan): string | undefined {
  const cdn = (plan.spec as { deployment?: { cdn?: { pops?: number } } }).deployment?.cdn
  if (cdn === undefined) return undefined
  const pops = cdn.pops ?? 1
  if (pops > MAX_LIVE_POPS) return `deployment.cdn.pops: ${pops} is more than the live suite starts; allowed: 1 to ${MAX_LIVE_POPS} (one nginx proxy_cache per PoP on this machine)`
  return undefined
}

/** Next's layer behind the CDN, per route: requests that reached it and what it answered. */
export interface NextLayerRoute {
  readonly requests: number
  readonly hit: number; readonly stale: number; readonly miss: number
  readonly dynamic: number; readonly notFound: number; readonly error: number
}

export interface NextLayer {
  /** Requests nginx forwarded to Next (misses and background updates), over all routes. */
  readonly originRequests: number
  /** Of those, background updates (a stale entry's refresh: the subrequest's cache status is the entry's, EXPIRED or STALE). */
  readonly backgroundUpdates: number
  readonly routes: Readonly<Record<string, NextLayerRoute>>
  /** Log lines of paths no route of the plan sends (the driver's own probes). */
  readonly unmatched: number
}

const LINE = /^(\d+\.\d+) (\d{3}) "(\S+) (\S+)" (\S+) "([^"]*)" "([^"]*)" (\S+) "([^"]*)"$/

/**
 * Parse the CDN's access log (CDN_LOG_FORMAT; one file per PoP, added up) into Next's layer. A
 * line whose upstream address is "-" was answered by nginx alone; every other line is one request
 * Next answered (its x-nextjs-cache the outcome, none: dynamic). Paths map to routes through the
 * plan's URLs.
 */
export function readCdnAccessLog(files: string | readonly string[], plan: RequestPlan): NextLayer {
  const routeOf = new Map<string, string>()
  for (const r of plan.routes) for (const p of r.paths) routeOf.set(p, r.id)
  const routes: Record<string, { requests: number; hit: number; stale: number; miss: number; dynamic: number; notFound: number; error: number }> = {}
  for (const r of plan.routes) routes[r.id] = { requests: 0, hit: 0, stale: 0, miss: 0, dynamic: 0, notFound: 0, error: 0 }
  let originRequests = 0, backgroundUpdates = 0, unmatched = 0
  for (const file of typeof files === 'string' ? [files] : files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (line === '') return
      const m = LINE.exec(line)
      if (!m) throw new CdnError(`${file}:${i + 1}: not a line of the CDN's log format (${CDN_LOG_FORMAT}): ${line.slice(0, 200)}`)
      const [, , status, , uri, cacheStatus, upstream, nextCache] = m
      if (upstream === '-' || upstream === '') return
      const id = routeOf.get(uri!)
      if (id === undefined) { unmatched++; return }
      originRequests++
      if (cacheStatus === 'EXPIRED' || cacheStatus === 'STALE') backgroundUpdates++
      const r = routes[id]!
      r.requests++
      const code = Number(status)
      if (code === 404) r.notFound++
      else if (code >= 500) r.error++
      else if (nextCache === 'HIT') r.hit++
      else if (nextCache === 'STALE') r.stale++
      else if (nextCache === 'MISS' || nextCache === 'REVALIDATED') r.miss++
      else r.dynamic++
    })
  }
  return { originRequests, backgroundUpdates, routes, unmatched }
}

/** The PoPs' access logs as one, in time order ($msec, the first field): what reached Next from any PoP. */
export function mergeCdnLogs(files: readonly string[]): string {
  const lines = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== ''))
  const at = (l: string) => Number(l.slice(0, l.indexOf(' ')))
  return lines.map((l, i) => ({ l, i, t: at(l) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => `${x.l}\n`).join('')
}

/** The driver's CDN for one run (startCdnFor). */
export interface CdnRun {
  /** Where k6 sends its probe and the on-demand calls: PoP 0. */
  readonly url: string
  /** Each PoP's nginx, in PoP order (k6 sends request i of a route to urls[route.pop[i]]). */
  readonly urls: readonly string[]
  /** The PoPs' nginx pids, for the driver's kill-by-pid list. */
  readonly pids: readonly number[]
  /** k6's extra arguments: the CDN status header to record, and with several PoPs their URLs. */
  readonly k6Args: readonly string[]
  /**
   * After k6: stop the PoPs (their logs are then complete), copy the log to
   * <outDir>/cdn-access.log (several PoPs: each to cdn-access.pop<k>.log, and their merge in time
   * order to cdn-access.log), add Next's layer.
   */
  finish(observed: Observed, outDir: string): Promise<Observed>
  /** Stop the PoPs without reading their logs (the run failed). */
  stop(): Promise<void>
}

/**
 * With deployment.cdn, one nginx proxy_cache per PoP in front of `nextUrl` (next start, or the
 * balancing nginx in front of several), each in a fresh scratch folder (an old cache would
 * answer): `dir` for one PoP, `dir`/pop-<k> for several. Undefined without a CDN.
 */
export async function startCdnFor(plan: RequestPlan, nextUrl: string, dir: string, log: (l: string) => void, onStarted: (pid: number, pop: number) => void = () => {}): Promise<CdnRun | undefined> {
  const cdn = (plan.spec as { deployment?: { cdn?: { pops?: number } } }).deployment?.cdn
  if (cdn === undefined) return undefined
  const refusal = cdnRefusal(plan)
  if (refusal !== undefined) throw new CdnError(refusal)
  const pops = cdn.pops ?? 1
  rmSync(dir, { recursive: true, force: true })
  const upstream = new URL(nextUrl).host
  const started: Nginx[] = []
  try {
    for (let k = 0; k < pops; k++) {
      const n = await startCdn({ upstream, dir: pops === 1 ? dir : join(dir, `pop-${k}`) }, log)
      started.push(n)
      onStarted(n.pid, k) // the driver's pid ledger, before the next one starts
    }
  } catch (e) {
    await Promise.all(started.map((n) => n.stop()))
    throw e
  }
  const stop = async () => { await Promise.all(started.map((n) => n.stop())) }
  const urls = started.map((n) => n.url)
  log(`CDN: ${pops === 1 ? `nginx proxy_cache ${urls[0]}` : `${pops} PoPs, nginx proxy_cache each: ${urls.join(', ')}`} in front of ${nextUrl}`)
  return {
    url: urls[0]!,
    urls,
    pids: started.map((n) => n.pid),
    k6Args: ['-e', `CDN_HEADER=${CDN_STATUS_HEADER}`, ...(pops > 1 ? ['-e', `POP_URLS=${urls.join(',')}`] : [])],
    async finish(observed, outDir) {
      await stop()
      const file = join(outDir, 'cdn-access.log')
      if (pops === 1) {
        copyFileSync(started[0]!.accessLog, file)
        return { ...observed, next: readCdnAccessLog(file, plan) }
      }
      const each = started.map((n, k) => {
        const f = join(outDir, `cdn-access.pop${k}.log`)
        copyFileSync(n.accessLog, f)
        return f
      })
      writeFileSync(`${file}.tmp`, mergeCdnLogs(each))
      renameSync(`${file}.tmp`, file)
      return { ...observed, next: readCdnAccessLog(file, plan) }
    },
    stop,
  }
}
