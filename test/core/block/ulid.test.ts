import assert from 'node:assert/strict'
import fc from 'fast-check'
import {formatUlid, isUlid, newUlid, parseUlid, ulidTime} from '../../../src/core/block/ulid.js'
import {BadDataError} from '../../../src/core/errors.js'

describe('ULID', () => {
  it('decodes the example of the ULID spec (github.com/ulid/spec): time 1469918176385', () => {
    assert.equal(ulidTime('01ARYZ6S41TSV4RRFFQ69G5FAV'), 1469918176385)
    assert.equal(formatUlid(parseUlid('01ARYZ6S41TSV4RRFFQ69G5FAV')), '01ARYZ6S41TSV4RRFFQ69G5FAV')
  })

  it('round-trips any 128 bits, and text order is byte order', () => {
    const bytes = fc.uint8Array({minLength: 16, maxLength: 16})
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        const sa = formatUlid(a)
        assert.match(sa, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/)
        assert.deepEqual(parseUlid(sa), a)
        const byBytes = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))
        assert.equal(sa < formatUlid(b) ? -1 : sa > formatUlid(b) ? 1 : 0, byBytes)
      }),
    )
  })

  it('puts the time in the first 48 bits', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 2 ** 48 - 1}), (t) => {
        const id = newUlid(t)
        assert.equal(ulidTime(id), t)
        let fromBytes = 0
        for (const b of parseUlid(id).subarray(0, 6)) fromBytes = fromBytes * 256 + b
        assert.equal(fromBytes, t)
      }),
    )
    assert.throws(() => newUlid(2 ** 48), BadDataError)
  })

  it('accepts lower case and rejects what is not a ULID', () => {
    assert.equal(formatUlid(parseUlid('01arYZ6s41tsv4rrffq69g5fav')), '01ARYZ6S41TSV4RRFFQ69G5FAV')
    for (const bad of ['', '01ARYZ6S41TSV4RRFFQ69G5FA', '01ARYZ6S41TSV4RRFFQ69G5FAVX', '81ARYZ6S41TSV4RRFFQ69G5FAV', '01ARYZ6S41TSV4RRFFQ69G5FAI', '01ARYZ6S41TSV4RRFFQ69G5FAL', '01ARYZ6S41TSV4RRFFQ69G5FAO', '01ARYZ6S41TSV4RRFFQ69G5FAU', '01ARYZ6S41TSV4RRFFQ69G5FA-', '01ARYZ6S41TSV4RRFFQ69G5FAé']) {
      assert.equal(isUlid(bad), false, bad)
      assert.throws(() => parseUlid(bad), BadDataError, bad)
    }
    assert.equal(isUlid('7ZZZZZZZZZZZZZZZZZZZZZZZZZ'), true)
  })
})
