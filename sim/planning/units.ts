/**
 * A metric's number with its unit, from the unit in its name: ...S seconds, ...Ms
 * milliseconds, ...Fraction and ...Utilization percent, ...Usd dollars (a month when the name
 * says monthly), ...PerS a rate per second; monthly counts are per month. Pure.
 */
import { canonicalMetric } from '../scenario/metric-paths.ts'

/** A plain number: whole above 1000, three decimals above 1, four significant digits below. */
export const plainNumber = (x: number): string =>
  !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : Math.abs(x) >= 1 ? x.toFixed(3).replace(/\.?0+$/, '') : x === 0 ? '0' : x.toPrecision(4).replace(/\.?0+$/, '')

const percent = (x: number) => (!Number.isFinite(x) ? String(x) : `${plainNumber(Math.round(x * 100 * 1e4) / 1e4)}%`)
const dollars = (x: number) => (!Number.isFinite(x) ? String(x) : `${x < 0 ? '-' : ''}$${Math.abs(x) >= 100 ? Math.round(Math.abs(x)).toLocaleString('en-US') : Math.abs(x).toFixed(2)}`)

/** The unit a metric's last name part carries ("s", "ms", "%", "$/month", "req/s"), or "" for a count. */
export function unitOf(metric: string): string {
  const key = canonicalMetric(metric).split('.').pop() ?? ''
  if (/(Fraction|Utilization)$/.test(key)) return '%'
  if (/Usd$/.test(key)) return /^monthly|Monthly/.test(key) ? '$/month' : '$'
  if (/PerS$/.test(key)) return key === 'originCallsPerS' ? 'calls/s' : 'req/s'
  if (/[a-z0-9]Ms$/.test(key)) return 'ms'
  if (/[a-z0-9]S$/.test(key)) return key.startsWith('monthly') ? 's/month' : 's'
  if (key.startsWith('monthly')) return '/month'
  return ''
}

/** `x` in the metric's unit: "412.5 s", "3.2%", "$48.38/month", "0.5 req/s", "1,200". */
export function withUnit(metric: string, x: number): string {
  const unit = unitOf(metric)
  switch (unit) {
    case '%': return percent(x)
    case '$': return dollars(x)
    case '$/month': return `${dollars(x)}/month`
    case '/month': return `${plainNumber(x)}/month`
    case '': return plainNumber(x)
    default: return `${plainNumber(x)} ${unit}`
  }
}
