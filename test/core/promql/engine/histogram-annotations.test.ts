/**
 * Native-histogram annotations the promqltest scripts do not pin down (the conformance runner
 * covers the rest): a counter-reset collision and a bucket-layout clash in binary operators
 * (engine.go vectorElemBinop / handleVectorBinopError, which upstream leaves untested), and the
 * positions the formatted texts carry (the scripts compare texts without them). Over the engine
 * and an in-memory queryable whose histograms the test builds.
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {CounterResetHint} from '../../../../src/core/histogram/schema.js'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

const exp = (n: number, hint: CounterResetHint): FloatHistogram =>
  FloatHistogram.of({schema: 0, count: 2 * n, sum: 5 * n, positiveSpans: [0, 2], positiveBuckets: [n, 0], counterResetHint: hint})
const custom = (n: number): FloatHistogram =>
  FloatHistogram.of({schema: -53, count: n, sum: n, positiveSpans: [0, 1], positiveBuckets: [n], customValues: [5, 10]})

describe('promql/engine native-histogram annotations', () => {
  const engine = new Engine()
  const q = new MemoryQueryable()
  const ts = [0, 60_000]
  const nan = [NaN, NaN]
  q.add(labelsFromRecord({__name__: 'a', side: 'x'}), ts, nan, undefined, undefined, [exp(1, CounterResetHint.CounterReset), exp(1, CounterResetHint.CounterReset)])
  q.add(labelsFromRecord({__name__: 'b', side: 'x'}), ts, nan, undefined, undefined, [exp(2, CounterResetHint.NotCounterReset), exp(2, CounterResetHint.NotCounterReset)])
  q.add(labelsFromRecord({__name__: 'c', side: 'x'}), ts, nan, undefined, undefined, [custom(1), custom(1)])
  q.add(labelsFromRecord({__name__: 'f', side: 'x'}), ts, [1, 2])

  it('a sum of histograms hinting reset and not-reset warns and, as upstream returns it as an error, has no result', async () => {
    const r = await engine.instantQuery(q, 'a + ignoring(__name__) b', 60_000)
    assert.deepEqual(r.warnings, ['PromQL warning: conflicting counter resets during histogram addition (1:1)'])
    assert.equal(r.value.type === 'vector' ? r.value.samples.length : -1, 0)
    // same hints on both sides: a result, no warning
    const same = await engine.instantQuery(q, 'a + ignoring(__name__) a', 60_000)
    assert.deepEqual(same.warnings ?? [], [])
    assert.equal(same.value.type === 'vector' ? same.value.samples.length : -1, 1)
  })

  it('exponential with custom buckets in a binary operator warns of the bucket layout', async () => {
    const r = await engine.instantQuery(q, 'a - ignoring(__name__) c', 60_000)
    assert.deepEqual(r.warnings, ['PromQL warning: incompatible bucket layout encountered for binary operator - (1:1)'])
    assert.equal(r.value.type === 'vector' ? r.value.samples.length : -1, 0)
  })

  it('a histogram compared with a float gives an info at the operation, naming both types', async () => {
    const r = await engine.instantQuery(q, 'f < ignoring(__name__) a', 60_000)
    assert.deepEqual(r.infos, ['PromQL info: incompatible sample types encountered for binary operator "<": float < histogram (1:1)'])
  })

  it('ignored histograms: max at its inner expression, topk at the whole aggregation', async () => {
    const max = await engine.instantQuery(q, 'max({side="x"})', 60_000)
    assert.deepEqual(max.infos, ['PromQL info: ignored histogram in max aggregation (1:5)'])
    const topk = await engine.instantQuery(q, '  topk(1, {side="x"})', 60_000)
    assert.deepEqual(topk.infos, ['PromQL info: ignored histogram in topk aggregation (1:3)'])
  })

  it('sum over histograms and floats warns of the mix at the inner expression; exponential with custom names the metric', async () => {
    const mixed = await engine.instantQuery(q, 'sum({__name__=~"a|f"})', 60_000)
    assert.deepEqual(mixed.warnings, ['PromQL warning: encountered a mix of histograms and floats for aggregation (1:5)'])
    const schemas = await engine.instantQuery(q, 'sum({__name__=~"b|c"})', 60_000)
    assert.deepEqual(schemas.warnings, ['PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name "c" (1:5)'])
    assert.equal(schemas.value.type === 'vector' ? schemas.value.samples.length : -1, 0)
  })
})
