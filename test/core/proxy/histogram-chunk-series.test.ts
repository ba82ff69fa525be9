/**
 * Native histograms on the querier's data path: StoreAPI HISTOGRAM / FLOAT_HISTOGRAM chunks
 * (bytes from our encoders, which histogram-real-prometheus.test.ts holds against Prometheus's
 * own chunks) decoded by ChunkSeries beside XOR chunks, through the iterator and the bulk
 * path alike, and deduplicated with the counter-reset hint reset on a replica switch.
 */
import assert from 'node:assert/strict'
import {encodeFloatHistogramChunks} from '../../../src/core/chunkenc/float-histogram-encoder.js'
import {encodeHistogramChunks} from '../../../src/core/chunkenc/histogram-encoder.js'
import {decodeXorChunk as decodeXor} from '../../../src/core/chunkenc/xor-decoder.js'
import {encodeXorChunks} from '../../../src/core/chunkenc/xor-encoder.js'
import {DedupSeries} from '../../../src/core/dedup/dedup-series-set.js'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import {histogramJson} from '../../../src/core/histogram/json.js'
import {CounterResetHint} from '../../../src/core/histogram/schema.js'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {iteratorToBlock} from '../../../src/core/promql/block-iterator.js'
import type {SampleBlock} from '../../../src/core/promql/queryable.js'
import {ChunkSeries, type SeriesChunk} from '../../../src/core/proxy/chunk-series.js'
import {ChunkEncoding} from '../../../src/core/storepb/store-types.js'
import {nativeHistogramSeries} from '../chunkenc/native-histogram-fixtures.js'

const T0 = 10_000_000
const labels = labelsFromRecord({__name__: 'h'})

function fixture(name: string): {ts: number[]; hs: (Histogram | FloatHistogram)[]} {
  const s = nativeHistogramSeries().find((x) => x.name === name)!
  return {ts: s.samples.map((x) => T0 + x.t), hs: s.samples.map((x) => x.h)}
}

function histogramChunks(ts: number[], hs: (Histogram | FloatHistogram)[]): SeriesChunk[] {
  if (hs[0] instanceof Histogram) return encodeHistogramChunks(ts, hs as Histogram[]).map((c) => ({...c, encoding: ChunkEncoding.HISTOGRAM}))
  return encodeFloatHistogramChunks(ts, hs as FloatHistogram[]).map((c) => ({...c, encoding: ChunkEncoding.FLOAT_HISTOGRAM}))
}

const isStale = (h: Histogram | FloatHistogram): boolean => Number.isNaN(h.sum) && h.count === 0 && h.positiveBuckets.length === 0 && h.sum !== h.sum

/** The expected JSON per sample: floats as numbers, histograms as the API would write them. */
function expectedJson(h: Histogram | FloatHistogram): string {
  return histogramJson(h instanceof Histogram ? h.toFloat() : h)
}

function describeBlock(b: SampleBlock): string[] {
  const out: string[] = []
  for (let i = 0; i < b.ts.length; i++) {
    const h = b.hs?.[i]
    out.push(`${b.ts[i]} ${b.stale[i] ? 'stale' : h ? histogramJson(h) + ' hint ' + h.counterResetHint : b.vs[i]}`)
  }
  return out
}

describe('ChunkSeries over native histogram chunks', () => {
  for (const name of ['nh_exp', 'nh_float', 'nh_nhcb', 'nh_gauge']) {
    it(`${name}: XOR floats then histogram chunks, the same samples through samples() and the iterator`, () => {
      const {ts, hs} = fixture(name)
      const fts = [T0 - 60_000, T0 - 30_000]
      const xor = encodeXorChunks(fts, [1, 2]).map((c) => ({...c, encoding: ChunkEncoding.XOR}))
      const chunks = [...xor, ...histogramChunks(ts, hs)]
      const real = new ChunkSeries(labels, chunks, -Infinity, Infinity, decodeXor)
      const bulk = real.samples(-Infinity, Infinity)
      const walked = iteratorToBlock(real.iterator(), -Infinity, Infinity, 16)
      assert.deepEqual(describeBlock(walked), describeBlock(bulk))
      assert.equal(bulk.ts.length, fts.length + ts.length)
      assert.deepEqual([...bulk.vs.subarray(0, 2)], [1, 2])
      assert.equal(bulk.hs?.[0], undefined)
      let stale = 0
      for (let i = 0; i < ts.length; i++) {
        const k = i + fts.length
        assert.equal(bulk.ts[k], ts[i])
        if (isStale(hs[i]!)) {
          stale++
          assert.equal(bulk.stale[k], 1, `sample ${i} is a stale marker`)
          continue
        }
        assert.equal(bulk.stale[k], 0)
        assert.ok(Number.isNaN(bulk.vs[k]!), 'a histogram sample has the NaN float placeholder')
        assert.equal(histogramJson(bulk.hs![k]!), expectedJson(hs[i]!), `sample ${i}`)
        if (name === 'nh_gauge') assert.equal(bulk.hs![k]!.counterResetHint, CounterResetHint.Gauge)
      }
      assert.equal(stale, name === 'nh_exp' ? 2 : name === 'nh_float' || name === 'nh_gauge' ? 1 : 0)
      // a window inside the series
      const lo = ts[10]!
      const hi = ts[30]!
      const part = real.samples(lo, hi)
      assert.deepEqual(describeBlock(part), describeBlock(bulk).filter((l) => {
        const t = Number(l.split(' ')[0])
        return t >= lo && t <= hi
      }))
    })
  }

  it('a float-only series has no histogram side array', () => {
    const xor = encodeXorChunks([1000, 2000, 3000], [1, 2, 3]).map((c) => ({...c, encoding: ChunkEncoding.XOR}))
    const s = new ChunkSeries(labels, xor, -Infinity, Infinity, decodeXor)
    assert.equal(s.samples(-Infinity, Infinity).hs, undefined)
    assert.equal(iteratorToBlock(s.iterator(), -Infinity, Infinity, 4).hs, undefined)
  })
})

describe('dedup over native histogram replicas', () => {
  it('the first sample after a replica switch has an Unknown hint; elsewhere hints pass through', () => {
    const {ts, hs} = fixture('nh_long')
    // replica A misses samples 100..139: the merge switches to B there and back (if ever) later
    const keepA = ts.map((_, i) => i < 100 || i >= 140)
    const a = new ChunkSeries(labels, histogramChunks(ts.filter((_, i) => keepA[i]), hs.filter((_, i) => keepA[i])), -Infinity, Infinity, decodeXor)
    const b = new ChunkSeries(labels, histogramChunks(ts, hs), -Infinity, Infinity, decodeXor)
    const d = new DedupSeries(labels, [a, b], false, 'penalty')
    const bulk = d.samples(-Infinity, Infinity)
    const walked = iteratorToBlock(d.iterator(), -Infinity, Infinity, 16)
    assert.deepEqual(describeBlock(walked), describeBlock(bulk))
    // the penalty drops B's first sample after A's gap (within 2 intervals of A's last): Thanos's choice
    const at = new Map(ts.map((t, i) => [t, i]))
    let unknown = 0
    let switchAt = -1
    for (let k = 0; k < bulk.ts.length; k++) {
      const i = at.get(bulk.ts[k]!)!
      assert.equal(histogramJson(bulk.hs![k]!), expectedJson(hs[i]!), `sample ${i}`)
      if (bulk.hs![k]!.counterResetHint === CounterResetHint.Unknown) unknown++
      if (switchAt < 0 && i >= 100) switchAt = k
    }
    assert.ok(switchAt > 0)
    // the first sample from B after A's 99 is a switch: Unknown, although B's chunk says NotCounterReset
    assert.equal(bulk.hs![switchAt]!.counterResetHint, CounterResetHint.Unknown)
    assert.equal(b.samples(bulk.ts[switchAt]!, bulk.ts[switchAt]!).hs![0]!.counterResetHint, CounterResetHint.NotCounterReset)
    assert.equal(bulk.hs![switchAt + 1]!.counterResetHint, CounterResetHint.NotCounterReset)
    // the chunk-internal hints of the replica itself are not touched elsewhere
    assert.equal(bulk.hs![50]!.counterResetHint, CounterResetHint.NotCounterReset)
    assert.ok(unknown <= a.chunks.length + b.chunks.length, `only chunk starts and switches are Unknown (${unknown})`)
    // the chain merge resets the hint the same way
    const chain = iteratorToBlock(new DedupSeries(labels, [a, b], false, 'chain').iterator(), -Infinity, Infinity, 16)
    const firstFromB = chain.ts.indexOf(ts[100]!)
    assert.equal(chain.hs![firstFromB]!.counterResetHint, CounterResetHint.Unknown)
  })

  it('the counter-aware merge passes histogram samples through', () => {
    const {ts, hs} = fixture('nh_exp')
    const a = new ChunkSeries(labels, histogramChunks(ts, hs), -Infinity, Infinity, decodeXor)
    const b = new ChunkSeries(labels, histogramChunks(ts, hs), -Infinity, Infinity, decodeXor)
    const d = new DedupSeries(labels, [a, b], true, 'penalty')
    const bulk = d.samples(-Infinity, Infinity)
    assert.deepEqual(describeBlock(iteratorToBlock(d.iterator(), -Infinity, Infinity, 16)), describeBlock(bulk))
    assert.deepEqual(describeBlock(bulk), describeBlock(a.samples(-Infinity, Infinity)))
  })
})
