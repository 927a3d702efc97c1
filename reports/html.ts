/**
 * The report page of an input: a run (with the gate's checks for isrsim check), a sweep or a
 * verdict. Each page starts with its one-line verdict (verdict.ts) and is laid out with the
 * kit (kit.ts). No wall-clock time: the stamp is the scenario hash, seed, model and isrsim
 * versions, so the same input gives the same bytes.
 */
import type { ReportInput } from './load.ts'
import { sweepPage, verdictPage } from './plan-pages.ts'
import { runPage } from './run-page.ts'

/** The whole report page for an input. */
export async function reportHtml(input: ReportInput): Promise<string> {
  switch (input.kind) {
    case 'run': return runPage(input.result, input.gate)
    case 'sweep': return sweepPage(input.header, input.points, input.recommendation)
    case 'verdict': return verdictPage(input.verdict)
  }
}
