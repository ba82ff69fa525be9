/**
 * Prometheus remote write (protocol 1.0: prometheus.WriteRequest, snappy block format, as in
 * prometheus `prompb/remote.proto` and `storage/remote/codec.go`) to put samples into a running
 * Prometheus started with `--web.enable-remote-write-receiver`. Samples may lie hours in the
 * past: an empty head accepts them, and when they span more than 1.5 block ranges Prometheus
 * cuts level-1 blocks of its own right after the write (tsdb dbAppender.Commit triggers
 * compaction when the head is compactable).
 */
import {snappyCompress} from '../../src/core/remote-read/snappy.js'
import type {SeriesSpec} from './openmetrics.js'

class Pb {
  private parts: number[] = []

  varint(n: number): this {
    let v = BigInt.asUintN(64, BigInt(n))
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.parts.push(Number(v))
    return this
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire)
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length)
    for (const x of b) this.parts.push(x)
    return this
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'))
  }

  double(field: number, v: number): this {
    this.tag(field, 1)
    const b = Buffer.alloc(8)
    b.writeDoubleLE(v)
    for (const x of b) this.parts.push(x)
    return this
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}

/** The WriteRequest bytes (not compressed) for these series; labels sorted, `__name__` included. */
export function encodeWriteRequest(series: readonly SeriesSpec[]): Uint8Array {
  const req = new Pb()
  for (const s of series) {
    const name = s.type === 'counter' ? `${s.metric}_total` : s.metric
    const labels = Object.entries({__name__: name, ...s.labels}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const ts = new Pb()
    for (const [k, v] of labels) ts.bytes(1, new Pb().string(1, k).string(2, v).finish())
    for (const [t, v] of s.samples) ts.bytes(2, new Pb().double(1, v).tag(2, 0).varint(t).finish())
    req.bytes(1, ts.finish())
  }
  return req.finish()
}

/** POSTs the series to `<url>/api/v1/write`; throws with Prometheus's answer unless it is 2xx. */
export async function remoteWrite(url: string, series: readonly SeriesSpec[]): Promise<void> {
  const body = snappyCompress(encodeWriteRequest(series))
  const r = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: {'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0'},
    body,
    signal: AbortSignal.timeout(60_000),
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`remote write to ${url}: HTTP ${r.status}: ${text}`)
}
