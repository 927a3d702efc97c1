/** Free loopback ports for the services the live driver starts. */
import { createServer } from 'node:net'

/** A port the kernel considers free right now (nginx and redis-server cannot listen on port 0 and tell us). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}
