/**
 * `start`/`end` of /api/v1/query_exemplars as Thanos's parseTime reads them (pkg/api/query/v1.go):
 * float seconds with the fraction rounded to ms, halves away from zero (Go's math.Round), or
 * RFC 3339 truncated to ms. Expected values come from Date (ms RFC 3339) and integer arithmetic.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {parseExemplarTime} from '../../../src/core/api/globalview-api.js'
import {BadDataError} from '../../../src/core/errors.js'

describe('exemplar query times', function () {
  it('float seconds: whole ms exactly, fractions rounded half away from zero', function () {
    fc.assert(
      fc.property(fc.integer({min: -1e12, max: 1e12}), (ms) => {
        assert.equal(parseExemplarTime((ms / 1000).toFixed(3), 'start', 0), ms)
      }),
    )
    // 0.0625 s is exact in binary: 62.5 ms, a true half
    assert.equal(parseExemplarTime('1.0625', 'start', 0), 1063)
    assert.equal(parseExemplarTime('-1.0625', 'start', 0), -1063)
    assert.equal(parseExemplarTime('1e3', 'start', 0), 1_000_000)
  })

  it('RFC 3339, to the ms below', function () {
    fc.assert(
      fc.property(fc.date({min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true}), (d) => {
        assert.equal(parseExemplarTime(d.toISOString(), 'end', 0), d.getTime())
        assert.equal(parseExemplarTime(d.toISOString().replace('Z', '999999Z'), 'end', 0), d.getTime())
      }),
    )
    assert.equal(parseExemplarTime('2024-07-01T02:00:00+02:00', 'end', 0), Date.UTC(2024, 6, 1))
  })

  it("absent is the default; anything else is bad_data in Thanos's words", function () {
    assert.equal(parseExemplarTime(null, 'start', -5), -5)
    assert.equal(parseExemplarTime('', 'start', -5), -5)
    assert.throws(() => parseExemplarTime('yesterday', 'start', 0), (e: unknown) => e instanceof BadDataError && e.message === `Invalid time value for 'start': cannot parse "yesterday" to a valid timestamp`)
  })
})
