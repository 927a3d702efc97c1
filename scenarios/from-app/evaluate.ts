/**
 * Static evaluation of the expressions that matter to caching: segment config values, fetch
 * URLs and options, tags. A string becomes parts: literal text, a route param ("{slug}") or
 * something unknown (an environment variable, a value read at run time). Identifiers resolve
 * through the call's bindings (a helper's parameters bound to the caller's arguments), the
 * module's top-level constants and imported constants of the app's own modules.
 */
import ts from 'typescript'
import { unwrap, type Mod, type Modules } from './modules.ts'

export type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'unknown'; readonly text: string }

/** Where an expression is evaluated. */
export interface Ctx {
  readonly mods: Modules
  readonly mod: Mod
  /** A called helper's parameters, bound to the caller's argument expressions. */
  readonly env: ReadonlyMap<string, Bound>
  /** The route's param names ("slug"). In the segment file itself an identifier or `params.x` of that name is the param. */
  readonly params: readonly string[]
  /** 0 in the page or layout file; one more per helper followed. */
  readonly depth: number
  /** A helper's parameters the caller did not pass (undefined). */
  readonly unbound?: ReadonlySet<string>
}
export interface Bound { readonly node: ts.Expression; readonly ctx: Ctx }

const MAX_RESOLVE = 8

/** The constant or binding an identifier names, evaluated where it was written. */
function lookup(name: string, ctx: Ctx, hops: number): Bound | undefined {
  if (hops > MAX_RESOLVE) return undefined
  const bound = ctx.env.get(name)
  if (bound) return bound
  const init = ctx.mod.consts.get(name)
  if (init) return { node: init, ctx: { ...ctx, env: new Map() } }
  const imp = ctx.mod.imports.get(name)
  if (imp && imp.name !== '*') {
    const target = ctx.mods.resolveSpec(ctx.mod, imp.spec)
    if (target) return exportedConst(target, imp.name, ctx, hops + 1)
  }
  return undefined
}

function exportedConst(mod: Mod, name: string, ctx: Ctx, hops: number): Bound | undefined {
  if (hops > MAX_RESOLVE) return undefined
  const local = mod.exports.get(name)
  const init = local === undefined ? undefined : mod.consts.get(local)
  if (init) return { node: init, ctx: { ...ctx, mod, env: new Map(), depth: ctx.depth + 1 } }
  for (const r of mod.reexports) {
    if (r.as !== name && r.as !== '*') continue
    const next = ctx.mods.resolveSpec(mod, r.spec)
    const found = next && exportedConst(next, r.name === '*' ? name : r.name, ctx, hops + 1)
    if (found) return found
  }
  return undefined
}

const isParamsObject = (e: ts.Expression, sf: ts.SourceFile) => /params$/i.test(unwrap(e).getText(sf).replace(/[\s()]|await/g, ''))

/** A string expression as parts; never fails (what cannot be known is an "unknown" part). */
export function parts(e: ts.Expression, ctx: Ctx, hops = 0): Part[] {
  const sf = ctx.mod.sf
  const unknown = (): Part[] => [{ kind: 'unknown', text: e.getText(sf) }]
  if (hops > MAX_RESOLVE) return unknown()
  e = unwrap(e)
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [{ kind: 'text', text: e.text }]
  if (ts.isNumericLiteral(e)) return [{ kind: 'text', text: e.text }]
  if (ts.isTemplateExpression(e)) {
    const out: Part[] = [{ kind: 'text', text: e.head.text }]
    for (const s of e.templateSpans) out.push(...parts(s.expression, ctx, hops + 1), { kind: 'text', text: s.literal.text })
    return merge(out)
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return merge([...parts(e.left, ctx, hops + 1), ...parts(e.right, ctx, hops + 1)])
  if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
    const left = parts(e.left, ctx, hops + 1)
    return left.some((p) => p.kind === 'unknown') ? unknown() : left
  }
  if (ts.isIdentifier(e)) {
    if (ctx.depth === 0 && ctx.params.includes(e.text) && !ctx.env.has(e.text)) return [{ kind: 'param', name: e.text }]
    const b = lookup(e.text, ctx, hops)
    return b ? parts(b.node, b.ctx, hops + 1) : unknown()
  }
  if (ts.isPropertyAccessExpression(e)) {
    const name = e.name.text
    if (ctx.params.includes(name) && isParamsObject(e.expression, sf)) return [{ kind: 'param', name }]
    // props.slug, where props is bound to an object literal (a component's JSX attributes)
    const obj = objectLiteral(e.expression, ctx, hops + 1)
    const v = obj && property(obj.node, name).value
    return v && obj ? parts(v, obj.ctx, hops + 1) : unknown()
  }
  if (ts.isCallExpression(e)) {
    const callee = unwrap(e.expression)
    // slug.join('/'), String(id), encodeURIComponent(slug), id.toString(): the same param
    if (ts.isPropertyAccessExpression(callee) && ['join', 'toString', 'toLowerCase', 'trim'].includes(callee.name.text)) {
      const inner = parts(callee.expression, ctx, hops + 1)
      return inner.length === 1 && inner[0]!.kind === 'param' ? inner : unknown()
    }
    if (ts.isIdentifier(callee) && ['String', 'encodeURIComponent', 'encodeURI'].includes(callee.text) && e.arguments[0]) return parts(e.arguments[0], ctx, hops + 1)
  }
  return unknown()
}

function merge(ps: Part[]): Part[] {
  const out: Part[] = []
  for (const p of ps) {
    const last = out[out.length - 1]
    if (p.kind === 'text' && p.text === '') continue
    if (p.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text }
    else out.push(p)
  }
  return out
}

/** Parts as a template: "post-{slug}"; null when any part is unknown. */
export function template(ps: readonly Part[]): string | null {
  let s = ''
  for (const p of ps) {
    if (p.kind === 'unknown') return null
    s += p.kind === 'text' ? p.text : `{${p.name}}`
  }
  return s
}

export type Static = { readonly value: number | boolean | string } | { readonly unknown: string }

/** A literal value (number, boolean, string, simple arithmetic); otherwise the source text. */
export function staticValue(e: ts.Expression, ctx: Ctx, hops = 0): Static {
  const sf = ctx.mod.sf
  const text = { get unknown() { return e.getText(sf) } }
  if (hops > MAX_RESOLVE) return text
  e = unwrap(e)
  if (ts.isNumericLiteral(e)) return { value: Number(e.text) }
  if (e.kind === ts.SyntaxKind.TrueKeyword) return { value: true }
  if (e.kind === ts.SyntaxKind.FalseKeyword) return { value: false }
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { value: e.text }
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) {
    const v = staticValue(e.operand, ctx, hops + 1)
    return 'value' in v && typeof v.value === 'number' ? { value: -v.value } : text
  }
  if (ts.isBinaryExpression(e)) {
    const a = staticValue(e.left, ctx, hops + 1)
    const b = staticValue(e.right, ctx, hops + 1)
    if (!('value' in a) || !('value' in b) || typeof a.value !== 'number' || typeof b.value !== 'number') return text
    switch (e.operatorToken.kind) {
      case ts.SyntaxKind.AsteriskToken: return { value: a.value * b.value }
      case ts.SyntaxKind.PlusToken: return { value: a.value + b.value }
      case ts.SyntaxKind.MinusToken: return { value: a.value - b.value }
      case ts.SyntaxKind.SlashToken: return { value: a.value / b.value }
      default: return text
    }
  }
  if (ts.isIdentifier(e)) {
    const b = lookup(e.text, ctx, hops)
    return b ? staticValue(b.node, b.ctx, hops + 1) : text
  }
  return text
}

/** An object literal the expression stands for (through bindings and constants), with where it was written. */
export function objectLiteral(e: ts.Expression, ctx: Ctx, hops = 0): { readonly node: ts.ObjectLiteralExpression; readonly ctx: Ctx } | undefined {
  if (hops > MAX_RESOLVE) return undefined
  e = unwrap(e)
  if (ts.isObjectLiteralExpression(e)) return { node: e, ctx }
  if (ts.isIdentifier(e)) {
    const b = lookup(e.text, ctx, hops)
    return b ? objectLiteral(b.node, b.ctx, hops + 1) : undefined
  }
  return undefined
}

/** A property of an object literal: its value expression, and whether spreads make the answer uncertain. */
export function property(obj: ts.ObjectLiteralExpression, name: string): { readonly value: ts.Expression | undefined; readonly spread: boolean } {
  let value: ts.Expression | undefined
  let spread = false
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) spread = true
    else if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name) value = p.initializer
    else if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) value = p.name
  }
  return { value, spread }
}
