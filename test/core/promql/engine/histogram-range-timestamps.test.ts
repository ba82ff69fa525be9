/**
 * ts_of_first_over_time / ts_of_last_over_time read the timestamps of float and histogram
 * samples alike (promql/functions.go funcTsOfFirstOverTime, funcTsOfLastOverTime).
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

describe('ts_of_first/last_over_time over native histograms', () => {
  const h = FloatHistogram.of({schema: 1, count: 3, sum: 2})
  const q = new MemoryQueryable()
  q.add(labelsFromRecord({__name__: 'hist'}), [10_053, 20_106, 30_159], [NaN, NaN, NaN], [0, 0, 0], undefined, [h, h, h])
  q.add(labelsFromRecord({__name__: 'mix'}), [10_053, 20_106, 30_159], [NaN, 1, NaN], [0, 0, 0], undefined, [h, undefined, h])
  const engine = new Engine()
  const at = async (query: string): Promise<number[]> => {
    const r = await engine.instantQuery(q, query, 95_000)
    return r.value.type === 'vector' ? r.value.samples.map((s) => s.v) : []
  }

  it('histograms only', async () => {
    assert.deepEqual(await at('ts_of_first_over_time(hist[90s])'), [10.053])
    assert.deepEqual(await at('ts_of_last_over_time(hist[90s])'), [30.159])
  })

  it('floats and histograms mixed: the first and last of either kind', async () => {
    assert.deepEqual(await at('ts_of_first_over_time(mix[90s])'), [10.053])
    assert.deepEqual(await at('ts_of_last_over_time(mix[90s])'), [30.159])
  })
})
