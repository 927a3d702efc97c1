/** The CLI's file input and output, shared by the commands and the sweep runner. */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
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
      // tsImport loads .ts whether or not the user's folder is an ES module package.
      mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown }
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
