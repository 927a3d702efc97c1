/**
 * What a Pages Router page file says about caching, read with the TypeScript parser: its
 * exported `getStaticProps` (the `revalidate`, `notFound` and `redirect` of each object it
 * returns), `getStaticPaths` (`fallback`) and `getServerSideProps` (docs/semantics.md §14).
 */
import ts from 'typescript'
import { objectLiteral, property, staticValue, type Ctx } from './evaluate.ts'
import { lineOf, unwrap, type FunctionLike, type Mod, type Modules } from './modules.ts'

export interface PropsReturn {
  readonly line: number
  /** revalidate: a number of seconds, false, true (= 1 s), absent (undefined) or not static (its text). */
  readonly revalidate: number | false | undefined | { readonly unknown: string }
  readonly result: 'props' | 'notFound' | 'redirect'
}

export interface PagesSource {
  readonly file: string
  readonly getStaticProps?: { readonly line: number; readonly returns: readonly PropsReturn[] }
  readonly getStaticPaths?: { readonly line: number; readonly fallback: false | true | 'blocking' | { readonly unknown: string } | undefined; readonly fallbackLine: number | undefined }
  readonly getServerSideProps?: number
}

function exported(mod: Mod, name: string): FunctionLike | undefined {
  const local = mod.exports.get(name)
  return local === undefined ? undefined : mod.functions.get(local)
}

const declLine = (mod: Mod, fn: FunctionLike) => lineOf(mod.sf, fn.parent && ts.isVariableDeclaration(fn.parent) ? fn.parent : fn)

/** The expressions a function returns (a concise arrow body too), nested functions left out. */
function returned(fn: FunctionLike): ts.Expression[] {
  if (!fn.body) return []
  if (!ts.isBlock(fn.body)) return [fn.body]
  const out: ts.Expression[] = []
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)) return
    if (ts.isReturnStatement(n) && n.expression) out.push(n.expression)
    ts.forEachChild(n, visit)
  }
  visit(fn.body)
  return out
}

/** Both branches of `cond ? a : b`, each object literal it stands for. */
function objectsOf(e: ts.Expression, ctx: Ctx): ts.ObjectLiteralExpression[] {
  const u = unwrap(e)
  if (ts.isConditionalExpression(u)) return [...objectsOf(u.whenTrue, ctx), ...objectsOf(u.whenFalse, ctx)]
  const o = objectLiteral(u, ctx)
  return o ? [o.node] : []
}

export function readPagesSource(mods: Modules, file: string): PagesSource {
  const mod = mods.get(file)
  const ctx: Ctx = { mods, mod, env: new Map(), params: [], depth: 0 }
  const gsp = exported(mod, 'getStaticProps')
  const paths = exported(mod, 'getStaticPaths')
  const gssp = exported(mod, 'getServerSideProps')
  const out: { -readonly [K in keyof PagesSource]: PagesSource[K] } = { file: mod.file }
  if (gsp) {
    const returns: PropsReturn[] = []
    for (const e of returned(gsp)) {
      for (const o of objectsOf(e, ctx)) {
        const rv = property(o, 'revalidate').value
        let revalidate: PropsReturn['revalidate']
        if (rv) {
          const v = staticValue(rv, ctx)
          revalidate = 'value' in v ? (v.value === true ? 1 : v.value === false ? false : typeof v.value === 'number' ? v.value : { unknown: String(v.value) }) : { unknown: v.unknown }
        }
        const nf = property(o, 'notFound').value
        const notFound = nf !== undefined && (() => { const v = staticValue(nf, ctx); return !('value' in v) || v.value === true })()
        const result = notFound ? 'notFound' : property(o, 'redirect').value !== undefined ? 'redirect' : 'props'
        returns.push({ line: lineOf(mod.sf, o), revalidate, result })
      }
    }
    out.getStaticProps = { line: declLine(mod, gsp), returns }
  }
  if (paths) {
    let fallback: NonNullable<PagesSource['getStaticPaths']>['fallback']
    let fallbackLine: number | undefined
    for (const e of returned(paths)) {
      for (const o of objectsOf(e, ctx)) {
        const f = property(o, 'fallback').value
        if (!f) continue
        fallbackLine ??= lineOf(mod.sf, f)
        const v = staticValue(f, ctx)
        fallback ??= 'value' in v && (v.value === true || v.value === false || v.value === 'blocking') ? v.value : { unknown: 'value' in v ? JSON.stringify(v.value) : v.unknown }
      }
    }
    out.getStaticPaths = { line: declLine(mod, paths), fallback, fallbackLine }
  }
  if (gssp) out.getServerSideProps = declLine(mod, gssp)
  return out
}
