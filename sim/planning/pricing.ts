/**
 * Price tables for the cost model: dated, sourced, and overridable as a whole
 * (`--pricing file.json`, validated here). The default is ../shared/pricing.md's list
 * prices; `isrsim pricing` prints it as a starting point for your own.
 */
import * as z from 'zod'
import { ScenarioError, type ScenarioIssue } from '../kernel/errors.ts'

const meter = z.strictObject({
  unit: z.string().min(1).describe('What one unit is, e.g. "write unit (8 KB)".'),
  usdPerUnit: z.number().min(0).max(1e6).describe('List price of one unit, USD.'),
  includedPerMonth: z.number().min(0).default(0).describe('Units a month included in the plan (not billed).'),
  source: z.string().default('').describe('Where the price comes from.'),
})

export const pricingSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).describe('Which table this is, printed with every cost.'),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').describe('When the prices were read (the newest source date).'),
  currency: z.literal('USD').default('USD'),
  vercel: z.strictObject({
    isrReads: meter.describe('Reads from the durable ISR store when the regional CDN misses, per 8 KB unit.'),
    isrWrites: meter.describe('Writes of changed output to the ISR store, per 8 KB unit.'),
    invocations: meter.describe('Function invocations: one per render.'),
    activeCpuHours: meter.describe('Fluid compute Active CPU, hours of CPU time.'),
    memoryGbHours: meter.describe('Fluid compute provisioned memory, GB × wall hours of each render.'),
  }),
  selfHosted: z.strictObject({
    vcpuHours: meter.describe('One vCPU for one hour of your own fleet (set your own price).'),
  }),
  origin: z.strictObject({
    calls: meter.describe('One call to your origin (API, CMS, database): set your own price, 0 when flat-rate.'),
  }),
})

export type PricingInput = z.input<typeof pricingSchema>
export type Pricing = z.output<typeof pricingSchema>
export type MeterPrice = z.output<typeof meter>

const VERCEL_ISR = 'https://vercel.com/docs/pricing/incremental-static-regeneration (limits-and-pricing last_updated 2026-02-23)'
const VERCEL_FN = 'https://vercel.com/docs/functions/usage-and-pricing (Active CPU pricing, 2025-07-04)'

/** ../shared/pricing.md: Vercel Pro list prices in iad1; Pro includes no Fluid CPU or memory (newer page: "N/A"). */
export const DEFAULT_PRICING: Pricing = {
  name: 'isrsim default: Vercel Pro list prices (iad1); self-hosted and origin prices are placeholders to set',
  date: '2026-02-23',
  currency: 'USD',
  vercel: {
    isrReads: { unit: 'ISR read unit (8 KB)', usdPerUnit: 0.4 / 1e6, includedPerMonth: 10_000_000, source: VERCEL_ISR },
    isrWrites: { unit: 'ISR write unit (8 KB)', usdPerUnit: 4 / 1e6, includedPerMonth: 2_000_000, source: VERCEL_ISR },
    invocations: { unit: 'function invocation', usdPerUnit: 0.6 / 1e6, includedPerMonth: 1_000_000, source: VERCEL_FN },
    activeCpuHours: { unit: 'Active CPU hour', usdPerUnit: 0.128, includedPerMonth: 0, source: VERCEL_FN },
    memoryGbHours: { unit: 'provisioned memory GB-hour', usdPerUnit: 0.0106, includedPerMonth: 0, source: VERCEL_FN },
  },
  selfHosted: {
    vcpuHours: { unit: 'vCPU hour', usdPerUnit: 0.05, includedPerMonth: 0, source: 'placeholder: set your own (on-demand x86 list prices are about $0.04-0.05 per vCPU-hour)' },
  },
  origin: {
    calls: { unit: 'origin call', usdPerUnit: 0, includedPerMonth: 0, source: 'placeholder: set your own per-call price' },
  },
}

/** Validate a pricing file's contents; every issue names the field, the value and what is allowed. */
export function parsePricing(input: unknown, source: string): Pricing {
  const r = pricingSchema.safeParse(input, { reportInput: true })
  if (r.success) return r.data
  const issues: ScenarioIssue[] = r.error.issues.map((i) => {
    const path = i.path.map((k) => (typeof k === 'number' ? `[${k}]` : String(k))).join('.').replace(/\.\[/g, '[')
    const received = 'input' in i ? i.input : undefined
    const message = i.code === 'invalid_type' && received === undefined
      ? `is required (a meter: { "unit", "usdPerUnit", "includedPerMonth", "source" }; see \`isrsim pricing\`)`
      : i.code === 'unrecognized_keys' ? `has unknown field(s) ${i.keys.join(', ')}` : i.message
    return received === undefined ? { path, message } : { path, message, received }
  })
  throw new ScenarioError(issues, source)
}
