/**
 * The aggregate chunk codec (pkg/compact/downsample/aggr.go): layout bytes written by hand as
 * Thanos's EncodeAggrChunk lays them out, round trips through the XOR codec, absent
 * aggregates and malformed bytes; a chunk the real Thanos wrote (more in
 * downsample-real-thanos.test.ts, which reads every chunk of Thanos's downsampled blocks).
 */
import assert from 'node:assert/strict'
import {XorChunkEncoder} from '../../../src/core/chunkenc/xor-encoder.js'
import {BadDataError} from '../../../src/core/errors.js'
import {
  AGGR_ABSENT,
  AggrChunkCorruptError,
  AggrType,
  aggrChunkNumSamples,
  decodeAggr,
  encodeAggrChunk,
  getAggr,
  isAggrAbsent,
  isHistogramAggrChunk,
} from '../../../src/core/downsample/aggr-chunk.js'
import {downsampleFloatBatch} from '../../../src/core/downsample/float-downsample.js'

function xor(samples: Array<[number, number]>): Uint8Array {
  const e = new XorChunkEncoder()
  for (const [t, v] of samples) e.append(t, v)
  return e.bytes()
}

function decoded(data: Uint8Array, type: AggrType): Array<[number, number]> {
  const d = decodeAggr(data, type)
  if (isAggrAbsent(d)) throw new Error(`aggregate ${type} absent`)
  assert.equal(d.encoding, 1)
  const out: Array<[number, number]> = []
  while (d.iterator.next()) out.push([d.iterator.atT(), d.iterator.at()])
  return out
}

/**
 * A 5m aggregate chunk as the real thanos tools bucket downsample (v0.42.4) wrote it for a
 * series of three samples, 1, 2 and 0.5 at T+1s, T+2s and T+3s (T = 2024-01-02T18:00Z): one
 * window, stamped with the last sample's time as the batch ends there.
 */
const T = 1_704_218_400_000
const THANOS_5M_CHUNK = Buffer.from(
  '10010001f082a9b59963400800000000000010010001f082a9b59963400c00000000000010010001f082a9b599633fe000000000000010010001f082a9b5996340000000000000001a010003d0e3a8b599633ff0000000000000d00fc26fff6e0c2ffc80',
  'hex',
)

describe('downsample/aggr-chunk', () => {
  it('reads a chunk written by the real Thanos', () => {
    const c = new Uint8Array(THANOS_5M_CHUNK)
    assert.deepEqual(decoded(c, AggrType.Count), [[T + 3000, 3]])
    assert.deepEqual(decoded(c, AggrType.Sum), [[T + 3000, 3.5]])
    assert.deepEqual(decoded(c, AggrType.Min), [[T + 3000, 0.5]])
    assert.deepEqual(decoded(c, AggrType.Max), [[T + 3000, 2]])
    // The first raw sample, the window's counter (1, +1, reset to 0.5), the last raw value.
    assert.deepEqual(decoded(c, AggrType.Counter), [
      [T + 1000, 1],
      [T + 3000, 2.5],
      [T + 3000, 0.5],
    ])
    assert.equal(aggrChunkNumSamples(c), 1)
    assert.equal(isHistogramAggrChunk(c), false)
  })

  it("re-encodes Thanos's chunk from its sub-chunks to the same bytes", () => {
    const c = new Uint8Array(THANOS_5M_CHUNK)
    const subs = [0, 1, 2, 3, 4].map((t) => {
      const s = getAggr(c, t as AggrType)
      assert.ok(!isAggrAbsent(s))
      return s
    })
    assert.deepEqual(Buffer.from(encodeAggrChunk(subs)), THANOS_5M_CHUNK)
  })

  it("downsampleFloatBatch writes Thanos's chunk for the same samples", () => {
    const c = downsampleFloatBatch(Float64Array.of(T + 1000, T + 2000, T + 3000), Float64Array.of(1, 2, 0.5), 3, 300_000)
    assert.deepEqual(Buffer.from(c.data), THANOS_5M_CHUNK)
    assert.equal(c.minTime, T + 3000)
    assert.equal(c.maxTime, T + 3000)
    assert.equal(c.samples, 1)
  })

  it('lays entries out as uvarint length | encoding | bytes, zero length for absent', () => {
    const a = Uint8Array.of(9, 8, 7)
    const b = new Uint8Array(130).fill(5)
    const out = encodeAggrChunk([{encoding: 1, data: a}, undefined, null, {encoding: 3, data: b}])
    // count: len 3, enc 1, bytes; sum, min: 0; max: len 130 = 0x82 0x01, enc 3, bytes; counter: 0.
    const want = Uint8Array.from([3, 1, 9, 8, 7, 0, 0, 0x82, 0x01, 3, ...b, 0])
    assert.deepEqual(out, want)
    const max = getAggr(out, AggrType.Max)
    assert.ok(!isAggrAbsent(max))
    assert.equal(max.encoding, 3)
    assert.deepEqual(max.data, b)
    assert.equal(getAggr(out, AggrType.Sum), AGGR_ABSENT)
    assert.equal(getAggr(out, AggrType.Min), AGGR_ABSENT)
    // A trailing absent entry is absent (Thanos's Get says "invalid size" there; see getAggr).
    assert.equal(getAggr(out, AggrType.Counter), AGGR_ABSENT)
  })

  it('returns views into the chunk, not copies', () => {
    const out = encodeAggrChunk([{encoding: 1, data: Uint8Array.of(0, 0)}])
    const c = getAggr(out, AggrType.Count)
    assert.ok(!isAggrAbsent(c))
    assert.equal(c.data.buffer, out.buffer)
  })

  it('round-trips five XOR aggregates', () => {
    const sets: Array<Array<[number, number]>> = [
      [[299_999, 20], [599_999, 20]],
      [[299_999, 210.5], [599_999, 1e6]],
      [[299_999, -3], [599_999, 0]],
      [[299_999, 44], [599_999, Number.MAX_VALUE]],
      [[0, 5], [299_999, 10], [599_999, 30], [599_999, 29]],
    ]
    const chunk = encodeAggrChunk(sets.map((s) => ({encoding: 1, data: xor(s)})))
    for (let t = 0; t <= 4; t++) assert.deepEqual(decoded(chunk, t as AggrType), sets[t])
    assert.equal(aggrChunkNumSamples(chunk), 2)
    assert.equal(isHistogramAggrChunk(chunk), false)
  })

  it('tells histogram aggregate chunks by their counter encoding', () => {
    const h = Uint8Array.of(0, 1, 0)
    assert.equal(isHistogramAggrChunk(encodeAggrChunk([{encoding: 1, data: xor([[1, 1]])}, {encoding: 3, data: h}, null, null, {encoding: 3, data: h}])), true)
    assert.equal(isHistogramAggrChunk(encodeAggrChunk([{encoding: 1, data: xor([[1, 1]])}])), false)
    assert.equal(aggrChunkNumSamples(encodeAggrChunk([null, {encoding: 1, data: xor([[1, 1]])}])), 0)
  })

  it('writes an empty sub-chunk as absent', () => {
    assert.deepEqual(encodeAggrChunk([{encoding: 1, data: new Uint8Array(0)}]), Uint8Array.of(0, 0, 0, 0, 0))
  })

  it('refuses more than five entries and encodings that are not a byte', () => {
    assert.throws(() => encodeAggrChunk([null, null, null, null, null, null]), RangeError)
    assert.throws(() => encodeAggrChunk([{encoding: 0xff, data: Uint8Array.of(1)}]), RangeError)
  })

  it('throws a typed error for malformed bytes', () => {
    const good = encodeAggrChunk([{encoding: 1, data: xor([[1, 2]])}, {encoding: 1, data: xor([[1, 3]])}])
    // Cut inside the sum entry: count still reads, sum does not.
    const cut = good.subarray(0, good.length - 4) // three absent entries and one sum byte
    assert.ok(!isAggrAbsent(getAggr(cut, AggrType.Count)))
    assert.throws(
      () => getAggr(cut, AggrType.Sum),
      (e: unknown) => e instanceof AggrChunkCorruptError && e instanceof BadDataError && e.aggr === AggrType.Sum && /runs past/.test(e.message),
    )
    // Empty data: the count length varint is missing.
    assert.throws(() => getAggr(new Uint8Array(0), AggrType.Count), (e: unknown) => e instanceof AggrChunkCorruptError && e.offset === 0)
    // A varint that never ends.
    assert.throws(() => getAggr(new Uint8Array(12).fill(0x80), AggrType.Count), /longer than 10 bytes/)
    // A chunk that ends before the requested entry.
    assert.throws(() => getAggr(Uint8Array.of(0, 0), AggrType.Max), (e: unknown) => e instanceof AggrChunkCorruptError && e.aggr === AggrType.Min)
    assert.equal(aggrChunkNumSamples(new Uint8Array(0)), 0)
    assert.equal(isHistogramAggrChunk(Uint8Array.of(0x85)), false)
  })

  it('refuses a sub-chunk encoding chunkenc does not know', () => {
    const chunk = encodeAggrChunk([{encoding: 4, data: Uint8Array.of(0, 0)}])
    assert.throws(() => decodeAggr(chunk, AggrType.Count), /unsupported chunk encoding 4/)
  })
})
