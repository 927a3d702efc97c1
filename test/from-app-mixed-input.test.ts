/**
 * `isrsim import` of a mixed App + Pages Router build whose manifests were damaged after a real
 * `next build` (test/fixtures/app-mixed, next 16.4.6): exit 2, a message naming the file and
 * the field with what is wrong and what to do, no stack trace, nothing written.
 *
 * Reproduce: npx vitest run test/from-app-mixed-input.test.ts
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixture, type FixtureBuild } from './fixture-apps.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'isrsim-import-mixed-bad-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let build: FixtureBuild
beforeAll(async () => { build = await buildFixture('app-mixed', '16') }, 600_000)

/** A copy of the real build with one manifest changed by `damage` (its parsed JSON, or its text). */
function damaged(name: string, file: string, damage: (json: Record<string, unknown>) => unknown): string {
  const dir = join(scratch, name)
  cpSync(build.dir, dir, { recursive: true })
  const f = join(dir, '.next', file)
  const out = damage(JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>)
  writeFileSync(f, typeof out === 'string' ? out : JSON.stringify(out))
  return dir
}

function expectRefused(dir: string, ...says: RegExp[]): void {
  const out = join(scratch, `out-${Math.random().toString(36).slice(2)}.json`)
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'import', dir, '--out', out], { cwd: ROOT, encoding: 'utf8' })
  const why = `isrsim import ${dir}: ${r.stderr}`
  expect(r.status, why).toBe(2)
  expect(existsSync(out), why).toBe(false)
  expect(r.stderr, why).not.toMatch(/\n\s+at /)
  for (const s of says) expect(r.stderr, why).toMatch(s)
}

describe('isrsim import of a damaged mixed build: exit 2 naming the file and field', () => {
  it('the undamaged copy imports (the damage alone is refused)', () => {
    const dir = damaged('intact', 'server/pages-manifest.json', (j) => j)
    const out = join(scratch, 'intact.json')
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'import', dir, '--out', out], { cwd: ROOT, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(existsSync(out)).toBe(true)
  })

  it('a pages-manifest.json whose page maps to a number', () => {
    const dir = damaged('pages-number', 'server/pages-manifest.json', (j) => ({ ...j, '/about': 5 }))
    expectRefused(dir, /server\/pages-manifest\.json: \/about: .*expected string/, /Pages Router manifest/, /run next build again/)
  })

  it('a pages-manifest.json that is not JSON', () => {
    const dir = damaged('pages-truncated', 'server/pages-manifest.json', (j) => JSON.stringify(j).slice(0, 40))
    expectRefused(dir, /server\/pages-manifest\.json: not valid JSON/, /run next build again/)
  })

  it('a prerender-manifest.json whose Pages route fallback is a number', () => {
    const dir = damaged('fallback-number', 'prerender-manifest.json', (j) => {
      const dyn = j.dynamicRoutes as Record<string, Record<string, unknown>>
      dyn['/guides/[slug]'] = { ...dyn['/guides/[slug]'], fallback: 7 }
      return j
    })
    expectRefused(dir, /prerender-manifest\.json: dynamicRoutes\.\/guides\/\[slug\]\.fallback: /, /prerender manifest/)
  })

  it('a Pages path whose initialRevalidateSeconds is a string', () => {
    const dir = damaged('revalidate-string', 'prerender-manifest.json', (j) => {
      const routes = j.routes as Record<string, Record<string, unknown>>
      routes['/about'] = { ...routes['/about'], initialRevalidateSeconds: '600' }
      return j
    })
    expectRefused(dir, /prerender-manifest\.json: routes\.\/about\.initialRevalidateSeconds: /)
  })

  it('a required-server-files.json whose cacheLife profile has a negative revalidate', () => {
    const dir = damaged('cachelife-negative', 'required-server-files.json', (j) => {
      const config = j.config as Record<string, unknown>
      config.cacheLife = { ...(config.cacheLife as Record<string, unknown>), quarter: { stale: 120, revalidate: -1, expire: 86400 } }
      return j
    })
    expectRefused(dir, /required-server-files\.json: config\.cacheLife\.quarter\.revalidate: /, /server config/)
  })
})
