/**
 * The caching calls of issue 17 as the source writes them, read with the TypeScript parser:
 * a 'use cache' scope's `cacheLife(...)` and `cacheTag(...)` (also 15's `unstable_cacheLife` /
 * `unstable_cacheTag`, under whatever local name they are imported from next/cache), and
 * `unstable_cache(fn, keyParts, { revalidate, tags })`. Values are evaluated statically
 * (evaluate.ts): what cannot be known is kept as its source text for the warning.
 */
import ts from 'typescript'
import { objectLiteral, parts, property, staticValue, type Ctx, type Part, type Static } from './evaluate.ts'
import { lineOf, unwrap } from './modules.ts'

/** The directives isrsim maps: 'use cache' (each process's memory) and 'use cache: remote' (shared). */
export type CacheKind = 'use cache' | 'use cache: remote'

export type LifeArg =
  | { readonly preset: string }
  | { readonly custom: { readonly stale?: number; readonly revalidate?: number; readonly expire?: number } }
  | { readonly unknown: string }

export interface LifeCall { readonly arg: LifeArg; readonly line: number; readonly text: string }

export interface ScopeCalls {
  /** cacheLife(...) calls made directly in the scope (not in functions it defines). */
  readonly lives: readonly LifeCall[]
  /** cacheTag(...) arguments; null for one that cannot be read (a spread). */
  readonly tags: readonly (readonly Part[] | null)[]
  /** Line of the first cacheTag call. */
  readonly tagLine?: number
}

const LIFE_NAMES = ['cacheLife', 'unstable_cacheLife']
const TAG_NAMES = ['cacheTag', 'unstable_cacheTag']

/** What a call's callee is, when it is imported from next/cache: its exported name. */
export function nextCacheName(call: ts.CallExpression, ctx: Ctx): string | undefined {
  const callee = unwrap(call.expression)
  if (ts.isIdentifier(callee)) {
    if (ctx.env.has(callee.text)) return undefined
    const imp = ctx.mod.imports.get(callee.text)
    return imp?.spec === 'next/cache' && imp.name !== '*' ? imp.name : undefined
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const imp = ctx.mod.imports.get(callee.expression.text)
    return imp?.spec === 'next/cache' && imp.name === '*' ? callee.name.text : undefined
  }
  return undefined
}

/** The kind of a directive text; 'use cache: private' and custom handlers are not mapped (undefined). */
export function cacheKindOf(directive: string): CacheKind | undefined {
  const d = directive.replace(/\s+/g, ' ').trim()
  if (d === 'use cache' || d === 'use cache: default') return 'use cache'
  if (d === 'use cache: remote') return 'use cache: remote'
  return undefined
}

const isFunctionLike = (n: ts.Node) => ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)

/** The cacheLife and cacheTag calls of a scope's body. */
export function scopeCalls(body: ts.Node, ctx: Ctx): ScopeCalls {
  const lives: LifeCall[] = []
  const tags: (readonly Part[] | null)[] = []
  let tagLine: number | undefined
  const sf = ctx.mod.sf
  const visit = (n: ts.Node): void => {
    if (n !== body && isFunctionLike(n)) return
    if (ts.isCallExpression(n)) {
      const name = nextCacheName(n, ctx)
      if (name !== undefined && LIFE_NAMES.includes(name)) lives.push({ arg: lifeArg(n.arguments[0], ctx), line: lineOf(sf, n), text: n.getText(sf).replace(/\s+/g, ' ') })
      else if (name !== undefined && TAG_NAMES.includes(name)) {
        tagLine ??= lineOf(sf, n)
        for (const a of n.arguments) tags.push(ts.isSpreadElement(a) ? null : parts(a, ctx))
      }
    }
    ts.forEachChild(n, visit)
  }
  visit(body)
  return { lives, tags, ...(tagLine === undefined ? {} : { tagLine }) }
}

function lifeArg(e: ts.Expression | undefined, ctx: Ctx): LifeArg {
  if (!e) return { preset: 'default' }
  const v = staticValue(e, ctx)
  if ('value' in v && typeof v.value === 'string') return { preset: v.value }
  const obj = objectLiteral(e, ctx)
  if (!obj) return { unknown: e.getText(ctx.mod.sf) }
  const custom: { stale?: number; revalidate?: number; expire?: number } = {}
  for (const k of ['stale', 'revalidate', 'expire'] as const) {
    const p = property(obj.node, k)
    if (p.spread) return { unknown: e.getText(ctx.mod.sf) }
    if (!p.value) continue
    const x = staticValue(p.value, obj.ctx)
    if (!('value' in x) || typeof x.value !== 'number') return { unknown: e.getText(ctx.mod.sf) }
    custom[k] = x.value
  }
  return { custom }
}

export interface UnstableCacheCall {
  readonly line: number
  /** keyParts joined with "-", when they are static strings. */
  readonly key: string | undefined
  readonly revalidate?: Static
  /** null when the tags cannot be read statically. */
  readonly tags: readonly (readonly Part[])[] | null
  /** The options could not be read (a spread, or a value computed at run time). */
  readonly optionsUnknown: boolean
}

/** unstable_cache(fn, keyParts?, options?). */
export function readUnstableCache(call: ts.CallExpression, ctx: Ctx): UnstableCacheCall {
  const [, keyArg, optArg] = call.arguments
  let key: string | undefined
  if (keyArg) {
    const arr = unwrap(keyArg)
    if (ts.isArrayLiteralExpression(arr) && !arr.elements.some(ts.isSpreadElement)) {
      const strs = arr.elements.map((el) => staticValue(el, ctx)).map((v) => ('value' in v ? String(v.value) : undefined))
      if (strs.every((s) => s !== undefined)) key = strs.join('-')
    }
  }
  const base = { line: lineOf(ctx.mod.sf, call), key }
  if (!optArg) return { ...base, tags: [], optionsUnknown: false }
  const opts = objectLiteral(optArg, ctx)
  if (!opts) return { ...base, tags: null, optionsUnknown: true }
  const rev = property(opts.node, 'revalidate')
  const tp = property(opts.node, 'tags')
  let tags: (readonly Part[])[] | null = []
  if (tp.value) {
    const arr = unwrap(tp.value)
    tags = ts.isArrayLiteralExpression(arr) && !arr.elements.some(ts.isSpreadElement) ? arr.elements.map((el) => parts(el, opts.ctx)) : null
  }
  return { ...base, ...(rev.value ? { revalidate: staticValue(rev.value, opts.ctx) } : {}), tags, optionsUnknown: rev.spread }
}

/** Why a 'use cache: x' directive is not mapped to a scenario kind. */
export function unmappedWhy(directive: string): string {
  return /private/.test(directive) ? ' (a per-user cache of one request\'s cookies and headers, never in the shared caches)' : ' (a custom cache handler of next.config cacheHandlers, whose storage isrsim does not know)'
}

export const tagsHaveParam = (tags: readonly (readonly Part[] | null)[]) => tags.some((t) => t !== null && t.some((p) => p.kind === 'param'))

/** The name a function is declared under: `function f`, `const f = () =>`, a method. */
export function functionName(n: ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration): string | undefined {
  if (n.name && ts.isIdentifier(n.name)) return n.name.text
  return declaredName(n)
}

/** Whether the file calls `name(...)` with a route param among the arguments. */
export function callsWithParam(sf: ts.SourceFile, name: string, ctx: Ctx): boolean {
  let found = false
  const visit = (n: ts.Node): void => {
    if (found) return
    if (ts.isCallExpression(n) && ts.isIdentifier(unwrap(n.expression)) && (unwrap(n.expression) as ts.Identifier).text === name && n.arguments.some((a) => parts(a, ctx).some((p) => p.kind === 'param'))) found = true
    else ts.forEachChild(n, visit)
  }
  visit(sf)
  return found
}

/** `const NAME = <expr>`: the name, when the expression is a variable's initializer. */
export function declaredName(n: ts.Node): string | undefined {
  let p: ts.Node = n.parent
  while (ts.isParenthesizedExpression(p) || ts.isAwaitExpression(p) || ts.isAsExpression(p)) p = p.parent
  return ts.isVariableDeclaration(p) && ts.isIdentifier(p.name) ? p.name.text : undefined
}
