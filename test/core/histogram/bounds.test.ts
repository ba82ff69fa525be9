import assert from 'node:assert/strict'
import fc from 'fast-check'
import {bucketBound, exponentialBound, ldexp, pow2, targetIndex} from '../../../src/core/histogram/bounds.js'

/** Distance in units in the last place (both finite and positive). */
function ulps(a: number, b: number): number {
  const v = new DataView(new ArrayBuffer(16))
  v.setFloat64(0, a)
  v.setFloat64(8, b)
  return Number(v.getBigInt64(0) - v.getBigInt64(8))
}

describe('histogram bucket bounds', function () {
  it('negative schemas: exact powers of two 2^(i·2^-n)', () => {
    for (let schema = -4; schema < 0; schema++) {
      for (let i = -70; i <= 70; i++) {
        const e = i * 2 ** -schema
        if (e === 1024 || e > 1023 || e < -1074) continue
        assert.equal(exponentialBound(i, schema), 2 ** e, `schema ${schema} idx ${i}`)
      }
    }
  })

  it('schemas 0..8: within a few ulps of 2^(i/2^n) for every index of a wide range (the table is off by up to 3)', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 8}), fc.integer({min: -250000, max: 250000}), (schema, i) => {
        const want = Math.pow(2, i / 2 ** schema)
        if (!Number.isFinite(want) || want < 1e-300) return
        const got = exponentialBound(i, schema)
        assert.ok(Math.abs(ulps(got, want)) <= 4, `schema ${schema} idx ${i}: ${got} vs ${want}`)
      }),
      {numRuns: 20000},
    )
    for (let schema = 0; schema <= 8; schema++) {
      for (let i = -3 * 2 ** schema; i <= 3 * 2 ** schema; i++) {
        const want = Math.pow(2, i / 2 ** schema)
        assert.ok(Math.abs(ulps(exponentialBound(i, schema), want)) <= 4, `schema ${schema} idx ${i}`)
      }
    }
  })

  it('every bound of a schema is the same double in all higher schemas (the bucket merging relies on it)', () => {
    fc.assert(
      fc.property(fc.integer({min: -4, max: 7}), fc.integer({min: 1, max: 12}), fc.integer({min: -5000, max: 5000}), (schema, up, i) => {
        const higher = Math.min(8, schema + up)
        assert.equal(exponentialBound(i * 2 ** (higher - schema), higher), exponentialBound(i, schema))
      }),
      {numRuns: 5000},
    )
  })

  it('Prometheus table values, not correctly rounded ones (1/√2 is ...475, not ...476)', () => {
    assert.equal(exponentialBound(1, 1), 1.414213562373095)
    assert.equal(exponentialBound(-1, 1), 0.7071067811865475)
    assert.notEqual(exponentialBound(-1, 1), Math.SQRT1_2)
  })

  it('the last finite bucket ends at MAX_VALUE, the one above it (±Inf observations) at +Inf', () => {
    for (let schema = -4; schema <= 8; schema++) {
      const last = schema < 0 ? 1024 / 2 ** -schema : 1024 * 2 ** schema
      assert.equal(exponentialBound(last, schema), Number.MAX_VALUE, `schema ${schema}`)
      assert.equal(exponentialBound(last + 1, schema), Infinity, `schema ${schema}`)
      assert.ok(exponentialBound(last - 1, schema) < Number.MAX_VALUE)
    }
  })

  it('pow2 and ldexp are exact, subnormals included', () => {
    for (let e = -1074; e <= 1023; e++) assert.equal(pow2(e), 2 ** e, `2^${e}`)
    assert.equal(pow2(-1075), 0)
    assert.equal(pow2(1024), Infinity)
    assert.equal(ldexp(0.5, -1073), 2 ** -1074)
    // 1.5 and 1.25 units of the smallest subnormal: rounded once, half to even.
    assert.equal(ldexp(0.75, -1073), 2 ** -1073)
    assert.equal(ldexp(0.625, -1073), 2 ** -1074)
    assert.equal(ldexp(0.5, 1025), Infinity)
    assert.equal(ldexp(0.9999999999999999, 1024), Number.MAX_VALUE)
  })

  it('custom bounds: -Inf below bucket 0, +Inf for the last bucket, others are refused', () => {
    const cv = new Float64Array([0.5, 1, 10])
    assert.equal(bucketBound(-1, -53, cv), -Infinity)
    assert.equal(bucketBound(0, -53, cv), 0.5)
    assert.equal(bucketBound(2, -53, cv), 10)
    assert.equal(bucketBound(3, -53, cv), Infinity)
    assert.throws(() => bucketBound(4, -53, cv), RangeError)
    assert.throws(() => bucketBound(-2, -53, cv), RangeError)
  })

  it('targetIndex maps a bucket into the lower schema bucket that contains it', () => {
    fc.assert(
      fc.property(fc.integer({min: -3, max: 8}), fc.integer({min: 1, max: 5}), fc.integer({min: -3000, max: 3000}), (origin, d, i) => {
        const target = Math.max(-4, origin - d)
        const t = targetIndex(i, origin, target)
        // (lower, upper] of bucket i lies within (lower, upper] of bucket t.
        assert.ok(exponentialBound(t - 1, target) <= exponentialBound(i - 1, origin))
        assert.ok(exponentialBound(i, origin) <= exponentialBound(t, target))
      }),
    )
  })
})
