// The CLI's loader set-up (bin/isrsim.js): tsx's ESM API only. `node --import tsx` also installs
// tsx's CommonJS hooks, under which the simulator ran 10-20% slower on this VM (measured;
// the same JavaScript, even code tsx did not compile), so the benchmarks load TypeScript this way.
import { register } from 'tsx/esm/api'

register()
