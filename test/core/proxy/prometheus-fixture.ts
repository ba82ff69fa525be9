/**
 * Helpers for the store tests that talk to real Prometheus servers (started with the shared
 * harness, test/helpers/prometheus.ts): OpenMetrics text for backfilling, and a streamed
 * remote-read reader so a test StoreAPI server can bridge to Prometheus (a minimal sidecar).
 */
// @ts-expect-error snappyjs ships no types
import snappy from 'snappyjs'
import {ProtoWriter} from '../../../src/core/storepb/pb-writer.js'

/** OpenMetrics text for one metric family; series as label records with [t ms, v] samples. */
export function openMetricsText(name: string, type: 'counter' | 'gauge', series: Array<{labels: Record<string, string>; samples: Array<[number, number]>}>): string {
  const lines = [`# TYPE ${name} ${type}`]
  const sample = type === 'counter' ? `${name}_total` : name
  for (const s of series) {
    const ls = Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')
    for (const [t, v] of s.samples) lines.push(`${sample}{${ls}} ${v} ${(t / 1000).toFixed(3)}`)
  }
  lines.push('# EOF', '')
  return lines.join('\n')
}

export interface RemoteReadSeries {
  labels: Record<string, string>
  chunks: Array<{minTime: number; maxTime: number; encoding: number; data: Uint8Array}>
}

/** Matchers as StoreAPI/prompb LabelMatcher numbers: EQ 0, NEQ 1, RE 2, NRE 3. */
export async function remoteReadChunks(url: string, start: number, end: number, matchers: Array<{type: number; name: string; value: string}>): Promise<RemoteReadSeries[]> {
  const w = new ProtoWriter()
  w.message(1, (q) => {
    q.int64(1, start)
    q.int64(2, end)
    for (const m of matchers) {
      q.message(3, (mw) => {
        if (m.type !== 0) {
          mw.tag(1, 0)
          mw.varint(m.type)
        }
        mw.string(2, m.name)
        mw.string(3, m.value)
      })
    }
  })
  w.tag(2, 0)
  w.varint(1) // STREAMED_XOR_CHUNKS
  const res = await fetch(`${url}/api/v1/read`, {
    method: 'POST',
    headers: {'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'X-Prometheus-Remote-Read-Version': '0.1.0'},
    body: snappy.compress(Buffer.from(w.finish())) as Uint8Array,
  })
  if (!res.ok) throw new Error(`remote read: HTTP ${res.status}: ${await res.text()}`)
  const buf = new Uint8Array(await res.arrayBuffer())
  const out: RemoteReadSeries[] = []
  for (let p = 0; p < buf.length; ) {
    let n = 0
    let m = 1
    for (;;) {
      const x = buf[p++]!
      n += (x & 0x7f) * m
      if (x < 0x80) break
      m *= 128
    }
    p += 4 // CRC32C
    for (const [f, , s, e] of pbFields(buf, p, p + n)) {
      if (f !== 1) continue
      const series: RemoteReadSeries = {labels: {}, chunks: []}
      for (const [sf, , ss, se] of pbFields(buf, s, e)) {
        if (sf === 1) {
          const l = pbFields(buf, ss, se)
          const str = (x: [number, number, number, number] | undefined) => (x ? Buffer.from(buf.subarray(x[2], x[3])).toString() : '')
          series.labels[str(l.find((x) => x[0] === 1))] = str(l.find((x) => x[0] === 2))
        } else if (sf === 2) {
          const c = pbFields(buf, ss, se)
          const num = (k: number) => c.find((x) => x[0] === k)?.[3] ?? 0
          const data = c.find((x) => x[0] === 4)
          // prompb Chunk.Encoding is XOR=1; StoreAPI's is XOR=0 (the sidecar subtracts one).
          series.chunks.push({minTime: num(1), maxTime: num(2), encoding: num(3) - 1, data: data ? buf.slice(data[2], data[3]) : new Uint8Array(0)})
        }
      }
      // A series may span frames; consecutive frames with the same labels continue it.
      const last = out[out.length - 1]
      if (last && JSON.stringify(last.labels) === JSON.stringify(series.labels)) last.chunks.push(...series.chunks)
      else out.push(series)
    }
    p += n
  }
  return out
}

/** Minimal protobuf walk: [field, wireType, start, end] (length-delimited) or [f, 0, 0, value]. */
export function pbFields(b: Uint8Array, s = 0, e = b.length): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = []
  let p = s
  const varint = () => {
    let r = 0
    let m = 1
    for (;;) {
      const x = b[p++]!
      r += (x & 0x7f) * m
      if (x < 0x80) return r
      m *= 128
    }
  }
  while (p < e) {
    const t = varint()
    const f = Math.floor(t / 8)
    const wt = t & 7
    if (wt === 0) out.push([f, 0, 0, varint()])
    else if (wt === 2) {
      const n = varint()
      out.push([f, 2, p, p + n])
      p += n
    } else throw new Error(`wire type ${wt}`)
  }
  return out
}
