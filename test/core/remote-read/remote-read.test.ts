import assert from 'node:assert/strict'
import fc from 'fast-check'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {decodeXorChunk} from '../../../src/core/chunkenc/index.js'
import {errorKind} from '../../../src/core/errors.js'
import {labelsToRecord} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {CRC32C_IMPLEMENTATION, crc32c, crc32cUpdate, frameChecksum} from '../../../src/core/remote-read/crc32c.js'
import {FrameChecksumError, readFrames} from '../../../src/core/remote-read/frame-reader.js'
import {RemoteReadClient, type ChunkedSeries} from '../../../src/core/remote-read/remote-read-client.js'
import {decodeChunkedReadResponse, encodeReadRequest} from '../../../src/core/remote-read/remote-read-codec.js'
import {snappyCompress, snappyUncompress} from '../../../src/core/remote-read/snappy.js'
import {prometheusRoot} from '../../../src/core/storepb/proto-root.js'
import {samples} from '../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'

const T0 = Date.UTC(2024, 2, 1)

function frame(payload: Uint8Array, corrupt = false): Uint8Array {
  const len: number[] = []
  let n = payload.length
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  len.push(n)
  const crc = crc32c(payload) ^ (corrupt ? 1 : 0)
  const out = new Uint8Array(len.length + 4 + payload.length)
  out.set(len)
  new DataView(out.buffer).setUint32(len.length, crc >>> 0, false)
  out.set(payload, len.length + 4)
  return out
}

function chunkedResponse(series: {labels: Record<string, string>; chunks: {min: number; max: number; data: number[]}[]}[]): Uint8Array {
  const T = prometheusRoot().lookupType('prometheus.ChunkedReadResponse')
  return T.encode(
    T.fromObject({
      chunked_series: series.map((s) => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({name, value})),
        chunks: s.chunks.map((c) => ({min_time_ms: c.min, max_time_ms: c.max, type: 1, data: Buffer.from(c.data)})),
      })),
    }),
  ).finish()
}

async function* chunksOf(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('remote read: codec and frames', function () {
  it('the frame checksum is the native CRC32-C where it loads (it does on the CI platform), equal to ours on any input', function () {
    if (process.platform === 'linux' && process.arch === 'x64' && process.env.THANOSTS_JS_CRC32C !== '1') assert.equal(CRC32C_IMPLEMENTATION, 'native')
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 3000}), fc.nat({max: 7}), (bytes, cut) => {
        const view = bytes.subarray(Math.min(cut, bytes.length)) // an offset view, as frames are
        assert.equal(frameChecksum(view), crc32c(view))
      }),
      {numRuns: 300},
    )
    assert.equal(frameChecksum(new TextEncoder().encode('123456789')), 0xe3069283)
  })

  it('crc32c matches the Castagnoli test vector', function () {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283)
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa)
  })

  it('crc32cUpdate continues a checksum over pieces of any size, native or not', function () {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({maxLength: 700}), {maxLength: 6}), (pieces) => {
        let crc = 0
        for (const p of pieces) crc = crc32cUpdate(crc, p)
        assert.equal(crc, crc32c(Buffer.concat(pieces)))
      }),
      {numRuns: 300},
    )
  })

  it('snappy round-trips', function () {
    const data = new TextEncoder().encode('abc'.repeat(10000))
    assert.deepEqual(Buffer.from(snappyUncompress(snappyCompress(data))), Buffer.from(data))
  })

  it('encodes ReadRequest as protobufjs (upstream field numbers) reads it, hints always filled', function () {
    const bytes = encodeReadRequest({start: 1000, end: 2000, matchers: [new Matcher(MatchType.RE, 'job', 'a.*')]})
    const T = prometheusRoot().lookupType('prometheus.ReadRequest')
    const o = T.toObject(T.decode(bytes), {longs: Number, enums: String}) as {queries: {start_timestamp_ms: number; end_timestamp_ms: number; matchers: unknown[]; hints: {start_ms: number; end_ms: number}}[]; accepted_response_types: string[]}
    assert.equal(o.queries[0]!.start_timestamp_ms, 1000)
    assert.equal(o.queries[0]!.end_timestamp_ms, 2000)
    assert.deepEqual(o.queries[0]!.matchers, [{type: 'RE', name: 'job', value: 'a.*'}])
    assert.equal(o.queries[0]!.hints.start_ms, 1000)
    assert.equal(o.queries[0]!.hints.end_ms, 2000)
    assert.deepEqual(o.accepted_response_types, ['STREAMED_XOR_CHUNKS', 'SAMPLES'])
  })

  it('decodes ChunkedReadResponse written by protobufjs', function () {
    const r = decodeChunkedReadResponse(chunkedResponse([{labels: {__name__: 'x', a: 'b'}, chunks: [{min: 1, max: 2, data: [0, 1, 2]}]}]))
    assert.deepEqual(labelsToRecord(r.series[0]!.labels), {__name__: 'x', a: 'b'})
    assert.deepEqual(r.series[0]!.chunks.map((c) => [c.minTime, c.maxTime, c.type, [...c.data]]), [[1, 2, 1, [0, 1, 2]]])
  })

  it('reads frames split across network chunks and many frames per chunk', async function () {
    const payloads = [new Uint8Array(300).fill(7), new Uint8Array(0), new Uint8Array(5).fill(1), new Uint8Array(70000).fill(3)]
    const body = Buffer.concat(payloads.map((p) => frame(p)))
    for (const size of [1, 3, 64, 100000]) {
      const got = await all(readFrames(chunksOf(body, size)))
      assert.deepEqual(got.map((g) => g.length), payloads.map((p) => p.length), `network chunk size ${size}`)
    }
  })

  it('yields every payload byte for byte, however the body is cut into network chunks', async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({maxLength: 400}), {maxLength: 8}),
        fc.array(fc.integer({min: 1, max: 500}), {minLength: 1, maxLength: 8}),
        async (payloads, cuts) => {
          const body = Buffer.concat(payloads.map((p) => frame(p)))
          const parts: Uint8Array[] = []
          for (let o = 0, i = 0; o < body.length; i++) {
            const n = cuts[i % cuts.length]!
            parts.push(body.subarray(o, o + n))
            o += n
          }
          async function* gen(): AsyncGenerator<Uint8Array> {
            yield* parts
          }
          const got = await all(readFrames(gen()))
          assert.deepEqual(got.map((g) => Buffer.from(g).toString('hex')), payloads.map((p) => Buffer.from(p).toString('hex')))
        },
      ),
      {numRuns: 300},
    )
  })

  it('rejects a checksum mismatch, a truncated stream and an oversized frame', async function () {
    await assert.rejects(all(readFrames(chunksOf(frame(new Uint8Array(10), true), 4))), FrameChecksumError)
    const good = frame(new Uint8Array(100))
    await assert.rejects(all(readFrames(chunksOf(good.subarray(0, 50), 7))), /ended inside a frame/)
    await assert.rejects(all(readFrames(chunksOf(good, 7), 10)), /exceeds the limit/)
  })
})

describe('remote read: client', function () {
  this.timeout(60_000)
  let prom: PrometheusHandle
  const values = (i: number) => i * 1.5

  before(async function () {
    prom = await startPrometheus({
      externalLabels: {replica: 'a'},
      series: ['x', 'y', 'z'].map((k) => ({metric: 'rr_metric', labels: {k}, samples: samples(T0, 10_000, 1000, values)})),
    })
  })

  after(async function () {
    await prom?.stop()
  })

  function decode(s: ChunkedSeries): number[] {
    const out: number[] = []
    for (const c of s.chunks) {
      const it = decodeXorChunk(c.data)
      while (it.next()) out.push(it.atT())
    }
    return out
  }

  it('streams exactly the backfilled samples from a real Prometheus, by matcher and time range', async function () {
    const c = new RemoteReadClient(prom.url)
    try {
      const all3 = await all(c.read({start: T0, end: T0 + 1000 * 10_000, matchers: [new Matcher(MatchType.EQ, '__name__', 'rr_metric')]}))
      assert.deepEqual(all3.map((s) => labelsToRecord(s.labels).k), ['x', 'y', 'z'])
      assert.equal(labelsToRecord(all3[0]!.labels).replica, 'a', 'Prometheus adds its external labels')
      assert.equal(decode(all3[0]!).length, 1000)
      const some = await all(c.read({start: T0 + 100_000, end: T0 + 200_000, matchers: [new Matcher(MatchType.NRE, 'k', 'x|y')]}))
      assert.equal(some.length, 1)
      const ts = decode(some[0]!).filter((t) => t >= T0 + 100_000 && t <= T0 + 200_000)
      assert.equal(ts.length, 11)
    } finally {
      await c.close()
    }
  })

  it('stops the HTTP transfer when the consumer leaves early, and Prometheus stays healthy', async function () {
    const c = new RemoteReadClient(prom.url)
    try {
      for await (const s of c.read({start: T0, end: T0 + 1e7, matchers: [new Matcher(MatchType.RE, 'k', '.+')]})) {
        assert.ok(s.chunks.length > 0)
        break
      }
      const ac = new AbortController()
      ac.abort()
      await assert.rejects(all(c.read({start: T0, end: T0 + 1e7, matchers: [new Matcher(MatchType.RE, 'k', '.+')]}, ac.signal)), (e: unknown) => errorKind(e) === 'canceled')
      assert.equal((await fetch(`${prom.url}/-/healthy`)).status, 200)
    } finally {
      await c.close()
    }
  })

  it('an unreachable Prometheus is an unavailable error', async function () {
    const c = new RemoteReadClient('http://127.0.0.1:1')
    await assert.rejects(all(c.read({start: 0, end: 1, matchers: [new Matcher(MatchType.EQ, 'a', 'b')]})), (e: unknown) => errorKind(e) === 'unavailable')
    await c.close()
  })
})

describe('remote read: SAMPLES fallback', function () {
  // Prometheus 2.42 always streams when asked, so an old server that only speaks SAMPLES is
  // played by a small local HTTP server answering the sampled format (a fake by necessity).
  let server: Server
  let url: string

  before(async function () {
    const T = prometheusRoot().lookupType('prometheus.ReadResponse')
    const body = T.encode(
      T.fromObject({
        results: [
          {
            timeseries: [
              {labels: [{name: '__name__', value: 'old'}], samples: Array.from({length: 250}, (_, i) => ({timestamp: 1000 * i, value: i}))},
              {labels: [{name: '__name__', value: 'empty'}], samples: []},
            ],
          },
        ],
      }),
    ).finish()
    server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {'content-type': 'application/x-protobuf', 'content-encoding': 'snappy'})
        res.end(Buffer.from(snappyCompress(body)))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  after(function () {
    server?.close()
  })

  it('re-encodes sampled series into 120-sample XOR chunks and skips empty series', async function () {
    const c = new RemoteReadClient(url)
    const got = await all(c.read({start: 0, end: 1e6, matchers: [new Matcher(MatchType.RE, '__name__', '.+')]}))
    await c.close()
    assert.equal(got.length, 1)
    assert.deepEqual(got[0]!.chunks.map((ch) => [ch.minTime, ch.maxTime, ch.type]), [[0, 119000, 1], [120000, 239000, 1], [240000, 249000, 1]])
    const vs: number[] = []
    for (const ch of got[0]!.chunks) {
      const it = decodeXorChunk(ch.data)
      while (it.next()) vs.push(it.at())
    }
    assert.deepEqual(vs, Array.from({length: 250}, (_, i) => i))
  })
})

