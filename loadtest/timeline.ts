/**
 * What the driver does itself while k6 runs, on k6's clock: restarts (restarts[]) and the
 * on-demand calls that name their receiver (target "instance" or "all"), which go straight to
 * that instance's port, bypassing the balancer. k6's t = 0 is learnt from the origin: k6's
 * setup() POSTs /__start there, and the origin's /__counters answers its t0Ms (wall clock).
 */
import type { PlanCall, RequestPlan } from '../sim/contract.ts'
import { restartInstance, type Instance, type InstanceStart, type RestartRecord } from './instances.ts'

export class TimelineError extends Error {}

/** Poll the origin until k6's setup() has set t = 0 (or `gaveUp` says k6 ended first). */
export async function waitForT0(originUrl: string, gaveUp: () => boolean): Promise<number | undefined> {
  for (;;) {
    if (gaveUp()) return undefined
    try {
      const r = await fetch(`${originUrl}/__counters`, { signal: AbortSignal.timeout(2000) })
      const t0Ms = ((await r.json()) as { t0Ms: number }).t0Ms
      if (t0Ms > 0) return t0Ms
    } catch { /* the origin is busy: poll again */ }
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Calls the driver sends itself: a named receiver. Calls "through the balancer" stay with k6 (they go through nginx). */
export const isDirectCall = (c: PlanCall): boolean => c.target === 'instance' || c.target === 'all'

/** The plan k6 replays: the same, without the calls the driver sends itself. */
export function k6Plan(plan: RequestPlan): RequestPlan {
  return { ...plan, onDemand: plan.onDemand.filter((c) => !isDirectCall(c)) }
}

export interface CallSecrets {
  readonly secret: string
  /** The Server Action id of isrsimUpdateTag. */
  readonly actionId: string
}

/** One on-demand call to one instance, as k6's onDemand() sends it; true when it was accepted. */
export async function sendCall(baseUrl: string, c: PlanCall, s: CallSecrets): Promise<boolean> {
  try {
    if (c.kind === 'updateTag') {
      const r = await fetch(`${baseUrl}/isrsim-admin`, { method: 'POST', body: JSON.stringify([c.tag, s.secret]), headers: { 'Next-Action': s.actionId, 'Content-Type': 'text/plain;charset=UTF-8', Accept: 'text/x-component' }, signal: AbortSignal.timeout(30_000) })
      const body = await r.text()
      return s.actionId !== '' && r.status === 200 && /\n?1:\{"ok":true\}/.test(body)
    }
    const { target: _t, instance: _i, ...call } = c
    const r = await fetch(`${baseUrl}/api/isrsim/revalidate`, { method: 'POST', body: JSON.stringify(call), headers: { 'content-type': 'application/json', 'x-isrsim-secret': s.secret }, signal: AbortSignal.timeout(30_000) })
    await r.text()
    return r.status === 200
  } catch {
    return false
  }
}

export interface TimelineResult {
  readonly restarts: readonly RestartRecord[]
  readonly calls: { readonly planned: number; readonly sent: number; readonly failed: number }
}

type Restart = { readonly atS: number; readonly instance?: number | undefined }

/**
 * Run the restarts and direct calls at t0 + their time. Restarts of one instance run one after
 * another; a restart without `instance` restarts every instance (as the model does).
 */
export async function runTimeline(o: { t0Ms: number; plan: RequestPlan; instances: readonly Instance[]; start: InstanceStart; secrets: CallSecrets; log: (l: string) => void; abort: AbortSignal }): Promise<TimelineResult> {
  const since = () => Date.now() - o.t0Ms
  // Waits end early when the run is aborted (k6 failed): nothing more is started.
  const at = (ms: number) => new Promise<void>((res, rej) => {
    if (o.abort.aborted) return rej(new TimelineError('aborted'))
    const timer = setTimeout(() => { o.abort.removeEventListener('abort', onAbort); res() }, Math.max(0, ms - since()))
    const onAbort = () => { clearTimeout(timer); rej(new TimelineError('aborted')) }
    o.abort.addEventListener('abort', onAbort, { once: true })
  })
  const restarts = ((o.plan.spec as { restarts?: readonly Restart[] }).restarts ?? []).slice().sort((a, b) => a.atS - b.atS)
  const records: RestartRecord[] = []
  const starts = o.instances.map(() => 0)
  const chains = o.instances.map(() => Promise.resolve())
  const jobs: Promise<unknown>[] = []
  for (const r of restarts) {
    const which = r.instance === undefined ? o.instances : o.instances.filter((i) => i.index === r.instance)
    if (which.length === 0) throw new TimelineError(`restarts: instance ${r.instance} is not one of the ${o.instances.length} instances (0 to ${o.instances.length - 1})`)
    for (const inst of which) {
      const k = ++starts[inst.index]!
      chains[inst.index] = chains[inst.index]!.then(async () => {
        await at(r.atS * 1000)
        const rec = await restartInstance(o.start, inst, k, since, r.atS * 1000)
        o.log(`restart of instance ${inst.index} (planned at ${r.atS} s): stopped at ${(rec.stopMs / 1000).toFixed(2)} s, exited after ${rec.exitedMs - rec.stopMs} ms, ready again after ${rec.readyMs - rec.stopMs} ms`)
        records.push(rec)
      })
    }
  }
  jobs.push(...chains)
  let sent = 0, failed = 0, planned = 0
  for (const c of o.plan.onDemand.filter(isDirectCall)) {
    const to = c.target === 'all' ? o.instances : o.instances.filter((i) => i.index === c.instance)
    planned += to.length
    jobs.push(at(c.atMs).then(() => Promise.all(to.map(async (inst) => {
      const ok = await sendCall(inst.url, c, o.secrets)
      sent++
      if (!ok) failed++
    }))))
  }
  await Promise.all(jobs)
  return { restarts: records.sort((a, b) => a.stopMs - b.stopMs), calls: { planned, sent, failed } }
}
