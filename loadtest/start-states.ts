/**
 * A deployment's cache state when a comparison starts is unknown from outside (how old its
 * prerendered pages are, which paths it has cached), and even a local run knows its build's age
 * only to a fraction of a second. `loadtest --target`, `isrsim replay` and a local `loadtest`
 * (build-age.ts) therefore predict a few start states and merge the checks by one rule: where a
 * state moves a check's prediction by more than a quarter of its accepted range, the range
 * becomes the hull of every state's range and a note names each state's prediction; elsewhere
 * the check is the first state's, unchanged.
 */
import type { VerdictCheck as Check, VerdictJson } from '../sim/contract.ts'

const key = (c: Check) => `${c.scope}\u0000${c.metric}`
const fmt = (metric: string, x: number) => (metric.includes('fraction') ? `${(x * 100).toFixed(1)}%` : metric.includes('(s)') ? `${x.toFixed(2)} s` : x.toFixed(1))

/** `why` opens each note: it says what is unknown and what the user can do about it. */
export function combineStartStates(states: readonly { readonly label: string; readonly checks: readonly Check[] }[], why: string): Check[] {
  const [first, ...others] = states
  if (!first) return []
  const byKey = others.map((s) => new Map(s.checks.map((c) => [key(c), c])))
  return first.checks.map((c) => {
    const alt = byKey.map((m) => m.get(key(c)))
    const shift = Math.max(0, ...alt.map((a) => (a ? Math.abs(a.predicted - c.predicted) : 0)))
    if (!(shift > (c.high - c.low) / 4)) return c
    const all = [c, ...alt.filter((a): a is Check => a !== undefined)]
    const low = Math.min(...all.map((a) => a.low))
    const high = Math.max(...all.map((a) => a.high))
    const said = states.map((s, i) => { const a = i === 0 ? c : alt[i - 1]; return a ? `${fmt(c.metric, a.predicted)} ${s.label}` : null }).filter((x) => x !== null)
    const note = `${why}. Predicted ${said.join('; ')}: the range covers them all`
    const ok = c.observed >= low - 1e-9 && c.observed <= high + 1e-9
    return { ...c, low, high, verdict: ok ? 'PASS' : 'FAIL', note: c.note ? `${note}. ${c.note}` : note }
  })
}

/** One verdict from the verdicts of several start states (the first is the one reported), by the rule above. */
export function mergeStartStates(states: readonly { readonly label: string; readonly verdict: VerdictJson }[], why: string): VerdictJson {
  const first = states[0]
  if (!first) throw new Error('mergeStartStates: no verdicts')
  const checks = combineStartStates(states.map((s) => ({ label: s.label, checks: s.verdict.checks })), why)
  return { ...first.verdict, pass: checks.every((c) => c.verdict !== 'FAIL'), checks }
}
