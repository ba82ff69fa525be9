/**
 * The aggregate chunk codec (pkg/compact/downsample/aggr.go): layout bytes written by hand as
 * Thanos's EncodeAggrChunk lays them out, round trips through the XOR codec, absent
 * aggregates and malformed bytes. Chunks cut by the real Thanos are checked in
 * downsample-real-thanos.test.ts.
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

describe('downsample/aggr-chunk', () => {
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
