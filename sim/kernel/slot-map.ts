/**
 * A map from sparse keys (integers 0 ≤ key < 2^53) to dense indices 0, 1, 2, … in the order
 * keys were first added: what lets per-key state live in arrays that grow with the keys
 * actually used rather than with every key that could be. Open addressing with linear probing
 * over typed arrays, kept at most half full, so a lookup is a multiply, a load or two, and no
 * allocation; growth doubles the table (amortised O(1) per key).
 */
import { grown } from './grow.ts'

export class SlotMap {
  /** Per table cell, key + 1 (0: empty). Doubles, so that keys up to 2^53 fit. */
  private cells: Float64Array
  /** Per table cell, the dense index of its key. */
  private index: Int32Array
  private shift: number
  /** Per dense index, its key, in the order keys were added. */
  keys: Float64Array
  size = 0

  constructor(initialBits = 10) {
    this.cells = new Float64Array(1 << initialBits)
    this.index = new Int32Array(1 << initialBits)
    this.shift = 32 - initialBits
    this.keys = new Float64Array(1 << (initialBits - 1))
  }

  /** Key's dense index, or -1 when it was never added. */
  find(key: number): number {
    const i = this.cellOf(key)
    return this.cells[i] === 0 ? -1 : this.index[i]!
  }

  /** Key's dense index, adding it (as the next index, `size` before the call) when it is new. */
  findOrAdd(key: number): number {
    let i = this.cellOf(key)
    if (this.cells[i] !== 0) return this.index[i]!
    const d = this.size
    if (2 * (d + 1) > this.cells.length) { this.grow(); i = this.cellOf(key) }
    this.cells[i] = key + 1
    this.index[i] = d
    if (d === this.keys.length) this.keys = grown(this.keys, d + 1)
    this.keys[d] = key
    this.size = d + 1
    return d
  }

  /** The cell holding key, or the empty cell where it would go (linear probing from its home). */
  private cellOf(key: number): number {
    const cells = this.cells, mask = cells.length - 1, want = key + 1
    let i = this.home(key)
    while (cells[i] !== want && cells[i] !== 0) i = (i + 1) & mask
    return i
  }

  /** Fibonacci hashing of the key's low and high 32 bits. */
  private home(key: number): number {
    const lo = key >>> 0, hi = (key / 4294967296) >>> 0
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift
  }

  private grow(): void {
    const n = this.cells.length * 2
    this.cells = new Float64Array(n)
    this.index = new Int32Array(n)
    this.shift--
    const mask = n - 1
    for (let d = 0; d < this.size; d++) {
      const key = this.keys[d]!
      let i = this.home(key)
      while (this.cells[i] !== 0) i = (i + 1) & mask
      this.cells[i] = key + 1
      this.index[i] = d
    }
  }

  /** Bytes held: the table and the key list. */
  bytes(): number {
    return this.cells.byteLength + this.index.byteLength + this.keys.byteLength
  }
}
