/**
 * Numbers for people, each with its unit. Fixed locale-free formats (no Intl defaults
 * that differ between machines), so the same input gives the same bytes everywhere.
 */

/** 1234567 -> "1,234,567"; fractional counts (replication means) keep one decimal. */
export function fmtCount(x: number): string {
  const r = Math.abs(x) >= 100 || Number.isInteger(x) ? Math.round(x) : Math.round(x * 10) / 10
  const [int, dec] = String(Math.abs(r)).split('.')
  return `${r < 0 ? '-' : ''}${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${dec ? `.${dec}` : ''}`
}

/** A fraction as a percentage: 0.8423 -> "84.2%"; small ones keep significant digits. */
export function fmtPct(f: number): string {
  const p = f * 100
  if (p === 0) return '0%'
  if (Math.abs(p) < 0.1) return `${p.toPrecision(2)}%`
  return `${p.toFixed(Math.abs(p) < 10 ? 2 : 1)}%`
}

/** Seconds, scaled to the most readable unit: "850 ms", "42.0 s", "12.5 min", "3.20 h", "2.1 d". */
export function fmtS(s: number): string {
  const a = Math.abs(s)
  if (a === 0) return '0 s'
  if (a < 1) return `${(s * 1000).toPrecision(3)} ms`
  if (a < 120) return `${s.toFixed(a < 10 ? 2 : 1)} s`
  if (a < 7200) return `${(s / 60).toFixed(1)} min`
  if (a < 172800) return `${(s / 3600).toFixed(2)} h`
  return `${(s / 86400).toFixed(1)} d`
}

export function fmtMs(ms: number): string {
  if (ms === 0) return '0 ms'
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 2 : 0)} ms` : fmtS(ms / 1000)
}

/** Dollars: "$1,234", "$12.34", "$0.0012". */
export function fmtUsd(x: number): string {
  const a = Math.abs(x)
  if (a === 0) return '$0'
  if (a >= 1000) return `$${fmtCount(Math.round(x))}`
  if (a >= 1) return `$${x.toFixed(2)}`
  return `$${x.toPrecision(2)}`
}

/** A plain number with up to 4 significant digits (prices per unit, rates). */
export function fmtNum(x: number): string {
  if (x === 0) return '0'
  if (Math.abs(x) >= 1000) return fmtCount(x)
  return String(Number(x.toPrecision(4)))
}

/** A metric named by a result path ("staleness.ageP95S") or a label ("age p95 (s)"), formatted by the unit its name carries. */
export function fmtMetric(name: string, x: number): string {
  const last = name.split('.').at(-1)!
  if (/Usd$/.test(last)) return fmtUsd(x)
  if (/Fraction$|Utilization$/.test(last) || /fraction/i.test(name)) return fmtPct(x)
  if (/Ms$/.test(last)) return fmtMs(x)
  if (/S$/.test(last) || /\(s\)$/.test(name)) return fmtS(x)
  return fmtCount(x)
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
