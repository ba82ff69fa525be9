import fc from 'fast-check'
import {killAll} from './process.js'

// Property tests run with a fixed seed so that CI is reproducible; FC_SEED=random explores new
// cases locally (fast-check prints the seed of any failure so it can be replayed).
if (process.env.FC_SEED !== 'random') fc.configureGlobal({seed: Number(process.env.FC_SEED ?? 20261125)})

/** Mocha root hooks: whatever a test file forgot to stop is killed when the run ends. */
export const mochaHooks = {
  afterAll(): void {
    killAll()
  },
}
