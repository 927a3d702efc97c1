/**
 * What a page or layout file says about caching, read with the TypeScript parser: its segment
 * config (`revalidate`, `dynamic`, `dynamicParams`, `fetchCache`), `generateStaticParams`,
 * request APIs (`cookies()`, `headers()`, `draftMode()` from next/headers, `connection()` from
 * next/server, under whatever local name they are imported; `searchParams` in a page), its
 * `fetch` calls with their options, and what isrsim does not model yet ('use cache',
 * `unstable_cache`, PPR). Helpers imported from the app's own modules are followed, their
 * parameters bound to the caller's arguments, so `getPost(slug)` in lib/ still gives
 * `post-{slug}`.
 */
import ts from 'typescript'
import { cacheKindOf, callsWithParam, declaredName, functionName, nextCacheName, readUnstableCache, scopeCalls, tagsHaveParam, unmappedWhy, type CacheKind, type ScopeCalls, type UnstableCacheCall } from './cache-calls.ts'
import { objectLiteral, parts, property, staticValue, type Bound, type Ctx, type Part, type Static } from './evaluate.ts'
import { directives, lineOf, unwrap, type FunctionLike, type Mod, type Modules } from './modules.ts'

export interface Finding {
  readonly file: string
  readonly line: number
  readonly what: string
  /** The call in the page or layout file that led there ("app/page.tsx:7"), when found in a helper. */
  readonly via?: string
}

export interface SourceFetch {
  readonly file: string
  readonly line: number
  readonly via?: string
  /** The URL argument as written (shortened), for messages. */
  readonly urlText: string
  readonly url: readonly Part[]
  /** `next.revalidate`, when given. */
  readonly revalidate?: Static
  /** `cache`, when given. */
  readonly cache?: Static
  /** `next.tags`; null when they cannot be read statically. */
  readonly tags: readonly (readonly Part[])[] | null
  /** The options object could not be read (a spread, or a value computed at run time). */
  readonly optionsUnknown: boolean
}

export interface ConfigValue<T> { readonly value: T; readonly line: number }

/** The page or layout component is itself a 'use cache' scope (a file-level directive, or one in its body). */
export interface CacheScope {
  readonly file: string
  readonly line: number
  readonly kind: CacheKind
  readonly calls: ScopeCalls
}

/** A cached data read the render makes: a 'use cache' function or an unstable_cache call. */
export type CachedRead = {
  readonly file: string
  readonly line: number
  readonly via?: string
  /** The function's name (or unstable_cache's key parts): the scenario fetch id. */
  readonly name: string
  /** Its arguments (or tags) carry a route param: one entry per path. */
  readonly perPath: boolean
} & ({ readonly type: 'use cache'; readonly kind: CacheKind; readonly calls: ScopeCalls } | { readonly type: 'unstable_cache'; readonly call: UnstableCacheCall })

export interface SegmentInfo {
  readonly file: string
  readonly revalidate?: ConfigValue<number | false>
  readonly dynamic?: ConfigValue<string>
  readonly dynamicParams?: ConfigValue<boolean>
  readonly fetchCache?: ConfigValue<string>
  readonly runtime?: ConfigValue<string>
  /** Line of `generateStaticParams`, when the file exports it. */
  readonly generateStaticParams?: number
  /** Segment config values that are not static literals (Next needs literals too). */
  readonly configProblems: readonly Finding[]
  /** cookies(), headers(), draftMode(), connection(), unstable_noStore(), searchParams. */
  readonly requestApis: readonly Finding[]
  readonly fetches: readonly SourceFetch[]
  /** The segment component is a 'use cache' scope. */
  readonly scope?: CacheScope
  /** 'use cache' functions and unstable_cache calls the render reaches. */
  readonly cached: readonly CachedRead[]
  /** notFound() from next/navigation, when the render calls it. */
  readonly notFound?: Finding
  /** experimental_ppr, 'use cache: private', custom cache handlers: not modelled yet. */
  readonly unmodelled: readonly Finding[]
}

const REQUEST_APIS: Readonly<Record<string, readonly string[]>> = {
  'next/headers': ['cookies', 'headers', 'draftMode'],
  'next/server': ['connection'],
  'next/cache': ['unstable_noStore'],
}
const MAX_DEPTH = 4

interface Acc {
  readonly requestApis: Finding[]
  readonly fetches: SourceFetch[]
  readonly unmodelled: Finding[]
  readonly visited: Set<string>
  readonly cached: CachedRead[]
  scope?: CacheScope
  notFound?: Finding
  /** The segment's component (its default export), which may be the route's 'use cache' scope. */
  readonly component?: ts.Node
}

/** A function exported (or defined) by a module, following re-exports; and the module it lives in. */
function findFunction(mods: Modules, mod: Mod, name: string, hops = 0): { mod: Mod; fn?: FunctionLike; init?: ts.Expression; name: string } | undefined {
  if (hops > 8) return undefined
  const local = mod.exports.get(name)
  if (local !== undefined) {
    const fn = mod.functions.get(local)
    if (fn) return { mod, fn, name: local }
    const init = mod.consts.get(local)
    if (init) return { mod, init, name: local }
  }
  for (const r of mod.reexports) {
    if (r.as !== name && r.as !== '*') continue
    const next = mods.resolveSpec(mod, r.spec)
    const found = next && findFunction(mods, next, r.name === '*' ? name : r.name, hops + 1)
    if (found) return found
  }
  return undefined
}

/** The helper's parameters bound to the call's arguments (evaluated where the call is). */
function bind(fn: FunctionLike, args: readonly ts.Expression[], caller: Ctx): Map<string, Bound> {
  const env = new Map<string, Bound>()
  fn.parameters.forEach((p, i) => {
    const arg = args[i]
    if (!arg) return
    if (ts.isIdentifier(p.name)) env.set(p.name.text, { node: arg, ctx: caller })
    else if (ts.isObjectBindingPattern(p.name)) {
      const obj = objectLiteral(arg, caller)
      for (const el of p.name.elements) {
        if (!ts.isIdentifier(el.name)) continue
        const key = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text
        const v = obj && property(obj.node, key).value
        if (v && obj) env.set(el.name.text, { node: v, ctx: obj.ctx })
      }
    }
  })
  return env
}

const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s).replace(/\s+/g, ' ')

function readFetch(call: ts.CallExpression, ctx: Ctx, via: string | undefined): SourceFetch {
  const sf = ctx.mod.sf
  const [urlArg, optArg] = call.arguments
  const base = { file: ctx.mod.file, line: lineOf(sf, call), ...(via === undefined ? {} : { via }), urlText: short(urlArg ? urlArg.getText(sf) : '?'), url: urlArg ? parts(urlArg, ctx) : [] }
  if (!optArg) return { ...base, tags: [], optionsUnknown: false }
  // An options parameter the caller did not pass: no options.
  const o = unwrap(optArg)
  if (ts.isIdentifier(o) && ctx.unbound?.has(o.text)) return { ...base, tags: [], optionsUnknown: false }
  const opts = objectLiteral(optArg, ctx)
  if (!opts) return { ...base, tags: null, optionsUnknown: true }
  const cache = property(opts.node, 'cache')
  const nextProp = property(opts.node, 'next')
  const next = nextProp.value ? objectLiteral(nextProp.value, opts.ctx) : undefined
  const revalidate = next ? property(next.node, 'revalidate') : undefined
  const tagsProp = next ? property(next.node, 'tags') : undefined
  let tags: (readonly Part[])[] | null = []
  if (tagsProp?.value) {
    const arr = unwrap(tagsProp.value)
    tags = ts.isArrayLiteralExpression(arr) && !arr.elements.some(ts.isSpreadElement) ? arr.elements.map((el) => parts(el, next!.ctx)) : null
  }
  return {
    ...base,
    ...(revalidate?.value ? { revalidate: staticValue(revalidate.value, next!.ctx) } : {}),
    ...(cache.value ? { cache: staticValue(cache.value, opts.ctx) } : {}),
    tags,
    optionsUnknown: cache.spread || nextProp.spread || (nextProp.value !== undefined && !next) || (next !== undefined && property(next.node, 'revalidate').spread),
  }
}

/** Walk code (a whole file, or a helper's body) collecting request APIs, fetches and unmodelled caching. */
function walk(root: ts.Node, ctx: Ctx, acc: Acc, via: string | undefined, isPage: boolean): void {
  const { mod, mods } = ctx
  const sf = mod.sf
  const here = (n: ts.Node) => `${mod.file}:${lineOf(sf, n)}`
  const find = (n: ts.Node, what: string): Finding => ({ file: mod.file, line: lineOf(sf, n), what, ...(via === undefined ? {} : { via }) })
  let searchParamsSeen = false
  const follow = (call: ts.CallExpression | ts.JsxSelfClosingElement | ts.JsxOpeningElement, target: { mod: Mod; fn?: FunctionLike; init?: ts.Expression; name: string }, props?: ts.ObjectLiteralExpression) => {
    const key = `${target.mod.file}#${target.name}`
    if (ctx.depth >= MAX_DEPTH || acc.visited.has(key)) return
    acc.visited.add(key)
    const nextVia = via ?? here(call)
    let fn = target.fn
    let body: ts.Node | undefined = fn?.body
    if (!fn && target.init) {
      // const getX = cache(async (id) => ...) or unstable_cache(fn, ...): the wrapped function.
      const init = unwrap(target.init)
      if (ts.isCallExpression(init)) {
        const inner = init.arguments[0] && unwrap(init.arguments[0])
        if (inner && (ts.isArrowFunction(inner) || ts.isFunctionExpression(inner))) fn = inner
        body = init
      }
    }
    if (!body || target.mod.useClient) return
    const args: readonly ts.Expression[] = ts.isCallExpression(call) ? call.arguments : props ? [props] : []
    // JSX props are a synthetic object literal (no source position): look at each prop's value.
    const values = args.flatMap((a) => (a.pos < 0 && ts.isObjectLiteralExpression(a) ? a.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : [])) : [a]))
    const withParam = values.some((a) => parts(a, ctx).some((p) => p.kind === 'param'))
    const tctx: Ctx = { mods, mod: target.mod, env: fn ? bind(fn, args, ctx) : new Map<string, Bound>(), params: ctx.params, depth: ctx.depth + 1 }
    // A 'use cache' function (its file's directive or its own): one cached entry; what it reads is inside it.
    const own = fn?.body && ts.isBlock(fn.body) ? directives(fn.body.statements).find((x) => x.text.startsWith('use cache')) : undefined
    const directive = own?.text ?? (fn ? target.mod.useCacheDirective : undefined)
    if (fn && directive !== undefined) {
      const kind = cacheKindOf(directive)
      const line = own ? lineOf(target.mod.sf, own.node) : lineOf(target.mod.sf, fn)
      if (kind === undefined) { acc.unmodelled.push({ file: target.mod.file, line, what: `'${directive}' function ${target.name}${unmappedWhy(directive)}`, via: nextVia }); return }
      const calls = scopeCalls(fn.body ?? fn, tctx)
      acc.cached.push({ type: 'use cache', kind, calls, file: target.mod.file, line, via: nextVia, name: target.name, perPath: withParam || tagsHaveParam(calls.tags) })
      return
    }
    // const getX = unstable_cache(async (id) => ..., ['x'], { revalidate, tags }).
    const init = target.init && unwrap(target.init)
    if (init && ts.isCallExpression(init) && nextCacheName(init, { ...tctx, env: new Map() }) === 'unstable_cache') {
      const uc = readUnstableCache(init, { ...tctx, env: new Map() })
      acc.cached.push({ type: 'unstable_cache', call: uc, file: target.mod.file, line: uc.line, via: nextVia, name: uc.key ?? target.name, perPath: withParam || tagsHaveParam(uc.tags ?? []) })
      return
    }
    const unbound = new Set(fn ? fn.parameters.flatMap((p, i) => (ts.isIdentifier(p.name) && i >= args.length ? [p.name.text] : [])) : [])
    walk(body, { ...tctx, unbound }, acc, nextVia, false)
  }
  const visit = (n: ts.Node): void => {
    if (ts.isTypeNode(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return
    // generateStaticParams runs at build only, not in the render.
    if (ctx.depth === 0 && (ts.isFunctionDeclaration(n) || ts.isVariableDeclaration(n)) && n.name && ts.isIdentifier(n.name) && n.name.text === 'generateStaticParams') return
    if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)) && n.body && ts.isBlock(n.body)) {
      const d = directives(n.body.statements).find((x) => x.text.startsWith('use cache'))
      const kind = d && cacheKindOf(d.text)
      if (d && kind === undefined) { acc.unmodelled.push(find(d.node, `'${d.text}' function${unmappedWhy(d.text)}`)); return }
      if (d && kind !== undefined && ctx.depth === 0 && n === acc.component) {
        // The page or layout itself is the scope: what it renders is walked as usual.
        acc.scope = { file: mod.file, line: lineOf(sf, d.node), kind, calls: scopeCalls(n.body, ctx) }
      } else if (d && kind !== undefined) {
        const calls = scopeCalls(n.body, ctx)
        acc.cached.push({ type: 'use cache', kind, calls, file: mod.file, line: lineOf(sf, d.node), ...(via === undefined ? {} : { via }), name: functionName(n) ?? `${mod.file.replace(/^.*\//, '').replace(/\..*$/, '')}-cached`, perPath: tagsHaveParam(calls.tags) || n.parameters.length > 0 && ctx.params.length > 0 })
        return
      }
    }
    if (ts.isCallExpression(n)) {
      const callee = unwrap(n.expression)
      if (ts.isIdentifier(callee) && callee.text === 'fetch' && !ctx.env.has('fetch') && !mod.imports.has('fetch')) acc.fetches.push(readFetch(n, ctx, via))
      else if (ts.isIdentifier(callee) || (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression))) {
        const local = ts.isIdentifier(callee) ? callee.text : (callee.expression as ts.Identifier).text
        const imp = ctx.env.has(local) ? undefined : mod.imports.get(local)
        const name = imp === undefined ? undefined : imp.name === '*' ? (ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined) : ts.isIdentifier(callee) ? imp.name : undefined
        if (imp && name !== undefined) {
          if (REQUEST_APIS[imp.spec]?.includes(name)) acc.requestApis.push(find(n, `calls ${name}()`))
          else if (imp.spec === 'next/cache' && name === 'unstable_cache') {
            // One cached entry; the fetches of its function are inside it (fetchCache force-no-store there).
            const uc = readUnstableCache(n, ctx)
            const outer = ts.isCallExpression(n.parent) && n.parent.expression === n ? n.parent.arguments : []
            const envParam = [...ctx.env.values()].some((b) => parts(b.node, b.ctx).some((p) => p.kind === 'param'))
            const local = declaredName(n)
            // `const getX = unstable_cache(...)` in this file: its calls here say whether the key has a param.
            const calledWithParam = local !== undefined && ctx.depth === 0 && callsWithParam(sf, local, ctx)
            acc.cached.push({ type: 'unstable_cache', call: uc, file: mod.file, line: uc.line, ...(via === undefined ? {} : { via }), name: uc.key ?? local ?? 'unstable_cache', perPath: envParam || calledWithParam || outer.some((a) => parts(a, ctx).some((p) => p.kind === 'param')) || tagsHaveParam(uc.tags ?? []) })
            return
          }
          else if (imp.spec === 'next/navigation' && name === 'notFound') acc.notFound ??= find(n, 'calls notFound()')
          else if (!imp.spec.startsWith('next/') && !imp.spec.startsWith('react')) {
            const target = mods.resolveSpec(mod, imp.spec)
            const fn = target && findFunction(mods, target, name)
            if (fn) follow(n, fn)
          }
        } else if (ts.isIdentifier(callee) && ctx.depth > 0 && !ctx.env.has(local)) {
          const fn = mod.functions.get(local)
          if (fn) follow(n, { mod, fn, name: local })
        }
      }
    }
    // <Comments slug={slug} />: an async server component from the app's modules renders (and fetches) too.
    if ((ts.isJsxSelfClosingElement(n) || ts.isJsxOpeningElement(n)) && ts.isIdentifier(n.tagName) && !ctx.env.has(n.tagName.text)) {
      const imp = mod.imports.get(n.tagName.text)
      const target = imp && imp.name !== '*' && !imp.spec.startsWith('next/') && !imp.spec.startsWith('react') ? mods.resolveSpec(mod, imp.spec) : undefined
      const fn = imp && target ? findFunction(mods, target, imp.name) : ctx.depth > 0 ? (() => { const f = mod.functions.get(n.tagName.text); return f ? { mod, fn: f, name: n.tagName.text } : undefined })() : undefined
      if (fn) follow(n, fn, jsxProps(n.attributes))
    }
    if (isPage && !searchParamsSeen && readsSearchParams(n)) {
      searchParamsSeen = true
      acc.requestApis.push(find(n, 'reads searchParams'))
    }
    ts.forEachChild(n, visit)
  }
  visit(root)
}

/** JSX attributes as the props object a component receives (`slug={slug}` -> { slug: slug }). */
function jsxProps(attrs: ts.JsxAttributes): ts.ObjectLiteralExpression {
  const props: ts.ObjectLiteralElementLike[] = []
  for (const a of attrs.properties) {
    if (!ts.isJsxAttribute(a) || !ts.isIdentifier(a.name)) continue
    const init = a.initializer === undefined ? undefined : ts.isStringLiteral(a.initializer) ? a.initializer : ts.isJsxExpression(a.initializer) ? a.initializer.expression : undefined
    if (init) props.push(ts.factory.createPropertyAssignment(a.name.text, init))
  }
  return ts.factory.createObjectLiteralExpression(props)
}

/** A read of the page's `searchParams` prop (not its declaration, not a URL's searchParams). */
function readsSearchParams(n: ts.Node): boolean {
  if (ts.isIdentifier(n) && n.text === 'searchParams') {
    const p = n.parent
    if ((ts.isBindingElement(p) && (p.name === n || p.propertyName === n)) || ts.isParameter(p)) return false
    if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p)) && p.name === n) return false
    if (ts.isPropertyAccessExpression(p) && p.name === n) return !/(url|URL|nextUrl|location)$/.test(p.expression.getText())
    return true
  }
  return false
}

const CONFIG = ['revalidate', 'dynamic', 'dynamicParams', 'fetchCache', 'runtime', 'experimental_ppr'] as const

export function analyzeSegment(mods: Modules, file: string, params: readonly string[], isPage: boolean): SegmentInfo {
  const mod = mods.get(file)
  const sf = mod.sf
  const ctx: Ctx = { mods, mod, env: new Map(), params, depth: 0 }
  const defaultLocal = mod.exports.get('default')
  const component = defaultLocal === undefined ? undefined : mod.functions.get(defaultLocal)
  const acc: Acc = { requestApis: [], fetches: [], unmodelled: [], visited: new Set(), cached: [], ...(component ? { component } : {}) }
  const configProblems: Finding[] = []
  const config: Record<string, ConfigValue<number | boolean | string>> = {}
  for (const s of sf.statements) {
    if (!ts.isVariableStatement(s) || !(ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue
    for (const d of s.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer || !(CONFIG as readonly string[]).includes(d.name.text)) continue
      const v = staticValue(d.initializer, ctx)
      if ('value' in v) config[d.name.text] = { value: v.value, line: lineOf(sf, d) }
      else configProblems.push({ file: mod.file, line: lineOf(sf, d), what: `export const ${d.name.text} = ${short(v.unknown)} is not a static value` })
    }
  }
  if (mod.useCacheLine !== undefined && mod.useCacheDirective !== undefined) {
    // A 'use cache' file: its default export (the page or layout) is the scope.
    const kind = cacheKindOf(mod.useCacheDirective)
    if (kind === undefined) acc.unmodelled.push({ file: mod.file, line: mod.useCacheLine, what: `'${mod.useCacheDirective}' file${unmappedWhy(mod.useCacheDirective)}` })
    else if (component) acc.scope = { file: mod.file, line: mod.useCacheLine, kind, calls: scopeCalls(component.body ?? component, ctx) }
  }
  if (config.experimental_ppr?.value === true) acc.unmodelled.push({ file: mod.file, line: config.experimental_ppr.line, what: 'experimental_ppr (Partial Prerendering)' })
  const gsp = mod.exports.has('generateStaticParams') ? mod.functions.get(mod.exports.get('generateStaticParams')!) ?? mod.consts.get(mod.exports.get('generateStaticParams')!) : undefined
  if (!mod.useClient) walk(sf, ctx, acc, undefined, isPage)
  else if (isPage) walkSearchParamsOnly(sf, mod, acc)
  const pick = <T,>(k: string, ok: (v: unknown) => v is T): ConfigValue<T> | undefined => {
    const c = config[k]
    if (c === undefined) return undefined
    if (ok(c.value)) return c as ConfigValue<T>
    configProblems.push({ file: mod.file, line: c.line, what: `export const ${k} = ${JSON.stringify(c.value)} is not a value Next accepts` })
    return undefined
  }
  const revalidate = pick('revalidate', (v): v is number | false => v === false || (typeof v === 'number' && v >= 0))
  const dynamic = pick('dynamic', (v): v is string => typeof v === 'string' && ['auto', 'force-dynamic', 'error', 'force-static'].includes(v))
  const dynamicParams = pick('dynamicParams', (v): v is boolean => typeof v === 'boolean')
  const fetchCache = pick('fetchCache', (v): v is string => typeof v === 'string')
  const runtime = pick('runtime', (v): v is string => typeof v === 'string')
  return {
    file: mod.file,
    ...(revalidate ? { revalidate } : {}),
    ...(dynamic ? { dynamic } : {}),
    ...(dynamicParams ? { dynamicParams } : {}),
    ...(fetchCache ? { fetchCache } : {}),
    ...(runtime ? { runtime } : {}),
    ...(gsp ? { generateStaticParams: lineOf(sf, gsp.parent && ts.isVariableDeclaration(gsp.parent) ? gsp.parent : gsp) } : {}),
    configProblems,
    requestApis: acc.requestApis,
    fetches: acc.fetches,
    cached: acc.cached,
    ...(acc.scope ? { scope: acc.scope } : {}),
    ...(acc.notFound ? { notFound: acc.notFound } : {}),
    unmodelled: acc.unmodelled,
  }
}

/** A 'use client' page still opts into dynamic rendering when it reads searchParams. */
function walkSearchParamsOnly(sf: ts.SourceFile, mod: Mod, acc: Acc): void {
  const visit = (n: ts.Node): boolean => {
    if (ts.isTypeNode(n)) return false
    if (readsSearchParams(n)) { acc.requestApis.push({ file: mod.file, line: lineOf(sf, n), what: 'reads searchParams' }); return true }
    return ts.forEachChild(n, visit) ?? false
  }
  visit(sf)
}

/** The line of the first exported HTTP handler of a route.ts (GET, POST, ...), else 1. */
export function routeHandlerLine(mods: Modules, file: string): number {
  const mod = mods.get(file)
  for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const local = mod.exports.get(m)
    const fn = local === undefined ? undefined : mod.functions.get(local) ?? mod.consts.get(local)
    if (fn) return lineOf(mod.sf, fn.parent && ts.isVariableDeclaration(fn.parent) ? fn.parent : fn)
  }
  return 1
}
