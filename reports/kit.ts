/**
 * The page kit every report shares: the CSS, headline figures, tables, chart sections, the
 * verdict line and the page shell. One self-contained HTML file with inline CSS and inline SVG
 * charts, no scripts, and a Content-Security-Policy that forbids every network request.
 */
import type { Interval } from '../sim/contract.ts'
import type { Chart, Table } from './charts.ts'
import { escapeHtml as e, fmtMetric } from './format.ts'
import { renderSvg } from './render.ts'
import type { VerdictLine } from './verdict.ts'

/** One headline figure: data-metric and data-value carry the exact JSON value for tools and tests. */
export interface Figure {
  readonly label: string
  readonly metric: string
  readonly value: number
  readonly text: string
  readonly interval?: Interval
  readonly sub?: string
  readonly tone?: 'good' | 'bad'
}

// Cards never let text out: grid and flex children may shrink below their content (min-width:0),
// long words (route patterns, tag names, hashes) break anywhere, wide tables scroll inside their
// own box, and charts scale down to the card (their SVGs carry a viewBox) on a wide screen; on a
// phone they keep their size, so their text stays readable, and scroll sideways inside the card.
const CSS = `
:root{--fg:#263238;--muted:#607d8b;--line:#cfd8dc;--bg:#fafafa;--good:#2e7d32;--bad:#c62828}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px}
header,section,.fig,.verdict,p,li,h1,h2,h3,.level{overflow-wrap:anywhere;min-width:0}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px}h3{font-size:14px;margin:10px 0 6px}
.stamp{color:var(--muted);font-size:12px;margin:0}
.stamp code{font-size:12px}
.verdict{font-size:18px;font-weight:700;margin:8px 0 10px;padding:10px 14px;border:1px solid var(--line);border-left-width:6px;border-radius:6px;background:#fff}
.verdict .more{display:block;margin-top:4px}
.verdict.v-pass{border-left-color:var(--good)}.verdict.v-fail{border-left-color:var(--bad);background:#fff5f5}.verdict.v-info{border-left-color:#1565c0}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:16px;margin:16px 0}
.headline{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(170px,100%),1fr));gap:10px}
.fig{border:1px solid var(--line);border-radius:6px;padding:10px}
.fig .label{display:block;color:var(--muted);font-size:12px}
.fig .value{display:block;font-size:22px;font-weight:600}
.fig .ci,.fig .sub{display:block;color:var(--muted);font-size:11px}
.fig.good .value{color:var(--good)}.fig.bad .value{color:var(--bad)}
.caption{color:var(--muted);margin:0 0 8px;max-width:900px}
.chart-body{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0;max-width:100%;min-width:0;overflow-x:auto}
figure svg{display:block;max-width:100%;height:auto}
details{flex:1 1 300px;min-width:0;max-width:100%}
details.wide{flex-basis:100%}
summary{cursor:pointer;color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12px;margin-top:6px}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{font-weight:600;background:#f5f5f5}
th.wrap,td.wrap{white-space:normal;text-align:left;min-width:11em;max-width:28em}
.note{color:var(--muted);font-size:11px}
.PASS,.pass{color:var(--good);font-weight:700}.FAIL,.fail{color:var(--bad);font-weight:700}.SKIP{color:var(--muted)}
.warn li{margin-bottom:8px}.warn code{background:#fff3e0;padding:0 4px}
.side{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(320px,100%),1fr));gap:12px}
@media (max-width:600px){figure svg{max-width:none}main{padding:10px}section{padding:10px;margin:10px 0}.headline{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}.fig{padding:8px}.fig .value{font-size:18px}.verdict{font-size:16px}h1{font-size:19px}}
@media print{body{background:#fff}main{max-width:none;padding:0}section{break-inside:avoid;border-color:#999}summary{display:none}}
`

export function tableHtml(t: Table, caption?: string): string {
  const head = t.columns.map((c) => `<th scope="col"${c.wrap ? ' class="wrap"' : ''}>${e(c.label)}</th>`).join('')
  const cls = (c: Table['columns'][number], v: string) => [c.classed ? v : '', c.wrap ? 'wrap' : ''].filter(Boolean).join(' ')
  const body = t.rows.map((r) => `<tr>${t.columns.map((c) => { const k = cls(c, r[c.key] ?? ''); return `<td${k ? ` class="${e(k)}"` : ''}>${c.wrap ? breakable(r[c.key] ?? '') : e(r[c.key] ?? '')}</td>` }).join('')}</tr>`).join('\n')
  return `<div class="scroll"><table>${caption ? `<caption class="note">${e(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${t.note ? `<p class="note">${e(t.note)}</p>` : ''}`
}

export async function chartHtml(c: Chart): Promise<string> {
  const svg = await renderSvg(c.spec, c.id)
  // The SVG is a picture with a name; the table beside it is its text alternative.
  const labelled = svg.replace('<svg ', `<svg role="img" aria-label="${e(c.title)}" `)
  return `<section class="chart" id="chart-${e(c.id)}" data-chart="${e(c.id)}">
<h2>${e(c.title)}</h2>
<p class="caption">${e(c.caption)}</p>
<div class="chart-body"><figure>${labelled}</figure>
<details class="${c.table.columns.length > 3 ? 'wide' : 'narrow'}"${c.table.rows.length <= 16 ? ' open' : ''}><summary>Data table (${c.table.rows.length} rows)</summary>${tableHtml(c.table)}</details></div>
</section>`
}

/**
 * Escaped text that may break after the dots, equals signs and slashes of long names
 * ("routes.post.revalidateS=300", "/blog/[slug]"), so a narrow card wraps them at a sensible
 * place; <wbr> adds no text.
 */
export function breakable(s: string): string {
  return e(s).replace(/(?<=[\w\]}])([.=/:])(?=[^\s\d])/g, '$1<wbr>')
}

export function figureHtml(f: Figure): string {
  const ci = f.interval ? `<span class="ci">95% CI ${e(fmtMetric(f.metric, f.interval.low))} – ${e(fmtMetric(f.metric, f.interval.high))}</span>` : ''
  return `<div class="fig${f.tone ? ` ${f.tone}` : ''}" data-metric="${e(f.metric)}" data-value="${f.value}"><span class="label">${breakable(f.label)}</span><span class="value">${e(f.text)}</span>${ci}${f.sub ? `<span class="sub">${breakable(f.sub)}</span>` : ''}</div>`
}

export const figuresHtml = (figs: readonly Figure[]) => `<div class="headline">${figs.map(figureHtml).join('\n')}</div>`

export const opt = (i: Interval | undefined) => (i && i.high > i.low ? { interval: i } : {})

export const code = (s: string) => `<code>${e(s)}</code>`

/** The verdict line: the first thing under the title, the sentence a reader takes away. */
function verdictHtml(v: VerdictLine): string {
  // The word in plain text ("PASS: the live run matched …", searchable as one phrase); the box's colour carries the tone.
  const tag = v.word ? `${v.word}: ` : ''
  const more = (v.more ?? []).map((l) => `<span class="more">${breakable(l)}</span>`).join('')
  return `<p class="verdict v-${v.tone}" id="verdict" data-verdict="${v.tone}">${tag}${breakable(v.text)}${more}</p>`
}

export function page(title: string, stamp: string, verdict: VerdictLine, body: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="isrsim">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>${e(title)}</h1>${verdictHtml(verdict)}<p class="stamp">${stamp}</p></header>
${body.join('\n')}
<footer><p class="stamp">${stamp}</p></footer>
</main>
</body>
</html>
`
}
