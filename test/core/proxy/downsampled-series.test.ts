/**
 * The querier's reading of downsampled chunks (proxy/downsampled-series.ts) against Thanos's
 * rules (pkg/query/querier.go aggrsFromFunc, maxResolutionFromSelectHints; pkg/query/iter.go;
 * downsample.ApplyCounterResetsSeriesIterator, AverageChunkIterator), on chunks our XOR encoder
 * writes. The interop test (test/interop/downsampled.test.ts) checks the same against the real
 * Thanos over real downsampled blocks.
 */
import assert from 'node:assert/strict'
import {XorChunkEncoder} from '../../../src/core/chunkenc/xor-encoder.js'
import {decodeXorChunk} from '../../../src/core/chunkenc/xor-decoder.js'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {aggregatesForFunc, CounterSeries, downsampledSeries, maxResolutionForSelect} from '../../../src/core/proxy/downsampled-series.js'
import type {SampleIterator, Series} from '../../../src/core/promql/queryable.js'
import {Aggr, AGGREGATES_ENCODING, type StoreChunk} from '../../../src/core/storepb/store-types.js'

function xor(points: [number, number][]): Uint8Array {
  const e = new XorChunkEncoder()
  for (const [t, v] of points) e.append(t, v)
  return e.bytes()
}

function raw(points: [number, number][]): StoreChunk {
  return {minTime: points[0]![0], maxTime: points[points.length - 1]![0], encoding: 0, data: xor(points), hash: ''}
}

/** A downsampled chunk with the given aggregates (by Aggr), each as XOR points. */
function aggr(minTime: number, maxTime: number, parts: Partial<Record<Aggr, [number, number][]>>): StoreChunk {
  const aggrs = [Aggr.COUNT, Aggr.SUM, Aggr.MIN, Aggr.MAX, Aggr.COUNTER].map((a) => (parts[a] ? {encoding: 0, data: xor(parts[a]!)} : undefined))
  return {minTime, maxTime, encoding: AGGREGATES_ENCODING, data: new Uint8Array(0), hash: '', aggrs}
}

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = []
  while (it.next()) out.push([it.atT(), it.at()])
  return out
}

function both(s: Series, mint = -Infinity, maxt = Infinity): [number, number][] {
  const viaIt = drain(s.iterator())
  const b = s.samples!(mint, maxt)
  const viaBlock: [number, number][] = [...b.ts].map((t, i) => [t, b.vs[i]!])
  assert.deepEqual(viaBlock, viaIt, 'samples() gives what the iterator gives')
  return viaIt
}

const L = labelsFromRecord({__name__: 'x'})

describe('downsampled series (querier side)', () => {
  it('aggregates from the function hint, as aggrsFromFunc', () => {
    assert.deepEqual(aggregatesForFunc('min_over_time'), [Aggr.MIN])
    assert.deepEqual(aggregatesForFunc('min'), [Aggr.MIN])
    assert.deepEqual(aggregatesForFunc('max_over_time'), [Aggr.MAX])
    assert.deepEqual(aggregatesForFunc('count_over_time'), [Aggr.COUNT])
    assert.deepEqual(aggregatesForFunc('sum_over_time'), [Aggr.SUM])
    // bare sum needs the samples: their window averages
    assert.deepEqual(aggregatesForFunc('sum'), [Aggr.COUNT, Aggr.SUM])
    for (const f of ['rate', 'increase', 'irate', 'resets', 'xrate', 'xincrease']) assert.deepEqual(aggregatesForFunc(f), [Aggr.COUNTER], f)
    for (const f of [undefined, '', 'avg_over_time', 'delta', 'minute']) assert.deepEqual(aggregatesForFunc(f), [Aggr.COUNT, Aggr.SUM], String(f))
  })

  it('max resolution: at most range / 2 for functions that need two samples', () => {
    assert.equal(maxResolutionForSelect(3_600_000, 3_600_000, 'rate'), 1_800_000)
    assert.equal(maxResolutionForSelect(300_000, 3_600_000, 'rate'), 300_000)
    assert.equal(maxResolutionForSelect(3_600_000, 300_001, 'deriv'), 150_000)
    assert.equal(maxResolutionForSelect(3_600_000, 3_600_000, 'max_over_time'), 3_600_000)
    assert.equal(maxResolutionForSelect(3_600_000, undefined, 'rate'), 3_600_000)
    assert.equal(maxResolutionForSelect(3_600_000, 0, 'rate'), 3_600_000)
  })

  it('one aggregate is read as the samples; raw chunks among them as raw', () => {
    const chunks = [aggr(0, 599, {[Aggr.MIN]: [[299, 1], [599, 2]], [Aggr.MAX]: [[299, 10], [599, 20]]}), raw([[700, 5], [800, 6]])]
    assert.deepEqual(both(downsampledSeries(L, chunks, [Aggr.MAX], -Infinity, Infinity, decodeXorChunk)), [[299, 10], [599, 20], [700, 5], [800, 6]])
    assert.deepEqual(both(downsampledSeries(L, chunks, [Aggr.MIN], 300, 750, decodeXorChunk), 300, 750), [[599, 2], [700, 5]])
    assert.throws(() => downsampledSeries(L, chunks, [Aggr.COUNT], 0, 1000, decodeXorChunk), /without the count aggregate/)
  })

  it('count and sum: the average per window', () => {
    const chunks = [aggr(0, 599, {[Aggr.COUNT]: [[299, 4], [599, 2]], [Aggr.SUM]: [[299, 10], [599, 7]]}), raw([[650, 1]])]
    assert.deepEqual(both(downsampledSeries(L, chunks, [Aggr.SUM, Aggr.COUNT], -Infinity, Infinity, decodeXorChunk)), [[299, 2.5], [599, 3.5], [650, 1]])
    const misaligned = [aggr(0, 599, {[Aggr.COUNT]: [[299, 4], [599, 2]], [Aggr.SUM]: [[299, 10]]})]
    assert.throws(() => drain(downsampledSeries(L, misaligned, [Aggr.COUNT, Aggr.SUM], -Infinity, Infinity, decodeXorChunk).iterator()), /not aligned/)
  })

  it('counter: resets applied across raw and counter chunks, the repeated last timestamp as the true last value', () => {
    // counter chunk: first raw sample 5 @ 10, running totals per window, true last raw value 3 @ 599 again
    const c1 = aggr(10, 599, {[Aggr.COUNTER]: [[10, 5], [299, 9], [599, 12], [599, 3]]})
    // next chunk starts below 3: a reset between the chunks
    const c2 = aggr(600, 1199, {[Aggr.COUNTER]: [[610, 1], [899, 4], [1199, 6], [1199, 6]]})
    const c3 = raw([[1250, 2], [1300, NaN], [1350, 4]])
    const s = downsampledSeries(L, [c1, c2, c3], [Aggr.COUNTER], -Infinity, Infinity, decodeXorChunk)
    assert.ok(s instanceof CounterSeries)
    assert.deepEqual(both(s), [
      [10, 5],
      [299, 9],
      [599, 12],
      [610, 13], // 1 < 3: reset, +1
      [899, 16],
      [1199, 18],
      [1250, 20], // 2 < 6: reset, +2 (NaN dropped)
      [1350, 22],
    ])
    // bounded, with the resets before the range counted
    assert.deepEqual(both(downsampledSeries(L, [c1, c2, c3], [Aggr.COUNTER], 600, 1250, decodeXorChunk), 600, 1250), [[610, 13], [899, 16], [1199, 18], [1250, 20]])
  })

  it('raw chunks only: the plain chunk series, whatever the aggregates', () => {
    const s = downsampledSeries(L, [raw([[1, 5], [2, 1]])], [Aggr.COUNTER], -Infinity, Infinity, decodeXorChunk)
    assert.ok(!(s instanceof CounterSeries))
    assert.deepEqual(both(s), [[1, 5], [2, 1]])
  })
})
