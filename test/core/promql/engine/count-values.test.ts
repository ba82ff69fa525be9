/**
 * count_values: a histogram sample's value as the label value, as Prometheus's
 * FloatHistogram.String prints it (the strings below are what Prometheus 3.14 prints for the
 * same histograms), and the label name check (engine.go: any valid UTF-8 but the empty string).
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {labelsFromRecord, labelsToString} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {histogramString} from '../../../../src/core/promql/functions/native-histogram.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

const nhcb = FloatHistogram.of({schema: -53, count: 5, sum: 1, customValues: [5, 10], positiveSpans: [0, 3], positiveBuckets: [1, 0, 4]})
const exp = FloatHistogram.of({
  schema: 1, count: 1e6, sum: -0.5, zeroCount: 2.5,
  positiveSpans: [-2, 2, 3, 1], positiveBuckets: [1, 1e-7, 3], negativeSpans: [0, 2], negativeBuckets: [1e21, 0],
})

describe('count_values over native histograms', () => {
  it('histogramString prints a histogram as Prometheus does: populated buckets low to high, the zero bucket between', () => {
    assert.equal(histogramString(nhcb), '{count:5, sum:1, [-Inf,5]:1, (10,+Inf]:4}')
    assert.equal(
      histogramString(exp),
      '{count:1e+06, sum:-0.5, [-1,-0.7071067811865475):1e+21, [-0,0]:2.5, (0.35355339059327373,0.5]:1, (0.5,0.7071067811865475]:1e-07, (2,2.82842712474619]:3}',
    )
  })

  const q = new MemoryQueryable()
  q.add(labelsFromRecord({__name__: 'v', i: '0'}), [0], [NaN], [0], undefined, [nhcb])
  q.add(labelsFromRecord({__name__: 'v', i: '1'}), [0], [NaN], [0], undefined, [nhcb])
  q.add(labelsFromRecord({__name__: 'v', i: '2'}), [0], [7], [0])
  const engine = new Engine()

  async function result(query: string): Promise<string[]> {
    const r = await engine.instantQuery(q, query, 10_000)
    assert.equal(r.value.type, 'vector')
    return r.value.type === 'vector' ? r.value.samples.map((s) => `${labelsToString(s.labels)} ${s.v}`).sort() : []
  }

  it('counts equal histograms under one label value, floats under theirs', async () => {
    assert.deepEqual(await result('count_values("x", v)'), ['{x="7"} 1', '{x="{count:5, sum:1, [-Inf,5]:1, (10,+Inf]:4}"} 2'])
  })

  it('without(...) that names the value label drops it again', async () => {
    assert.deepEqual(await result('count_values without (x) ("x", v)'), ['{i="0"} 1', '{i="1"} 1', '{i="2"} 1'])
  })

  it('refuses a label name that is not valid UTF-8, or empty, quoted as Go quotes it', async () => {
    await assert.rejects(engine.instantQuery(q, 'count_values("a\\xc5z", v)', 10_000), {message: 'invalid label name "a\\xc5z"'})
    await assert.rejects(engine.instantQuery(q, 'count_values("", v)', 10_000), {message: 'invalid label name ""'})
  })
})
