/**
 * The smoothed instant-vector selector (engine/smoothed-selector.ts, promql/engine.go
 * smoothSeries) on blocks the test builds: interpolation past stale markers, the lookback
 * edges, carried-forward histograms, mixed windows.
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {CounterResetHint} from '../../../../src/core/histogram/schema.js'
import type {Annotation} from '../../../../src/core/promql/engine/annotations.js'
import {smoothedSeries} from '../../../../src/core/promql/engine/smoothed-selector.js'
import type {SampleBlock} from '../../../../src/core/promql/queryable.js'

const h = (n: number): FloatHistogram => FloatHistogram.of({schema: 0, count: n, sum: n, positiveSpans: [0, 1], positiveBuckets: [n], counterResetHint: CounterResetHint.NotCounterReset})

function block(ts: number[], vs: number[], stale: number[], hs?: (FloatHistogram | undefined)[]): SampleBlock {
  const b: SampleBlock = {ts: Float64Array.from(ts), vs: Float64Array.from(vs), stale: Uint8Array.from(stale)}
  if (hs) b.hs = hs
  return b
}

function run(b: SampleBlock, eff: number[], lookback = 300_000) {
  const seen: string[] = []
  const s = smoothedSeries(b, [], Float64Array.from(eff), lookback, {metricName: 'm', pos: {start: 0, end: 1}, add: (a: Annotation) => seen.push(a.text)})
  return {s, seen}
}

describe('promql/engine smoothed-selector', () => {
  it('interpolates between the live samples around t, past a stale marker; exact and carried values as they are', () => {
    const {s} = run(block([0, 10_000, 20_000, 30_000], [1, 2, NaN, 4], [0, 0, 1, 0]), [10_000, 15_000, 40_000])
    assert.deepEqual([...s!.vals], [2, 2.5, 4])
    assert.deepEqual([...s!.has], [1, 1, 1])
    // timestamp() of a step: the sample it came from (the one before t when interpolated)
    assert.deepEqual([...s!.sampleTs!], [10_000, 10_000, 30_000])
  })

  it('the window is (t - lookback, t + lookback]: a sample exactly lookback before t is out, exactly after it in', () => {
    assert.equal(run(block([0, 600_000], [1, 6], [0, 0]), [300_000]).s, undefined)
    const {s} = run(block([0, 300_000], [1, 6], [0, 0]), [1])
    assert.ok(Math.abs(s!.vals[0]! - (1 + 5 / 300_000)) < 1e-12)
  })

  it('nothing before t: no value, even with a sample after it', () => {
    assert.equal(run(block([10_000], [1], [0]), [5_000]).s, undefined)
  })

  it('a histogram carried forward loses its counter-reset hint; the sample itself is not changed', () => {
    const a = h(3)
    const {s} = run(block([0], [NaN], [0], [a]), [60_000])
    assert.equal(s!.hists![0]!.counterResetHint, CounterResetHint.Unknown)
    assert.equal(a.counterResetHint, CounterResetHint.NotCounterReset)
    assert.ok(Number.isNaN(s!.vals[0]!))
  })

  it('a window of floats and histograms has no value and warns; a step whose window holds one kind still has one', () => {
    const {s, seen} = run(block([0, 30_000, 400_000], [1, NaN, NaN], [0, 0, 0], [undefined, h(2), h(4)]), [30_000, 650_000], 300_000)
    assert.deepEqual(seen, ['PromQL warning: encountered a mix of histograms and floats for metric name "m"'])
    assert.deepEqual([...s!.has], [0, 1])
    assert.equal(s!.hists![1]!.count, 4)
  })
})
