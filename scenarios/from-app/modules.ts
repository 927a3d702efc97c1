/**
 * The app's source files as the TypeScript compiler parses them (no type checker: a parse is
 * all the import needs, and it is fast): each module's imports, top-level constants and
 * functions, its exports, and how its import specifiers resolve (relative paths and the
 * tsconfig/jsconfig `paths` aliases such as "@/lib/api"). Files outside the app folder or in
 * node_modules are never followed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'

export type FunctionLike = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression

export interface ImportBinding {
  readonly spec: string
  /** The exported name, "default", or "*" for a namespace import. */
  readonly name: string
}

export interface Mod {
  /** Relative to the app folder, with "/" separators. */
  readonly file: string
  readonly abs: string
  readonly sf: ts.SourceFile
  readonly imports: ReadonlyMap<string, ImportBinding>
  /** Top-level `const NAME = init` (and `let`), by name. */
  readonly consts: ReadonlyMap<string, ts.Expression>
  /** Top-level functions and `const f = () => ...`, by name. */
  readonly functions: ReadonlyMap<string, FunctionLike>
  /** Export name -> local name ("default" for `export default function f`). */
  readonly exports: ReadonlyMap<string, string>
  /** `export { x } from './y'` and `export * from './y'`. */
  readonly reexports: readonly { readonly spec: string; readonly name: string | '*'; readonly as: string | '*' }[]
  /** The file starts with 'use client' (its code runs in the browser, not in the render). */
  readonly useClient: boolean
  /** The file-level 'use cache' directive, if any (its line). */
  readonly useCacheLine: number | undefined
  /** Its text ('use cache', 'use cache: remote', ...). */
  readonly useCacheDirective: string | undefined
}

const EXTENSIONS = ['.tsx', '.ts', '.jsx', '.js', '.mjs', '.mts', '.cjs', '.cts']

export const lineOf = (sf: ts.SourceFile, node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX
  if (/\.[cm]?ts$/.test(file)) return ts.ScriptKind.TS
  return ts.ScriptKind.JSX // .js files of Next apps often hold JSX
}

/** The leading string directives of a block or file ('use client', 'use cache', ...). */
export function directives(statements: ts.NodeArray<ts.Statement>): { text: string; node: ts.Node }[] {
  const out: { text: string; node: ts.Node }[] = []
  for (const s of statements) {
    if (!ts.isExpressionStatement(s) || !ts.isStringLiteral(s.expression)) break
    out.push({ text: s.expression.text, node: s })
  }
  return out
}

const hasExport = (n: ts.Node) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
const hasDefault = (n: ts.Node) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)

function parseModule(appDir: string, abs: string): Mod {
  const text = readFileSync(abs, 'utf8')
  const sf = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true, scriptKind(abs))
  const imports = new Map<string, ImportBinding>()
  const consts = new Map<string, ts.Expression>()
  const functions = new Map<string, FunctionLike>()
  const exports = new Map<string, string>()
  const reexports: { spec: string; name: string; as: string }[] = []
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier)) {
      const spec = s.moduleSpecifier.text
      const c = s.importClause
      if (!c) continue
      if (c.name) imports.set(c.name.text, { spec, name: 'default' })
      const nb = c.namedBindings
      if (nb && ts.isNamespaceImport(nb)) imports.set(nb.name.text, { spec, name: '*' })
      else if (nb) for (const e of nb.elements) imports.set(e.name.text, { spec, name: (e.propertyName ?? e.name).text })
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer) continue
        const init = d.initializer
        const fn = unwrap(init)
        if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) functions.set(d.name.text, fn)
        consts.set(d.name.text, init)
        if (hasExport(s)) exports.set(d.name.text, d.name.text)
      }
    } else if (ts.isFunctionDeclaration(s)) {
      const name = s.name?.text ?? 'default'
      functions.set(name, s)
      if (hasExport(s)) exports.set(hasDefault(s) ? 'default' : name, name)
    } else if (ts.isExportAssignment(s) && !s.isExportEquals) {
      const e = unwrap(s.expression)
      if (ts.isIdentifier(e)) exports.set('default', e.text)
      else if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) { functions.set('default', e); exports.set('default', 'default') }
    } else if (ts.isExportDeclaration(s)) {
      const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined
      if (s.exportClause && ts.isNamedExports(s.exportClause)) {
        for (const e of s.exportClause.elements) {
          const local = (e.propertyName ?? e.name).text
          if (spec !== undefined) reexports.push({ spec, name: local, as: e.name.text })
          else exports.set(e.name.text, local)
        }
      } else if (spec !== undefined && !s.exportClause) reexports.push({ spec, name: '*', as: '*' })
    }
  }
  const dirs = directives(sf.statements)
  const useCache = dirs.find((d) => d.text.startsWith('use cache'))
  return {
    file: relative(appDir, abs).split(sep).join('/'), abs, sf, imports, consts, functions, exports, reexports,
    useClient: dirs.some((d) => d.text === 'use client'),
    useCacheLine: useCache ? lineOf(sf, useCache.node) : undefined,
    useCacheDirective: useCache?.text,
  }
}

/** Parentheses, `await`, `as`, `satisfies` and `!` removed. */
export function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAwaitExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression
    else return e
  }
}

/** Path aliases of tsconfig.json / jsconfig.json ("@/*" -> ["./src/*"]), read with TypeScript's own config parser. */
function readAliases(appDir: string): { prefix: string; targets: string[] }[] {
  for (const name of ['tsconfig.json', 'jsconfig.json']) {
    const f = join(appDir, name)
    if (!existsSync(f)) continue
    const { config } = ts.parseConfigFileTextToJson(f, readFileSync(f, 'utf8')) as { config?: { compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } } }
    const co = config?.compilerOptions
    const base = resolve(appDir, co?.baseUrl ?? '.')
    return Object.entries(co?.paths ?? {}).map(([k, v]) => ({ prefix: k.replace(/\*$/, ''), targets: v.map((t) => resolve(base, t.replace(/\*$/, ''))) }))
  }
  return []
}

export interface Modules {
  /** The parsed module at a path relative to the app folder (or absolute), cached. */
  get(file: string): Mod
  /** Where `spec` imported from `from` lives in the app, or undefined (a package, or not found). */
  resolveSpec(from: Mod, spec: string): Mod | undefined
}

export function modules(appDir: string): Modules {
  const cache = new Map<string, Mod>()
  const aliases = readAliases(appDir)
  const get = (file: string): Mod => {
    const abs = resolve(appDir, file)
    let m = cache.get(abs)
    if (!m) { m = parseModule(appDir, abs); cache.set(abs, m) }
    return m
  }
  const findFile = (base: string): string | undefined => {
    for (const c of [base, ...EXTENSIONS.map((x) => base + x), ...EXTENSIONS.map((x) => join(base, `index${x}`))]) {
      if (existsSync(c) && statSync(c).isFile() && /\.[cm]?[jt]sx?$/.test(c)) return c
    }
    // "./x.js" written for a ".ts" file (TypeScript's nodenext style)
    if (/\.[cm]?js$/.test(base)) return findFile(base.replace(/\.([cm]?)js$/, '.$1ts')) ?? findFile(base.replace(/\.js$/, '.tsx'))
    return undefined
  }
  const inApp = (abs: string) => !relative(appDir, abs).startsWith('..') && !abs.split(sep).includes('node_modules')
  return {
    get,
    resolveSpec(from, spec) {
      let found: string | undefined
      if (spec.startsWith('.')) found = findFile(resolve(dirname(from.abs), spec))
      else {
        for (const a of aliases) {
          if (!spec.startsWith(a.prefix)) continue
          for (const t of a.targets) { found = findFile(join(t, spec.slice(a.prefix.length))); if (found) break }
          if (found) break
        }
      }
      return found !== undefined && inApp(found) ? get(found) : undefined
    },
  }
}
