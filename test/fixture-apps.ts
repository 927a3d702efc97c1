/**
 * Real `next build`s of the hand-written fixture apps in test/fixtures/ (isrsim import's
 * oracle test, the CI gate's regression tests). A build is cached by content: the copy of
 * the fixture (after `mutate`) is hashed with the Next pin and the build command, and a
 * second request for the same content on this machine returns the finished build.
 *
 * Apps live under .tools/next-<major>/apps/ so that they find the shared node_modules one
 * level up (ensureNext installs next, react and typescript there). The build's fetches go to
 * a loopback origin this helper runs for the build's duration (env FIXTURE_ORIGIN).
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { NEXT_PINS, TS_PINS, type NextMajor } from '../loadtest/app.ts'
import { ensureNext } from '../loadtest/live.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const FIXTURES_DIR = join(ROOT, 'test/fixtures')

/**
 * How each major is built. 16.4 builds with Turbopack by default; 15.5 with webpack, as the
 * live suite builds it (loadtest/live.ts runs plain `next build`).
 */
export const BUILD_ARGS: Readonly<Record<NextMajor, readonly string[]>> = { '16': ['build'], '15': ['build'] }

export interface FixtureBuild {
  /** The built app (a copy of the fixture under .tools/next-<major>/apps/). */
  readonly dir: string
  /** What `next build` printed on stdout: the route table is in it. */
  readonly buildStdout: string
  /** Wall time of the build, seconds; 0 when the build came from the cache. */
  readonly buildS: number
  readonly cached: boolean
}

const MARKER = '.fixture-build.json'

/** Every file of a folder (skipping build output and dependencies), sorted, as path -> bytes. */
function filesOf(dir: string): [string, Buffer][] {
  const out: [string, Buffer][] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.next' || e.name === 'node_modules' || e.name === MARKER) continue
      const full = join(d, e.name)
      if (e.isDirectory()) walk(full)
      else if (e.isFile()) out.push([relative(dir, full).split(sep).join('/'), readFileSync(full)])
    }
  }
  walk(dir)
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

function contentHash(dir: string, major: NextMajor): string {
  const h = createHash('sha256')
  h.update(JSON.stringify({ pins: NEXT_PINS[major], ts: TS_PINS, args: BUILD_ARGS[major] }))
  for (const [path, bytes] of filesOf(dir)) h.update(`\0${path}\0${bytes.length}\0`).update(bytes)
  return h.digest('hex').slice(0, 16)
}

/** Builds of one fixture kept on disk (the gate's tests build several variants of one fixture). */
const KEEP_BUILDS = 8

/** Remove the least recently used finished builds of `name` beyond KEEP_BUILDS (never one being built). */
function prune(apps: string, name: string, keep: string): void {
  const builds = readdirSync(apps)
    .filter((d) => d.startsWith(`${name}-`) && !d.endsWith('.lock') && existsSync(join(apps, d, MARKER)) && !existsSync(join(apps, `${d}.lock`)))
    .map((d) => ({ dir: join(apps, d), usedMs: statSync(join(apps, d, MARKER)).mtimeMs }))
    .sort((a, b) => b.usedMs - a.usedMs)
  for (const b of builds.slice(KEEP_BUILDS)) if (b.dir !== keep) rmSync(b.dir, { recursive: true, force: true })
}

/** A tiny content API for the build's fetches: JSON naming the path, on 127.0.0.1. */
async function startOrigin(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ path, title: `Title of ${path}`, body: `Body of ${path}` }))
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    p.on('error', rej)
    p.on('close', (code) => res({ code, stdout, stderr }))
  })
}

/** A lock folder per build (mkdir is atomic): test files in parallel workers may ask for the same build. */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000
  for (;;) {
    try {
      mkdirSync(path)
      writeFileSync(join(path, 'pid'), String(process.pid))
      break
    } catch {
      let holder = NaN
      try { holder = Number(readFileSync(join(path, 'pid'), 'utf8')) } catch { /* being created */ }
      const alive = (() => { try { process.kill(holder, 0); return true } catch { return false } })()
      const ageMs = (() => { try { return Date.now() - statSync(path).mtimeMs } catch { return 0 } })()
      if (Number.isInteger(holder) && !alive) rmSync(path, { recursive: true, force: true })
      else if (!Number.isInteger(holder) && ageMs > 10_000) rmSync(path, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`fixture build lock ${path} is held by pid ${holder}; remove it if that process is gone`)
      else await sleep(500)
    }
  }
  try { return await fn() } finally { rmSync(path, { recursive: true, force: true }) }
}

/**
 * Copy test/fixtures/<name> (changed by `mutate`, which gets the copy's folder), build it with
 * the real `next build` of `major`, and return where it is. Same content, same build: cached.
 */
export async function buildFixture(name: string, major: NextMajor, mutate?: (dir: string) => void | Promise<void>, log: (l: string) => void = () => {}): Promise<FixtureBuild> {
  const src = join(FIXTURES_DIR, name)
  if (!existsSync(src)) throw new Error(`no fixture app ${src}`)
  const nextDir = ensureNext(major, log)
  const apps = join(nextDir, 'apps')
  mkdirSync(apps, { recursive: true })
  const staging = join(apps, `.staging-${name}-${process.pid}-${Date.now()}`)
  cpSync(src, staging, { recursive: true, filter: (p) => !/[/\\](\.next|node_modules)$/.test(p) })
  let final = ''
  try {
    if (mutate) await mutate(staging)
    final = join(apps, `${name}-${contentHash(staging, major)}`)
  } catch (e) {
    rmSync(staging, { recursive: true, force: true })
    throw e
  }
  const marker = join(final, MARKER)
  const cachedBuild = (): FixtureBuild | undefined => {
    if (!existsSync(marker)) return undefined
    const m = JSON.parse(readFileSync(marker, 'utf8')) as { buildStdout: string }
    const now = new Date()
    utimesSync(marker, now, now) // recently used: kept by prune()
    return { dir: final, buildStdout: m.buildStdout, buildS: 0, cached: true }
  }
  return withLock(`${final}.lock`, async () => {
    const hit = cachedBuild()
    if (hit) { rmSync(staging, { recursive: true, force: true }); return hit }
    rmSync(final, { recursive: true, force: true }) // an interrupted build
    renameSync(staging, final)
    const origin = await startOrigin()
    try {
      const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_IGNORE_INCORRECT_LOCKFILE: '1', FIXTURE_ORIGIN: origin.url }
      log(`next build (${NEXT_PINS[major].next}) of ${name} in ${final} ...`)
      const started = Date.now()
      const r = await run(join(nextDir, 'node_modules/.bin/next'), BUILD_ARGS[major], final, env)
      const buildS = (Date.now() - started) / 1000
      if (r.code !== 0) throw new Error(`next build of fixture ${name} failed (exit ${r.code}); reproduce: cd ${final} && FIXTURE_ORIGIN=<a JSON server> ${join(nextDir, 'node_modules/.bin/next')} ${BUILD_ARGS[major].join(' ')}\n${(r.stdout + r.stderr).slice(-3000)}`)
      writeFileSync(marker, JSON.stringify({ buildStdout: r.stdout, buildS }))
      prune(apps, name, final)
      return { dir: final, buildStdout: r.stdout, buildS, cached: false }
    } finally {
      origin.server.close()
    }
  })
}

// --- The route table `next build` prints: the oracle of isrsim import's tests. -----------------
// Both layouts are read:
// - 16.4: `├   /blog/[slug]` with the marks on the path rows (`│ ├ ● /blog/hello  1m  1w`);
// - 15.5: `├ ● /news/[id]  150 B  103 kB  5m  1y` with unmarked path rows (`├   ├ /news/a  5m  1y`).
// Values sit right-aligned under the "Revalidate" and "Expire" headers.

export type Mark = '○' | '●' | 'ƒ' | '◐'

export interface TableRoute {
  readonly pattern: string
  /** The route's mark; for a 16.4 dynamic pattern, the mark of its path rows (all equal). */
  readonly mark: Mark
  /** Revalidate column ("1m", "" when none). */
  readonly revalidate: string
  readonly expire: string
  /** The concrete paths listed under a dynamic pattern. */
  readonly paths: readonly string[]
  /** "[+N more paths]": the table lists only some paths. */
  readonly morePaths: number
}

const TREE = /[┌├└│]/g

/** Every route of the "Route (app)" (or "Route (pages)") table. Throws when the table is missing or not understood. */
export function parseRouteTable(stdout: string, router: 'app' | 'pages' = 'app'): Map<string, TableRoute> {
  const lines = stdout.split('\n')
  const h = lines.findIndex((l) => l.startsWith(`Route (${router})`))
  if (h < 0) throw new Error(`no "Route (${router})" table in the build output:\n${stdout.slice(-2000)}`)
  const header = lines[h]!
  const revEnd = header.indexOf('Revalidate') + 'Revalidate'.length
  const expEnd = header.indexOf('Expire') + 'Expire'.length
  if (revEnd < 'Revalidate'.length) throw new Error(`the route table has no Revalidate column:\n${header}`)
  const rows: { child: boolean; mark: Mark | undefined; path: string; revalidate: string; expire: string; more: number }[] = []
  for (const line of lines.slice(h + 1)) {
    if (line.trim() === '' || line.startsWith('+') || !/^[┌├└│ ]/.test(line)) break
    const m = /^([┌├└│─\s]*?)([○●ƒ◐λ])?\s*(\/\S*|\[\+(\d+) more paths\])/.exec(line)
    if (!m) throw new Error(`a route table row isrsim's test does not understand: ${JSON.stringify(line)}`)
    const prefix = m[1]!
    const child = (prefix.match(TREE)?.length ?? 0) >= 2 || prefix.startsWith(' ')
    const tokens = [...line.matchAll(/\S+/g)].map((t) => ({ text: t[0], end: t.index + t[0].length }))
    const at = (end: number) => tokens.find((t) => t.end === end)?.text ?? ''
    const revalidate = at(revEnd)
    const expire = expEnd >= 'Expire'.length ? at(expEnd) : ''
    const durations = tokens.filter((t) => /^≈?\d+[smhdwy]$/.test(t.text)).length
    if (durations !== (revalidate ? 1 : 0) + (expire ? 1 : 0)) throw new Error(`route table row: the Revalidate/Expire values are not under their headers: ${JSON.stringify(line)} (header ${JSON.stringify(header)})`)
    rows.push({ child, mark: m[2] === 'λ' ? 'ƒ' : (m[2] as Mark | undefined), path: m[4] === undefined ? m[3]! : '', revalidate, expire, more: m[4] === undefined ? 0 : Number(m[4]) })
  }
  const out = new Map<string, TableRoute>()
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    if (r.child) continue
    const children: typeof rows = []
    // 16.4 with cacheComponents lists the pattern's own fallback shell (◐ /products/[id]) among its paths: not a path.
    for (let j = i + 1; j < rows.length && rows[j]!.child; j++) if (rows[j]!.path !== r.path) children.push(rows[j]!)
    const paths = children.filter((c) => c.path !== '')
    const childMarks = new Set(paths.map((c) => c.mark).filter((x) => x !== undefined))
    if (childMarks.size > 1) throw new Error(`${r.path}: its paths have different marks (${[...childMarks].join(' ')})`)
    const mark = r.mark ?? [...childMarks][0]
    if (mark === undefined) throw new Error(`${r.path}: no mark on the route or its paths`)
    const labels = new Set(paths.map((c) => `${c.revalidate}|${c.expire}`))
    if (labels.size > 1) throw new Error(`${r.path}: its paths have different revalidate/expire (${[...labels].join(', ')})`)
    // 16.4's Pages table puts the values on the pattern's row and the marks on its paths.
    const [rev, exp] = r.mark !== undefined && r.revalidate !== '' ? [r.revalidate, r.expire] : paths.length > 0 && paths[0]!.revalidate !== '' ? [paths[0]!.revalidate, paths[0]!.expire] : [r.revalidate, r.expire]
    out.set(r.path, { pattern: r.path, mark, revalidate: rev ?? '', expire: exp ?? '', paths: paths.map((c) => c.path), morePaths: children.reduce((n, c) => n + c.more, 0) })
  }
  return out
}

const UNITS = [['y', 31_536_000], ['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const

/**
 * Seconds as the table prints them: Next's own rule (next/dist/build/output/format.js,
 * humanReadableTimeRounded): the largest unit that fits, exact or "≈" rounded; a day or week
 * count that is not whole tries the next smaller unit. false / 0 print nothing.
 */
export function formatLikeNext(seconds: number | false): string {
  if (seconds === false || seconds === 0) return ''
  let i = UNITS.findIndex(([, s]) => seconds >= s)
  if (i < 0) i = UNITS.length - 1
  const [label, size] = UNITS[i]!
  const value = seconds / size
  if (!Number.isInteger(value) && (label === 'd' || label === 'w')) {
    const [nl, ns] = UNITS[i + 1]!
    if (Number.isInteger(seconds / ns)) return `${seconds / ns}${nl}`
  }
  return Number.isInteger(value) ? `${value}${label}` : `≈${Math.round(value)}${label}`
}
