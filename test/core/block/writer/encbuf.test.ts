import assert from 'node:assert/strict'
import fc from 'fast-check'
import {Decbuf} from '../../../../src/core/block/decbuf.js'
import {Encbuf} from '../../../../src/core/block/writer/encbuf.js'
import {crc32c} from '../../../../src/core/remote-read/crc32c.js'

const ctx = {block: 'test', file: 'encbuf'}

describe('block/writer Encbuf', () => {
  it("writes Go's varints: known encodings", () => {
    const e = new Encbuf(16)
    const hex = (f: () => void): string => {
      e.reset()
      f()
      return e.bytes().toString('hex')
    }
    assert.equal(
      hex(() => e.putUvarint(300)),
      'ac02',
    )
    assert.equal(
      hex(() => e.putUvarint(0)),
      '00',
    )
    assert.equal(
      hex(() => e.putUvarint(2 ** 53 - 1)),
      'ffffffffffffff0f',
    )
    assert.equal(
      hex(() => e.putVarint(-1)),
      '01',
    )
    assert.equal(
      hex(() => e.putVarint(-65)),
      '8101',
    )
    assert.equal(
      hex(() => e.putBE64(0x0001020304050607)),
      '0001020304050607',
    )
  })

  it('round-trips through the reader for every safe integer, growing as needed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.maxSafeNat(), fc.integer({min: -(2 ** 52), max: 2 ** 52 - 1}), fc.string({unit: 'grapheme', maxLength: 40}))), (items) => {
        const e = new Encbuf(16)
        for (const [u, v, s] of items) {
          e.putUvarint(u)
          e.putVarint(v)
          e.putUvarintStr(s)
          e.putBE32(u % 2 ** 32)
        }
        const d = new Decbuf(e.bytes(), 0, ctx)
        for (const [u, v, s] of items) {
          assert.equal(d.uvarint(), u)
          assert.equal(d.varint(), v)
          const start = d.uvarintBytesStart()
          assert.equal(e.bytes().toString('utf8', start, d.pos), s)
          assert.equal(d.be32(), u % 2 ** 32)
        }
        assert.equal(d.remaining(), 0)
        assert.equal(e.crc(0), crc32c(e.bytes()))
      }),
      {numRuns: 200},
    )
  })

  it('refuses values a 64-bit field cannot carry exactly', () => {
    const e = new Encbuf()
    assert.throws(() => e.putUvarint(-1), RangeError)
    assert.throws(() => e.putUvarint(2 ** 53), RangeError)
    assert.throws(() => e.putVarint(0.5), RangeError)
    assert.throws(() => e.putVarint(2 ** 52), RangeError)
    e.putVarint(-(2 ** 52))
    assert.throws(() => e.putBE64(-3), RangeError)
  })
})
