/** A broken model or engine invariant. Carries where it happened; run.ts adds the reproduce line. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError'
  readonly atUs: number | undefined
  constructor(message: string, atUs?: number) {
    super(message)
    this.atUs = atUs
  }
}

/** A usage or input problem outside the scenario itself (a flag, a file, a sweep or shard file): exit 2. */
export class UsageError extends Error {}

export function assert(condition: boolean, message: () => string, atUs?: number): asserts condition {
  if (!condition) throw new InvariantError(message(), atUs)
}

/** One issue with a scenario: the field path, what was received, what is allowed. */
export interface ScenarioIssue {
  readonly path: string
  readonly message: string
  readonly received?: unknown
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError'
  readonly issues: readonly ScenarioIssue[]
  constructor(issues: readonly ScenarioIssue[], source?: string) {
    super(formatIssues(issues, source))
    this.issues = issues
  }
}

export function formatIssues(issues: readonly ScenarioIssue[], source?: string): string {
  const head = `${source ?? 'scenario'}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`
  return [head, ...issues.map((i) => `  ${i.path || '(root)'}: ${i.message}${'received' in i ? `; received ${show(i.received)}` : ''}`)].join('\n')
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)'
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s
}

export function assertNever(x: never): never {
  throw new InvariantError(`unexpected variant ${JSON.stringify(x)}`)
}
