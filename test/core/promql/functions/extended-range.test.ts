/**
 * functions/extended-range.ts: changes / resets over anchored windows (anchoredChangesOrResets,
 * functions.go funcChanges / funcResets with pickFirstSampleIndices) over float, histogram and
 * mixed series, and range vectors under anchored / smoothed as results (extendFloats; the
 * expected points are what Prometheus 3.14's engine returns for the same queries).
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {CounterResetHint} from '../../../../src/core/histogram/schema.js'
import {anchoredChangesOrResets, extendFloats} from '../../../../src/core/promql/functions/extended-range.js'

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

describe('promql/functions extended-range extendFloats', () => {
  // fc: 1, 2, 3, ... every 15 s from 0
  const fts = Float64Array.from([0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000, 105_000])
  const fvs = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8])
  const pts = (r: {ts: Float64Array; vs: Float64Array} | undefined) => (r ? [...r.ts].map((t, i) => [t, r.vs[i]!]) : undefined)

  it('anchored: the anchor moved to the range start, the samples inside, the last value at the end', () => {
    // fc[30s] anchored at 50 s: the samples selected, up to the range end
    assert.deepEqual(pts(extendFloats(fts.subarray(0, 4), fvs.subarray(0, 4), 20_000, 50_000, false)), [[20_000, 2], [30_000, 3], [45_000, 4], [50_000, 4]])
    // without an anchor the first sample stands at the start
    assert.deepEqual(pts(extendFloats(fts.subarray(0, 1), fvs.subarray(0, 1), -29_000, 1_000, false)), [[-29_000, 1], [0, 1], [1_000, 1]])
  })

  it('smoothed: both edges interpolated', () => {
    assert.deepEqual(pts(extendFloats(fts, fvs, 20_000, 50_000, true)), [[20_000, 2.3333333333333335], [30_000, 3], [45_000, 4], [50_000, 4.333333333333333]])
  })

  it('smoothed with samples after the end only: their first value at both edges', () => {
    const ts = Float64Array.from([75_000, 90_000])
    const vs = Float64Array.from([5, 6])
    assert.deepEqual(pts(extendFloats(ts, vs, 20_000, 50_000, true)), [[20_000, 5], [50_000, 5]])
  })

  it('nothing after the range start: no series', () => {
    assert.equal(extendFloats(fts, fvs, 270_000, 300_000, true), undefined)
    assert.equal(extendFloats(new Float64Array(0), new Float64Array(0), 0, 1, false), undefined)
  })
})
