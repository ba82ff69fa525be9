/**
 * A histogram chunk (StoreAPI HISTOGRAM or FLOAT_HISTOGRAM) as a SampleIterator: every sample
 * is a native histogram, handed out through atHistogram as a float histogram (PromQL computes
 * only with those, as Prometheus's engine converts each integer histogram it reads); at() is
 * the NaN placeholder of a histogram sample. Thanos's querier reads these chunks with
 * chunkenc.FromData(...).Iterator() (pkg/query/iter.go) and the engine asks AtFloatHistogram.
 */
import {FloatHistogramDecodeIterator} from '../chunkenc/float-histogram-decoder.js'
import {HistogramDecodeIterator, type HistogramSampleIterator} from '../chunkenc/histogram-decoder.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {SampleIterator} from '../promql/queryable.js'

export class HistogramChunkIterator implements SampleIterator {
  constructor(private readonly it: HistogramSampleIterator) {}

  next(): boolean {
    return this.it.next()
  }

  seek(t: number): boolean {
    return this.it.seek(t)
  }

  atT(): number {
    return this.it.atT()
  }

  at(): number {
    return Number.NaN
  }

  atStale(): boolean {
    return this.it.atStale()
  }

  /** A new histogram per call (callers keep them); undefined at a stale marker. */
  atHistogram(): FloatHistogram | undefined {
    return this.it.atStale() ? undefined : this.it.atFloatHistogram()
  }
}

/** The iterator over an integer histogram chunk's bytes. */
export function decodeHistogramChunkSamples(data: Uint8Array): HistogramChunkIterator {
  return new HistogramChunkIterator(new HistogramDecodeIterator(data))
}

/** The iterator over a float histogram chunk's bytes. */
export function decodeFloatHistogramChunkSamples(data: Uint8Array): HistogramChunkIterator {
  return new HistogramChunkIterator(new FloatHistogramDecodeIterator(data))
}
