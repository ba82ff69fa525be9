/**
 * Native histograms through selectors and the API's JSON: vector and matrix selectors,
 * offset and @, staleness, instant and range results, and the float functions that leave
 * histograms out (Prometheus functions.go simpleFloatFunc, the *_over_time functions).
 * Prometheus 3 answers the same queries in test/interop/native-histograms-prometheus3.test.ts.
 */
import assert from 'node:assert/strict'
import {queryValueToApiData, queryValueToJson} from '../../../../src/core/api/value-json.js'
import {STALE_NAN} from '../../../../src/core/chunkenc/value.js'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {histogramJson} from '../../../../src/core/histogram/json.js'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

const h = (n: number): FloatHistogram =>
  FloatHistogram.of({schema: 0, count: 3 * n, sum: 10 * n, zeroThreshold: 0.001, zeroCount: n, positiveSpans: [0, 2], positiveBuckets: [n, n]})

describe('native histograms through the engine and the API JSON', () => {
  const q = new MemoryQueryable()
  // h: histograms at 0, 60, 120 s, stale at 180 s; mixed: floats at 0 and 60 s, histograms at 120 and 240 s
  const hs = [h(1), h(2), h(3)]
  q.add(labelsFromRecord({__name__: 'h', job: 'a'}), [0, 60_000, 120_000, 180_000], [NaN, NaN, NaN, STALE_NAN], [0, 0, 0, 1], undefined, [...hs, undefined])
  q.add(labelsFromRecord({__name__: 'mixed'}), [0, 60_000, 120_000, 240_000], [1, 2, NaN, NaN], [0, 0, 0, 0], undefined, [undefined, undefined, h(4), h(5)])
  const engine = new Engine()

  it('an instant vector selector returns the histogram; the JSON has `histogram` instead of `value`', async () => {
    const r = await engine.instantQuery(q, 'h', 90_000)
    assert.equal(r.value.type, 'vector')
    if (r.value.type !== 'vector') return
    assert.equal(r.value.samples.length, 1)
    assert.ok(r.value.samples[0]!.h!.equals(hs[1]!))
    assert.equal(queryValueToJson(r.value), `{"resultType":"vector","result":[{"metric":{"__name__":"h","job":"a"},"histogram":[90,${histogramJson(hs[1]!)}]}]}`)
    assert.equal(JSON.stringify(queryValueToApiData(r.value)), queryValueToJson(r.value))
  })

  it('offset and @ select earlier histograms', async () => {
    for (const [query, want] of [
      ['h offset 1m', hs[0]!],
      ['h @ 125', hs[2]!],
    ] as const) {
      const r = await engine.instantQuery(q, query, 90_000)
      assert.ok(r.value.type === 'vector' && r.value.samples[0]!.h!.equals(want), query)
    }
  })

  it('a stale histogram sample ends the series as a float stale marker does', async () => {
    const r = await engine.instantQuery(q, 'h', 200_000)
    assert.ok(r.value.type === 'vector' && r.value.samples.length === 0)
  })

  it('a range query writes floats in `values` and histograms in `histograms`, leaving out an empty key', async () => {
    const r = await engine.rangeQuery(q, '{__name__=~"h|mixed"}', 0, 240_000, 60_000)
    const json = queryValueToJson(r.value)
    assert.equal(
      json,
      '{"resultType":"matrix","result":[' +
        `{"metric":{"__name__":"h","job":"a"},"histograms":[[0,${histogramJson(hs[0]!)}],[60,${histogramJson(hs[1]!)}],[120,${histogramJson(hs[2]!)}]]},` +
        `{"metric":{"__name__":"mixed"},"values":[[0,"1"],[60,"2"]],"histograms":[[120,${histogramJson(h(4))}],[180,${histogramJson(h(4))}],[240,${histogramJson(h(5))}]]}` +
        ']}',
    )
    assert.equal(JSON.stringify(queryValueToApiData(r.value)), json)
  })

  it('a matrix selector returns the raw histogram samples', async () => {
    const r = await engine.instantQuery(q, 'mixed[5m]', 240_000)
    assert.equal(r.value.type, 'matrix')
    if (r.value.type !== 'matrix') return
    const s = r.value.series[0]!
    assert.deepEqual([...s.ts], [0, 60_000, 120_000, 240_000])
    assert.equal(s.hs?.[0], undefined)
    assert.ok(s.hs![3]!.equals(h(5)))
    assert.match(queryValueToJson(r.value), /"values":\[\[0,"1"\],\[60,"2"\]\],"histograms":\[\[120,/)
  })

  it('float-only functions and operators leave histograms out; counting functions count them', async () => {
    const empty = ['abs(h)', 'h + 1', 'max_over_time(h[5m])', 'max(h)', 'max_over_time(h[5m:1m])', 'sum_over_time(mixed[5m])']
    for (const query of empty) {
      const r = await engine.instantQuery(q, query, 130_000)
      assert.ok(r.value.type === 'vector' && r.value.samples.length === 0, query)
    }
    const r = await engine.instantQuery(q, 'sum_over_time(mixed[2m])', 60_000)
    assert.ok(r.value.type === 'vector' && r.value.samples[0]!.v === 3 && !r.value.samples[0]!.h, 'a float-only window of a mixed series sums its floats')
    const sum = await engine.instantQuery(q, 'sum_over_time(h[5m])', 130_000)
    const want = hs[0]!.copy()
    want.add(hs[1]!)
    want.add(hs[2]!)
    assert.ok(sum.value.type === 'vector' && sum.value.samples[0]!.h!.equals(want.compact(0)), 'sum_over_time adds histograms')
    const c = await engine.instantQuery(q, 'count_over_time(mixed[5m])', 130_000)
    assert.ok(c.value.type === 'vector' && c.value.samples[0]!.v === 3)
  })

  it('absent() and timestamp() see histogram samples', async () => {
    const a = await engine.instantQuery(q, 'absent(h)', 90_000)
    assert.ok(a.value.type === 'vector' && a.value.samples.length === 0)
    const t = await engine.instantQuery(q, 'timestamp(h)', 90_000)
    assert.ok(t.value.type === 'vector' && t.value.samples[0]!.v === 60 && !t.value.samples[0]!.h)
  })

  it('unary minus makes a gauge histogram', async () => {
    const r = await engine.instantQuery(q, '-h', 90_000)
    assert.ok(r.value.type === 'vector')
    const got = r.value.samples[0]!.h!
    assert.equal(got.count, -hs[1]!.count)
    assert.equal(got.counterResetHint, 3)
  })
})
