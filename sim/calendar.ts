/**
 * The event calendar: a binary min-heap over parallel typed arrays, so scheduling an
 * event allocates nothing. Events are totally ordered by (atUs, rank, seq), as in
 * SimPy's (time, priority, eid): ties never depend on heap internals.
 *
 * An event's payload is two integers (kind, arg); the model gives them meaning.
 */

/** rank and seq share one float64 key: rank·2^48 + seq (exact while seq < 2^48). */
const SEQ_SPAN = 2 ** 48
export const MAX_RANK = 31

export class Calendar {
  // Plain (not #private) fields: V8 ran #private ones markedly slower on this hot path.
  private at: Float64Array
  private key: Float64Array
  private kind: Int32Array
  private arg: Int32Array
  private n = 0
  private seqNext = 0

  constructor(initialCapacity = 64) {
    this.at = new Float64Array(initialCapacity)
    this.key = new Float64Array(initialCapacity)
    this.kind = new Int32Array(initialCapacity)
    this.arg = new Int32Array(initialCapacity)
  }

  get size(): number { return this.n }
  /** Number of events ever scheduled (the next seq). */
  get scheduled(): number { return this.seqNext }
  topAt(): number { return this.at[0] as number }
  topKind(): number { return this.kind[0] as number }
  topArg(): number { return this.arg[0] as number }
  topRank(): number { return Math.floor((this.key[0] as number) / SEQ_SPAN) }

  push(atUs: number, rank: number, kind: number, arg: number): void {
    const key = this.nextKey(rank) // validates first: a rejected push leaves the heap unchanged
    if (this.n === this.at.length) this.grow()
    const i = this.n++
    this.siftUp(i, atUs, key, kind, arg)
  }

  /** Remove the top event. */
  pop(): void {
    const last = --this.n
    if (last > 0) {
      this.siftDown(0, this.at[last] as number, this.key[last] as number, this.kind[last] as number, this.arg[last] as number)
    }
  }

  /** Pop the top and push a new event in one sift (the common "next arrival" case). */
  replaceTop(atUs: number, rank: number, kind: number, arg: number): void {
    this.siftDown(0, atUs, this.nextKey(rank), kind, arg)
  }

  private nextKey(rank: number): number {
    const seq = this.seqNext++
    if (seq >= SEQ_SPAN || rank < 0 || rank > MAX_RANK || (rank | 0) !== rank) {
      throw new RangeError(`calendar: rank ${rank} must be an integer 0..${MAX_RANK} and seq ${seq} below 2^48`)
    }
    return rank * SEQ_SPAN + seq
  }

  private siftUp(i: number, at: number, key: number, kind: number, arg: number): void {
    const A = this.at, K = this.key, KI = this.kind, AR = this.arg
    while (i > 0) {
      const p = (i - 1) >> 1
      const pa = A[p] as number
      if (pa < at || (pa === at && (K[p] as number) < key)) break
      A[i] = pa; K[i] = K[p] as number; KI[i] = KI[p] as number; AR[i] = AR[p] as number
      i = p
    }
    A[i] = at; K[i] = key; KI[i] = kind; AR[i] = arg
  }

  private siftDown(i: number, at: number, key: number, kind: number, arg: number): void {
    const A = this.at, K = this.key, KI = this.kind, AR = this.arg
    const n = this.n
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      const r = c + 1
      if (r < n) {
        const ca = A[c] as number, ra = A[r] as number
        if (ra < ca || (ra === ca && (K[r] as number) < (K[c] as number))) c = r
      }
      const ca = A[c] as number
      if (at < ca || (at === ca && key < (K[c] as number))) break
      A[i] = ca; K[i] = K[c] as number; KI[i] = KI[c] as number; AR[i] = AR[c] as number
      i = c
    }
    A[i] = at; K[i] = key; KI[i] = kind; AR[i] = arg
  }

  private grow(): void {
    const cap = this.at.length * 2
    const at = new Float64Array(cap); at.set(this.at); this.at = at
    const key = new Float64Array(cap); key.set(this.key); this.key = key
    const kind = new Int32Array(cap); kind.set(this.kind); this.kind = kind
    const arg = new Int32Array(cap); arg.set(this.arg); this.arg = arg
  }
}
