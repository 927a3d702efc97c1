/**
 * `isrsim import` on bad input: exit 2, a message that says what to do, nothing written.
 * A folder that does not exist, an app never built, a `.next` written by a real `next dev`
 * (16.4: .next/dev/; 15.5: an empty prerender-manifest.json and no BUILD_ID), a Pages Router
 * app, and a real build whose manifests were damaged afterwards.
 *
 * Reproduce: npx vitest run test/from-app-input.test.ts
 */
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureNext } from '../loadtest/live.ts'
import { buildFixture, FIXTURES_DIR, type FixtureBuild } from './fixture-apps.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'isrsim-import-bad-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Run `isrsim import <dir> --out <file>`: exit code, stderr, and whether the file was written. */
function importTo(dir: string): { status: number | null; stderr: string; wrote: boolean } {
  const out = join(scratch, `out-${Math.random().toString(36).slice(2)}.json`)
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'import', dir, '--out', out], { cwd: ROOT, encoding: 'utf8' })
  return { status: r.status, stderr: r.stderr, wrote: existsSync(out) }
}

function expectRefused(dir: string, ...says: RegExp[]): void {
  const r = importTo(dir)
  const why = `isrsim import ${dir}: ${r.stderr}`
  expect(r.status, why).toBe(2)
  expect(r.wrote, why).toBe(false)
  expect(r.stderr, why).not.toMatch(/\n\s+at /) // no stack trace
  for (const s of says) expect(r.stderr, why).toMatch(s)
}

const freePort = () => new Promise<number>((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)) }) })

/** Start the real `next dev` on a copy of a fixture, wait until it is ready (and served a page), stop it. */
async function runNextDev(name: string, major: '16' | '15'): Promise<string> {
  const nextDir = ensureNext(major, () => {})
  const dir = join(nextDir, 'apps', `.dev-${name}-${process.pid}`)
  rmSync(dir, { recursive: true, force: true })
  cpSync(join(FIXTURES_DIR, name), dir, { recursive: true })
  const port = await freePort()
  const p = spawn(join(nextDir, 'node_modules/.bin/next'), ['dev', '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', FIXTURE_ORIGIN: 'http://127.0.0.1:9' } })
  try {
    let out = ''
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`next dev did not get ready in 60 s:\n${out}`)), 60_000)
      const on = (b: Buffer) => { out += b.toString(); if (/Ready in/.test(out)) { clearTimeout(timer); res() } }
      p.stdout.on('data', on)
      p.stderr.on('data', on)
      p.on('exit', (code) => rej(new Error(`next dev exited (${code}):\n${out}`)))
    })
    await fetch(`http://127.0.0.1:${port}/about`).catch(() => undefined)
  } finally {
    if (p.pid !== undefined) { try { process.kill(-p.pid, 'SIGTERM') } catch { /* already gone */ } }
    await new Promise((r) => setTimeout(r, 500))
  }
  return dir
}

describe('isrsim import: bad input exits 2 with what to do, and writes nothing', () => {
  it('a folder that does not exist', () => {
    expectRefused(join(scratch, 'nope'), /does not exist/, /folder of your Next\.js app/)
  })

  it('an app that was never built: "run next build first"', () => {
    const dir = join(scratch, 'unbuilt')
    cpSync(join(FIXTURES_DIR, 'app-next16'), dir, { recursive: true })
    expectRefused(dir, /no \.next folder: run next build first/)
  })

  it('a Pages Router app (imported since issue 17) that was never built: "run next build first"', () => {
    const dir = join(scratch, 'pages-only')
    mkdirSync(join(dir, 'pages'), { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{"name":"pages-only"}\n')
    writeFileSync(join(dir, 'pages/index.jsx'), 'export default function Home() { return <h1>Hi</h1> }\n')
    expectRefused(dir, /no \.next folder: run next build first/)
  })

  it('a folder that is not a Next.js app', () => {
    const dir = join(scratch, 'empty')
    mkdirSync(dir, { recursive: true })
    expectRefused(dir, /no app\/, src\/app\/, pages\/ or src\/pages\/ folder/)
  })

  it.each([['app-next16', '16'], ['app-next15', '15']] as const)('a .next written by the real next dev (%s): "run next build first"', async (name, major) => {
    const dir = await runNextDev(name, major)
    try {
      expect(existsSync(join(dir, '.next'))).toBe(true)
      expectRefused(dir, /is from next dev/, /run next build first/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  describe('a real build with a damaged manifest names the file', () => {
    let built: FixtureBuild
    beforeAll(async () => { built = await buildFixture('app-next16', '16') }, 600_000)
    const damaged = (label: string, file: string, text: string) => {
      const dir = join(scratch, `damaged-${label}`)
      cpSync(built.dir, dir, { recursive: true, filter: (p) => !p.includes(`${join('.next', 'cache')}`) && !p.includes('node_modules') })
      writeFileSync(join(dir, '.next', file), text)
      return dir
    }
    it('prerender-manifest.json cut short', () => {
      const dir = damaged('truncated', 'prerender-manifest.json', '{"version":4,"routes":{"/":{"initialRevalid')
      expectRefused(dir, /prerender-manifest\.json: not valid JSON/, /run next build again/)
    })
    it('prerender-manifest.json with a revalidate Next never writes', () => {
      const dir = damaged('shape', 'prerender-manifest.json', JSON.stringify({ version: 4, routes: { '/': { initialRevalidateSeconds: 'soon', srcRoute: '/' } }, dynamicRoutes: {} }))
      expectRefused(dir, /prerender-manifest\.json: routes\.\/\.initialRevalidateSeconds/)
    })
    it('server/app-paths-manifest.json that is not an object of paths', () => {
      const dir = damaged('paths', 'server/app-paths-manifest.json', '[1, 2, 3]')
      expectRefused(dir, /app-paths-manifest\.json: the file/)
    })
    it('prerender-manifest.json missing from a build', () => {
      const dir = damaged('missing', 'BUILD_ID', 'x')
      rmSync(join(dir, '.next/prerender-manifest.json'))
      expectRefused(dir, /prerender-manifest\.json is missing: the build is incomplete/)
    })
  })
})
