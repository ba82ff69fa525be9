/**
 * The querier's XOR decoder against chunks cut by a REAL Prometheus: backfilled data is read
 * back through streamed remote read (STREAMED_XOR_CHUNKS: the very chunk bytes a sidecar
 * forwards as StoreAPI `Chunk.data`) and must decode to exactly the samples written.
 */
import assert from 'node:assert/strict'
// @ts-expect-error snappyjs ships no types
import snappy from 'snappyjs'
import {decodeXorChunk} from '../../../src/core/chunkenc/xor-decoder.js'
import {ProtoWriter} from '../../../src/core/storepb/pb-writer.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {openMetricsText} from '../proxy/prometheus-fixture.js'

const NOW = Math.floor(Date.now() / 3600_000) * 3600_000 - 6 * 3600_000
const STEP = 15_000

function values(i: number, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let v = 0
  for (let k = 0; k < n; k++) {
    // Mixed increments, irregular spacing (jitter), a reset and fractional values.
    v = k === 300 ? 0.5 : v + ((k * 7919 + i) % 13) * 0.25
    out.push([NOW + k * STEP + ((k * 31) % 7) * 3, v])
  }
  return out
}

function readRequest(start: number, end: number, name: string): Uint8Array {
  const w = new ProtoWriter()
  w.message(1, (q) => {
    q.int64(1, start)
    q.int64(2, end)
    q.message(3, (m) => {
      m.string(2, '__name__')
      m.string(3, name)
    })
  })
  w.tag(2, 0)
  w.varint(1) // STREAMED_XOR_CHUNKS
  return w.finish()
}

/** Minimal protobuf walk: returns [field, wireType, start, end|value] for each field. */
function fields(b: Uint8Array, s = 0, e = b.length): Array<[number, number, number, number]> {
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

describe('XOR decoding of real Prometheus chunks', function () {
  this.timeout(60_000)
  let prom: PrometheusHandle | undefined
  const series = [0, 1, 2].map((i) => ({labels: {instance: `i${i}`, job: 'xor'}, samples: values(i, 700)}))

  before(async () => {
    prom = await startPrometheus({externalLabels: {replica: '0'}, openMetrics: openMetricsText('xor_test', 'counter', series)})
  })
  after(async () => {
    await prom?.stop()
  })

  it('decodes every chunk Prometheus streams to the exact samples that were written', async () => {
    const body = snappy.compress(Buffer.from(readRequest(NOW - 1, NOW + 700 * STEP, 'xor_test_total'))) as Uint8Array
    const res = await fetch(`${prom!.url}/api/v1/read`, {
      method: 'POST',
      headers: {'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'X-Prometheus-Remote-Read-Version': '0.1.0'},
      body,
    })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /streamed/)
    const buf = new Uint8Array(await res.arrayBuffer())
    const got = new Map<string, Array<[number, number]>>()
    let chunks = 0
    for (let p = 0; p < buf.length; ) {
      // Frame: uvarint length, 4-byte CRC32C, ChunkedReadResponse.
      let n = 0
      let m = 1
      for (;;) {
        const x = buf[p++]!
        n += (x & 0x7f) * m
        if (x < 0x80) break
        m *= 128
      }
      p += 4
      for (const [f, , s, e] of fields(buf, p, p + n)) {
        if (f !== 1) continue // chunked_series
        let instance = ''
        const samples: Array<[number, number]> = []
        for (const [sf, , ss, se] of fields(buf, s, e)) {
          if (sf === 1) {
            const l = fields(buf, ss, se)
            const name = Buffer.from(buf.subarray(l[0]![2], l[0]![3])).toString()
            if (name === 'instance') instance = Buffer.from(buf.subarray(l[1]![2], l[1]![3])).toString()
          } else if (sf === 2) {
            const c = fields(buf, ss, se)
            const type = c.find((x) => x[0] === 3)?.[3]
            const data = c.find((x) => x[0] === 4)!
            assert.equal(type, 1, 'XOR')
            chunks++
            const it = decodeXorChunk(buf.subarray(data[2], data[3]))
            while (it.next()) samples.push([it.atT(), it.at()])
          }
        }
        got.set(instance, [...(got.get(instance) ?? []), ...samples])
      }
      p += n
    }
    assert.ok(chunks >= 3 * Math.ceil(700 / 120), `chunks: ${chunks}`)
    for (const [i, s] of series.entries()) assert.deepEqual(got.get(`i${i}`), s.samples)
  })
})
