/**
 * A step-invariant subtree (a selector with @) is evaluated once and repeated at every step
 * (engine.go StepInvariantExpr): its histogram samples must be repeated too, as in
 * native_histograms.test's last_over_time(... @ start()[1h:1m] offset 1m16s).
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

describe('step-invariant expressions with native histograms', () => {
  const h = FloatHistogram.of({count: 3, sum: 14, positiveSpans: [0, 2], positiveBuckets: [1, 2]})
  const q = new MemoryQueryable()
  const ts = Array.from({length: 21}, (_, i) => i * 120_000)
  q.add(labelsFromRecord({__name__: 'd', pod: 'p'}), ts, ts.map(() => NaN), ts.map(() => 0), undefined, ts.map(() => h))
  const engine = new Engine()

  for (const query of ['d @ start()', 'last_over_time(d @ start()[1h:1m] offset 1m16s)']) {
    it(`${query}: the histogram at every step`, async () => {
      const r = await engine.rangeQuery(q, query, 0, 60_000, 15_000)
      assert.equal(r.value.type, 'matrix')
      if (r.value.type !== 'matrix') return
      assert.equal(r.value.series.length, 1)
      const s = r.value.series[0]!
      assert.deepEqual([...s.ts], [0, 15_000, 30_000, 45_000, 60_000])
      assert.ok(s.hs?.length === 5 && s.hs.every((x) => x?.equals(h)), JSON.stringify(s.hs))
    })
  }
})
