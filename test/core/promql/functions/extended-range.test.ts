/**
 * changes / resets over anchored windows (functions/extended-range.ts anchoredChangesOrResets,
 * functions.go funcChanges / funcResets with pickFirstSampleIndices) over float, histogram and
 * mixed series.
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {CounterResetHint} from '../../../../src/core/histogram/schema.js'
import {anchoredChangesOrResets} from '../../../../src/core/promql/functions/extended-range.js'

const h = (n: number, hint: CounterResetHint = CounterResetHint.Unknown): FloatHistogram =>
  FloatHistogram.of({schema: 0, count: n, sum: n, positiveSpans: [0, 1], positiveBuckets: [n], counterResetHint: hint})

const MIN = 60_000
const ts = Float64Array.from([0, MIN, 2 * MIN, 3 * MIN])

describe('promql/functions extended-range anchoredChangesOrResets', () => {
  it('from the anchor (the last sample at or before the range start), a float-histogram switch is a change and a reset', () => {
    const vs = Float64Array.from([NaN, NaN, NaN, 5])
    const hs = [h(1), h(2), h(3), undefined]
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 2 * MIN, true, hs), 1)
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 2 * MIN, false, hs), 1)
  })

  it('histograms before a float anchor are skipped', () => {
    const vs = Float64Array.from([NaN, NaN, 5, 2])
    const hs = [h(1), h(2), undefined, undefined]
    // the anchor is the float at 2m: only 5 -> 2 counts
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 2 * MIN, true, hs), 1)
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 3 * MIN, true, hs), undefined)
  })

  it('between histograms: changes counts what differs, resets what DetectReset says (a hint alone suffices)', () => {
    const vs = new Float64Array(4).fill(NaN)
    const same = [h(2), h(2), h(2), h(2)]
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 0, false, same), 0)
    const up = [h(1), h(2), h(3), h(3, CounterResetHint.CounterReset)]
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 0, false, up), 2)
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 0, true, up), 1)
    const down = [h(2), h(1), h(2), h(1)]
    assert.equal(anchoredChangesOrResets(ts, vs, undefined, 0, 4, 0, true, down), 2)
  })

  it('a start timestamp after the previous sample is a reset between histograms too', () => {
    const vs = new Float64Array(4).fill(NaN)
    // a start before the previous sample is no reset (an overlap); one after it is
    const st = Float64Array.from([0, 0, MIN - 1000, 0])
    assert.equal(anchoredChangesOrResets(ts, vs, st, 0, 4, 0, true, [h(1), h(2), h(3), h(4)]), 0)
    const st2 = Float64Array.from([0, 0, MIN + 1000, 0])
    assert.equal(anchoredChangesOrResets(ts, vs, st2, 0, 4, 0, true, [h(1), h(2), h(3), h(4)]), 1)
  })
})
