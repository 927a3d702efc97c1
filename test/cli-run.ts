/**
 * Runs the real `isrsim` binary in a child process, as a user's shell would, and collects
 * what it printed. Shared by the tests that drive whole commands.
 */
import { execFile } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = join(ROOT, 'bin', 'isrsim.js')

export interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** `isrsim <args>` from the repository root; code is null when a signal ended it. GITHUB_STEP_SUMMARY is cleared so no test appends to CI's summary. */
export function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, GITHUB_STEP_SUMMARY: '' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr })
    })
  })
}
