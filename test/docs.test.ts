/**
 * The docs resolve (issue 15, item 6).
 *
 * 1. Every rule that code or a test cites has a home in docs/semantics.md: a section sign with
 *    a number (section n, or n.m), a Part A rule ("rule A8", "A10 " before a section sign,
 *    "(A6)"), a finding ("finding F7", "F2."), a decision ("decision 7"). A section or a
 *    Part A rule needs a heading that names it, a finding a heading or a list item that starts
 *    with it, a decision a numbered item under the "Decisions" heading.
 * 2. Every relative link in the project's Markdown (README.md, docs/, every README.md under
 *    sim/, scenarios/, loadtest/, reports/, test/) points at a file that exists and, with a
 *    #anchor, at a heading of that file, with heading ids made as GitHub makes them.
 * 3. docs/semantics.md states the model version of sim/version.ts, with a row in its table.
 *
 * Reproduce: npx vitest run test/docs.test.ts
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import GithubSlugger from 'github-slugger'
import { Lexer, marked, type Token, type Tokens } from 'marked'
import { describe, expect, test } from 'vitest'
import { MODEL_VERSION } from '../sim/version.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SEMANTICS = 'docs/semantics.md'
const CODE_DIRS = ['sim', 'scenarios', 'loadtest', 'reports', 'test']
const SKIP_DIRS = new Set(['node_modules', '.tools', 'out', 'fixtures', 'artifacts'])
const REPRODUCE = 'Reproduce: npx vitest run test/docs.test.ts'

// ---- Citations in code ----------------------------------------------------------------------

/** One rule cited at file:line: '§4.3', 'A8', 'F7' or 'decision 7'. */
export interface Citation {
  readonly id: string
  readonly file: string
  readonly line: number
}

const SECTION = /§(\d{1,2}(?:\.\d{1,2})?)(?![\d.]*\d)/g
/** A Part A rule: "A" and one or two digits standing alone (not in a word, a hex escape or %A9). */
const RULE_A = /(?<![\w%\\])A(\d{1,2})(?![\w%])/g
/** "rule 4", "Rule 5": a Part A rule by its bare number. */
const RULE_N = /\brules?\s+(\d{1,2})\b/gi
const FINDING = /\bfindings?\s+F(\d{1,2})\b|(?<![\w.])F(\d{1,2})\.(?!\d)/gi
const DECISION = /\bdecisions?\s+(\d{1,2})\b/gi
/** A Markdown file other than the semantics named before a section sign cites that file instead. */
const OTHER_DOC = /\b(?!isr-semantics\.md|semantics\.md)[\w-]+\.md\b/

/**
 * Whether "A<n>" at `index` (length `len`) of `line` is a rule citation rather than a word:
 * after "rule(s)", inside parentheses, or followed (through more A<n>s and , or /) by a
 * section sign, as in "A2/A3 §1.1", "A9/§5.1", "A6, §3".
 */
function isRuleA(line: string, index: number, len: number): boolean {
  const before = line.slice(0, index)
  const after = line.slice(index + len)
  if (/\brules?\s+$/i.test(before)) return true
  if (/\($/.test(before) && /^[),]/.test(after)) return true
  return /^(?:\s*[,/]\s*A\d{1,2}(?![\w%]))*\s*[,/]?\s*§\d/.test(after)
}

/** Every citation in one source text. */
export function citationsIn(file: string, text: string): Citation[] {
  const out: Citation[] = []
  text.split('\n').forEach((line, i) => {
    const at = (id: string) => out.push({ id, file, line: i + 1 })
    for (const m of line.matchAll(SECTION)) {
      if (!OTHER_DOC.test(line.slice(0, m.index))) at(`§${m[1]}`)
    }
    for (const m of line.matchAll(RULE_A)) if (isRuleA(line, m.index, m[0].length)) at(`A${m[1]}`)
    for (const m of line.matchAll(RULE_N)) at(`A${m[1]}`)
    for (const m of line.matchAll(FINDING)) at(`F${m[1] ?? m[2]}`)
    for (const m of line.matchAll(DECISION)) at(`decision ${m[1]}`)
  })
  return out
}

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = []
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) out.push(...filesUnder(path, keep))
    } else if (keep(entry.name)) out.push(path)
  }
  return out.sort()
}

// ---- What docs/semantics.md defines ---------------------------------------------------------

/** The text a reader sees in inline tokens (code spans keep their text, markup goes). */
function plainText(tokens: readonly Token[] | undefined): string {
  return (tokens ?? []).map((t) => {
    if (t.type === 'html') return ''
    const nested = (t as { tokens?: Token[] }).tokens
    return nested !== undefined ? plainText(nested) : ((t as { text?: string }).text ?? '')
  }).join('')
}

/** The identifiers one document defines: in its headings, at the start of list items, and its decisions. */
export function definedIn(markdown: string): Set<string> {
  const ids = new Set<string>()
  const name = (text: string, atStart: boolean) => {
    const head = atStart ? /^\s*(?:\*\*)?\s*/.exec(text)![0].length : 0
    const scan = atStart ? text.slice(head, head + 8) : text
    const anchored = atStart ? '^' : ''
    for (const m of scan.matchAll(new RegExp(`${anchored}§(\\d{1,2}(?:\\.\\d{1,2})?)(?![\\d.]*\\d)`, 'g'))) ids.add(`§${m[1]}`)
    for (const m of scan.matchAll(new RegExp(`${anchored}(?<![\\w%])([AF])(\\d{1,2})(?![\\w%])`, 'g'))) ids.add(`${m[1]}${m[2]}`)
  }
  let inDecisions = false
  for (const token of Lexer.lex(markdown)) {
    if (token.type === 'heading') {
      const text = plainText((token as Tokens.Heading).tokens)
      name(text, false)
      if ((token as Tokens.Heading).depth <= 2) inDecisions = /\bdecisions\b/i.test(text)
    } else if (token.type === 'list') {
      const list = token as Tokens.List
      list.items.forEach((item, k) => {
        name(item.text, true)
        if (inDecisions && list.ordered) ids.add(`decision ${Number(list.start === '' ? 1 : list.start) + k}`)
      })
    }
  }
  return ids
}

/** Citations with no home, as "file:line  id" lines. */
export function unresolved(citations: readonly Citation[], defined: ReadonlySet<string>): string[] {
  return citations.filter((c) => !defined.has(c.id)).map((c) => `${c.file}:${c.line}  ${c.id}`)
}

// ---- Links in Markdown ----------------------------------------------------------------------

const anchorCache = new Map<string, Set<string>>()

/** GitHub's heading ids of one document, duplicates numbered as GitHub numbers them. */
export function anchorsOf(markdown: string): Set<string> {
  const cached = anchorCache.get(markdown)
  if (cached !== undefined) return cached
  const slugger = new GithubSlugger()
  const out = new Set<string>()
  marked.walkTokens(Lexer.lex(markdown), (t) => {
    if (t.type === 'heading') out.add(slugger.slug(plainText((t as Tokens.Heading).tokens)))
  })
  anchorCache.set(markdown, out)
  return out
}

/**
 * Broken relative links of one Markdown file (`file` relative to `root`), as "file:line  href:
 * why". `read` gives another file's text (for its anchors).
 */
export function brokenLinks(root: string, file: string, markdown: string, read: (path: string) => string): string[] {
  const out: string[] = []
  const hrefs: string[] = []
  marked.walkTokens(Lexer.lex(markdown), (t) => {
    if (t.type === 'link' || t.type === 'image') hrefs.push((t as Tokens.Link).href)
  })
  for (const href of hrefs) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue // http(s), mailto: not ours to check
    const line = markdown.slice(0, Math.max(0, markdown.indexOf(`](${href}`))).split('\n').length
    const where = `${file}:${line}  ${href}`
    const hash = href.indexOf('#')
    const pathPart = decodeURIComponent(hash < 0 ? href : href.slice(0, hash))
    const anchor = hash < 0 ? null : decodeURIComponent(href.slice(hash + 1))
    const target = pathPart === '' ? join(root, file) : resolve(root, dirname(file), pathPart)
    if (pathPart !== '' && !existsSync(target)) {
      out.push(`${where}: ${relative(root, target)} does not exist`)
      continue
    }
    if (anchor === null) continue
    if (pathPart !== '' && (statSync(target).isDirectory() || !target.endsWith('.md'))) {
      out.push(`${where}: #${anchor} on a file that is not Markdown`)
      continue
    }
    const anchors = anchorsOf(pathPart === '' ? markdown : read(target))
    if (!anchors.has(anchor)) out.push(`${where}: no heading with id "${anchor}" in ${relative(root, target)}`)
  }
  return out
}

function markdownFiles(): string[] {
  const top = ['README.md'].map((f) => join(ROOT, f)).filter((f) => existsSync(f))
  const docs = filesUnder(join(ROOT, 'docs'), (n) => n.endsWith('.md'))
  const readmes = CODE_DIRS.flatMap((d) => filesUnder(join(ROOT, d), (n) => n === 'README.md'))
  return [...top, ...docs, ...readmes].map((f) => relative(ROOT, f))
}

// ---- Tests ----------------------------------------------------------------------------------

describe('citations in code and tests resolve to docs/semantics.md', () => {
  const defined = definedIn(readFileSync(join(ROOT, SEMANTICS), 'utf8'))
  const sources = CODE_DIRS.flatMap((d) => filesUnder(join(ROOT, d), (n) => n.endsWith('.ts')))

  test('every cited rule, finding and decision has a section or list item', () => {
    const citations = sources.flatMap((f) => citationsIn(relative(ROOT, f), readFileSync(f, 'utf8')))
    // The scan must see the citations there are (a broken regex cannot pass by finding none).
    expect(citations.length, `only ${citations.length} citations found in ${sources.length} files. ${REPRODUCE}`).toBeGreaterThan(50)
    const missing = unresolved(citations, defined)
    expect(missing, `citations with no heading or list item in ${SEMANTICS}:\n${missing.join('\n')}\n${REPRODUCE}`).toEqual([])
  })

  test('the semantics define every Part A rule, the sections the model rests on, the findings and the decisions', () => {
    const want = [
      ...Array.from({ length: 11 }, (_, i) => `A${i + 1}`),
      ...['§1.1', '§1.3', '§2', '§3', '§3.3', '§3.5', '§4', '§4.1', '§4.2', '§4.3', '§5.1', '§5.2', '§5.3', '§6', '§8', '§11.2', '§11.7'],
      ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `decision ${i + 1}`),
    ]
    expect(want.filter((id) => !defined.has(id)), `not defined in ${SEMANTICS}. ${REPRODUCE}`).toEqual([])
  })

  test('the semantics state the current model version, with a row saying what changed in it', () => {
    const text = readFileSync(join(ROOT, SEMANTICS), 'utf8')
    const stated = /^`(\d+)`, in every result as `modelVersion`/m.exec(text)?.[1]
    expect(stated, `${SEMANTICS} names model version ${stated}, sim/version.ts has ${MODEL_VERSION}. ${REPRODUCE}`).toBe(MODEL_VERSION)
    const rows = [...text.matchAll(/^\| (\d+) \| /gm)].map((m) => m[1])
    expect(rows, `${SEMANTICS}: the model version table needs a row for ${MODEL_VERSION}. ${REPRODUCE}`).toContain(MODEL_VERSION)
  })

  test('self-test: synthetic citations with no home are reported, with file and line', () => {
    // Built from parts, so that this file cites nothing itself.
    const S = '\u00a7'
    const D = 'decision'
    const text = [
      `// ${S}4.3 is real; ${S}99.9 and ${S}42 are not`,
      `describe('A${42}/A${43} ${S}1.1: ...')`,
      `/** see rule A${77}, finding F${99} and ${D} ${99} */`,
      `const x = 'caf%C3%A${9}' // VA${10}, A${10}B and 0xA${10} are words, not rules`,
    ].join('\n')
    const found = citationsIn('synthetic.ts', text)
    expect(found.map((c) => c.id)).toEqual([`${S}4.3`, `${S}99.9`, `${S}42`, `${S}1.1`, 'A42', 'A43', 'A77', 'F99', `${D} 99`])
    expect(unresolved(found, defined)).toEqual([
      `synthetic.ts:1  ${S}99.9`, `synthetic.ts:1  ${S}42`, 'synthetic.ts:2  A42', 'synthetic.ts:2  A43',
      'synthetic.ts:3  A77', 'synthetic.ts:3  F99', `synthetic.ts:3  ${D} 99`,
    ])
  })

  test('self-test: headings, leading list items and numbered decisions define; prose does not', () => {
    const doc = definedIn([
      '## §7 Headers', '', 'Prose about §8 and A3.', '', '### A9 Lowest wins', '',
      '- **F4. Cold requests** share', '- see F5 later', '', '## Decisions', '', '1. one', '2. two', '',
      '## Other', '', '3. not a decision',
    ].join('\n'))
    expect([...doc].sort()).toEqual(['A9', 'F4', 'decision 1', 'decision 2', '§7'])
  })
})

describe('links in the project\'s Markdown resolve', () => {
  const files = markdownFiles()

  test('every relative link points at a file that exists, and every #anchor at a heading', () => {
    expect(files).toContain('README.md')
    expect(files).toContain(SEMANTICS)
    const read = (p: string) => readFileSync(p, 'utf8')
    const broken = files.flatMap((f) => brokenLinks(ROOT, f, read(join(ROOT, f)), read))
    expect(broken, `broken links:\n${broken.join('\n')}\n${REPRODUCE}`).toEqual([])
  })

  test('self-test: a missing file, a missing anchor and an anchor of the same file are caught', () => {
    const md = '# Top\n\n## Cost model\n\n[ok](#cost-model) [bad](#costs) [gone](nope.md) [doc](docs/semantics.md#model-version) [x](https://example.com)\n'
    const read = (p: string) => readFileSync(p, 'utf8')
    expect(brokenLinks(ROOT, 'SYNTHETIC.md', md, read)).toEqual([
      'SYNTHETIC.md:5  #costs: no heading with id "costs" in SYNTHETIC.md',
      'SYNTHETIC.md:5  nope.md: nope.md does not exist',
    ])
  })

  test('heading ids are GitHub\'s: section signs and dots dropped, duplicates numbered', () => {
    const ids = anchorsOf('### §4.3 revalidateTag, updateTag and the tags manifest\n\n## `expire`\n\n## Crawlers\n\n## Crawlers\n')
    expect([...ids]).toEqual(['43-revalidatetag-updatetag-and-the-tags-manifest', 'expire', 'crawlers', 'crawlers-1'])
  })
})
