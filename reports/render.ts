/**
 * Vega-Lite to inline SVG, in Node: compile, parse, run a headless View (renderer "none")
 * and serialise. No browser, no canvas, no network: the data is inline in every spec and
 * text is measured by Vega's built-in estimate, which is the same on every machine.
 */
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

/** One look for every chart: the page's font stack, quiet axes, no chart border. */
export const CHART_CONFIG: NonNullable<TopLevelSpec['config']> = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  view: { stroke: null },
  // labelLimit 0: labels are drawn in full, never cut to "…" (route ids, tags, metric names).
  axis: { labelColor: '#37474f', titleColor: '#263238', gridColor: '#eceff1', titleFontWeight: 'normal', labelLimit: 0 },
  legend: { labelColor: '#37474f', titleColor: '#263238', orient: 'right', labelLimit: 0 },
  background: 'white',
}

/** Compile a chart's Vega-Lite spec to Vega (throws on a broken encoding). */
export function compileChart(spec: TopLevelSpec) {
  return compile({ ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec
}

/**
 * The chart as an SVG string. Vega numbers clip paths and gradients from a process-wide
 * counter, so ids are renamed to `<idPrefix>-1, -2, ...` in order of appearance: the same
 * chart gives the same bytes whatever was rendered before it, and ids stay unique on a page.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const view = new View(parse(compileChart(spec)), { renderer: 'none' })
  try {
    return renameIds(await view.toSVG(), idPrefix)
  } finally {
    view.finalize()
  }
}

function renameIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>()
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`)
  if (ids.size === 0) return svg
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)|href="#([^"]+)"/g, (whole, a: string | undefined, b: string | undefined, c: string | undefined) => {
    const id = a ?? b ?? c!
    const to = ids.get(id)
    if (to === undefined) return whole
    return a !== undefined ? `id="${to}"` : b !== undefined ? `url(#${to})` : `href="#${to}"`
  })
}
