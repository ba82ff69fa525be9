// Mocha's spec reporter plus one closing line `N passed, N failed, N skipped`, the plain
// summary format that CI tooling reads regardless of the test framework.
'use strict'
const Mocha = require('mocha')
const {EVENT_RUN_END} = Mocha.Runner.constants

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {}
      // printed after the spec epilogue
      process.nextTick(() => {
        process.stdout.write(`\n${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`)
      })
    })
  }
}

module.exports = SummaryReporter
