/**
 * A local live run is predicted with the build age it measured: from the newest prerendered
 * page's file time to k6's start (live.ts). Next itself ages each page from its own file time
 * and each request lands a few milliseconds after k6 planned it, so that age is known only to
 * within BUILD_AGE_UNCERTAINTY_S. Where a page's revalidate cycle falls near an outage's end, a
 * few tens of milliseconds decide whether a retry fails and the page waits one more back-off
 * period (docs/semantics.md §3): the age p95 jumps by seconds. The prediction therefore covers
 * the measured age and its neighbours, merged by the one start-state rule (start-states.ts):
 * checks they agree on are unchanged.
 */
import type { VerdictJson } from '../sim/contract.ts'
import { combineStartStates } from './start-states.ts'

export const BUILD_AGE_UNCERTAINTY_S = 0.25

/** The build ages to predict besides the measured one (never below 0, never the measured one again). */
export function neighbourBuildAges(measuredS: number): number[] {
  const round = (x: number) => Math.round(x * 1000) / 1000
  return [round(Math.max(0, measuredS - BUILD_AGE_UNCERTAINTY_S)), round(measuredS + BUILD_AGE_UNCERTAINTY_S)].filter((b) => b !== measuredS)
}

/** The measured age's verdict, each check's range widened to cover its neighbours' where they differ. */
export function coverBuildAge(measured: { readonly buildAgeS: number; readonly verdict: VerdictJson }, neighbours: readonly { readonly buildAgeS: number; readonly verdict: VerdictJson }[]): VerdictJson {
  const why = `the build age is measured to ±${BUILD_AGE_UNCERTAINTY_S} s (the pages' file times, k6's start)`
  const checks = combineStartStates([measured, ...neighbours].map((s) => ({ label: `at build age ${s.buildAgeS} s`, checks: s.verdict.checks })), why)
  return { ...measured.verdict, pass: checks.every((c) => c.verdict !== 'FAIL'), checks }
}
