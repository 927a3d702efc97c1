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
    this.incoming[0] = atUs
    this.pushIncoming(rank, kind, arg)
  }

  /** push() for the event whose time is in incoming[0]: no double crosses a call. */
  pushIncoming(rank: number, kind: number, arg: number): void {
    this.setKey(rank) // validates first: a rejected push leaves the heap unchanged
    if (this.n === this.at.length) this.grow()
    this.siftUp(this.n++, kind, arg)
  }

  /**
   * out[0] = min(out[1], the earliest pending time other than the root's): with the root the
   * event being handled, the time before which an event would run next. The heap property
   * puts that time at one of the root's children. The limit comes in out[1], not as an
   * argument: V8 boxes a double argument of a call it does not inline.
   */
  writeAfterTop(out: Float64Array): void {
    const A = this.at, n = this.n
    let t = out[1]!
    if (n > 1 && A[1]! < t) t = A[1]!
    if (n > 2 && A[2]! < t) t = A[2]!
    out[0] = t
  }

  /** Remove the top event. */
  pop(): void {
    const last = --this.n
    if (last > 0) {
      this.incoming[0] = this.at[last]!
      this.incoming[1] = this.key[last]!
      this.siftDown(this.kind[last]!, this.arg[last]!)
    }
  }

  /** Pop the top and push a new event in one sift (the common "next arrival" case). */
  replaceTop(atUs: number, rank: number, kind: number, arg: number): void {
    this.incoming[0] = atUs
    this.replaceTopIncoming(rank, kind, arg)
  }

  /** replaceTop() for the event whose time is in incoming[0]. */
  replaceTopIncoming(rank: number, kind: number, arg: number): void {
    this.setKey(rank)
    this.siftDown(kind, arg)
  }

  /**
   * The event being placed: [atUs, key]. Doubles travel here, not as arguments or return
   * values: V8 boxes a double that crosses a call it does not inline (the key is above
   * 2^32), which would be an allocation per event.
   */
  readonly incoming = new Float64Array(2)

  private setKey(rank: number): void {
    const seq = this.seqNext++
    if (seq >= SEQ_SPAN || rank < 0 || rank > MAX_RANK || (rank | 0) !== rank) this.badKey(rank)
    this.incoming[1] = rank * SEQ_SPAN + seq
  }

  /** setKey's error, apart: its message would make setKey too large for V8 to inline with the sift. */
  private badKey(rank: number): never {
    const seq = --this.seqNext
    throw new RangeError(`calendar: rank ${rank} must be an integer 0..${MAX_RANK} and seq ${seq} below 2^48`)
  }

  private siftUp(start: number, kind: number, arg: number): void {
    const A = this.at, K = this.key, KI = this.kind, AR = this.arg
    const at = this.incoming[0]!, key = this.incoming[1]!
    let i = start
    while (i > 0) {
      const p = (i - 1) >> 1
      const pa = A[p]!
      if (pa < at || (pa === at && K[p]! < key)) break
      A[i] = pa; K[i] = K[p]!; KI[i] = KI[p]!; AR[i] = AR[p]!
      i = p
    }
    A[i] = at; K[i] = key; KI[i] = kind; AR[i] = arg
  }

  /** Place the incoming event from the root down. */
  private siftDown(kind: number, arg: number): void {
    const A = this.at, K = this.key, KI = this.kind, AR = this.arg
    const at = this.incoming[0]!, key = this.incoming[1]!
    const n = this.n
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      const r = c + 1
      if (r < n) {
        // Which child is earlier is a coin flip: select without a branch (a mispredicted
        // branch costs more than the whole comparison). Equal times, which are rare, branch.
        const ca = A[c]!, ra = A[r]!
        if (ra === ca) { if (K[r]! < K[c]!) c = r }
        else c += Number(ra < ca)
      }
      const ca = A[c]!
      if (at < ca || (at === ca && key < K[c]!)) break
      A[i] = ca; K[i] = K[c]!; KI[i] = KI[c]!; AR[i] = AR[c]!
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
