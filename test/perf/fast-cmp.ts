import { parseScenario, runScenario } from '../../sim/index.ts'
const file = process.argv[2]!
const mod = await import(file)
let s = parseScenario(mod.default ?? mod)
const reps = Number(process.argv[3] ?? 10)
const scale = Number(process.argv[4] ?? 1)
if (scale !== 1) s = parseScenario({ ...(mod.default ?? mod), durationS: s.durationS * scale })
for (const mode of ['exact', 'fast'] as const) {
  const t0 = performance.now()
  const r = runScenario(s, { mode, replications: reps })
  const ms = performance.now() - t0
  const iv = r.intervals!
  const f = (k: string, o: any) => `${k}=${o.mean.toFixed(4)}±${(o.high - o.mean).toFixed(4)}`
  console.log(mode, (ms / reps).toFixed(0), 'ms/rep', Object.entries(r.routes).map(([id, x]) => `${id}:${x.mode}`).join(' '))
  console.log('  ', ['requests', 'hit', 'stale', 'miss', 'dynamic', 'error', 'notFound', 'renders', 'backgroundRenders', 'blockingRenders', 'failedRenders', 'renderCpuS', 'isrWrites', 'fillWrites'].map((k) => f(k, (iv.totals as any)[k])).join(' '))
  console.log('  ', ['ageMeanS', 'ageP50S', 'ageP95S', 'ageP99S', 'ageMaxS', 'staleServedFraction'].map((k) => f(k, (iv.staleness as any)[k])).join(' '))
  console.log('  ', ['meanMs', 'p95Ms', 'p99Ms'].map((k) => f(k, (iv.latency as any)[k])).join(' '))
}
