/**
 * Inputs for the report tests, made by the real simulator and the real verify(): a run with
 * outages, on-demand calls, data changes and a render-concurrency limit; a single page with
 * a closed form; a sweep written by `isrsim sweep`; and verdicts from verify() against an
 * observation built from an independent simulator replication (k6 itself is exercised by the
 * live suite, whose loadtest also writes a report).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseScenario, runScenario, type ScenarioInput, type SimResult } from '../sim/index.ts'
import { verify, type Observed } from '../loadtest/verify.ts'
import type { VerdictJson } from '../sim/contract.ts'
import { chromium, type Browser } from 'playwright-core'
import { nginxLog, simLog } from './replay-logs.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const ARTIFACTS = join(ROOT, 'test/artifacts/reports')
export const BIN = join(ROOT, 'bin/isrsim.js')

export const RICH: ScenarioInput = {
  name: 'report-rich',
  seed: '11',
  durationS: 3600,
  warmupS: 120,
  routes: [
    { id: 'home', pattern: '/', revalidateS: 60, renderS: { lognormal: { medianS: 0.2, p95S: 0.8 } }, fetches: [{ id: 'posts', tags: ['posts'], latencyS: 0.05 }], traffic: { rps: 4 } },
    { id: 'post', pattern: '/blog/[slug]', revalidateS: 300, params: { count: 200, prebuilt: 50 }, renderS: 0.3, failureRate: 0.01, fetches: [{ id: 'post', tags: ['post:{slug}', 'posts'], latencyS: 0.05 }], traffic: { rps: 10, popularity: { zipf: 1 } } },
    { id: 'account', pattern: '/account', dynamic: true, renderS: 0.1, traffic: { rps: 1 } },
  ],
  outages: [{ fromS: 1200, toS: 1500, failureRate: 0.8 }],
  onDemand: [{ kind: 'revalidateTag', tag: 'posts', profile: 'max', everyS: 600 }, { kind: 'revalidatePath', path: '/', atS: 2000 }],
  dataChanges: [{ tag: 'post:{slug}', ratePerS: 0.01, webhook: { kind: 'revalidateTag', tag: 'post:{slug}', profile: 'max', delayS: 2 } }],
  deployment: { instances: 2, cache: 'shared', renderConcurrency: 2 },
}

/** One page, Poisson arrivals, constant render: the served-age CDF has a closed form. */
export const SINGLE: ScenarioInput = { name: 'report-single', seed: '3', durationS: 7200, routes: [{ id: 'page', pattern: '/', revalidateS: 30, renderS: 2, traffic: { rps: 1 } }] }

/** Long names everywhere a card shows one: route id and pattern, tags, a fetch, an on-demand call, a warning. */
const LONG_TAG = 'catalogue-products-by-department-category-and-region-for-the-storefront-listing'
export const LONG: ScenarioInput = {
  name: 'report-long-names-of-a-storefront-with-a-very-long-scenario-name-that-does-not-fit',
  seed: '5',
  durationS: 1800,
  routes: [
    {
      id: 'storefrontDepartmentCategorySubcategoryProductDetailPageWithReviews',
      pattern: '/catalogue/[departmentSlugWithAVeryLongName]/[categorySlugWithAnotherLongName]/products/[productSlugThatGoesOnAndOn]',
      revalidateS: 3600, params: { count: 300, prebuilt: 20 }, renderS: 0.4,
      fetches: [{ id: 'productCatalogueServiceWithInventoryAndPricingLookups', tags: [LONG_TAG, 'product:{departmentSlugWithAVeryLongName}'], latencyS: 0.05 }],
      traffic: { rps: 5, popularity: { zipf: 1 } },
    },
    { id: 'accountSettingsAndOrderHistoryForSignedInCustomers', pattern: '/account/settings/order-history/[orderIdentifierFromTheCommerceBackend]', dynamic: true, renderS: 0.1, params: { count: 50 }, traffic: { rps: 0.5 } },
  ],
  onDemand: [{ kind: 'revalidateTag', tag: LONG_TAG, everyS: 600 }, { kind: 'revalidatePath', path: '/catalogue/[departmentSlugWithAVeryLongName]/[categorySlugWithAnotherLongName]/products/[productSlugThatGoesOnAndOn]', type: 'page', atS: 900 }],
}

export function runJson(input: ScenarioInput, replications = 1): { result: SimResult; text: string } {
  const result = runScenario(parseScenario(input), { replications })
  return { result, text: `${JSON.stringify(result, null, 2)}\n` }
}

/** What k6 would have reported had the site behaved like replication `seed` of the model. */
function observedFrom(r: SimResult, scale: (id: string, k: 'hit' | 'stale' | 'miss') => number = () => 1): Observed {
  return {
    observedVersion: 1,
    scenario: r.scenario, seed: r.seed, target: 'http://127.0.0.1:3000', cacheHeader: 'x-nextjs-cache', startMs: 0, testRunDurationMs: r.scenario.durationS * 1000,
    droppedIterations: 0, unknownCacheHeader: 0, onDemand: { planned: 0, sent: 0, failed: 0 },
    routes: Object.fromEntries(Object.entries(r.routes).map(([id, x]) => {
      const hit = Math.round(x.hit * scale(id, 'hit')), stale = Math.round(x.stale * scale(id, 'stale')), miss = Math.round(x.miss * scale(id, 'miss'))
      return [id, { requests: hit + stale + miss + x.dynamic + x.notFound + x.error, hit, stale, miss, dynamic: x.dynamic, notFound: x.notFound, error: x.error, ageSamples: x.hit + x.stale + x.miss, ageP50S: x.ageP50S, ageP95S: x.ageP95S, latencyP95Ms: x.p95Ms }]
    })),
  }
}

/** A passing verdict (observation = another seed of the same model) and a failing one (post's STALE share tripled). */
export function verdicts(): { pass: VerdictJson; fail: VerdictJson } {
  const input: ScenarioInput = { ...RICH, outages: [], onDemand: [], dataChanges: [], durationS: 1800 }
  const prediction = runScenario(parseScenario(input), { replications: 5 })
  const other = runScenario(parseScenario(input), { seed: 'observed' })
  return {
    pass: verify(prediction, [observedFrom(other)]),
    fail: verify(prediction, [observedFrom(other, (id, k) => (id === 'post' && k === 'stale' ? 3 : 1))]),
  }
}

/**
 * A real sweep file from the CLI: 3 × 2 points over two routes' revalidate, with a constraint
 * (by default one the current values meet; a tighter one makes them break it).
 */
export function sweepFile(dir: string, constraint = 'routes.post.ageP95S<=600'): string {
  mkdirSync(dir, { recursive: true })
  const scenario = join(dir, 'sweep-scenario.json')
  writeFileSync(scenario, JSON.stringify({ ...RICH, name: 'report-sweep', durationS: 1800, outages: [], onDemand: [], dataChanges: [] }))
  const out = join(dir, 'report-sweep.sweep.jsonl')
  const args = [BIN, 'sweep', scenario, '--vary', 'routes.post.revalidateS=60,300,900', '--vary', 'routes.home.revalidateS=30,60', '--constraint', constraint, '--out', out, '--force', '--workers', '1']
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`isrsim sweep failed (${r.status}): ${r.stderr}\nReproduce: node ${args.join(' ')}`)
  return readFileSync(out, 'utf8')
}

/**
 * The page `isrsim check --report` writes for RICH with thresholds: `pass` chooses thresholds
 * the run meets, else one it breaks (p95 age under 5 s). Returns the HTML file.
 */
export function checkReport(dir: string, pass: boolean): string {
  mkdirSync(dir, { recursive: true })
  const scenario = join(dir, `check-${pass ? 'pass' : 'fail'}.json`)
  const thresholds = pass ? { 'staleness.ageP95S': ['<86400'], 'totals.errorFraction': ['<0.5'] } : { 'staleness.ageP95S': ['<5'], 'totals.errorFraction': ['<0.5'] }
  writeFileSync(scenario, JSON.stringify({ ...RICH, name: `report-check-${pass ? 'pass' : 'fail'}`, durationS: 1800, thresholds }))
  const html = join(dir, `check-${pass ? 'pass' : 'fail'}.html`)
  const args = [BIN, 'check', scenario, '--replications', '2', '--report', html]
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' })
  if (r.status !== (pass ? 0 : 1)) throw new Error(`isrsim check exited ${r.status}: ${r.stderr}\nReproduce: node ${args.join(' ')}`)
  return html
}

/** A real replay verdict (`isrsim replay`) of an nginx access log written from the simulator's own answers for the verdicts' scenario. */
export function replayVerdict(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const input: ScenarioInput = { ...RICH, name: 'report-replay', outages: [], onDemand: [], dataChanges: [], durationS: 900 }
  const scenario = join(dir, 'replay-scenario.json')
  writeFileSync(scenario, JSON.stringify(input))
  const log = join(dir, 'access.log')
  writeFileSync(log, nginxLog(simLog(input).requests))
  const out = join(dir, 'replay.verdict.json')
  const args = [BIN, 'replay', scenario, '--log', log, '--replications', '3', '--out', out]
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' })
  if (r.status !== 0 && r.status !== 1) throw new Error(`isrsim replay exited ${r.status}: ${r.stderr}\nReproduce: node ${args.join(' ')}`)
  return readFileSync(out, 'utf8')
}

/**
 * A real recommendation file (`isrsim recommend --out`) for the shop fixture (3 pods with local
 * caches, p95 age <= 10 min): searched over the cache option, one answer per traffic level.
 */
export function recommendationFile(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const out = join(dir, 'shop.recommendation.json')
  const args = [BIN, 'recommend', join(ROOT, 'test/fixtures/shop.json'), '--constraint', 'ageP95S<=600', '--routes', 'category,product', '--candidates', '60,300,900', '--vary', 'deployment.cache=local,shared', '--given', 'traffic.scale=1,2', '--workers', '1', '--out', out]
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`isrsim recommend exited ${r.status}: ${r.stderr}\nReproduce: node ${args.join(' ')}`)
  return readFileSync(out, 'utf8')
}

/** The widths every page is checked and pictured at: a laptop and a phone. */
export const WIDTHS = [1280, 390] as const

/** Debian's Chromium (installed by reports/tools/install-chromium.sh, never downloaded), driven by playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const install = spawnSync('bash', [join(ROOT, 'reports/tools/install-chromium.sh')], { encoding: 'utf8' })
  if (install.status !== 0) throw new Error(`reports/tools/install-chromium.sh failed (${install.status}): ${install.stderr}`)
  // The flags keep Chromium off the network it would otherwise try at start-up.
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
}

export type PageKind = 'run' | 'single' | 'long' | 'check' | 'sweep' | 'recommend' | 'verdict' | 'replay'
export interface ReportPage {
  /** The HTML file isrsim wrote. */
  readonly html: string
  /** The JSON input it was drawn from (check pages are written by isrsim check itself). */
  readonly input?: string
}

/** `isrsim report` of a file: writes the input and the page next to each other. */
function reportOf(dir: string, name: string, text: string): ReportPage {
  const input = join(dir, `${name}.${name.includes('sweep') ? 'jsonl' : 'json'}`)
  writeFileSync(input, text)
  const html = join(dir, `${name}.html`)
  const args = [BIN, 'report', input, '--out', html]
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`isrsim report exited ${r.status}: ${r.stderr}\nReproduce: node ${args.join(' ')}`)
  return { html, input }
}

/**
 * Every report kind, made by the real commands into `dir`: a run with outages, on-demand calls
 * and 2 replications; a single page; a run with long names everywhere; a failing check; a sweep whose current values break its
 * constraint; a recommendation for the shop per traffic level; a failing live verdict (what
 * verify and loadtest write); a replay verdict.
 */
export function reportPages(dir: string): Record<PageKind, ReportPage> {
  mkdirSync(dir, { recursive: true })
  const v = verdicts()
  return {
    run: reportOf(dir, 'run', runJson(RICH, 2).text),
    single: reportOf(dir, 'single', runJson(SINGLE).text),
    long: reportOf(dir, 'long', runJson(LONG).text),
    check: { html: checkReport(dir, false) },
    sweep: reportOf(dir, 'sweep', sweepFile(join(dir, 'sweep-src'), 'routes.post.ageP95S<=200')),
    recommend: reportOf(dir, 'recommend', recommendationFile(join(dir, 'recommend-src'))),
    verdict: reportOf(dir, 'verdict', `${JSON.stringify(v.fail, null, 2)}\n`),
    replay: reportOf(dir, 'replay', replayVerdict(join(dir, 'replay-src'))),
  }
}
