import assert from 'node:assert/strict'
import fc from 'fast-check'
import {decodeXorChunk, encodeXorChunks, isStaleNaN, MAX_SAMPLES_PER_CHUNK, STALE_NAN, XorChunkEncoder} from '../../../src/core/chunkenc/index.js'
import {sameFloatBits} from '../../../src/core/chunkenc/value.js'
import {encodeXorChunk as referenceEncode} from './reference-xor-encoder.js'

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
function fromBits(hi: number, lo: number): number {
  u32[0] = lo
  u32[1] = hi
  return f64[0]!
}

const floatBits = fc.oneof(
  fc.double(),
  fc.constantFrom(STALE_NAN, NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.tuple(fc.integer({min: 0, max: 0xffffffff}), fc.integer({min: 0, max: 0xffffffff})).map(([h, l]) => fromBits(h, l)),
)

// timestamps: ascending with deltas from tiny to huge (incl. > 20-bit and > 32-bit dod), may start negative
const timestamps = fc
  .tuple(
    fc.integer({min: -1e12, max: 2e12}),
    fc.array(fc.oneof(fc.integer({min: 0, max: 100}), fc.integer({min: 0, max: 200_000}), fc.integer({min: 0, max: 2 ** 40})), {minLength: 0, maxLength: 200}),
  )
  .map(([t0, ds]) => {
    const ts = [t0]
    for (const d of ds) ts.push(ts[ts.length - 1]! + d)
    return ts
  })

function hex(v: number): string {
  f64[0] = v
  return `${u32[1]!.toString(16)}:${u32[0]!.toString(16)}`
}

function decodeAll(data: Uint8Array): {ts: number[]; vs: number[]; stale: boolean[]} {
  const it = decodeXorChunk(data)
  const ts: number[] = []
  const vs: number[] = []
  const stale: boolean[] = []
  while (it.next()) {
    ts.push(it.atT())
    vs.push(it.at())
    stale.push(it.atStale!())
  }
  return {ts, vs, stale}
}

describe('chunkenc XOR encoder', function () {
  it('round-trips timestamps and exact float bits (NaN payloads, stale, ±Inf, -0) through the decoder', function () {
    fc.assert(
      fc.property(timestamps.chain((ts) => fc.tuple(fc.constant(ts), fc.array(floatBits, {minLength: ts.length, maxLength: ts.length}))), ([ts, vs]) => {
        const chunks = encodeXorChunks(ts, vs)
        const got = {ts: [] as number[], vs: [] as number[], stale: [] as boolean[]}
        for (const c of chunks) {
          const d = decodeAll(c.data)
          assert.ok(d.ts.length <= MAX_SAMPLES_PER_CHUNK)
          assert.equal(c.minTime, d.ts[0])
          assert.equal(c.maxTime, d.ts[d.ts.length - 1])
          got.ts.push(...d.ts)
          got.vs.push(...d.vs)
          got.stale.push(...d.stale)
        }
        assert.deepEqual(got.ts, ts)
        // Non-NaN values are bit-exact (incl. -0, ±Inf). NaN payloads are exact in the chunk
        // bytes, but V8 may quiet/canonicalise a NaN once it is a JS number (chunkenc/value.ts),
        // so for NaNs the bytes are checked against the reference encoder below and staleness
        // via atStale().
        for (let i = 0; i < vs.length; i++) {
          if (Number.isNaN(vs[i]!)) assert.ok(Number.isNaN(got.vs[i]!), `value ${i} NaN`)
          else assert.ok(sameFloatBits(got.vs[i]!, vs[i]!), `value ${i} bits: got ${hex(got.vs[i]!)} want ${hex(vs[i]!)}`)
        }
        for (let i = 0; i < got.stale.length; i++) assert.equal(got.stale[i], isStaleNaN(vs[i]!), `stale flag ${i}`)
      }),
      {numRuns: 300},
    )
  })

  it('writes the same bytes as the straightforward reference encoder', function () {
    // stale markers excluded here: ours writes them canonically, the reference writes whatever V8 hands it
    const nonStale = floatBits.filter((v) => !isStaleNaN(v))
    fc.assert(
      fc.property(timestamps.chain((ts) => fc.tuple(fc.constant(ts.slice(0, 120)), fc.array(nonStale, {minLength: 120, maxLength: 120}))), ([ts, vs]) => {
        const e = new XorChunkEncoder()
        for (let i = 0; i < ts.length; i++) e.append(ts[i]!, vs[i]!)
        assert.deepEqual(Buffer.from(e.bytes()), Buffer.from(referenceEncode(ts, vs.slice(0, ts.length))))
      }),
      {numRuns: 200},
    )
  })

  it('keeps the stale marker recognisable', function () {
    const [c] = encodeXorChunks([1000, 2000, 3000], [1, STALE_NAN, NaN])
    const d = decodeAll(c!.data)
    assert.deepEqual(d.stale, [false, true, false])
    assert.ok(Number.isNaN(d.vs[1]!) && Number.isNaN(d.vs[2]!))
  })

  it('cuts chunks at 120 samples', function () {
    const ts = Array.from({length: 250}, (_, i) => i * 15_000)
    const chunks = encodeXorChunks(ts, ts.map((t) => t / 1000))
    assert.deepEqual(chunks.map((c) => decodeAll(c.data).ts.length), [120, 120, 10])
    assert.deepEqual(chunks.map((c) => [c.minTime, c.maxTime]), [[0, 119 * 15_000], [120 * 15_000, 239 * 15_000], [240 * 15_000, 249 * 15_000]])
  })
})
