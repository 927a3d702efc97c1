/**
 * What the import tests share: `isrsim import` and `isrsim run` of a real build through the real
 * binary, a fixture file's line numbers, and scratch apps written for the source readers.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll } from 'vitest'
import { parseScenario, type Scenario, type SimResult } from '../sim/index.ts'
import { BIN, ROOT } from './cli-run.ts'
import { FIXTURES_DIR } from './fixture-apps.ts'

/** `isrsim <args>`, synchronously, from the repository root. */
export function isrsim(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** `isrsim import <build>` then `isrsim run` of the scenario it wrote: both must exit 0. */
export function importAndRun(buildDir: string): { scenario: Scenario; result: SimResult; importStderr: string } {
  const out = mkdtempSync(join(tmpdir(), 'isrsim-import-'))
  try {
    const imp = isrsim(['import', buildDir, '--out', join(out, 'x.json')])
    if (imp.status !== 0) throw new Error(`isrsim import ${buildDir} --out x.json exited ${imp.status}:\n${imp.stderr}`)
    const run = isrsim(['run', join(out, 'x.json'), '--out', join(out, 'r.json')])
    if (run.status !== 0) throw new Error(`isrsim run x.json (imported from ${buildDir}) exited ${run.status}:\n${run.stderr.slice(-3000)}`)
    return {
      scenario: parseScenario(JSON.parse(readFileSync(join(out, 'x.json'), 'utf8')), 'x.json'),
      result: JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as SimResult,
      importStderr: imp.stderr,
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** Line of the first line of a fixture file that contains `needle` (so the expectations follow the file). */
export function lineIn(fixture: string, file: string, needle: string): number {
  const i = readFileSync(join(FIXTURES_DIR, fixture, file), 'utf8').split('\n').findIndex((l) => l.includes(needle))
  if (i < 0) throw new Error(`${fixture}/${file} has no line with ${JSON.stringify(needle)}`)
  return i + 1
}

/** Scratch apps under one temporary folder, removed after the file's tests: path -> source. */
export function scratchApps(prefix: string): (files: Record<string, string>) => string {
  const root = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  let n = 0
  return (files) => {
    const dir = join(root, `app${n++}`)
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true })
      writeFileSync(join(dir, p), text.replace(/^\n/, ''))
    }
    return dir
  }
}
