/**
 * anchored / smoothed over native histograms (engine/extended-histogram.ts): the scripts in
 * testdata/, whose evals pass in Prometheus 3.14's own promqltest, then
 * the kernels directly (inputs left unchanged, result hints) and the annotations' positions,
 * which the scripts do not compare.
 */
import assert from 'node:assert/strict'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {CounterResetHint} from '../../../../src/core/histogram/schema.js'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import type {Annotation} from '../../../../src/core/promql/engine/annotations.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {extendedHistogramRate, extendedRateWithHistograms, interpolateHistograms} from '../../../../src/core/promql/engine/extended-histogram.js'
import type {HistogramIssues} from '../../../../src/core/promql/engine/histogram-ops.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import {runFile} from '../../../promql-conformance/runner.js'

// dist/test/core/promql/engine → the repository's test/ sources
const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'test', 'core', 'promql', 'engine', 'testdata')

const exp = (n: number, hint: CounterResetHint = CounterResetHint.Unknown): FloatHistogram =>
  FloatHistogram.of({schema: 0, count: n, sum: n, positiveSpans: [0, 1], positiveBuckets: [n], counterResetHint: hint})
const custom = (n: number): FloatHistogram => FloatHistogram.of({schema: -53, count: n, sum: n, positiveSpans: [0, 1], positiveBuckets: [n], customValues: [5, 10]})

function collect(): HistogramIssues & {seen: string[]} {
  const seen: string[] = []
  return {metricName: 'm', pos: {start: 0, end: 1}, seen, add: (a: Annotation) => seen.push(a.text)}
}

describe('promql/engine extended-histogram: anchored and smoothed over native histograms', () => {
  for (const [file, evals] of [
    ['extended-histograms.test', 36],
    ['extended-histograms-range.test', 94],
  ] as const) {
    it(`passes every eval of testdata/${file} (which Prometheus 3.14 passes too)`, async () => {
      const r = await runFile(join(TESTDATA, file))
      assert.deepEqual(r.failures, [])
      assert.equal(r.passed, evals)
    })
  }

  describe('interpolateHistograms', () => {
    it('a counter that reset restarts from zero: the later histogram scaled, keeping its reset hint', () => {
      const h = interpolateHistograms(exp(10), 0, exp(2, CounterResetHint.CounterReset), 15_000, 5_000, true)!
      assert.ok(Math.abs(h.count - 2 / 3) < 1e-12)
      assert.equal(h.counterResetHint, CounterResetHint.CounterReset)
    })

    it('a gauge that fell is interpolated linearly, as is a counter between its samples', () => {
      const g = interpolateHistograms(exp(4, CounterResetHint.Gauge), 0, exp(2, CounterResetHint.Gauge), 15_000, 7_000, false)!
      assert.ok(Math.abs(g.count - (4 - (2 * 7) / 15)) < 1e-12)
      assert.equal(g.counterResetHint, CounterResetHint.Gauge)
      const c = interpolateHistograms(exp(1), 0, exp(2), 15_000, 7_000, true)!
      assert.ok(Math.abs(c.count - (1 + 7 / 15)) < 1e-12)
    })

    it('at either sample a copy of it, never the sample itself', () => {
      const a = exp(1)
      const b = exp(2)
      const at = interpolateHistograms(a, 0, b, 10, 0, true)!
      assert.notEqual(at, a)
      assert.ok(at.equals(a))
      assert.ok(interpolateHistograms(a, 0, b, 10, 10, true)!.equals(b))
    })

    it('exponential with custom buckets: no result, the mixed-schema warning', () => {
      const issues = collect()
      assert.equal(interpolateHistograms(exp(1), 0, custom(1), 10, 5, false, issues), undefined)
      assert.deepEqual(issues.seen, ['PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name "m"'])
    })
  })

  describe('extendedHistogramRate', () => {
    const ts = Float64Array.from([0, 30_000, 60_000])
    it('anchored: last minus the anchor plus the sample before a reset; a gauge, the inputs unchanged', () => {
      const hs = [exp(5), exp(10), exp(3, CounterResetHint.CounterReset)]
      const before = hs.map((h) => h.copy())
      const r = extendedHistogramRate(ts, hs, 0, 3, 0, 70_000, 70_000, false, true, false)!
      assert.equal(r.count, 8)
      assert.equal(r.counterResetHint, CounterResetHint.Gauge)
      hs.forEach((h, i) => assert.ok(h.equals(before[i]!) && h.counterResetHint === before[i]!.counterResetHint))
      // rate: per second of the range
      assert.equal(extendedHistogramRate(ts, hs, 0, 3, 0, 70_000, 70_000, false, true, true)!.count, 8 / 70)
    })

    it('no result without a sample after the range start', () => {
      assert.equal(extendedHistogramRate(ts, [exp(1), exp(2), exp(3)], 0, 3, 60_000, 90_000, 30_000, false, true, false), undefined)
    })

    it('a gauge hint warns for a counter function; delta over counters warns it is not a gauge', () => {
      const issues = collect()
      extendedHistogramRate(ts, [exp(1), exp(2, CounterResetHint.Gauge), exp(3)], 0, 3, 0, 60_000, 60_000, false, true, false, issues)
      assert.deepEqual(issues.seen, ['PromQL warning: this native histogram metric is not a counter: "m"'])
      const delta = collect()
      assert.equal(extendedHistogramRate(ts, [exp(1), exp(2), exp(3)], 0, 3, 0, 60_000, 60_000, true, false, false, delta)!.count, 2)
      assert.deepEqual(delta.seen, ['PromQL warning: this native histogram metric is not a gauge: "m"'])
    })

    it('a window with floats too has no result (extendedRateWithHistograms)', () => {
      const issues = collect()
      const r = extendedRateWithHistograms({ts, hs: [undefined, exp(2), exp(3)]}, 0, 3, 0, 60_000, 60_000, false, 'rate', issues)
      assert.equal(r, undefined)
      assert.deepEqual(issues.seen, ['PromQL warning: encountered a mix of histograms and floats for metric name "m"'])
    })
  })

  describe('through the engine', () => {
    const engine = new Engine()
    const q = new MemoryQueryable()
    q.add(labelsFromRecord({__name__: 'mx'}), [0, 30_000, 60_000], [1, NaN, NaN], undefined, undefined, [undefined, exp(2), exp(3)])
    q.add(labelsFromRecord({__name__: 'hc'}), [0, 30_000, 60_000], [NaN, NaN, NaN], undefined, undefined, [exp(1), exp(2), exp(3)])

    it('warnings name the metric at the range argument (rate) or the selector (smoothed)', async () => {
      const rate = await engine.instantQuery(q, 'rate(mx[1m] anchored)', 60_000)
      assert.deepEqual(rate.warnings, ['PromQL warning: encountered a mix of histograms and floats for metric name "mx" (1:6)'])
      const sel = await engine.instantQuery(q, 'histogram_count(mx smoothed)', 45_000)
      assert.deepEqual(sel.warnings, ['PromQL warning: encountered a mix of histograms and floats for metric name "mx" (1:17)'])
    })

    it('a range vector of histograms under anchored or smoothed is refused as a result (engine.go matrixSelector)', async () => {
      await assert.rejects(engine.instantQuery(q, 'hc[30s] anchored', 60_000), /anchored modifier is not supported with histograms/)
      await assert.rejects(engine.instantQuery(q, 'mx[1m] smoothed', 60_000), /smoothed modifier is not supported with histograms/)
    })

    it('a histogram result carries no possible-non-counter info (engine.go looks at float results)', async () => {
      const r = await engine.instantQuery(q, 'increase(hc[1m] anchored)', 60_000)
      assert.deepEqual(r.infos ?? [], [])
      assert.ok(r.value.type === 'vector' && r.value.samples[0]!.h!.count === 2)
    })
  })
})
