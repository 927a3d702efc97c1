/** Typed arrays that grow with what they index (lazy records, slot maps): a copy at least n long, twice the old length, new cells set to `fill`. */
export function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as new (length: number) => T)(Math.max(n, 2 * a.length))
  b.set(a)
  if (fill !== 0) b.fill(fill, a.length)
  return b
}
