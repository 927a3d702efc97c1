/** Files other commands write, which reports read: sweeps, gates, verdicts. Types only. */
import type { Interval, SimResult, Warning } from './result.ts'

export interface Vary {
  readonly path: string
  readonly values: readonly (string | number | boolean)[]
}

/** A `--constraint` of a sweep: a canonical metric path ("staleness.ageP95S") and a bound. */
export interface SweepConstraint {
  readonly metric: string
  readonly op: '<' | '<=' | '>' | '>=' | '==' | '!='
  readonly value: number
  readonly text: string
}

/** The first line of a sweep file (JSON lines). */
export interface SweepHeader {
  readonly kind: 'sweep'
  readonly sweepVersion: 1
  readonly isrsimVersion: string
  readonly modelVersion: string
  readonly scenario: { readonly name: string; readonly hash: string }
  readonly seed: string
  readonly replications: number
  readonly pricing: { readonly name: string; readonly date: string }
  readonly vary: readonly Vary[]
  /** The scenario's own value at each --vary path (null where unset): the "current" point. */
  readonly current: Readonly<Record<string, string | number | boolean | null>>
  readonly constraints?: readonly SweepConstraint[]
  /**
   * Fields of `vary` given as levels (`--given traffic.scale=1,2`): each level is answered on its
   * own (its frontier, recommendation and table), never compared with another level's points.
   */
  readonly given?: readonly string[]
  readonly points: number
  readonly shard?: string
}

/** A point's result in a sweep file: the SimResult without its time series and age CDFs (kept small). */
export type PointResult = Omit<SimResult, 'series' | 'ageCdf'>

/** Every later line of a sweep file. */
export interface SweepPoint {
  readonly kind: 'point'
  readonly index: number
  readonly vary: Readonly<Record<string, string | number | boolean>>
  readonly result: PointResult
}

/** A threshold of `isrsim check`: a metric against a k6-style condition. */
export interface ThresholdCheck {
  readonly kind: 'threshold'
  readonly metric: string
  readonly condition: string
  readonly value: number
  readonly interval?: Interval
  readonly pass: boolean
  /** On a failure: the route that drives the figure and why (its structure change or what sets its revalidate). */
  readonly cause?: string
}

/** A baseline comparison of `isrsim check`: worse by more than the tolerance with disjoint intervals fails. */
export interface BaselineCheck {
  readonly kind: 'baseline'
  readonly metric: string
  readonly better: 'lower' | 'higher'
  readonly value: number
  readonly baseline: number
  /** Relative change, signed so that positive is worse. */
  readonly worseBy: number
  readonly interval?: Interval
  readonly baselineInterval?: Interval
  readonly pass: boolean
  readonly why: string
  /** On a failure: the route that drives the change and why (its structure change or what sets its revalidate). */
  readonly cause?: string
}

/**
 * A route whose caching structure changed against the baseline: a cached route that became
 * dynamic, a lowered effective revalidate, fewer prebuilt paths. Such a change fails the gate
 * whatever the thresholds say (it is code, not noise); `change: 'none'` passes.
 */
export interface StructureCheck {
  readonly kind: 'structure'
  readonly route: string
  readonly pattern: string
  /**
   * Against the baseline: became-dynamic, revalidate-lowered, fewer-prebuilt. Without one (or for
   * a new route): dynamic-unintended (asks to be cached, made dynamic by a layout, segment or
   * fetch, no `intent: "dynamic"`) and revalidate-lowered (below what its page declares).
   */
  readonly change: 'became-dynamic' | 'revalidate-lowered' | 'fewer-prebuilt' | 'dynamic-unintended' | 'none'
  readonly baseline: string
  readonly value: string
  readonly pass: boolean
  /** One sentence naming the route, and the file and cause where the result knows them. */
  readonly why: string
}

export interface GateReport {
  readonly scenario: { readonly name: string; readonly hash: string }
  readonly seed: string
  readonly replications: number
  readonly baseline?: { readonly hash: string; readonly seed: string; readonly replications: number; readonly modelVersion?: string }
  /** With a baseline made by another model version: differences may be the model's, not the code's. */
  readonly modelNote?: string
  /** With a baseline run in another mode (exact or fast, docs/fast-mode.md): the two draw different requests, so they differ by noise even where nothing changed. */
  readonly modeNote?: string
  readonly tolerance: number
  readonly checks: readonly (ThresholdCheck | BaselineCheck | StructureCheck)[]
  readonly pass: boolean
  /** With a baseline: this result's warnings whose code and route the baseline did not have (listed, not failed). */
  readonly newWarnings?: readonly Warning[]
}

export type Verdict = 'PASS' | 'FAIL' | 'SKIP'

/** One predicted-vs-observed comparison of `isrsim verify`. */
export interface VerdictCheck {
  readonly scope: string
  readonly metric: string
  readonly predicted: number
  readonly low: number
  readonly high: number
  readonly observed: number
  readonly verdict: Verdict
  /** What set the range: the replications' spread or the tolerance. */
  readonly by: 'spread' | 'tolerance'
  readonly note?: string
}

/** What `isrsim verify --out` and `isrsim loadtest` write. */
export interface VerdictJson {
  readonly verdictVersion: 1
  /**
   * What was held against the prediction: a live load test's responses (`isrsim verify`,
   * `isrsim loadtest`) or the cache statuses of a production access log (`isrsim replay`).
   * Absent in verdicts written before replays existed: read as "live".
   */
  readonly kind?: 'live' | 'replay'
  readonly scenario: { readonly name: string; readonly hash: string }
  /** The prediction's seed and versions (absent in verdicts written before isrsim 0.1's reports). */
  readonly seed?: string
  readonly modelVersion?: string
  readonly isrsimVersion?: string
  readonly replications: number
  readonly pass: boolean
  readonly checks: readonly VerdictCheck[]
}
