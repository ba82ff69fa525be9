/**
 * info() with native histograms (promql/info.go combineWithInfoVector): an info series with a
 * histogram sample at a step with base samples is an error; base histograms keep their value
 * and gain the info labels.
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {labelsFromRecord, labelsToString} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

const hist = FloatHistogram.of({schema: 1, count: 22, sum: 3, positiveSpans: [0, 3], positiveBuckets: [5, 10, 7]})

describe('info() with native histograms', () => {
  const q = new MemoryQueryable()
  q.add(labelsFromRecord({__name__: 'metric', instance: 'a', job: '1'}), [0, 300_000], [0, 1], [0, 0])
  q.add(labelsFromRecord({__name__: 'histogram', instance: 'a', job: '1'}), [0], [NaN], [0], undefined, [hist])
  q.add(labelsFromRecord({__name__: 'target_info', instance: 'a', job: '1', data: 'x'}), [0, 300_000], [1, 1], [0, 0])
  const engine = new Engine()

  it('an info series whose sample is a histogram is an error', async () => {
    await assert.rejects(engine.rangeQuery(q, 'info(metric, {__name__="histogram"})', 0, 600_000, 300_000), {message: 'info sample should be float'})
  })

  it('no error at steps without base samples', async () => {
    const r = await engine.instantQuery(q, 'info(nothing, {__name__="histogram"})', 0)
    assert.ok(r.value.type === 'vector' && r.value.samples.length === 0)
  })

  it('a base histogram keeps its value and gets the data labels', async () => {
    const r = await engine.instantQuery(q, 'info(histogram)', 0)
    assert.equal(r.value.type, 'vector')
    if (r.value.type !== 'vector') return
    assert.equal(r.value.samples.length, 1)
    assert.equal(labelsToString(r.value.samples[0]!.labels), 'histogram{data="x", instance="a", job="1"}')
    assert.ok(r.value.samples[0]!.h?.equals(hist))
  })
})
