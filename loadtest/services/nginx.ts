/**
 * A real nginx (Debian's package, installed by loadtest/tools/install-nginx.sh) in front of one
 * or more `next start` instances on 127.0.0.1: the load balancer, and the access log that
 * `isrsim import --log` and `isrsim replay` read. It runs in the foreground with a config of its
 * own in a scratch folder (never the system's), on a port it is given, and is stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const NGINX_BIN = '/usr/sbin/nginx'

/**
 * The access log format the live suite writes and recommends: nginx's `combined`, then the
 * Next.js cache status of the upstream response, the log time with milliseconds ($msec, the
 * end of the request) and the request's duration ($request_time, seconds). The request's
 * arrival is $msec - $request_time.
 */
export const ISRSIM_LOG_FORMAT = `'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$upstream_http_x_nextjs_cache" $msec $request_time'`

export interface NginxOptions {
  /** `host:port` of each `next start` instance, in order. */
  readonly upstreams: readonly string[]
  /** A scratch folder: config, pid file, logs, temp files. */
  readonly dir: string
  /** How requests are spread over the upstreams (nginx's default is round-robin). */
  readonly balancer?: 'round-robin' | 'random'
  /**
   * Requests nginx could not send to an upstream (refused: an instance restarting) go to the next
   * one ("error", nginx's proxy_next_upstream error timeout) or fail with 502 ("off", the default).
   */
  readonly nextUpstream?: 'off' | 'error'
  /** Another config than nginxConfig's (e.g. the CDN of services/nginx-cdn.ts), for the port nginx gets. */
  readonly config?: (port: number, asRoot: boolean) => string
}

export interface Nginx {
  readonly url: string
  readonly pid: number
  readonly accessLog: string
  /** Which instance answered each request (UPSTREAM_LOG_FORMAT). */
  readonly upstreamLog: string
  readonly errorLog: string
  /** SIGQUIT (graceful: the access log is flushed), then SIGKILL if it lingers. */
  stop(): Promise<void>
}

export class NginxError extends Error {}

/** Debian's nginx, through the project's own install script (reused when present). */
export const NGINX_INSTALL_HINT = 'install it with: bash loadtest/tools/install-nginx.sh (Debian\'s nginx through apt-get; needs root), or: sudo apt-get install -y nginx'

/** Debian's nginx, through the project's own install script (reused when present); `bin` and `installer` are for tests. */
export function ensureNginx(log: (l: string) => void, bin: string = NGINX_BIN, installer: string = join(ROOT, 'loadtest/tools/install-nginx.sh')): string {
  if (existsSync(bin)) return bin
  const r = spawnSync('bash', [installer], { encoding: 'utf8' })
  if (r.status !== 0 || !existsSync(bin)) throw new NginxError(`nginx is missing (${bin}) and could not be installed (${installer} exit ${r.status}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}); ${NGINX_INSTALL_HINT}`)
  log(r.stdout.trim())
  return bin
}

/**
 * The second access log (upstream.log): which instance answered each request. The first address
 * of $upstream_addr is the one the balancer picked (a retry adds ", next").
 */
export const UPSTREAM_LOG_FORMAT = `'$msec $request_time "$request_method $request_uri" $status "$upstream_addr" "$upstream_http_x_nextjs_cache"'`

/** Paths that are not the plan's requests: the probe of k6's setup() and on-demand calls. */
export const PROBE_PATH = '/__isrsim_unreachable_check__'
export const CALL_PATHS = ['/api/isrsim/revalidate', '/isrsim-admin'] as const

/** The top of every config isrsim writes: one worker in the foreground, its files in the scratch folder `d`, and the opening of the http block. */
export function nginxPreamble(d: string, asRoot: boolean): string {
  const tmp = (name: string) => `${name}_temp_path ${join(d, 'tmp', name)};`
  return `${asRoot ? 'user root root;\n' : ''}worker_processes 1;
daemon off;
pid ${join(d, 'nginx.pid')};
error_log ${join(d, 'error.log')} warn;
events { worker_connections 4096; }
http {
  ${tmp('client_body')}
  ${tmp('proxy')}
  ${tmp('fastcgi')}
  ${tmp('uwsgi')}
  ${tmp('scgi')}`
}

export function nginxConfig(o: NginxOptions, port: number, asRoot: boolean): string {
  const d = resolve(o.dir)
  // Each upstream block keeps its own round-robin turn: with several instances, the probe and the
  // on-demand calls get blocks of their own, so that only the plan's requests move the requests'
  // turn, as in the model (requests and calls through the balancer each have their own turn, §8).
  // keepalive_timeout stays under next start's 5 s keep-alive: a connection reused as Node
  // closes it is reset, a 502 (seen once in 60 s of load on a busy machine).
  const group = (name: string) => `upstream ${name} {
    ${o.balancer === 'random' ? 'random;\n    ' : ''}${o.upstreams.map((u) => `server ${u} max_fails=0;`).join('\n    ')}
    keepalive 64;
    keepalive_timeout 4s;
  }`
  const several = o.upstreams.length > 1
  const proxy = (to: string) => `proxy_pass http://${to};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_read_timeout 300s;
      ${o.nextUpstream === 'error' ? 'proxy_next_upstream error timeout;' : 'proxy_next_upstream off;'}`
  return `# written by isrsim (loadtest/services/nginx.ts); not the system's nginx
${nginxPreamble(d, asRoot)}
  log_format isrsim ${ISRSIM_LOG_FORMAT};
  log_format isrsim_upstream ${UPSTREAM_LOG_FORMAT};
  access_log ${join(d, 'access.log')} isrsim;
  access_log ${join(d, 'upstream.log')} isrsim_upstream;
  ${group('next')}
${several ? `  ${group('next_probe')}\n  ${group('next_calls')}\n` : ''}  server {
    listen 127.0.0.1:${port};
    location / {
      ${proxy('next')}
    }
${several ? `    location = ${PROBE_PATH} {\n      ${proxy('next_probe')}\n    }\n${CALL_PATHS.map((p) => `    location = ${p} {\n      ${proxy('next_calls')}\n    }\n`).join('')}` : ''}  }
}
`
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection({ host: '127.0.0.1', port })
    c.once('connect', () => { c.destroy(); res(true) })
    c.once('error', () => res(false))
  })
}

async function startOnce(o: NginxOptions, bin: string): Promise<Nginx | 'port-taken'> {
  const d = resolve(o.dir)
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(d, 'tmp', t), { recursive: true })
  const port = await freePort()
  const conf = join(d, 'nginx.conf')
  writeFileSync(conf, (o.config ?? ((p: number, root: boolean) => nginxConfig(o, p, root)))(port, process.getuid?.() === 0))
  const proc: ChildProcess = spawn(bin, ['-p', d, '-c', conf, '-e', join(d, 'error.log')], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)))
  const deadline = Date.now() + 10_000
  for (;;) {
    if (proc.exitCode !== null) {
      await exited
      const errors = `${stderr}${existsSync(join(d, 'error.log')) ? readFileSync(join(d, 'error.log'), 'utf8') : ''}`
      if (/Address already in use/.test(errors)) return 'port-taken'
      throw new NginxError(`nginx exited (code ${proc.exitCode}) before it listened on 127.0.0.1:${port}:\n${errors.trim().slice(-1500)}`)
    }
    if (await canConnect(port)) break
    if (Date.now() > deadline) {
      try { process.kill(-proc.pid!, 'SIGKILL') } catch { /* gone */ }
      throw new NginxError(`nginx did not listen on 127.0.0.1:${port} within 10 s:\n${stderr.trim().slice(-1500)}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    accessLog: join(d, 'access.log'),
    upstreamLog: join(d, 'upstream.log'),
    errorLog: join(d, 'error.log'),
    async stop() {
      if (proc.exitCode !== null) return
      try { process.kill(proc.pid!, 'SIGQUIT') } catch { return }
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))])
      if (!done) { try { process.kill(-proc.pid!, 'SIGKILL') } catch { /* gone */ } }
    },
  }
}

/** Start nginx in front of the upstreams; resolves once it accepts connections. */
export async function startNginx(o: NginxOptions, log: (l: string) => void = () => {}): Promise<Nginx> {
  if (o.upstreams.length === 0) throw new NginxError('nginx needs at least one upstream')
  const bin = ensureNginx(log)
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await startOnce(o, bin)
    if (r !== 'port-taken') return r
  }
  throw new NginxError('nginx: three free ports in a row were taken before it could listen')
}
