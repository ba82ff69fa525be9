/**
 * The hot-path string and varint helpers (src/core/storepb/utf8.ts, pb-writer.ts) against the
 * platform's own converters and a BigInt reference encoder: the fast paths must give the same
 * strings and bytes for any input, ASCII or not, valid UTF-8 or not.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {ProtoWriter} from '../../../src/core/storepb/pb-writer.js'
import {decodeLabelUtf8, decodeUtf8, utf8Length, writeAscii} from '../../../src/core/storepb/utf8.js'

const platform = new TextDecoder()

/** protobuf's varint of a two's complement int64, by BigInt (MaxInt64 for the values a double rounds up to 2^63). */
function refVarint(n: number): Buffer {
  let v = n >= 2 ** 63 ? 2n ** 63n - 1n : BigInt.asUintN(64, BigInt(n))
  const out: number[] = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Buffer.from(out)
}

describe('storepb utf8 and varints', () => {
  it('decodeUtf8 and the interning decodeLabelUtf8 give what TextDecoder gives, for any bytes, twice in a row', () => {
    // bytes mostly from a small alphabet, so that the table is hit, with some of every value
    const byte = fc.oneof(fc.constantFrom(0x61, 0x62, 0x5f), fc.integer({min: 0, max: 255}))
    fc.assert(
      fc.property(fc.array(byte, {maxLength: 80}), (bytes) => {
        const inner = Uint8Array.from(bytes)
        const padded = Uint8Array.from([0x7a, ...bytes, 0x71])
        const want = platform.decode(inner)
        assert.equal(decodeUtf8(padded, 1, 1 + inner.length), want)
        assert.equal(decodeLabelUtf8(padded, 1, 1 + inner.length), want)
        assert.equal(decodeLabelUtf8(padded, 1, 1 + inner.length), want)
      }),
      {numRuns: 5000},
    )
  })

  it('the table hands out one string for equal bytes and tells apart bytes that differ', () => {
    const a = Buffer.from('xnode_cpu_seconds_totalx')
    const b = Buffer.from('node_cpu_seconds_total')
    assert.equal(decodeLabelUtf8(a, 1, a.length - 1), 'node_cpu_seconds_total')
    assert.equal(decodeLabelUtf8(b, 0, b.length), 'node_cpu_seconds_total')
    const c = Buffer.from('node_cpu_seconds_totaL')
    assert.equal(decodeLabelUtf8(c, 0, c.length), 'node_cpu_seconds_totaL')
    assert.equal(decodeLabelUtf8(Buffer.from('é'), 0, 2), 'é')
  })

  it('utf8Length and writeAscii agree with Buffer for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({maxLength: 80}), fc.string({unit: 'grapheme', maxLength: 20})), (s) => {
        assert.equal(utf8Length(s), Buffer.byteLength(s))
        const buf = new Uint8Array(200)
        const end = writeAscii(buf, 3, s)
        if (/^[\x00-\x7f]{0,64}$/.test(s)) {
          assert.equal(end, 3 + s.length)
          assert.deepEqual(Buffer.from(buf.subarray(3, end)), Buffer.from(s))
        } else assert.equal(end, -1)
        const w = new ProtoWriter(4)
        w.string(1, s)
        const out = Buffer.from(w.finish())
        const body = Buffer.from(s)
        assert.deepEqual(out, Buffer.concat([Buffer.from([0x0a]), refVarint(body.length), body]))
      }),
      {numRuns: 3000},
    )
  })

  it('varints equal the BigInt reference from 0 to MaxInt64 and for negative int64s', () => {
    const edges = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 1796234400000, 2 ** 53 - 1, 2 ** 53, 2 ** 62, 2 ** 63, -1, -1796234400000, -(2 ** 53)]
    const check = (n: number): void => {
      const w = new ProtoWriter(1)
      w.varint(n)
      assert.deepEqual(Buffer.from(w.finish()), refVarint(n), `varint(${n})`)
    }
    for (const n of edges) check(n)
    fc.assert(
      fc.property(fc.integer({min: 0, max: 62}), fc.double({min: 0, max: 1, noNaN: true}), fc.boolean(), (bits, f, neg) => {
        const n = Math.floor(f * 2 ** bits)
        check(neg ? -n : n)
      }),
      {numRuns: 20000},
    )
  })
})
