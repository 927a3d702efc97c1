/** The CLI's file input and output, shared by the commands and the sweep runner. */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { UsageError } from '../errors.ts'

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
