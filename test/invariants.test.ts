/**
 * The model's end-of-run invariants (sim/isr/invariants.ts, run by IsrModel.finish after every
 * run, so after every property run too): each holds on real runs, and each fails when a real
 * end state is broken on purpose, with a message that says which invariant and where.
 * Reproduce one: npx vitest run test/invariants.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { createEngine } from '../sim/kernel/engine.ts'
import { InvariantError, parseScenario, type ScenarioInput } from '../sim/index.ts'
import { CAUSE_COLD, CAUSE_TIME, checkEndState, RENDER_CAUSES, type EndState } from '../sim/isr/invariants.ts'
import { createIsrModel, type IsrModel } from '../sim/isr/model.ts'
import { profileFor } from '../sim/isr/profiles.ts'
import { BACKGROUND, Metrics } from '../sim/isr/metrics.ts'
import { createStreams } from '../sim/kernel/rng.ts'
import { seriesBinS } from '../sim/run.ts'
import { secToUs } from '../sim/kernel/time.ts'
import { richScenario } from './goldens/rich.ts'

/** One run as runScenario makes it, stopped before the checks: the model and its end state. */
function runToEnd(input: ScenarioInput, seed: string): { model: IsrModel; state: EndState } {
  const s = parseScenario(input)
  const durationUs = secToUs(s.durationS)
  const metrics = new Metrics(s.routes.length, secToUs(s.warmupS), secToUs(seriesBinS(s.durationS)), durationUs)
  const engine = createEngine()
  const model = createIsrModel(s, profileFor(s.next.version), createStreams(seed), metrics, engine, null)
  model.start()
  engine.run({ untilUs: durationUs, dispatch: model.dispatch, lane: model.lane, maxEvents: 1e8 })
  metrics.finish()
  return { model, state: model.endState(durationUs) }
}

/** The rich golden scenario (every feature) on 16.4 with local caches, 3 instances, data changes. */
const rich = () => runToEnd(richScenario('16.4', 'local'), 'inv')
const ri = (s: EndState, id: string) => s.routes.findIndex((r) => r.id === id)
/** A free (instance 0, path) slot of a cached route. */
function freeSlot(s: EndState, id: string): number {
  const r = s.routes[ri(s, id)]!
  for (let p = r.firstPath; p < r.firstPath + r.count; p++) if (s.slots[p * s.layout.stride + s.layout.inflight] === 0) return p
  throw new Error(`no free slot on ${id}`)
}
const only = (broken: string[], prefix: string) => {
  expect(broken.length, broken.join('\n')).toBeGreaterThan(0)
  for (const b of broken) expect(b.startsWith(`${prefix}:`), b).toBe(true)
}

describe('end-of-run invariants', () => {
  test('hold on real runs: every version and cache kind of the rich scenario', () => {
    for (const v of ['14', '15', '16.0', '16.3', '16.4'] as const) {
      for (const cache of ['local', 'shared'] as const) {
        const { state } = runToEnd(richScenario(v, cache), 'inv')
        expect(checkEndState(state), `rich ${v} ${cache}`).toEqual([])
        // The checks see real work: renders of every cause family, and data.
        expect(state.cachedRendersStarted, `rich ${v} ${cache}`).toBeGreaterThan(1000)
        expect([...state.freshness!.changeTimes.values()].some((t) => t.length > 0), `rich ${v} ${cache}`).toBe(true)
      }
    }
  })

  test('conservation: an arrival without an outcome', () => {
    const { state } = rich()
    state.arrived[ri(state, 'post')]! += 1
    const broken = checkEndState(state)
    only(broken, 'conservation')
    expect(broken[0]).toMatch(/^conservation: route post: \d+ requests arrived but \d+ outcomes were recorded$/)
  })

  test('one render in flight per (instance, path): a render held that never started, one that ended unwritten, one on a dynamic route', () => {
    const { state } = rich()
    const L = state.layout
    const p = freeSlot(state, 'post')
    state.slots[p * L.stride + L.inflight] = 2
    state.slots[p * L.stride + L.inflightStartUs] = state.nowUs - 10
    state.slots[p * L.stride + L.inflightEndUs] = state.nowUs + 10
    only(checkEndState(state), 'in flight')
    expect(checkEndState(state).join('\n')).toMatch(/cached renders started and \d+ finished, but \d+ are held in flight/)
    // Counted as started, but its end is past and it was never written.
    state.slots[p * L.stride + L.inflightEndUs] = state.nowUs - 1
    const started = { ...state, cachedRendersStarted: state.cachedRendersStarted + 1 }
    expect(checkEndState(started)).toEqual([`in flight: route post path #${p - state.routes[ri(state, 'post')]!.firstPath} on instance 0: render ended at ${state.nowUs - 1} µs, before the end (${state.nowUs} µs), but was never written`])
    state.slots[p * L.stride + L.inflight] = 0
    const d = state.routes[ri(state, 'feed')]!.firstPath
    state.slots[d * L.stride + L.inflight] = 1
    state.slots[d * L.stride + L.inflightEndUs] = state.nowUs + 5
    expect(checkEndState(started).join('\n')).toMatch(/^in flight: route feed path #0 on instance 0: a dynamic route holds a cached render$/)
  })

  test('render causes: a render counted without a cause, and an invalidation claiming more renders than it touched entries', () => {
    const { state } = rich()
    const post = ri(state, 'post')
    state.rendersByMode[post * 3 + BACKGROUND]! += 1
    const broken = checkEndState(state)
    expect(broken.some((b) => /^render causes: route post: \d+ renders, but \d+ have a cause/.test(b)), broken.join('\n')).toBe(true)
    state.rendersByMode[post * 3 + BACKGROUND]! -= 1
    expect(checkEndState(state)).toEqual([])
    const ev = state.eventStats[0]!
    ev.rendersWithin1d = ev.entriesTouched + 1
    expect(checkEndState(state).join('\n')).toMatch(/^render causes: invalidation #0: renders within 1 min \d+, 1 h \d+, 1 day \d+ must grow and stay within the \d+ entries it touched/)
    ev.rendersWithin1d = ev.rendersWithin1h
    expect(checkEndState(state)).toEqual([])
    expect(checkEndState({ ...state, tagRendersSinceStart: 0 })).toEqual([expect.stringMatching(/^render causes: invalidations claim \d+ renders, but tags caused 0$/)])
  })

  test('renders = background + blocking + dynamic: a blocking render counted as a background cause', () => {
    const { state } = rich()
    const o = ri(state, 'post') * RENDER_CAUSES
    expect(state.rendersByCause[o + CAUSE_COLD]).toBeGreaterThan(0)
    state.rendersByCause[o + CAUSE_COLD]! -= 1
    state.rendersByCause[o + CAUSE_TIME]! += 1
    const broken = checkEndState(state)
    only(broken, 'render modes')
    expect(broken).toEqual([expect.stringMatching(/^render modes: route post: \d+ background renders, but their causes \(stale by time, stale tag, res\.revalidate\) count \d+$/), expect.stringMatching(/^render modes: route post: \d+ blocking renders/)])
  })

  test('ages >= 0: a response with content but no age, and an entry whose content is newer than it or from the future', () => {
    const { state } = rich()
    state.aged[ri(state, 'home')]! -= 1
    only(checkEndState(state), 'ages')
    state.aged[ri(state, 'home')]! += 1
    const L = state.layout
    const h = state.routes[ri(state, 'home')]!.firstPath
    state.slots[h * L.stride + L.contentAtUs] = state.slots[h * L.stride + L.lastModUs]! + 1
    expect(checkEndState(state)).toEqual([expect.stringMatching(/^ages: route home path #0: content \(-?\d+ µs\) newer than its entry/)])
    state.slots[h * L.stride + L.lastModUs] = state.nowUs + 2
    expect(checkEndState(state)).toEqual([expect.stringMatching(/^ages: route home path #0: lastModified \d+ µs is in the future/)])
  })

  test('data versions never go backwards: a change older than the one before, reflected changes out of order, data read after its entry was written', () => {
    const fresh = () => { const { state } = rich(); return { state, fr: state.freshness!, k: [...state.freshness!.changeTimes].find(([, t]) => t.length >= 2)![0] } }
    let { state, fr, k } = fresh()
    const times = fr.changeTimes.get(k) as number[]
    times.push(times[0]! - 1)
    expect(checkEndState(state).join('\n')).toMatch(new RegExp(`^data versions: key ${k}: change ${times.length - 1} at`))
    ;({ state, fr, k } = fresh())
    // A change reflected while an older one is not.
    ;(fr.unreflected.get(k) as number[]).splice(0, Infinity, fr.changeTimes.get(k)![0]!)
    expect(checkEndState(state).some((b) => b.startsWith(`data versions: key ${k}: the unreflected changes`))).toBe(true)
    ;({ state, fr } = fresh())
    const rows = state.dataCache.rows
    const row = rows.has.findIndex((x) => x === 1)
    rows.dataAtUs[row] = rows.lastModUs[row]! + 1
    only(checkEndState(state), 'data versions')
    ;({ state, fr } = fresh())
    const L = state.layout
    const h = state.routes[ri(state, 'home')]!.firstPath
    fr.pageData[h * fr.maxF] = state.slots[h * L.stride + L.lastModUs]! + 1
    expect(checkEndState(state)).toEqual([expect.stringMatching(/^data versions: route home path #0: fetch 0's data read at -?\d+ µs, after the entry was written/)])
  })

  test('finish() throws an InvariantError naming every broken invariant', () => {
    const { model, state } = rich()
    expect(() => model.finish(state.nowUs)).not.toThrow()
    const L = state.layout
    const h = state.routes[ri(state, 'home')]!.firstPath
    state.slots[h * L.stride + L.contentAtUs] = state.nowUs + 1
    state.rendersByMode[0]! += 1
    expect(() => model.finish(state.nowUs)).toThrow(InvariantError)
    expect(() => model.finish(state.nowUs)).toThrow(/invariants broken:\n {2}render causes: route home[^\n]*\n {2}render modes: route home[^\n]*\n {2}ages: route home path #0: content/)
  })
})
