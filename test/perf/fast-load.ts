/** Loads a scenario file (.ts with a default export, or .json) as plain input for the fast-mode benchmarks. */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

export async function loadScenarioFile(file: string): Promise<Record<string, unknown>> {
  if (file.endsWith('.json')) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  const mod = (await import(pathToFileURL(resolve(file)).href)) as { default: Record<string, unknown> }
  return mod.default
}
