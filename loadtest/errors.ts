/** The live driver's error: exit 2 for bad input (the field named), 1 for a part that failed. */
export class LiveError extends Error {
  readonly exitCode: 1 | 2
  constructor(message: string, exitCode: 1 | 2 = 2) { super(message); this.exitCode = exitCode }
}
