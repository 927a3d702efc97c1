/**
 * Reading logs as streams: a file is read in 1 MiB chunks (gzip told by its magic bytes, not
 * its name, and inflated on the way), cut into lines here (LF or CRLF), and each line handed
 * over as (text, start, end) of the chunk's string, so no line is copied. Memory is flat in
 * the log's size: a chunk, and at most one partial line, are held at a time.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'
import { UsageError } from '../../sim/index.ts'

export type LineSink = (text: string, start: number, end: number, line: number) => void

export interface ReadOptions {
  /** Stop after this many lines (detection reads only the first ones). */
  readonly maxLines?: number
  /** Called now and then with the bytes read of the file (compressed bytes for gzip) and its size. */
  readonly onProgress?: (bytes: number, total: number) => void
}

export interface ReadSummary {
  readonly lines: number
  readonly gzip: boolean
}

const CHUNK = 1 << 20
const MAX_LINE = 64 << 20

/** Whether the file starts with gzip's magic bytes 1f 8b. */
export function isGzip(file: string): boolean {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (e) {
    throw new UsageError(`cannot read log ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  try {
    const b = Buffer.alloc(2)
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b
  } catch (e) {
    throw new UsageError(`cannot read log ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  } finally {
    closeSync(fd)
  }
}

function readError(file: string, gzip: boolean, line: number, e: unknown): Error {
  if (e instanceof UsageError) return e
  const err = e as NodeJS.ErrnoException
  if (gzip && (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message))) {
    return new UsageError(`${file}: the gzip file is truncated (it ends in the middle of its compressed data, after ${line} lines): the copy is incomplete. Copy it again, or recover the lines it has with "zcat ${file} > ${file.replace(/\.gz$/, '')}.partial.log" and pass that file (its last line may be cut)`)
  }
  if (gzip && (err.code === 'Z_DATA_ERROR' || err.code?.startsWith('Z_'))) {
    return new UsageError(`${file}: the gzip data is corrupt after ${line} lines (${err.message}): check the file with "gzip -t ${file}"`)
  }
  return new UsageError(`cannot read log ${file}: ${err.code ?? err.message}`)
}

/** Read `file` line by line (CRLF accepted), gzip or not. */
export async function readLines(file: string, onLine: LineSink, o: ReadOptions = {}): Promise<ReadSummary> {
  const gzip = isGzip(file)
  const total = statSync(file).size
  const raw = createReadStream(file, { highWaterMark: CHUNK })
  const gz = gzip ? createGunzip({ chunkSize: CHUNK }) : null
  if (gz) {
    raw.on('error', (e) => gz.destroy(e))
    raw.pipe(gz)
  }
  const stream = gz ?? raw
  const decoder = new StringDecoder('utf8')
  const max = o.maxLines ?? Number.POSITIVE_INFINITY
  let line = 0
  let carry = ''
  let nextProgress = 0
  const handle = (text: string): number => {
    let s = 0
    for (;;) {
      const nl = text.indexOf('\n', s)
      if (nl < 0) return s
      let e = nl
      if (e > s && text.charCodeAt(e - 1) === 13) e--
      onLine(text, s, e, ++line)
      s = nl + 1
      if (line >= max) return -1
    }
  }
  try {
    for await (const chunk of stream) {
      const text = carry === '' ? decoder.write(chunk as Buffer) : carry + decoder.write(chunk as Buffer)
      const rest = handle(text)
      if (rest < 0) return { lines: line, gzip }
      carry = rest < text.length ? text.slice(rest) : ''
      if (carry.length > MAX_LINE) throw new UsageError(`${file}:${line + 1}: a line longer than ${MAX_LINE >> 20} MB: this is not a text log`)
      if (o.onProgress && raw.bytesRead >= nextProgress) {
        o.onProgress(raw.bytesRead, total)
        nextProgress = raw.bytesRead + (32 << 20)
      }
    }
    const last = carry + decoder.end()
    if (last !== '' && line < max) {
      let e = last.length
      if (last.charCodeAt(e - 1) === 13) e--
      onLine(last, 0, e, ++line)
    }
    return { lines: line, gzip }
  } catch (e) {
    throw readError(file, gzip, line, e)
  } finally {
    raw.destroy()
    gz?.destroy()
  }
}
