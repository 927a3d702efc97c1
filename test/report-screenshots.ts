/**
 * `npm run screenshots`: every report kind (run, check, sweep, recommend, live verdict, replay
 * verdict) made from real inputs, opened in Debian's Chromium at 1280 and 390 px wide, and the
 * top of each page saved to docs/screenshots/<kind>-<width>.png. Not a
 * test: the browser test (reports-browser.test.ts) checks the same pages; this keeps pictures
 * of them in the repository. Small on purpose: the first screen and a bit, 1× pixels.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ARTIFACTS, ROOT, launchChromium, reportPages, WIDTHS } from './report-fixtures.ts'

const OUT = join(ROOT, 'docs/screenshots')
/** How much of each page is kept, by width: the verdict, the headline figures and the first section or two. */
const HEIGHT: Readonly<Record<number, number>> = { 1280: 1000, 390: 1400 }

const dir = join(ARTIFACTS, 'screenshots')
rmSync(dir, { recursive: true, force: true })
mkdirSync(OUT, { recursive: true })
const pages = reportPages(dir)
const browser = await launchChromium()
try {
  for (const [kind, { html }] of Object.entries(pages)) {
    if (kind === 'single' || kind === 'long') continue // run pages like run's
    for (const width of WIDTHS) {
      const page = await browser.newPage({ viewport: { width, height: HEIGHT[width]! } })
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' })
      const file = join(OUT, `${kind}-${width}.png`)
      await page.screenshot({ path: file, fullPage: false })
      await page.close()
      process.stdout.write(`${file}\n`)
    }
  }
} finally {
  await browser.close()
}
