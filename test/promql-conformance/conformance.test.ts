import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {OWN_TESTDATA, runDir} from './runner.js'

// dist/test/promql-conformance → repo root is three levels up
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

describe('PromQL conformance (Prometheus test scripts)', function () {
  this.timeout(300_000)

  it('passes at least the baseline number of cases', async () => {
    const baseline = (JSON.parse(readFileSync(join(ROOT, 'promql-baseline.json'), 'utf8')) as {passed: number}).passed
    const results = await runDir(join(ROOT, '..', 'shared', 'promql-testdata'))
    let passed = 0
    let failed = 0
    for (const r of results) {
      passed += r.passed
      failed += r.failed
      console.log(`      ${r.file}: passed ${r.passed}, failed ${r.failed}`)
    }
    console.log(`      ${passed} passed, ${failed} failed (baseline ${baseline})`)
    assert.ok(passed >= baseline, `passed ${passed} < baseline ${baseline}`)
  })

  it('passes every case of our own scripts (test/promql-conformance/testdata)', async () => {
    const results = await runDir(join(ROOT, OWN_TESTDATA))
    assert.ok(results.length > 0)
    for (const r of results) {
      assert.deepEqual(r.failures, [], r.file)
      assert.ok(r.passed > 0, r.file)
    }
  })
})
