/** The CLI's file input and output, shared by the commands and the sweep runner. */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import { ScenarioError, UsageError } from '../kernel/errors.ts'
import { parseScenario } from '../scenario/parse.ts'
import { type Scenario } from '../scenario/schema.ts'

/** Write to a temporary file in the same directory, then rename: never a half-written output. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

const statOrNull = (p: string): Stats | null => {
  try {
    return statSync(p)
  } catch {
    return null
  }
}

/**
 * Fails with a one-line UsageError (exit 2) when `writeAtomic(file, ...)` could not write `file`:
 * the target is a directory, a parent is a file, or the nearest existing folder takes no new
 * file (no permission, a read-only file system). Call it for every output flag before the
 * simulation runs, so a typo costs nothing. It creates no folder: it tries a temporary file
 * in the nearest existing one (what writeAtomic needs; root passes permission bits, not a
 * read-only mount) and removes it.
 */
export function checkWritable(file: string, flag: string): void {
  const path = resolve(file)
  const say = (why: string) => new UsageError(`${flag} ${file}: ${why}`)
  const target = statOrNull(path)
  if (target?.isDirectory()) throw say('is a directory, not a file')
  let dir = dirname(path)
  for (;;) {
    const st = statOrNull(dir)
    if (st !== null) {
      if (!st.isDirectory()) throw say(`${dir} is a file, not a folder`)
      break
    }
    const up = dirname(dir)
    if (up === dir) throw say('no existing folder above it')
    dir = up
  }
  const probe = resolve(dir, `.isrsim-write-check.${process.pid}.tmp`)
  try {
    closeSync(openSync(probe, 'wx'))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code ?? (e as Error).message
    throw say(`cannot write in ${dir} (${why})`)
  }
  rmSync(probe, { force: true })
}

/** A JSON input file; unreadable or invalid JSON is a UsageError (exit 2) naming the file. */
export function readJsonFile(file: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`)
  }
}

/** Set to true on globalThis by a host that registered tsx's loader for the whole process (bin/isrsim.js). */
const TSX_REGISTERED = Symbol.for('isrsim.tsxRegistered')

/**
 * A user's .ts/.js module (a scenario). With tsx registered for the process, a file that loads
 * as an ES module joins the CLI's own module graph: tsImport would load a second copy of sim/
 * and zod under its namespace, about 190 more modules through the loader and 0.3-0.5 s of
 * every start. Elsewhere tsImport, which also loads a .ts file of a CommonJS package.
 */
export async function importUserModule(path: string): Promise<{ default?: unknown }> {
  const url = pathToFileURL(path).href
  if ((globalThis as Record<symbol, unknown>)[TSX_REGISTERED] === true && loadsAsEsm(path)) return (await import(url)) as { default?: unknown }
  return (await tsImport(url, import.meta.url)) as { default?: unknown }
}

/** Node's rule: .mts/.mjs always, .ts/.js when the nearest package.json says "type": "module". */
function loadsAsEsm(path: string): boolean {
  const ext = extname(path)
  if (ext === '.mts' || ext === '.mjs') return true
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module'
      } catch {
        return false
      }
    }
    if (dirname(dir) === dir) return false
  }
}

/** A scenario file (.json, or .ts/.js with `export default defineScenario(...)`), validated. */
export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file)
  const ext = extname(path)
  let input: unknown
  if (ext === '.json') {
    input = readJsonFile(file, 'scenario file')
  } else if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    let mod: { default?: unknown }
    try {
      mod = await importUserModule(path)
    } catch (e) {
      // The user's file may load its own copy of sim/ (another module instance): match by shape.
      if (e instanceof Error && e.name === 'ScenarioError' && Array.isArray((e as ScenarioError).issues)) throw new ScenarioError((e as ScenarioError).issues, file)
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(path)) throw new UsageError(`cannot read scenario file ${file}: ENOENT`)
      throw new UsageError(`${file}: failed to load (${(e as Error).message})`)
    }
    // A .ts file outside an ES module package loads as CommonJS: its default export arrives
    // as module.exports.default.
    let d = mod.default
    if (d !== null && typeof d === 'object' && 'default' in d && ('__esModule' in d || Object.keys(d).length === 1)) d = (d as { default: unknown }).default
    if (d === null || typeof d !== 'object' || Array.isArray(d)) {
      throw new UsageError(`${file}: the default export is not a scenario object (export default defineScenario({ ... })); received ${JSON.stringify(d) ?? typeof d}`)
    }
    input = d
  } else {
    throw new UsageError(`${file}: scenario files must end in .json, .ts, .mts, .js or .mjs; received "${ext || 'no extension'}"`)
  }
  return parseScenario(input, file)
}
