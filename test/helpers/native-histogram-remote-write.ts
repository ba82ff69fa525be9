/**
 * Feeds native histograms to a real Prometheus through its remote-write receiver
 * (`--web.enable-remote-write-receiver`): a remote-write 1 `prometheus.WriteRequest` whose
 * series carry `histograms` (prompb/types.proto Histogram, field numbers as upstream),
 * protobuf-encoded by hand so that every double goes in with its exact bits (the stale
 * marker's signalling NaN included), snappy-compressed, POSTed to /api/v1/write.
 *
 *   await remoteWriteHistograms(prom.url, [{labels: {__name__: 'h', job: 'x'}, samples: [{t, h}]}])
 *
 * Integer histograms set count_int (Prometheus 3 takes a series' histogram as float exactly
 * when count_float is set), float histograms count_float; custom values travel in field 16
 * (Prometheus ≥ 3.4).
 */
import {isStaleNaN} from '../../src/core/chunkenc/value.js'
import {FloatHistogram} from '../../src/core/histogram/float-histogram.js'
import type {Histogram} from '../../src/core/histogram/histogram.js'
import {snappyCompress} from '../../src/core/remote-read/snappy.js'

export interface HistogramSample {
  t: number
  h: Histogram | FloatHistogram
}

export interface HistogramSeries {
  labels: Record<string, string>
  samples: HistogramSample[]
}

/** A growable protobuf writer with just what WriteRequest needs. */
class Pb {
  private buf = new Uint8Array(1024)
  n = 0

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k))
    b.set(this.buf.subarray(0, this.n))
    this.buf = b
  }

  varint(v: bigint): void {
    let x = BigInt.asUintN(64, v)
    this.ensure(10)
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80
      x >>= 7n
    }
    this.buf[this.n++] = Number(x)
  }

  tag(field: number, wire: number): void {
    this.varint(BigInt(field * 8 + wire))
  }

  uint(field: number, v: number): void {
    this.tag(field, 0)
    this.varint(BigInt(v))
  }

  sint(field: number, v: number): void {
    this.tag(field, 0)
    this.varint(zigzag(BigInt(v)))
  }

  double(field: number, v: number): void {
    this.tag(field, 1)
    this.rawDouble(v)
  }

  rawDouble(v: number): void {
    this.ensure(8)
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.n, 8)
    if (isStaleNaN(v)) {
      // Canonical StaleNaN 0x7ff0000000000002, little-endian.
      dv.setUint32(0, 2, true)
      dv.setUint32(4, 0x7ff00000, true)
    } else dv.setFloat64(0, v, true)
    this.n += 8
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2)
    this.varint(BigInt(b.length))
    this.ensure(b.length)
    this.buf.set(b, this.n)
    this.n += b.length
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s))
  }

  message(field: number, build: (w: Pb) => void): void {
    const inner = new Pb()
    build(inner)
    this.bytes(field, inner.finish())
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n)
  }
}

function zigzag(v: bigint): bigint {
  return v >= 0n ? v * 2n : -v * 2n - 1n
}

function spans(w: Pb, field: number, s: Int32Array): void {
  for (let k = 0; k < s.length; k += 2) {
    w.message(field, (m) => {
      if (s[k] !== 0) m.sint(1, s[k]!)
      if (s[k + 1] !== 0) m.uint(2, s[k + 1]!)
    })
  }
}

function packedSint(w: Pb, field: number, vs: Float64Array): void {
  if (vs.length === 0) return
  const inner = new Pb()
  for (const v of vs) inner.varint(zigzag(BigInt(v)))
  w.bytes(field, inner.finish())
}

function packedDouble(w: Pb, field: number, vs: Float64Array): void {
  if (vs.length === 0) return
  const inner = new Pb()
  for (const v of vs) inner.rawDouble(v)
  w.bytes(field, inner.finish())
}

/** One prompb.Histogram. */
export function encodeHistogramProto(t: number, h: Histogram | FloatHistogram): Uint8Array {
  const w = new Pb()
  const float = h instanceof FloatHistogram
  if (float) w.double(2, h.count)
  else w.uint(1, h.count)
  w.double(3, h.sum)
  if (h.schema !== 0) w.sint(4, h.schema)
  if (h.zeroThreshold !== 0) w.double(5, h.zeroThreshold)
  if (float) w.double(7, h.zeroCount)
  else w.uint(6, h.zeroCount)
  spans(w, 8, h.negativeSpans)
  if (float) packedDouble(w, 10, h.negativeBuckets)
  else packedSint(w, 9, h.negativeBuckets)
  spans(w, 11, h.positiveSpans)
  if (float) packedDouble(w, 13, h.positiveBuckets)
  else packedSint(w, 12, h.positiveBuckets)
  if (h.counterResetHint !== 0) w.uint(14, h.counterResetHint)
  w.tag(15, 0)
  w.varint(BigInt(t))
  if (h.customValues && h.customValues.length > 0) packedDouble(w, 16, h.customValues)
  return w.finish()
}

export function encodeWriteRequest(series: HistogramSeries[]): Uint8Array {
  const w = new Pb()
  for (const s of series) {
    w.message(1, (ts) => {
      for (const name of Object.keys(s.labels).sort()) {
        ts.message(1, (l) => {
          l.string(1, name)
          l.string(2, s.labels[name]!)
        })
      }
      for (const {t, h} of s.samples) ts.bytes(4, encodeHistogramProto(t, h))
    })
  }
  return w.finish()
}

/** POSTs the series to Prometheus's remote-write receiver; throws unless it answers 2xx. */
export async function remoteWriteHistograms(baseUrl: string, series: HistogramSeries[]): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body: snappyCompress(encodeWriteRequest(series)),
  })
  if (res.status < 200 || res.status > 299) throw new Error(`remote write: HTTP ${res.status}: ${await res.text()}`)
}
