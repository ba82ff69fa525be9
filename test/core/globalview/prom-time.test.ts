/**
 * RFC 3339 ↔ Timestamp against JavaScript's Date (exact to the ms for years 100..9999, and
 * independent of our calendar arithmetic), plus what Date cannot check: nanoseconds, UTC
 * offsets, Go's zero time.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {GO_ZERO_TIME, timestampFromRfc3339, timestampToRfc3339} from '../../../src/core/globalview/prom-time.js'

// Date.UTC reads years 0..99 as 19xx; 100 is the year 100
const MIN_MS = Date.UTC(100, 0, 1)
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

describe('globalview prom-time', () => {
  it('parses and prints every ms time as Date does (Go trims the fraction, Date keeps .000)', () => {
    fc.assert(
      fc.property(fc.integer({min: MIN_MS, max: MAX_MS}), (ms) => {
        const iso = new Date(ms).toISOString()
        const t = timestampFromRfc3339(iso, 'test')
        assert.deepEqual(t, {seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1e6})
        const goStyle = iso.replace(/\.(\d{3})Z$/, (_m, f: string) => (f.replace(/0+$/, '') ? `.${f.replace(/0+$/, '')}Z` : 'Z'))
        assert.equal(timestampToRfc3339(t), goStyle)
      }),
      {numRuns: 2000},
    )
  })

  it('keeps nanoseconds, applies UTC offsets, and knows Go zero time', () => {
    assert.deepEqual(timestampFromRfc3339('2026-12-01T22:05:38.868785961Z', 't'), {seconds: Date.UTC(2026, 11, 1, 22, 5, 38) / 1000, nanos: 868785961})
    assert.equal(timestampToRfc3339({seconds: Date.UTC(2026, 11, 1, 22, 5, 38) / 1000, nanos: 868785960}), '2026-12-01T22:05:38.86878596Z')
    assert.deepEqual(timestampFromRfc3339('2024-01-01T01:30:00.5+01:30', 't'), timestampFromRfc3339('2024-01-01T00:00:00.5Z', 't'))
    assert.deepEqual(timestampFromRfc3339('2023-12-31T23:00:00-01:00', 't'), timestampFromRfc3339('2024-01-01T00:00:00Z', 't'))
    assert.deepEqual(timestampFromRfc3339('0001-01-01T00:00:00Z', 't'), GO_ZERO_TIME)
    assert.equal(timestampToRfc3339(GO_ZERO_TIME), '0001-01-01T00:00:00Z')
    // json.Unmarshal leaves a missing time at the zero time
    assert.deepEqual(timestampFromRfc3339(undefined, 't'), GO_ZERO_TIME)
    assert.deepEqual(timestampFromRfc3339(null, 't'), GO_ZERO_TIME)
  })

  it('refuses what is not RFC 3339, as Go', () => {
    for (const bad of ['2024-01-01', '2024-01-01 00:00:00Z', '2024-01-01T00:00:00', 1700000000, '2024-01-01T00:00:00.Z', '2024-01-01T00:00:00.1234567891Z']) {
      assert.throws(() => timestampFromRfc3339(bad, 'rule.lastEvaluation'), /rule\.lastEvaluation: cannot parse/)
    }
  })
})
