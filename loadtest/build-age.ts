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
import { mergeStartStates } from './start-states.ts'

export const BUILD_AGE_UNCERTAINTY_S = 0.25

/** The neighbours to predict besides the measured age, by file-name tag: never below 0, never the measured age again. */
export function neighbourBuildAgesS(measuredS: number): { readonly tag: 'lower' | 'higher'; readonly buildAgeS: number }[] {
  const round = (x: number) => Math.round(x * 1000) / 1000
  const lower = round(Math.max(0, measuredS - BUILD_AGE_UNCERTAINTY_S))
  return [
    ...(lower !== measuredS ? [{ tag: 'lower' as const, buildAgeS: lower }] : []),
    { tag: 'higher' as const, buildAgeS: round(measuredS + BUILD_AGE_UNCERTAINTY_S) },
  ]
}

/** The measured age's verdict, each check's range widened to cover its neighbours' where they differ. */
export function coverBuildAge(measured: { readonly buildAgeS: number; readonly verdict: VerdictJson }, neighbours: readonly { readonly buildAgeS: number; readonly verdict: VerdictJson }[]): VerdictJson {
  const why = `the build age is measured to ±${BUILD_AGE_UNCERTAINTY_S} s (the pages' file times, k6's start), and near a back-off edge that moves this check: its range covers each age, and a run that falls outside them all is a real difference`
  return mergeStartStates([measured, ...neighbours].map((s) => ({ label: `at build age ${s.buildAgeS} s`, verdict: s.verdict })), why)
}
