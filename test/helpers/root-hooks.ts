import {killAll} from './process.js'

/** Mocha root hooks: whatever a test file forgot to stop is killed when the run ends. */
export const mochaHooks = {
  afterAll(): void {
    killAll()
  },
}
