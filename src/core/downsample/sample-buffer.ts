/**
 * One series' samples as the downsampler expands them (downsample.go expandChunkIterator):
 * timestamps and float values in growable typed arrays reused from series to series, float
 * histograms (integer ones converted) in a parallel array for native histogram series. Stale
 * markers are dropped, and within one chunk a sample older than the one before it, as
 * expandXorChunkIterator does (its "lastT" starts at 0 for every chunk, so a chunk's samples
 * before the epoch are dropped too).
 */
import {ChunkEncoding} from '../chunkenc/decode-chunk.js'
import {FloatHistogramDecodeIterator} from '../chunkenc/float-histogram-decoder.js'
import {HistogramDecodeIterator, type HistogramSampleIterator} from '../chunkenc/histogram-decoder.js'
import {isStaleNaN} from '../chunkenc/value.js'
import {XorDecodeIterator} from '../chunkenc/xor-decoder.js'
import {BadDataError} from '../errors.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'

export class SampleBuffer {
  ts = new Float64Array(1024)
  vs = new Float64Array(1024)
  /** Float histograms, for histogram samples only (entries of float samples are unset). */
  hs: FloatHistogram[] = []
  n = 0

  clear(): void {
    this.n = 0
    this.hs.length = 0
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2)
    ts.set(this.ts)
    const vs = new Float64Array(this.vs.length * 2)
    vs.set(this.vs)
    this.ts = ts
    this.vs = vs
  }

  push(t: number, v: number): void {
    if (this.n === this.ts.length) this.grow()
    this.ts[this.n] = t
    this.vs[this.n++] = v
  }

  pushHistogram(t: number, h: FloatHistogram): void {
    if (this.n === this.ts.length) this.grow()
    this.ts[this.n] = t
    this.vs[this.n] = 0
    this.hs[this.n++] = h
  }

  /** Appends the samples of an XOR chunk (expandXorChunkIterator). */
  expandXor(data: Uint8Array): void {
    const it = new XorDecodeIterator(data)
    let lastT = 0
    while (it.next()) {
      const t = it.atT()
      const v = it.at()
      if (isStaleNaN(v)) continue
      if (t >= lastT) {
        this.push(t, v)
        lastT = t
      }
    }
  }

  /**
   * Appends the samples of a histogram or float histogram chunk as float histograms
   * (expandHistogramChunkIterator converts integer ones with ToFloat; so does atFloatHistogram).
   */
  expandHistograms(encoding: number, data: Uint8Array): void {
    const it: HistogramSampleIterator = encoding === ChunkEncoding.Histogram ? new HistogramDecodeIterator(data) : new FloatHistogramDecodeIterator(data)
    let lastT = 0
    while (it.next()) {
      if (it.atStale()) continue
      const t = it.atT()
      if (t >= lastT) {
        this.pushHistogram(t, it.atFloatHistogram())
        lastT = t
      }
    }
  }

  /** Appends a raw chunk's samples by its encoding; other encodings are refused as Thanos does. */
  expand(encoding: number, data: Uint8Array): void {
    if (encoding === ChunkEncoding.XOR) this.expandXor(data)
    else if (encoding === ChunkEncoding.Histogram || encoding === ChunkEncoding.FloatHistogram) this.expandHistograms(encoding, data)
    else throw new BadDataError(`unexpected chunk encoding ${encoding}`)
  }
}
