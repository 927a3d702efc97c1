/** Timestamps of the log formats, parsed by hand: a Date parse per line would cost more than the rest of the line. */

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec'

function digits(t: string, p: number, n: number): number {
  let v = 0
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(p + i) - 48
    if (c < 0 || c > 9) return Number.NaN
    v = v * 10 + c
  }
  return v
}

/** Common Log Format time at t[p]: "10/Oct/2000:13:55:36 -0700" (26 chars) -> epoch ms, or NaN. */
export function parseClfTime(t: string, p: number): number {
  const day = digits(t, p, 2)
  const mi = MONTHS.indexOf(t.substr(p + 3, 3))
  const year = digits(t, p + 7, 4)
  const hh = digits(t, p + 12, 2)
  const mm = digits(t, p + 15, 2)
  const ss = digits(t, p + 18, 2)
  const sign = t.charCodeAt(p + 21)
  const tzh = digits(t, p + 22, 2)
  const tzm = digits(t, p + 24, 2)
  if (mi < 0 || mi % 3 !== 0 || t.charCodeAt(p + 2) !== 47 || t.charCodeAt(p + 6) !== 47 || t.charCodeAt(p + 11) !== 58 || (sign !== 43 && sign !== 45)) return Number.NaN
  const off = (tzh * 60 + tzm) * 60_000 * (sign === 45 ? -1 : 1)
  return Date.UTC(year, mi / 3, day, hh, mm, ss) - off
}

/** "2019-12-04" at t[p] and "21:02:31" at t[q] (UTC, CloudFront) -> epoch ms, or NaN. */
export function parseDateTime(t: string, p: number, q: number): number {
  if (t.charCodeAt(p + 4) !== 45 || t.charCodeAt(p + 7) !== 45 || t.charCodeAt(q + 2) !== 58 || t.charCodeAt(q + 5) !== 58) return Number.NaN
  return Date.UTC(digits(t, p, 4), digits(t, p + 5, 2) - 1, digits(t, p + 8, 2), digits(t, q, 2), digits(t, q + 3, 2), digits(t, q + 6, 2))
}

/**
 * An epoch time given as a number in ns, µs, ms or s (Cloudflare's EdgeStartTimestamp takes
 * any of them, set per Logpush job), told apart by magnitude; or an RFC 3339 string.
 */
export function epochMs(v: unknown): number {
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return epochMs(Number(v))
    return Date.parse(v)
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return Number.NaN
  if (v > 1e17) return v / 1e6
  if (v > 1e14) return v / 1e3
  if (v > 1e11) return v
  return v * 1000
}
