/**
 * Fixed log-linear histogram of non-negative integers (HDR-style): values below 256
 * are exact, larger ones fall in buckets 1/128 of a power of two wide, so a quantile
 * is within 0.4% of the true value. Recording allocates nothing; histograms merge by
 * addition, which is what replications and shards need.
 */
const SUB = 128
const EXACT = 2 * SUB
/** Buckets cover up to 2^53 µs (~285 years); larger safe integers land in the last bucket. */
const MAX_EXP = 52
export const HISTOGRAM_BUCKETS = EXACT + (MAX_EXP - 8 + 1) * SUB

/** 2^-(e-7) per exponent e: v × BUCKET_SCALE[e] has its top 8 bits above the point (bucketOf's branch for v ≥ 2^32). */
export const BUCKET_SCALE = new Float64Array(MAX_EXP + 1)
for (let e = 0; e <= MAX_EXP; e++) BUCKET_SCALE[e] = 2 ** -(e - 7)
const TWO32 = 4294967296

export function bucketOf(v: number): number {
  // Every branch returns an int32 (`| 0`), so that callers index with a machine integer
  // instead of converting a double index on the hot path.
  if (v < EXACT) return v | 0
  if (v < TWO32) {
    // Integer shifts (the same bucket as below: floor(v / 2^k) = floor(v) >>> k for v >= 0);
    // most ages and latencies are below 2^32 µs (71 minutes), and this is the hot path.
    const u = v >>> 0
    const e = 31 - Math.clz32(u)
    return EXACT + (e - 8) * SUB + ((u >>> (e - 7)) - SUB)
  }
  const e = 63 - Math.clz32((v / TWO32) >>> 0)
  const m = Math.floor(v * (BUCKET_SCALE[e] as number)) // 128..255
  return (EXACT + (e - 8) * SUB + (m - SUB)) | 0
}

/**
 * bucketOf(values[i]). Hot code calls this form: the double stays in the array, because
 * V8 boxes a double argument when it does not inline the call.
 */
export function bucketAt(values: Float64Array, i: number): number {
  return bucketOf(values[i]!)
}

/** The value a bucket stands for: exact below 256, else its midpoint. */
export function bucketValue(b: number): number {
  if (b < EXACT) return b
  const e = ((b - EXACT) / SUB | 0) + 8
  const m = (b - EXACT) % SUB + SUB
  const width = 2 ** (e - 7)
  return m * width + (width - 1) / 2
}

/**
 * Nearest-rank quantile q in [0, 1] of the histogram stored at `offset` in `counts`.
 * Returns 0 for an empty histogram.
 */
export function quantileOf(counts: Float64Array, offset: number, total: number, q: number): number {
  if (total <= 0) return 0
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
    seen += counts[offset + b] as number
    if (seen >= rank) return bucketValue(b)
  }
  return bucketValue(HISTOGRAM_BUCKETS - 1)
}

/** The smallest value of a bucket (b up to HISTOGRAM_BUCKETS: that one is the end of the last). */
export function bucketLow(b: number): number {
  if (b < EXACT) return b
  const e = ((b - EXACT) / SUB | 0) + 8
  const m = (b - EXACT) % SUB + SUB
  return m * 2 ** (e - 7)
}
