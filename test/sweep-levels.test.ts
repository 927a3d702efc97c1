/**
 * Issue 16, items 1 and 2 for sweeps: traffic is a scenario, not a knob. traffic.scale (in
 * --vary or --given) and any --given field split a sweep into levels, each with its own table,
 * frontier, recommendation and verdict line; the report draws the levels side by side. With
 * --constraint, the verdict line names the cheapest point or why no point meets it.
 *
 * Reproduce: node bin/isrsim.js sweep test/fixtures/shop.json --vary routes.product.revalidateS=60,300,3600
 *   --vary deployment.cache=local,shared --given traffic.scale=1,2 --constraint "ageP95S<=600" --out s.jsonl
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analyseSweep, sweepCharts } from '../reports/sweep-charts.ts'
import type { SweepHeader, SweepPoint } from '../sim/contract.ts'
import { cli, type Run } from './cli-run.ts'

const SHOP = 'test/fixtures/shop.json'
const TMP = mkdtempSync(join(tmpdir(), 'isrsim-sweep-levels-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

const read = (file: string) => {
  const [h, ...rest] = readFileSync(file, 'utf8').trim().split('\n')
  return { header: JSON.parse(h!) as SweepHeader, points: rest.map((l) => JSON.parse(l) as SweepPoint) }
}

describe('sweep --given traffic.scale=1,2 on the shop', () => {
  let sweep: Run
  let rec: Run
  beforeAll(async () => {
    ;[sweep, rec] = await Promise.all([
      cli('sweep', SHOP, '--vary', 'routes.product.revalidateS=60,300,3600', '--vary', 'deployment.cache=local,shared', '--given', 'traffic.scale=1,2', '--constraint', 'ageP95S<=600', '--workers', '1', '--out', join(TMP, 's.jsonl'), '--report', join(TMP, 's.html')),
      cli('recommend', SHOP, '--routes', 'product', '--candidates', '60,300,3600', '--vary', 'deployment.cache=local,shared', '--given', 'traffic.scale=1,2', '--constraint', 'ageP95S<=600', '--exhaustive', '--workers', '1', '--out', join(TMP, 'r.json')),
    ])
  }, 120_000)

  it('one table and one verdict line per level; each verdict is the exhaustive recommendation of that level', () => {
    expect(sweep.code, sweep.stderr).toBe(0)
    expect(rec.code, rec.stderr).toBe(0)
    expect(sweep.stdout).toMatch(/^\[traffic\.scale=1\]$/m)
    expect(sweep.stdout).toMatch(/^\[traffic\.scale=2\]$/m)
    const verdicts = sweep.stdout.split('\n').filter((l) => l.includes('verdict: '))
    expect(verdicts).toHaveLength(2)
    const answers = (JSON.parse(readFileSync(join(TMP, 'r.json'), 'utf8')) as { answers: { given: Record<string, number>; best: { setting: Record<string, string>; assignment: Record<string, number> } }[] }).answers
    answers.forEach((a, i) => {
      expect(verdicts[i]).toContain(`[traffic.scale=${a.given['traffic.scale']}] verdict: routes.product.revalidateS=${a.best.assignment.product} deployment.cache=${a.best.setting['deployment.cache']}: cost.monthlyUsd $`)
    })
  })

  it('the report analysis keeps the levels apart: a frontier, a recommendation and a panel each', () => {
    const { header, points } = read(join(TMP, 's.jsonl'))
    expect(header.given).toEqual(['traffic.scale'])
    const a = analyseSweep(header, points)
    expect(a.levels.map((l) => l.label)).toEqual(['traffic.scale=1', 'traffic.scale=2'])
    for (const l of a.levels) {
      expect(l.rows).toHaveLength(6)
      expect(l.rows.every((r) => r.point.vary['traffic.scale'] === l.given['traffic.scale'])).toBe(true)
      // Frontier within the level: brute force over its own points only.
      for (const r of l.rows) {
        const beaten = l.rows.some((b) => b !== r && b.cost <= r.cost && b.x <= r.x && (b.cost < r.cost || b.x < r.x))
        expect(r.frontier, `${l.label} ${r.label}`).toBe(!beaten)
      }
      expect(l.recommended!.vary['deployment.cache']).toBe('shared')
      expect(l.current!.vary).toMatchObject({ 'routes.product.revalidateS': 3600, 'deployment.cache': 'local' })
    }
    // Scale 2 costs more: one frontier across levels would drop every scale-2 point that scale 1 beats.
    const cheap2 = Math.min(...a.levels[1]!.rows.map((r) => r.cost))
    expect(a.levels[0]!.rows.some((r) => r.cost < cheap2)).toBe(true)
    expect(a.levels[1]!.rows.some((r) => r.frontier)).toBe(true)
    expect(a.recommended).toBeNull()
    const charts = sweepCharts(header, a)
    for (const c of charts) expect((c.spec as { hconcat?: unknown[] }).hconcat).toHaveLength(2)
    expect(readFileSync(join(TMP, 's.html'), 'utf8')).toContain('traffic.scale=2')
  })

  it('traffic.scale in --vary splits into levels too; no point meeting the bound prints the binding cause', async () => {
    const r = await cli('sweep', SHOP, '--vary', 'routes.product.revalidateS=60,300', '--vary', 'traffic.scale=1,2', '--constraint', 'ageP95S<=240', '--workers', '1', '--out', join(TMP, 't.jsonl'))
    expect(r.code, r.stderr).toBe(0)
    expect(read(join(TMP, 't.jsonl')).header.given).toEqual(['traffic.scale'])
    const verdicts = r.stdout.split('\n').filter((l) => l.includes('verdict: '))
    expect(verdicts).toHaveLength(2)
    expect(verdicts[0]).toMatch(/^\[traffic\.scale=1\] verdict: no point meets ageP95S<=240: at the point closest to it \(routes\.product\.revalidateS=60\) staleness\.ageP95S is .*driven by product/)
    expect(verdicts[0]).toMatch(/(checked: .* reaches|none of the checked changes reaches it)/)
  })
})
